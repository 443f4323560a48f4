import type { FetchInit, FetchLike } from '../../shared/adapters/microsoft/index.js';

/** Where the clients send their requests: the only places a recording may talk to. */
export interface ServiceBases {
  graphBaseUrl: string;
  exchangeBaseUrl: string;
}

/** One request and its answer as they crossed the transport, before pseudonymization (never written as is). */
export interface RawExchange {
  /** Index of the recorded call that made the request. */
  call: number;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; text: string };
  networkError?: string;
  elapsedMs: number;
}

/** A request the recorder refuses to send: anything that is not a read. */
export class ReadOnlyViolation extends Error {
  override name = 'ReadOnlyViolation';
}

const READ_CMDLET = /^Get-[A-Za-z]+$/;
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
/** Request headers worth keeping: they change what the services answer. Everything else is dropped. */
export const KEPT_REQUEST_HEADERS = ['content-type', 'accept', 'prefer', 'consistencylevel', 'x-anchormailbox'];
/** Response headers worth keeping: the clients read them. */
export const KEPT_RESPONSE_HEADERS = ['content-type', 'retry-after'];

function parseJson(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function cmdletOf(body: unknown): unknown {
  return (body as { CmdletInput?: { CmdletName?: unknown } } | null | undefined)?.CmdletInput?.CmdletName;
}

function refuse(method: string, url: string, why: string): never {
  throw new ReadOnlyViolation(`recording is read-only: refusing ${method} ${url} (${why})`);
}

function assertReadCmdlet(cmdlet: unknown, method: string, url: string): void {
  if (typeof cmdlet !== 'string' || !READ_CMDLET.test(cmdlet)) {
    refuse(method, url, `cmdlet ${String(cmdlet)}: only Get-*`);
  }
}

/**
 * Throws unless the request only reads: Graph GET (or a `$batch` of GETs without bodies), Exchange
 * `InvokeCommand` of a `Get-*` cmdlet (or a `$batch` of those), and only to the configured services.
 */
export function assertReadOnly(bases: ServiceBases, method: string, url: string, body?: string): void {
  const target = new URL(url);
  const graph = new URL(bases.graphBaseUrl);
  const exchange = new URL(bases.exchangeBaseUrl);
  const verb = method.toUpperCase();
  const graphRoot = `${graph.pathname.replace(/\/+$/, '')}/v1.0/`;
  const exchangeRoot = `${exchange.pathname.replace(/\/+$/, '')}/adminapi/beta/`;

  if (target.origin === graph.origin && target.pathname.startsWith(graphRoot)) {
    if (verb === 'GET') return;
    if (verb !== 'POST' || target.pathname !== `${graphRoot}$batch`) refuse(verb, url, 'Graph: only GET');
    const requests = (parseJson(body) as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) refuse(verb, url, 'Graph $batch without requests');
    for (const item of requests as Array<{ method?: unknown; body?: unknown }>) {
      if (String(item.method ?? '').toUpperCase() !== 'GET' || item.body !== undefined) {
        refuse(verb, url, `Graph $batch item ${String(item.method)}: only GET`);
      }
    }
    return;
  }
  if (target.origin === exchange.origin && target.pathname.startsWith(exchangeRoot) && verb === 'POST') {
    const json = parseJson(body);
    if (target.pathname.endsWith('/InvokeCommand')) {
      const cmdlet = cmdletOf(json);
      assertReadCmdlet(cmdlet, verb, url);
      return;
    }
    if (target.pathname.endsWith('/$batch')) {
      const requests = (json as { requests?: unknown } | undefined)?.requests;
      if (!Array.isArray(requests) || requests.length === 0) refuse(verb, url, 'Exchange $batch without requests');
      for (const item of requests as Array<{ method?: unknown; url?: unknown; body?: unknown }>) {
        const cmdlet = cmdletOf(typeof item.body === 'string' ? parseJson(item.body) : item.body);
        const itemPath = typeof item.url === 'string' ? new URL(item.url, url).pathname : '';
        if (String(item.method).toUpperCase() !== 'POST' || !itemPath.endsWith('/InvokeCommand')) {
          refuse(verb, url, `Exchange $batch item ${String(item.method)} ${String(item.url)}`);
        }
        assertReadCmdlet(cmdlet, verb, url);
      }
      return;
    }
  }
  refuse(verb, url, 'not a Graph read or an Exchange Get-* cmdlet of the configured tenant');
}

function headerRecord(headers: Headers | Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  for (const [name, value] of entries) out[name.toLowerCase()] = value;
  return out;
}

/**
 * Wraps the clients' transport: refuses anything but reads, and keeps each request and answer (tagged with
 * the current call) for the recording. Bearer tokens are remembered only to prove they are not written.
 */
export class TrafficCapture {
  readonly exchanges: RawExchange[] = [];
  /** Bearer tokens seen; the writer refuses to write a recording that contains one. */
  readonly secrets = new Set<string>();
  /** Header names dropped from the recording (names only). */
  readonly droppedHeaders = { request: new Set<string>(), response: new Set<string>() };
  /** The call the next requests belong to; the recorder advances it. */
  call = 0;
  /** While paused, requests are still checked but not kept (discovery of what to record). */
  paused = false;

  constructor(private readonly bases: ServiceBases) {}

  wrap(inner: FetchLike): FetchLike {
    return async (url: string, init: FetchInit): Promise<Response> => {
      assertReadOnly(this.bases, init.method, url, init.body);
      const headers = headerRecord(init.headers);
      const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
      if (bearer) this.secrets.add(bearer);
      const request = {
        method: init.method.toUpperCase(),
        url,
        headers: this.keep(headers, KEPT_REQUEST_HEADERS, 'request'),
        ...(init.body !== undefined ? { body: init.body } : {}),
      };
      const started = performance.now();
      const elapsedMs = (): number => Math.round(performance.now() - started);
      let response: Response;
      try {
        response = await inner(url, init);
      } catch (error) {
        const networkError = error instanceof Error ? error.message : String(error);
        this.push({ call: this.call, request, networkError, elapsedMs: elapsedMs() });
        throw error;
      }
      const text = await response.text();
      const responseHeaders = this.keep(headerRecord(response.headers), KEPT_RESPONSE_HEADERS, 'response');
      const recorded = { status: response.status, headers: responseHeaders, text };
      this.push({ call: this.call, request, response: recorded, elapsedMs: elapsedMs() });
      return new Response(NULL_BODY_STATUS.has(response.status) ? null : text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    };
  }

  /** Adds an exchange that did not go through a client (a wire sample of a request the product must not send). */
  add(exchange: Omit<RawExchange, 'call'>): void {
    assertReadOnly(this.bases, exchange.request.method, exchange.request.url, exchange.request.body);
    this.push({ ...exchange, call: this.call });
  }

  private push(exchange: RawExchange): void {
    if (!this.paused) this.exchanges.push(exchange);
  }

  private keep(headers: Record<string, string>, kept: readonly string[], side: 'request' | 'response') {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (kept.includes(name)) out[name] = value;
      else this.droppedHeaders[side].add(name);
    }
    return out;
  }
}
