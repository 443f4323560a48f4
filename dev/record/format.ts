import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RawExchange } from './capture.js';
import type { Invocation, Outcome } from './operations.js';
import { Pseudonymizer, type PseudonymCounts, type ServiceOrigins } from './pseudonymize.js';

/** Version of the files below; a replay refuses other versions. */
export const RECORDING_FORMAT = 'mps-recording/1';

export interface RecordedRequest {
  method: string;
  /** With the service's placeholder origin (`https://graph.invalid`, …), which a replay maps to its own server. */
  url: string;
  headers: Record<string, string>;
  /** JSON bodies parsed; anything else in `bodyText`. */
  body?: unknown;
  bodyText?: string;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  bodyText?: string;
}

export interface RecordedExchange {
  request: RecordedRequest;
  response?: RecordedResponse;
  /** The request got no answer (reset, timeout); a replay drops the connection. */
  networkError?: string;
  elapsedMs: number;
}

export interface RecordedCall extends Invocation {
  format: typeof RECORDING_FORMAT;
  index: number;
  /** Why the call is in the recording; `notFound` calls must fail as `*.NOT_FOUND`. */
  purpose?: string;
  expect?: 'notFound';
  /**
   * The request of this call is one the product must NOT send (a wire sample of a refusal, e.g. an advanced
   * query without `ConsistencyLevel: eventual`): a replay fails if the client still sends it.
   */
  mustNotBeSent?: string;
  /** What the client of the recording's time made of the answers. */
  outcome: Outcome;
  exchanges: RecordedExchange[];
}

export interface RecordingManifest {
  format: typeof RECORDING_FORMAT;
  recordedAt: string;
  tool: { name: string; version: string; commit?: string; node: string };
  source: 'simulator' | 'tenant' | 'wire-samples';
  description: string;
  /** Pseudonymized tenant id: the replay configures its clients with it. */
  tenantId: string;
  /** Placeholder origins of Graph and Exchange in the recorded URLs and bodies. */
  services: ServiceOrigins;
  /** The retry policy's attempts when recorded; a replay uses the same, so retries meet the same answers. */
  retry: { maxAttempts: number };
  pseudonymized: { counts: PseudonymCounts; what: string[] };
  notPseudonymized: string[];
  droppedHeaders: { request: string[]; response: string[] };
  counts: { calls: number; exchanges: number; graphRequests: number; exchangeRequests: number; failedCalls: number };
  calls: Array<{ file: string; operation: string; outcome: Outcome; purpose?: string }>;
  skipped: Array<{ what: string; reason: string }>;
}

/** A call as the recorder saw it: real values, not yet written. */
export interface PendingCall extends Invocation {
  purpose?: string;
  expect?: 'notFound';
  mustNotBeSent?: string;
  outcome: Outcome;
  exchanges: RawExchange[];
}

export interface RecordingMeta {
  source: RecordingManifest['source'];
  description: string;
  tenantId: string;
  graphBaseUrl: string;
  exchangeBaseUrl: string;
  retry: { maxAttempts: number };
  tool: RecordingManifest['tool'];
  droppedHeaders: { request: Iterable<string>; response: Iterable<string> };
  skipped?: RecordingManifest['skipped'];
  /** Values that must not appear in the output (bearer tokens, the client secret). */
  secrets: Iterable<string>;
}

export const PSEUDONYMIZED = [
  'object ids and other GUIDs (except well-known ones such as the Exchange system mailbox)',
  'e-mail addresses and UPNs (local part and domain; onmicrosoft.com suffixes kept)',
  'domains and host names, including the hosts of URLs (Graph/Exchange become *.invalid placeholders)',
  'display names, recipient Names, aliases, sAMAccountNames, DN components, DOMAIN\\Name prefixes',
  'directory SIDs (the domain part; RIDs and well-known SIDs kept; Entra S-1-12-1 SIDs follow their object id)',
  'the tenant id',
  'opaque paging tokens ($skiptoken) and opaque ids',
  'calendar entry ids (base64 legacy DNs: decoded, renamed, encoded again)',
  'names and addresses inside error sentences and warnings (exception types, codes and wording kept)',
  'values of fields the product does not read (Office, Department, Database, …): replaced whole (redactedN)',
];

export const NOT_PSEUDONYMIZED = [
  'structure: field names, nesting, types, nulls, which fields are present',
  'counts: rows per page, pages, members, permissions per mailbox',
  'vocabulary: AccessRights, RecipientTypeDetails, calendar roles, @odata.type, error codes, exception type names',
  'timing: elapsedMs per request, dates inside error bodies, the recording date',
  'HTTP statuses, Retry-After values',
  'the kept request headers: Content-Type, Accept, Prefer, ConsistencyLevel, X-AnchorMailbox (tenant pseudonymized)',
  'built-in principals: NT AUTHORITY\\*, well-known SIDs, built-in role groups (Organization Management, …)',
  'the shape of names: a pseudonym keeps spaces, quotes, # and non-ASCII letters as markers (e.g. "Name 7é\'")',
  'relations: the same real value always becomes the same pseudonym (case-insensitively)',
];

function splitBody(text: string | undefined): Body {
  if (text === undefined || text === '') return {};
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { bodyText: text };
  }
}

function mapHeaders(p: Pseudonymizer, headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = p.field(name, value);
  return out;
}

type Body = { body?: unknown; bodyText?: string };

function mapBody(p: Pseudonymizer, split: Body): Body {
  if (split.body !== undefined) return { body: p.json(split.body) };
  if (split.bodyText !== undefined) return { bodyText: p.text(split.bodyText) };
  return {};
}

function mapArgs(p: Pseudonymizer, call: Invocation): unknown[] {
  switch (call.operation) {
    case 'exchange.listMailboxes':
      return call.args;
    case 'graph.batch':
      return call.args.map((requests) =>
        (requests as Array<Record<string, unknown>>).map((r) => ({
          ...r,
          url: p.url(String(r.url)),
          ...(r.headers ? { headers: mapHeaders(p, r.headers as Record<string, string>) } : {}),
        })),
      );
    case 'exchange.batch':
      return call.args.map((commands) =>
        (commands as Array<Record<string, unknown>>).map((c) => ({
          ...c,
          ...(c.parameters ? { parameters: p.json(c.parameters) } : {}),
        })),
      );
    default:
      return call.args.map(function principals(a: unknown): unknown {
        if (typeof a === 'string') return p.identity(a);
        return Array.isArray(a) ? a.map(principals) : a;
      });
  }
}

function mapExchange(p: Pseudonymizer, raw: RawExchange): RecordedExchange {
  return {
    request: {
      method: raw.request.method,
      url: p.url(raw.request.url),
      headers: mapHeaders(p, raw.request.headers),
      ...mapBody(p, splitBody(raw.request.body)),
    },
    ...(raw.response
      ? {
          response: {
            status: raw.response.status,
            headers: mapHeaders(p, raw.response.headers),
            ...mapBody(p, splitBody(raw.response.text)),
          },
        }
      : {}),
    ...(raw.networkError !== undefined ? { networkError: p.text(raw.networkError) } : {}),
    elapsedMs: raw.elapsedMs,
  };
}

function serviceOf(url: string): 'graph' | 'exchange' {
  return new URL(url).pathname.includes('/adminapi/') ? 'exchange' : 'graph';
}

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/** Refuses output that holds a token, a secret or anything shaped like a JWT. */
export function assertNoSecrets(text: string, secrets: Iterable<string>): void {
  for (const secret of secrets) {
    if (secret.length >= 8 && text.includes(secret)) {
      throw new Error('refusing to write the recording: it contains a token or secret');
    }
  }
  if (JWT.test(text)) throw new Error('refusing to write the recording: it contains a JWT-shaped string');
}

/**
 * Pseudonymizes the calls (two passes: learn the names, then write with them) and builds the files of a
 * recording. Nothing real leaves this function except what `NOT_PSEUDONYMIZED` lists.
 */
export interface Recording {
  manifest: RecordingManifest;
  calls: RecordedCall[];
}

export function buildRecording(pending: readonly PendingCall[], meta: RecordingMeta): Recording {
  const origins = { graph: meta.graphBaseUrl, exchange: meta.exchangeBaseUrl };
  const p = new Pseudonymizer(origins);
  const transform = (): RecordedCall[] => {
    p.guid(meta.tenantId);
    return pending.map((call, index) => ({
      format: RECORDING_FORMAT,
      index: index + 1,
      operation: call.operation,
      args: mapArgs(p, call),
      ...(call.maxPages !== undefined ? { maxPages: call.maxPages } : {}),
      ...(call.purpose ? { purpose: call.purpose } : {}),
      ...(call.expect ? { expect: call.expect } : {}),
      ...(call.mustNotBeSent ? { mustNotBeSent: call.mustNotBeSent } : {}),
      outcome: call.outcome,
      exchanges: call.exchanges.map((x) => mapExchange(p, x)),
    }));
  };
  transform();
  p.freeze();
  const calls = transform();
  assertNoOriginals(calls, p.originals());
  const exchanges = pending.flatMap((c) => c.exchanges);
  const manifest: RecordingManifest = {
    format: RECORDING_FORMAT,
    recordedAt: new Date().toISOString(),
    tool: meta.tool,
    source: meta.source,
    description: meta.description,
    tenantId: p.guid(meta.tenantId),
    services: p.placeholders(origins),
    retry: meta.retry,
    pseudonymized: { counts: p.counts(), what: PSEUDONYMIZED },
    notPseudonymized: NOT_PSEUDONYMIZED,
    droppedHeaders: {
      request: [...meta.droppedHeaders.request].sort(),
      response: [...meta.droppedHeaders.response].sort(),
    },
    counts: {
      calls: calls.length,
      exchanges: exchanges.length,
      graphRequests: exchanges.filter((x) => serviceOf(x.request.url) === 'graph').length,
      exchangeRequests: exchanges.filter((x) => serviceOf(x.request.url) === 'exchange').length,
      failedCalls: calls.filter((c) => !c.outcome.ok).length,
    },
    calls: calls.map((c) => ({
      file: callFileName(c),
      operation: c.operation,
      outcome: c.outcome,
      ...(c.purpose ? { purpose: c.purpose } : {}),
    })),
    skipped: meta.skipped ?? [],
  };
  return { manifest, calls };
}

function callFileName(call: RecordedCall): string {
  return `calls/${String(call.index).padStart(2, '0')}-${call.operation}.json`;
}

/** A safety net over the rules: refuses output in which a value the pseudonymizer replaced still appears. */
export function assertNoOriginals(calls: readonly RecordedCall[], originals: readonly string[]): void {
  for (const call of calls) {
    const text = JSON.stringify(call).toLowerCase();
    const left = originals.find((o) => text.includes(JSON.stringify(o.toLowerCase()).slice(1, -1)));
    if (left !== undefined) {
      throw new Error(`refusing to write the recording: call ${call.index} (${call.operation}) still holds '${left}'`);
    }
  }
}

/** Writes `manifest.json` and `calls/NN-<operation>.json` into an empty (or new) directory. */
export function writeRecording(dir: string, recording: Recording, secrets: Iterable<string>): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(`${dir} exists and is not empty: choose another --out`);
  }
  const files = new Map<string, string>([['manifest.json', `${JSON.stringify(recording.manifest, null, 2)}\n`]]);
  for (const call of recording.calls) files.set(callFileName(call), `${JSON.stringify(call, null, 2)}\n`);
  const secretList = [...secrets];
  for (const text of files.values()) assertNoSecrets(text, secretList);
  mkdirSync(path.join(dir, 'calls'), { recursive: true });
  for (const [name, text] of files) writeFileSync(path.join(dir, name), text);
}

/** Reads a recording written by `writeRecording`; throws on another format version. */
export function readRecording(dir: string): Recording {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as RecordingManifest;
  if (manifest.format !== RECORDING_FORMAT) {
    throw new Error(`${dir}: format ${String(manifest.format)}, expected ${RECORDING_FORMAT}`);
  }
  const read = (file: string): RecordedCall => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as RecordedCall;
  const calls = manifest.calls.map((entry) => read(entry.file));
  return { manifest, calls };
}
