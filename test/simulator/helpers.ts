import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { RunningSimulator } from '../../dev/simulator/index.js';
import { EXCHANGE_RESOURCE, GRAPH_RESOURCE, MANAGEMENT_RESOURCE } from '../../dev/simulator/index.js';

export type SimResource = 'graph' | 'exchange' | 'management';
const RESOURCES = { graph: GRAPH_RESOURCE, exchange: EXCHANGE_RESOURCE, management: MANAGEMENT_RESOURCE };

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One HTTPS request that trusts the simulator's certificate (node's fetch cannot take a CA per call). */
export function request(
  sim: Pick<RunningSimulator, 'url' | 'caCertPem'>,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | undefined },
): Promise<HttpResult> {
  const target = new URL(opts.path, sim.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      target,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ca: sim.caCertPem, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function json<T = Record<string, unknown>>(r: HttpResult): T {
  return JSON.parse(r.text) as T;
}

/** Gets an app-only token from the simulator's token endpoint, as MSAL would. */
export async function appToken(
  sim: RunningSimulator,
  resource: SimResource,
  secret = sim.clientSecret,
): Promise<HttpResult & { token?: string }> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: sim.clientId,
    client_secret: secret,
    scope: `${RESOURCES[resource]}/.default`,
  });
  const r = await request(sim, {
    method: 'POST',
    path: `/${sim.tenantId}/oauth2/v2.0/token`,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  if (r.status !== 200) return r;
  return { ...r, token: json<{ access_token: string }>(r).access_token };
}

export async function tokenOrThrow(sim: RunningSimulator, resource: SimResource): Promise<string> {
  const r = await appToken(sim, resource);
  if (r.token === undefined) throw new Error(`token request failed: ${r.status} ${r.text}`);
  return r.token;
}

export function graphGet(
  sim: RunningSimulator,
  token: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return request(sim, { path: `/v1.0${path}`, headers: { Authorization: `Bearer ${token}`, ...headers } });
}

export const ANCHOR = (tid: string): string => `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tid}`;

/** POSTs an InvokeCommand body with the headers docs/wire.md lists. */
export function invokeCommand(
  sim: RunningSimulator,
  token: string,
  cmdlet: string,
  parameters: Record<string, unknown>,
  opts: { url?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return request(sim, {
    method: 'POST',
    path: opts.url ?? `/adminapi/beta/${sim.tenantId}/InvokeCommand`,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      'X-AnchorMailbox': ANCHOR(sim.tenantId),
      ...(opts.headers ?? {}),
    },
    body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
  });
}

/**
 * Describes how `actual` fails to have the shape of `sample` (undefined when it has it): every key
 * of a sample object must be present with the same JSON type, recursively; extra keys are allowed.
 * A string in the sample also accepts null. Arrays: every sample element's shape must be matched
 * by some actual element, and every actual element must match some sample element's shape.
 */
export function shapeMismatch(sample: unknown, actual: unknown, path = '$'): string | undefined {
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  // A sample string stands for "string or null": Graph sends mail: null for users without a mailbox.
  if (actual === null && kind(sample) === 'string') return undefined;
  if (kind(sample) !== kind(actual)) return `${path}: expected ${kind(sample)}, got ${kind(actual)}`;
  if (Array.isArray(sample) && Array.isArray(actual)) {
    if (sample.length === 0) return undefined;
    if (actual.length === 0) return `${path}: expected a non-empty array`;
    for (const [i, s] of sample.entries()) {
      if (!actual.some((a) => shapeMismatch(s, a) === undefined)) {
        const first = shapeMismatch(s, actual[0], `${path}[0]`) ?? '?';
        return `${path}: no element has the shape of sample[${i}] (first problem: ${first})`;
      }
    }
    for (const [i, a] of actual.entries()) {
      if (!sample.some((s) => shapeMismatch(s, a) === undefined))
        return `${path}[${i}]: matches no sample element: ${JSON.stringify(a).slice(0, 300)}`;
    }
    return undefined;
  }
  if (kind(sample) === 'object') {
    const s = sample as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!(key in a)) return `${path}.${key}: missing`;
      const inner = shapeMismatch(s[key], a[key], `${path}.${key}`);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
