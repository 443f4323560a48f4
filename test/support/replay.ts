import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AccessToken } from '@azure/identity';
import { createMicrosoftClients, type TenantSettings } from '../../shared/adapters/microsoft/index.js';
import {
  RIGHTS,
  computeEffectiveDelegations,
  describeTrusteeKey,
  planTrustees,
  type DelegateRef,
  type MailboxIdentity,
  type MailboxRightsSnapshot,
  type ResolvedTrustee,
} from '../../shared/domain/delegation/index.js';
import {
  fromCalendarPermission,
  fromMailboxPermissionRow,
  fromRecipientPermissionRow,
} from '../../shared/ports/microsoft.js';
import { ensureSimulatorTls } from '../../dev/simulator/certs.js';
import {
  readRecording,
  type RecordedCall,
  type RecordedExchange,
  type Recording,
  type RecordingManifest,
} from '../../dev/record/format.js';
import { runOperation, type OperationResult, type RowsForDomain } from '../../dev/record/operations.js';

/**
 * Replays a recording (dev/record, docs/recording.md) through the REAL clients: a local HTTPS server answers
 * each request the clients make with the recorded answer to the same request (method, path, query, the headers
 * that change an answer, and the body: cmdlet and parameters). Every mismatch is reported by name.
 */

export interface RequestShape {
  method: string;
  path: string;
  query: Array<[string, string]>;
  consistencyLevel?: string;
  anchorMailbox?: string;
  body?: unknown;
}

interface Entry {
  call: number;
  exchange: RecordedExchange;
  shape: RequestShape;
  key: string;
  looseKey: string;
  mustNotBeSent: boolean;
  used: boolean;
}

export interface SeenRequest {
  call: number;
  shape: RequestShape;
  description: string;
  matched?: Entry;
  /** The request matched one the recording marks as one the product must not send. */
  violation?: Entry;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function canonical(value: unknown, origins: readonly string[]): unknown {
  if (typeof value === 'string') return origins.reduce((s, o) => s.split(o).join('{origin}'), value);
  if (Array.isArray(value)) return value.map((v) => canonical(v, origins));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => {
          const inner = (value as Record<string, unknown>)[k];
          return [k, /^authorization$/i.test(k) ? 'REDACTED' : canonical(inner, origins)];
        }),
    );
  }
  return value;
}

function shapeOf(
  method: string,
  url: string,
  headers: Record<string, string | undefined>,
  body: unknown,
  origins: readonly string[],
): RequestShape {
  const parsed = new URL(url, 'https://replay.invalid');
  const rawQuery = parsed.search.replace(/^\?/, '');
  const query =
    rawQuery === ''
      ? []
      : rawQuery.split('&').map((pair): [string, string] => {
          const eq = pair.indexOf('=');
          return eq < 0 ? [safeDecode(pair), ''] : [safeDecode(pair.slice(0, eq)), safeDecode(pair.slice(eq + 1))];
        });
  query.sort((a, b) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0].localeCompare(b[0])));
  const consistencyLevel = headers.consistencylevel?.toLowerCase();
  const anchorMailbox = headers['x-anchormailbox']?.toLowerCase();
  return {
    method: method.toUpperCase(),
    path: parsed.pathname.split('/').map(safeDecode).join('/'),
    query,
    ...(consistencyLevel ? { consistencyLevel } : {}),
    ...(anchorMailbox ? { anchorMailbox } : {}),
    ...(body !== undefined ? { body: canonical(body, origins) } : {}),
  };
}

function keyOf(shape: RequestShape, loose = false): string {
  if (!loose) return JSON.stringify(shape);
  // Loose: what makes Graph refuse an advanced query (filter, $count, ConsistencyLevel), not the projection.
  const query = shape.query.filter(([k]) => k !== '$select' && k !== '$top');
  const { method, path, consistencyLevel } = shape;
  return JSON.stringify({ method, path, query, consistencyLevel: consistencyLevel ?? null });
}

/** `GET /v1.0/groups?$filter=…` or `POST …/InvokeCommand Get-Mailbox {"Identity":"…"}` (+ headers that matter). */
export function describeShape(shape: RequestShape): string {
  const query = shape.query.map(([k, v]) => `${k}=${v}`).join('&');
  type Command = { CmdletInput?: { CmdletName?: string; Parameters?: unknown } };
  const input = (shape.body as Command | undefined)?.CmdletInput;
  let body = '';
  if (input) body = ` ${String(input.CmdletName)} ${JSON.stringify(input.Parameters ?? null)}`;
  else if (shape.body !== undefined) body = ` ${JSON.stringify(shape.body).slice(0, 400)}`;
  const headers = shape.consistencyLevel ? ` [ConsistencyLevel: ${shape.consistencyLevel}]` : '';
  return `${shape.method} ${shape.path}${query ? `?${query}` : ''}${body}${headers}`;
}

function bodyOf(exchange: { body?: unknown; bodyText?: string }): string | undefined {
  if (exchange.body !== undefined) return JSON.stringify(exchange.body);
  return exchange.bodyText;
}

/** Serves the recorded answers over HTTPS on 127.0.0.1 with the simulator's certificate. */
export class ReplayServer {
  readonly seen: SeenRequest[] = [];
  /** The call whose requests arrive now (the replay runs calls one after another). */
  currentCall = 0;
  private readonly entries: Entry[] = [];

  private constructor(
    private readonly server: https.Server,
    readonly url: string,
    private readonly placeholders: readonly string[],
  ) {}

  static async start(recording: Recording): Promise<ReplayServer> {
    const tls = await ensureSimulatorTls();
    const placeholders = [...new Set([recording.manifest.services.graph, recording.manifest.services.exchange])];
    let replay: ReplayServer | undefined;
    const server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => replay?.answer(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    replay = new ReplayServer(server, url, placeholders);
    for (const call of recording.calls) {
      for (const exchange of call.exchanges) {
        const { method, url: recordedUrl, headers, body, bodyText } = exchange.request;
        const shape = shapeOf(method, recordedUrl, headers, body ?? bodyText, [...placeholders, url]);
        replay.entries.push({
          call: call.index,
          exchange,
          shape,
          key: keyOf(shape),
          looseKey: keyOf(shape, true),
          mustNotBeSent: call.mustNotBeSent !== undefined,
          used: false,
        });
      }
    }
    return replay;
  }

  /** Recorded requests no client sent (requests the product must not send excluded). */
  unused(): Array<{ call: number; description: string }> {
    return this.entries
      .filter((e) => !e.used && !e.mustNotBeSent)
      .map((e) => ({ call: e.call, description: describeShape(e.shape) }));
  }

  /** Recorded requests with the same method and path: what the recording holds instead of `shape`. */
  candidates(shape: RequestShape): string[] {
    return this.entries
      .filter((e) => !e.mustNotBeSent && e.shape.method === shape.method && e.shape.path === shape.path)
      .slice(0, 3)
      .map((e) => describeShape(e.shape));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private answer(req: IncomingMessage, bodyText: string, res: ServerResponse): void {
    let body: unknown = bodyText === '' ? undefined : bodyText;
    try {
      if (bodyText !== '') body = JSON.parse(bodyText) as unknown;
    } catch {
      body = bodyText;
    }
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const shape = shapeOf(req.method ?? 'GET', req.url ?? '/', headers, body, [...this.placeholders, this.url]);
    const key = keyOf(shape);
    const entry = this.entries.find((e) => !e.used && !e.mustNotBeSent && e.key === key);
    const violation = this.entries.find((e) => e.mustNotBeSent && e.looseKey === keyOf(shape, true));
    const seen: SeenRequest = {
      call: this.currentCall,
      shape,
      description: describeShape(shape),
      ...(entry ? { matched: entry } : {}),
      ...(violation ? { violation } : {}),
    };
    this.seen.push(seen);
    const answer = entry ?? violation;
    if (!answer) {
      const message = `replay: the recording holds no answer to ${seen.description}`;
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'ReplayUnmatched', message } }));
      return;
    }
    if (entry) entry.used = true;
    const recorded = answer.exchange;
    if (!recorded.response) {
      req.socket.destroy();
      return;
    }
    const text = this.placeholders.reduce((s, p) => s.split(p).join(this.url), bodyOf(recorded.response) ?? '');
    const length = String(Buffer.byteLength(text));
    res.writeHead(recorded.response.status, { ...recorded.response.headers, 'content-length': length });
    res.end(text);
  }
}

export interface CallReplay {
  call: RecordedCall;
  result?: OperationResult;
  requests: SeenRequest[];
}

export interface ReplayReport {
  manifest: RecordingManifest;
  calls: CallReplay[];
  /** Everything that did not match, one sentence each; empty when the recording replays cleanly. */
  problems: string[];
}

function callName(call: RecordedCall): string {
  const args = call.args
    .map((a) => JSON.stringify(a))
    .join(', ')
    .slice(0, 200);
  return `call ${String(call.index).padStart(2, '0')} ${call.operation}(${args})`;
}

/** Replays every call of the recording in `dir` through fresh real clients; collects every mismatch. */
export async function replayRecording(dir: string): Promise<ReplayReport> {
  const recording = readRecording(dir);
  const server = await ReplayServer.start(recording);
  const problems: string[] = [];
  const calls: CallReplay[] = [];
  const tenant: TenantSettings = {
    tenantId: recording.manifest.tenantId,
    credential: {
      kind: 'clientSecret',
      tenantId: recording.manifest.tenantId,
      clientId: '00000000-0000-4000-8000-0000000000ff',
      clientSecret: 'replay',
    },
    authorityHost: server.url,
    disableInstanceDiscovery: true,
    graphBaseUrl: server.url,
    exchangeBaseUrl: server.url,
    managementBaseUrl: server.url,
  };
  const tls = await ensureSimulatorTls();
  try {
    for (const call of recording.calls) {
      server.currentCall = call.index;
      // Fresh clients per call: a throttled call's limiter pause must not delay the next one.
      const clients = createMicrosoftClients(tenant, {
        ca: tls.certPem,
        createCredential: () => ({
          getToken: async (): Promise<AccessToken> => ({
            token: 'replay-token',
            expiresOnTimestamp: Date.now() + 3_600_000,
          }),
        }),
        retry: { maxAttempts: recording.manifest.retry.maxAttempts },
        sleep: async () => {},
      });
      const replay: CallReplay = { call, requests: [] };
      try {
        replay.result = await runOperation(clients, call);
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        problems.push(`${callName(call)}: threw ${reason}`);
      } finally {
        clients.close();
      }
      replay.requests = server.seen.filter((s) => s.call === call.index);
      calls.push(replay);
      problems.push(...checkCall(server, replay));
    }
    for (const unused of server.unused()) {
      const call = `call ${String(unused.call).padStart(2, '0')}`;
      const why = 'was never sent (the client no longer makes it)';
      problems.push(`${call}: the recorded request ${unused.description} ${why}`);
    }
  } finally {
    await server.close();
  }
  return { manifest: recording.manifest, calls, problems };
}

function checkCall(server: ReplayServer, replay: CallReplay): string[] {
  const { call, result } = replay;
  const problems: string[] = [];
  if (call.mustNotBeSent) {
    for (const seen of replay.requests.filter((s) => s.violation)) {
      const reason = call.mustNotBeSent;
      problems.push(`${callName(call)}: the client still sends ${seen.description}, which it must not: ${reason}`);
    }
    return problems;
  }
  for (const seen of replay.requests.filter((s) => !s.matched)) {
    const shape = seen.shape;
    const instead = server.candidates(shape);
    problems.push(
      `${callName(call)}: the client sent ${seen.description}, which the recording does not hold` +
        (instead.length > 0 ? ` (recorded for ${shape.method} ${shape.path}: ${instead.join(' | ')})` : ''),
    );
  }
  if (!result) return problems;
  const expected = expectedOutcome(call);
  const got = result.outcome;
  const name = callName(call);
  const message = result.error?.message ?? '';
  const codes = expected.ok ? '' : expected.codes.join(' or ');
  if (expected.ok) {
    if (!got.ok) problems.push(`${name}: the recorded answer is a success; the client failed: ${got.code} ${message}`);
    else if (expected.count !== undefined && got.count !== expected.count) {
      problems.push(`${name}: ${got.count} rows, the recording states ${expected.count}`);
    }
    if (got.ok && expected.items) {
      expected.items.forEach((item, i) => {
        const actual = got.items?.[i];
        const said = `${name}: batch item ${i}: ${JSON.stringify(actual)}`;
        if (!actual) problems.push(`${name}: batch item ${i} has no result`);
        else if (item.ok && (!actual.ok || actual.count !== item.count)) {
          problems.push(`${said}, the recording states ${item.count} rows`);
        } else if (!item.ok && (actual.ok || !item.codes.includes(actual.code))) {
          problems.push(`${said}, the recorded answer means ${item.codes.join(' or ')}`);
        }
      });
    }
  } else if (got.ok) {
    problems.push(`${name}: the recorded answer means ${codes}, but the client returned ${got.count} rows`);
  } else if (!expected.codes.includes(got.code)) {
    problems.push(`${name}: failed with ${got.code}, the recorded answer means ${codes} (${message})`);
  }
  if (call.expect === 'notFound' && (got.ok || !got.code.endsWith('.NOT_FOUND'))) {
    problems.push(`${name}: a deliberate not-found must fail as *.NOT_FOUND, got ${got.ok ? 'rows' : got.code}`);
  }
  return problems;
}

type Expected =
  | { ok: true; count?: number; items?: Array<{ ok: true; count: number } | { ok: false; codes: string[] }> }
  | { ok: false; codes: string[]; sentence?: string };

/** Operations that turn a not-found answer into "none" (undefined or []). */
const EMPTY_WHEN_NOT_FOUND = new Set([
  'graph.getGroup',
  'graph.getUser',
  'exchange.getMailbox',
  'exchange.getRecipient',
]);

/**
 * What the last recorded answer of a call means per docs/wire.md, independent of the client that recorded it
 * (a recording made by an older client may state an older client's mistake).
 */
export function expectedOutcome(call: RecordedCall): Expected {
  const last = call.exchanges.at(-1);
  const service = last && new URL(last.request.url).pathname.includes('/adminapi/') ? 'exchange' : 'graph';
  if (!last?.response) return { ok: false, codes: [`${service.toUpperCase()}.NETWORK`] };
  const { status, body } = last.response;
  if (status >= 200 && status < 300) {
    type Batch = { responses?: Array<{ id: string; status: number; body?: unknown }> };
    const responses = (body as Batch | undefined)?.responses ?? [];
    if (!call.outcome.ok) {
      // A batch answered 200 but an item failed for good (getMailboxes throws it; a not-found it skips).
      const failed = responses
        .filter((r) => r.status >= 300)
        .flatMap((r) => wireErrorCodes(service, r.status, r.body))
        .filter((c) => !c.endsWith('.NOT_FOUND'));
      return failed.length > 0 ? { ok: false, codes: [...new Set(failed)] } : { ok: true };
    }
    const recordedItems = call.outcome.items;
    if (!recordedItems) return { ok: true, count: call.outcome.count };
    const items = recordedItems.map((item, i) => {
      if (item.ok) return { ok: true as const, count: item.count };
      const answer = responses.find((r) => r.id === String(i));
      return { ok: false as const, codes: answer ? wireErrorCodes(service, answer.status, answer.body) : [item.code] };
    });
    return { ok: true, count: call.outcome.count, items };
  }
  const codes = wireErrorCodes(service, status, body);
  const notFound = codes.some((c) => c.endsWith('.NOT_FOUND'));
  if (notFound && EMPTY_WHEN_NOT_FOUND.has(call.operation)) return { ok: true, count: 0 };
  const sentence = service === 'exchange' ? exchangeSentence(body) : undefined;
  return { ok: false, codes, ...(sentence ? { sentence } : {}) };
}

function exchangeTypes(body: unknown): string[] {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (!error) return [];
  const details = Array.isArray(error.details) ? (error.details as Array<{ message?: unknown }>) : [];
  const inner = error.innererror as { type?: unknown; internalexception?: { type?: unknown } } | undefined;
  return [
    ...details.map((d) => (typeof d.message === 'string' ? (d.message.split('|')[1] ?? '') : '')),
    String(inner?.internalexception?.type ?? ''),
    String(inner?.type ?? ''),
  ].filter((t) => t !== '');
}

/** The typed error codes an answer means (docs/wire.md "Errors"). */
export function wireErrorCodes(service: 'graph' | 'exchange', status: number, body: unknown): string[] {
  const prefix = service.toUpperCase();
  if (status === 429) return [`${prefix}.THROTTLED`];
  if (status === 401) return [`${prefix}.UNAUTHORIZED`];
  if (status === 403) return [`${prefix}.FORBIDDEN`];
  const graphCode = String((body as { error?: { code?: unknown } } | undefined)?.error?.code ?? '');
  const types = service === 'exchange' ? exchangeTypes(body) : [graphCode];
  const notFound = /NotFound|ErrorItemNotFound|MailboxNotEnabledForRESTAPI|ErrorInvalidUser/i;
  if (status === 404 || types.some((t) => notFound.test(t))) return [`${prefix}.NOT_FOUND`];
  if (status >= 500 || status === 408) return [`${prefix}.UNAVAILABLE`, `${prefix}.TRANSIENT`];
  const transient = /Transient|ServerBusy|Timeout|Unavailable/i;
  if (service === 'exchange' && types.some((t) => transient.test(t))) return [`${prefix}.TRANSIENT`];
  return [`${prefix}.BAD_REQUEST`];
}

/** The real sentence of an Exchange failure: `details[*].message` after `<code>|<Type>|`, else the older places. */
export function exchangeSentence(body: unknown): string | undefined {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (!error) return undefined;
  const details = Array.isArray(error.details) ? (error.details as Array<{ message?: unknown }>) : [];
  const texts = details.map((d) => (typeof d.message === 'string' ? d.message.split('|').slice(2).join('|') : ''));
  const detail = texts.find((m) => m !== '');
  if (detail) return detail;
  const inner = error.innererror as { internalexception?: { message?: unknown } } | undefined;
  const message = inner?.internalexception?.message;
  return typeof message === 'string' && !/^Exception of type/.test(message) ? message : undefined;
}

/**
 * Puts the rows of one call through the domain: snapshot → planTrustees → computeEffectiveDelegations, every
 * trustee key resolved synthetically (addresses and ids as users, Names as empty groups). Throws on failure.
 */
export function throughDomain(rows: readonly RowsForDomain[]): { keys: number; delegations: number } {
  let keys = 0;
  let delegations = 0;
  for (const set of rows) {
    const owner = set.kind === 'calendar' ? set.userId : set.kind === 'mailbox' ? 'mailbox' : set.identity;
    const mailbox: MailboxIdentity = {
      id: `mailbox:${owner}`,
      upn: owner,
      primarySmtp: owner,
      name: owner,
      displayName: '',
    };
    const rights = [...RIGHTS];
    const snapshots: MailboxRightsSnapshot[] = [];
    if (set.kind === 'mailboxPermission') {
      snapshots.push({ mailbox, rights, fullAccess: set.rows.map(fromMailboxPermissionRow) });
    }
    if (set.kind === 'recipientPermission') {
      snapshots.push({ mailbox, rights, sendAs: set.rows.map(fromRecipientPermissionRow) });
    }
    if (set.kind === 'calendar') snapshots.push({ mailbox, rights, calendar: set.rows.map(fromCalendarPermission) });
    if (set.kind === 'mailbox') {
      for (const row of set.rows) {
        const own: MailboxIdentity = {
          id: row.ExternalDirectoryObjectId ?? row.Identity ?? 'mailbox',
          upn: row.UserPrincipalName ?? '',
          primarySmtp: row.PrimarySmtpAddress ?? '',
          name: row.Name ?? '',
          displayName: row.DisplayName ?? '',
        };
        snapshots.push({ mailbox: own, rights, sendOnBehalfNames: [...(row.GrantSendOnBehalfTo ?? [])] });
      }
    }
    for (const snapshot of snapshots) {
      const plan = planTrustees(snapshot);
      const resolved = new Map<string, ResolvedTrustee>();
      const members = new Map<string, DelegateRef[]>();
      for (const key of plan.keys) {
        const kind = describeTrusteeKey(key);
        if (kind.kind === 'name') {
          resolved.set(key, { kind: 'group', id: `group:${key}`, displayName: key });
          members.set(`group:${key}`, []);
        } else {
          resolved.set(key, { kind: 'user', id: `user:${key}`, upn: key, address: key, displayName: key });
        }
      }
      const effective = computeEffectiveDelegations(snapshot, resolved, members);
      if (effective.missingKeys.length > 0 || effective.missingGroups.length > 0) {
        const missing = `keys ${effective.missingKeys.join(', ')} groups ${effective.missingGroups.join(', ')}`;
        throw new Error(`domain normalization skipped grants: ${missing}`);
      }
      keys += plan.keys.length;
      delegations += effective.delegations.length;
    }
  }
  return { keys, delegations };
}
