import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceBudget } from './limits.js';
import type { AuditFeed } from './management.js';
import type { Rng } from './rng.js';
import type { Tenant } from './tenant.js';
import type { TokenService } from './tokens.js';

export interface SimRequest {
  method: string;
  url: URL;
  /** Lower-cased header names, as node gives them. */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A response before it is written. `fault` asks the writer to misbehave on purpose:
 * drop the connection, or send the body cut short.
 */
export interface SimReply {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless it is a string. */
  body?: unknown;
  fault?: 'drop' | 'truncate';
}

export interface SimulatorKnobs {
  /** Base latency added to every Graph/Exchange response (default 0). */
  latencyMs: number;
  /** Uniform random extra 0..jitterMs (default 0). */
  jitterMs: number;
  /** Requests per second per API, token bucket with 1 s of capacity; over it -> slower answers (Exchange), then 429. */
  rateLimits: { exchange?: number; graph?: number };
  /** 0..1: share of Graph/Exchange requests failing with 503, a dropped connection or truncated JSON. */
  faultRate: number;
  /**
   * Exchange cmdlets (by name) or Identity values that answer 200 with `@adminapi.warnings` and no `value`
   * (exo-warnings-no-value.json); matched case-insensitively. Absent or empty = none.
   */
  warningsOnly?: { cmdlets?: string[]; identities?: string[] };
  /**
   * How Get-RecipientPermission writes `Identity`: the mailbox's address (default), or its distinguished name,
   * an identity format the product does not foresee (a tenant-wide pass whose rows then match no mailbox).
   */
  recipientPermissionIdentity?: 'address' | 'distinguishedName';
}

export interface SimulatorStats {
  startedAt: string;
  /** HTTP requests received per service (a batch counts once here). */
  requests: { entra: number; graph: number; exchange: number; management: number; control: number; other: number };
  tokensIssued: { graph: number; exchange: number; management: number; api: number };
  tokenFailures: number;
  /** Graph calls per endpoint template, batch sub-requests included (e.g. `GET /groups/{id}/transitiveMembers`). */
  graphEndpoints: Record<string, number>;
  /** Exchange cmdlet invocations, batch items included. */
  exchangeCmdlets: Record<string, number>;
  batches: { graph: number; exchange: number };
  throttled: { graph: number; exchange: number; withRetryAfter: number; withoutRetryAfter: number };
  faults: { http503: number; dropped: number; truncated: number };
  unauthorized: number;
  forbidden: number;
}

/** Fresh, zeroed stats. */
export function emptyStats(): SimulatorStats {
  return {
    startedAt: new Date().toISOString(),
    requests: { entra: 0, graph: 0, exchange: 0, management: 0, control: 0, other: 0 },
    tokensIssued: { graph: 0, exchange: 0, management: 0, api: 0 },
    tokenFailures: 0,
    graphEndpoints: {},
    exchangeCmdlets: {},
    batches: { graph: 0, exchange: 0 },
    throttled: { graph: 0, exchange: 0, withRetryAfter: 0, withoutRetryAfter: 0 },
    faults: { http503: 0, dropped: 0, truncated: 0 },
    unauthorized: 0,
    forbidden: 0,
  };
}

/** Everything a route handler needs; one per running simulator. */
export interface SimContext {
  tenant: Tenant;
  url: string;
  tokens: TokenService;
  knobs: SimulatorKnobs;
  stats: SimulatorStats;
  /** Seeded: decides faults, Retry-After presence, 403 body kinds, batch order. */
  rng: Rng;
  buckets: { graph?: ServiceBudget; exchange?: ServiceBudget };
  tokenLifetimeSeconds: number;
  /** Counts 403s so their body alternates between JSON and non-JSON. */
  forbiddenCount: number;
  /** The Management Activity API's audit log and subscriptions. */
  audit: AuditFeed;
}

export function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

export function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** True when the request declares a JSON body (`application/json`, any parameters). */
export function isJsonContent(req: SimRequest): boolean {
  return /^application\/json\b/i.test(header(req, 'content-type') ?? '');
}

/** Parses a JSON body; undefined when it is not valid JSON. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function requestId(req: SimRequest): string {
  return header(req, 'client-request-id') ?? randomUUID();
}

export const JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
