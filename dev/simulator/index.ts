import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultCertDir, ensureApiSigningKey, ensureClientCertificate, ensureSimulatorTls } from './certs.js';
import { applyKnobs, handleControl, type ControlTokenRequest } from './control.js';
import { handleEntra } from './entra.js';
import { handleExchange } from './exchange.js';
import { generateTenant } from './generate.js';
import { handleGraph } from './graph.js';
import { seedAuditNoise } from './audit.js';
import { AuditFeed } from './management.js';
import {
  emptyStats,
  type SimContext,
  type SimReply,
  type SimRequest,
  type SimulatorKnobs,
  type SimulatorStats,
} from './http.js';
import { SIM_API_AUDIENCE } from './identity.js';
import { overloadDelayMs, resetBuckets } from './limits.js';
import { createRng } from './rng.js';
import type { Tenant } from './tenant.js';
import { TokenService, type ApiTokenRequest } from './tokens.js';

export type { SimulatorKnobs, SimulatorStats } from './http.js';
export type { ApiTokenRequest } from './tokens.js';
export type { Tenant, TenantDemo, SimUser, SimGroup, SimAce, SimMailboxPermissions, CalendarRole } from './tenant.js';
export { generateTenant, type GenerateOptions } from './generate.js';
export {
  SIM_TENANT_ID,
  SIM_CLIENT_ID,
  SIM_CLIENT_SECRET,
  SIM_API_AUDIENCE,
  SIM_API_CLIENT_ID,
  SIM_APP_PERMISSIONS,
  API_ROLES,
  GRAPH_RESOURCE,
  EXCHANGE_RESOURCE,
  MANAGEMENT_RESOURCE,
} from './identity.js';
export { adminRecord, mailboxRecord, type AuditFeedKnobs, type WireAuditRecord } from './management.js';
export { defaultCertDir, ensureSimulatorTls } from './certs.js';

/** The port the local dev host runs the simulator on. */
export const DEFAULT_SIMULATOR_PORT = 7443;

export interface SimulatorOptions extends Partial<SimulatorKnobs> {
  /** Tenant generator seed (default 42). */
  seed?: number;
  /** Mailboxes to generate (default 200). */
  mailboxes?: number;
  delegationsPerMailbox?: number;
  groupTrusteeShare?: number;
  /** Default 0 = any free port; always bound to 127.0.0.1. */
  port?: number;
  /** Where the TLS certificate, API signing key and client certificate live; default <repo>/.certs. */
  certDir?: string;
  /** Lifetime of Graph/Exchange access tokens (default 3600). */
  tokenLifetimeSeconds?: number;
  /** Serve this tenant instead of generating one. */
  tenant?: Tenant;
  /** D: an audit record becomes listable this long after the change (default 5000). */
  auditDelayMs?: number;
  /** Content entries per Management API listing page (default 3, so paging is exercised). */
  auditPageSize?: number;
  /** The audit feed's clock (default Date.now): a test moves it to see content expire after 7 days. */
  auditClock?: () => number;
}

export interface RunningSimulator {
  /** https://127.0.0.1:<port>: Entra, Graph and Exchange on one origin. */
  url: string;
  port: number;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** PEM (key + certificate) registered on the app for private_key_jwt (AZURE_CLIENT_CERTIFICATE_PATH). */
  clientCertificatePath: string;
  /** = url (AZURE_AUTHORITY_HOST). */
  authorityHost: string;
  /** = url (GRAPH_BASE_URL; the client appends /v1.0). */
  graphBaseUrl: string;
  /** = url (EXCHANGE_BASE_URL). */
  exchangeBaseUrl: string;
  /** = url (MANAGEMENT_API_BASE_URL): the Office 365 Management Activity API. */
  managementBaseUrl: string;
  caCertPem: string;
  caCertPath: string;
  /** For OUR API's tokens. */
  api: { audience: string; issuer: string; jwksUri: string };
  tenant: Tenant;
  /** The Management Activity API's audit log: knobs (delay D, page size), faults, records. */
  audit: AuditFeed;
  readonly knobs: SimulatorKnobs;
  setKnobs(k: Partial<SimulatorKnobs>): void;
  stats(): SimulatorStats;
  resetStats(): void;
  mintApiToken(claims: ApiTokenRequest): Promise<string>;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function write(req: IncomingMessage, res: ServerResponse, reply: SimReply): void {
  if (reply.fault === 'drop') {
    req.socket.destroy();
    return;
  }
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let text = '';
  if (reply.body !== undefined) {
    text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
      headers['Content-Type'] =
        typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    }
  }
  if (reply.fault === 'truncate') text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  const payload = Buffer.from(text, 'utf8');
  headers['Content-Length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the tenant simulator (Entra ID + Microsoft Graph + Exchange Online admin API) over HTTPS on 127.0.0.1. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const certDir = options.certDir ?? defaultCertDir();
  const [tls, clientCert] = await Promise.all([ensureSimulatorTls(certDir), ensureClientCertificate(certDir)]);
  const apiKey = ensureApiSigningKey(certDir);
  const seed = options.seed ?? 42;
  const tenant =
    options.tenant ??
    generateTenant({
      seed,
      ...(options.mailboxes !== undefined ? { mailboxes: options.mailboxes } : {}),
      ...(options.delegationsPerMailbox !== undefined ? { delegationsPerMailbox: options.delegationsPerMailbox } : {}),
      ...(options.groupTrusteeShare !== undefined ? { groupTrusteeShare: options.groupTrusteeShare } : {}),
    });
  tenant.app.certificates = [...(tenant.app.certificates ?? []), clientCert.certPem];

  let ctx: SimContext | undefined;
  const server = https.createServer({ key: tls.keyPem, cert: tls.certPem, keepAlive: true }, (req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (ctx === undefined) {
        write(req, res, { status: 503, body: { error: 'simulator starting' } });
        return;
      }
      const c = ctx;
      const url = new URL(req.url ?? '/', c.url);
      const simReq: SimRequest = { method: (req.method ?? 'GET').toUpperCase(), url, headers: req.headers, body };
      const path = url.pathname;
      const isUpstream = path === '/v1.0' || path.startsWith('/v1.0/') || path.startsWith('/adminapi/');
      let reply: SimReply;
      try {
        if (path === '/v1.0' || path.startsWith('/v1.0/')) reply = await handleGraph(c, simReq);
        else if (path.startsWith('/adminapi/')) reply = await handleExchange(c, simReq);
        else if (path.startsWith('/api/v1.0/')) reply = await c.audit.handle(c, simReq);
        else if (path.startsWith('/_sim/')) reply = await handleControl(c, simReq, mintFromControl);
        else {
          const entra = await handleEntra(c, simReq);
          if (entra === undefined) c.stats.requests.other++;
          reply = entra ?? { status: 404, body: { error: { code: 'NotFound', message: `Nothing at ${path}` } } };
        }
      } catch (err) {
        reply = {
          status: 500,
          body: { error: { code: 'InternalServerError', message: err instanceof Error ? err.message : String(err) } },
        };
      }
      if (isUpstream) {
        const jitter = c.knobs.jitterMs > 0 ? c.rng.next() * c.knobs.jitterMs : 0;
        const overload = overloadDelayMs(c, path.startsWith('/adminapi/') ? 'exchange' : 'graph');
        const delay = c.knobs.latencyMs + jitter + overload;
        if (delay > 0) await sleep(delay);
      }
      write(req, res, reply);
    })().catch(() => {
      res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  const tokens = new TokenService({ url, tenantId: tenant.tenantId }, apiKey);
  const c: SimContext = {
    tenant,
    url,
    tokens,
    knobs: { latencyMs: 0, jitterMs: 0, rateLimits: {}, faultRate: 0 },
    stats: emptyStats(),
    rng: createRng((seed ^ 0x51a7e) >>> 0),
    buckets: {},
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    forbiddenCount: 0,
    audit: new AuditFeed(
      createRng((seed ^ 0xa0d17) >>> 0),
      {
        ...(options.auditDelayMs !== undefined ? { delayMs: options.auditDelayMs } : {}),
        ...(options.auditPageSize !== undefined ? { pageSize: options.auditPageSize } : {}),
      },
      options.auditClock,
    ),
  };
  applyKnobs(c, {
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.jitterMs !== undefined ? { jitterMs: options.jitterMs } : {}),
    ...(options.rateLimits !== undefined ? { rateLimits: options.rateLimits } : {}),
    ...(options.faultRate !== undefined ? { faultRate: options.faultRate } : {}),
  });
  resetBuckets(c);
  seedAuditNoise(c);
  ctx = c;

  const mintApiToken = async (req: ApiTokenRequest): Promise<string> => {
    let filled = req;
    if (req.appOnly !== true && req.oid === undefined) {
      const user =
        req.preferredUsername !== undefined
          ? tenant.userByIdOrUpn(req.preferredUsername)
          : tenant.users.get(tenant.demo.alexId);
      filled = {
        ...req,
        ...(user !== undefined
          ? { oid: user.id, preferredUsername: req.preferredUsername ?? user.userPrincipalName }
          : {}),
      };
    }
    c.stats.tokensIssued.api++;
    return tokens.mintApiToken(filled);
  };
  async function mintFromControl(body: ControlTokenRequest): Promise<string> {
    const { user, ...rest } = body;
    const req: ApiTokenRequest = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    if (user !== undefined) {
      const u = tenant.userByIdOrUpn(user) ?? tenant.usersByMail(user)[0];
      if (u === undefined) throw new Error(`unknown user '${user}'`);
      req.oid = u.id;
      req.preferredUsername = u.userPrincipalName;
    }
    return mintApiToken(req);
  }

  return {
    url,
    port,
    tenantId: tenant.tenantId,
    clientId: tenant.app.clientId,
    clientSecret: tenant.app.clientSecret,
    clientCertificatePath: clientCert.path,
    authorityHost: url,
    graphBaseUrl: url,
    exchangeBaseUrl: url,
    managementBaseUrl: url,
    caCertPem: tls.certPem,
    caCertPath: tls.caCertPath,
    api: {
      audience: SIM_API_AUDIENCE,
      issuer: tokens.issuer,
      jwksUri: `${url}/${tenant.tenantId}/discovery/v2.0/keys`,
    },
    tenant,
    audit: c.audit,
    get knobs() {
      return c.knobs;
    },
    setKnobs: (k) => applyKnobs(c, k),
    stats: () => structuredClone(c.stats),
    resetStats: () => {
      c.stats = emptyStats();
    },
    mintApiToken,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The app settings (docs/design.md §4) that point the app at a running simulator, plus the CA to trust. */
export function appSettingsFor(sim: RunningSimulator): Record<string, string> {
  return {
    AZURE_TENANT_ID: sim.tenantId,
    AZURE_CLIENT_ID: sim.clientId,
    AZURE_CLIENT_SECRET: sim.clientSecret,
    AZURE_AUTHORITY_HOST: sim.authorityHost,
    GRAPH_BASE_URL: sim.graphBaseUrl,
    EXCHANGE_BASE_URL: sim.exchangeBaseUrl,
    MANAGEMENT_API_BASE_URL: sim.managementBaseUrl,
    API_AUDIENCE: sim.api.audience,
    API_ISSUER: sim.api.issuer,
    API_JWKS_URI: sim.api.jwksUri,
    NODE_EXTRA_CA_CERTS: sim.caCertPath,
  };
}
