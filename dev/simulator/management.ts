import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { header, type SimContext, type SimReply, type SimRequest } from './http.js';
import { MANAGEMENT_RESOURCE } from './identity.js';
import type { Rng } from './rng.js';

/**
 * The Office 365 Management Activity API as docs/wire.md describes it, with its audit log: every permission change
 * made through the control API becomes a record, available D (`delayMs`) after it happened, grouped several to a
 * blob in shuffled order, kept 7 days. Faults: throttling (429 + Retry-After, `AF429`) and an outage (503).
 */

const DAY_MS = 24 * 3600_000;
const RETENTION_MS = 7 * DAY_MS;
export const CONTENT_TYPES = [
  'Audit.AzureActiveDirectory',
  'Audit.Exchange',
  'Audit.SharePoint',
  'Audit.General',
  'DLP.All',
] as const;

/** A raw record as the API serves it (PascalCase, `CreationTime` without a zone). */
export type WireAuditRecord = Record<string, unknown> & { Id: string; CreationTime: string };

export interface AuditFeedKnobs {
  /** D: a record becomes listable this long after it happened. */
  delayMs: number;
  /** Content entries per `subscriptions/content` page (small, so paging is exercised). */
  pageSize: number;
  /** Records per blob at most. */
  blobSize: number;
}

export const auditKnobsSchema = z
  .object({
    delayMs: z.number().int().min(0).max(DAY_MS),
    pageSize: z.number().int().min(1).max(1000),
    blobSize: z.number().int().min(1).max(1000),
  })
  .partial()
  .strict();

export const auditFaultsSchema = z
  .object({
    /** The next `requests` calls answer 429 with `Retry-After: retryAfterSeconds`. */
    throttle: z.object({ requests: z.number().int().min(0), retryAfterSeconds: z.number().int().min(0).max(3600) }),
    /** Every call answers 503 for this many seconds from now (0 ends an outage). */
    outage: z.object({
      seconds: z
        .number()
        .min(0)
        .max(DAY_MS / 1000),
    }),
  })
  .partial()
  .strict();

interface PendingRecord {
  record: WireAuditRecord;
  availableAt: number;
}

interface Blob {
  contentId: string;
  contentCreated: number;
  records: WireAuditRecord[];
}

/** The simulated tenant's audit log and its subscriptions. */
export class AuditFeed {
  readonly knobs: AuditFeedKnobs;
  /** The feed's clock: when records happen, become available and expire. */
  readonly clock: () => number;
  private readonly pending: PendingRecord[] = [];
  private readonly blobs: Blob[] = [];
  private readonly subscriptions = new Map<string, 'enabled' | 'disabled'>();
  private throttleLeft = 0;
  private throttleRetryAfterSeconds = 0;
  private outageUntil = 0;
  private blobSeq = 0;

  constructor(
    private readonly rng: Rng,
    knobs: Partial<AuditFeedKnobs> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.clock = now;
    this.knobs = { delayMs: 5000, pageSize: 3, blobSize: 4, ...knobs };
  }

  setKnobs(k: Partial<AuditFeedKnobs>): void {
    const parsed = auditKnobsSchema.parse(k);
    if (parsed.delayMs !== undefined) this.knobs.delayMs = parsed.delayMs;
    if (parsed.pageSize !== undefined) this.knobs.pageSize = parsed.pageSize;
    if (parsed.blobSize !== undefined) this.knobs.blobSize = parsed.blobSize;
  }

  setFaults(f: z.infer<typeof auditFaultsSchema>): void {
    const parsed = auditFaultsSchema.parse(f);
    if (parsed.throttle) {
      this.throttleLeft = parsed.throttle.requests;
      this.throttleRetryAfterSeconds = parsed.throttle.retryAfterSeconds;
    }
    if (parsed.outage) this.outageUntil = this.now() + parsed.outage.seconds * 1000;
  }

  faults(): { throttleLeft: number; outageUntil: string | null } {
    return {
      throttleLeft: this.throttleLeft,
      outageUntil: this.outageUntil > this.now() ? new Date(this.outageUntil).toISOString() : null,
    };
  }

  /** Logs a record that happened at `at` (default now): listable from `at + D`. */
  append(record: WireAuditRecord, at: number = this.now()): void {
    this.pending.push({ record, availableAt: at + this.knobs.delayMs });
  }

  /** Every record logged so far, sealed or not (tests, the control API). */
  allRecords(): WireAuditRecord[] {
    return [...this.blobs.flatMap((b) => b.records), ...this.pending.map((p) => p.record)];
  }

  subscription(contentType: string): 'enabled' | 'disabled' | undefined {
    return this.subscriptions.get(contentType);
  }

  /** Seals the records available by now into blobs (several each, shuffled) and drops what is over 7 days old. */
  private seal(): void {
    const now = this.now();
    const ready = this.pending.filter((p) => p.availableAt <= now).sort((a, b) => a.availableAt - b.availableAt);
    if (ready.length > 0) {
      const sealed = new Set(ready);
      const keep = this.pending.filter((p) => !sealed.has(p));
      this.pending.length = 0;
      this.pending.push(...keep);
      for (let i = 0; i < ready.length; i += this.knobs.blobSize) {
        const chunk = ready.slice(i, i + this.knobs.blobSize);
        const created = (chunk[chunk.length - 1] as PendingRecord).availableAt;
        this.blobSeq += 1;
        this.blobs.push({
          contentId: contentIdFor(created, this.blobSeq),
          contentCreated: created,
          // The real service does not keep blob records in order (docs/wire.md).
          records: shuffle(
            chunk.map((p) => p.record),
            this.rng,
          ),
        });
      }
    }
    // Content is kept 7 days after it became available (docs/wire.md).
    for (let i = this.blobs.length - 1; i >= 0; i--) {
      if ((this.blobs[i] as Blob).contentCreated + RETENTION_MS <= now) this.blobs.splice(i, 1);
    }
  }

  /** Answers one request under `/api/v1.0/{tenant}/activity/feed/…`. */
  async handle(ctx: SimContext, req: SimRequest): Promise<SimReply> {
    ctx.stats.requests.management++;
    const prefix = `/api/v1.0/${ctx.tenant.tenantId}/activity/feed/`;
    const path = req.url.pathname;
    const tenantMatch = /^\/api\/v1\.0\/([^/]+)\/activity\/feed\//.exec(path);
    const auth = await ctx.tokens.verifyAppToken(header(req, 'authorization'), [MANAGEMENT_RESOURCE]);
    if (!auth.ok) {
      ctx.stats.unauthorized++;
      return afError(401, 'AF10002', `Authorization failed: ${auth.reason}`);
    }
    if (!auth.claims.roles.includes('ActivityFeed.Read')) {
      ctx.stats.forbidden++;
      return afError(
        403,
        'AF10001',
        `The permission set (${auth.claims.roles.join(' ')}) sent in the request did not include the expected ` +
          'permission ActivityFeed.Read.',
      );
    }
    if (tenantMatch === null || !path.startsWith(prefix)) {
      const inUrl = tenantMatch?.[1] ?? '';
      return afError(
        400,
        'AF20010',
        `The tenant ID passed in the URL (${inUrl}) does not match the tenant ID passed in the access token ` +
          `(${auth.claims.tid}).`,
      );
    }
    const now = this.now();
    if (this.outageUntil > now) {
      ctx.stats.faults.http503++;
      return afError(503, 'AF50000', 'An internal error occurred. Retry the request.');
    }
    if (this.throttleLeft > 0) {
      this.throttleLeft -= 1;
      ctx.stats.throttled.withRetryAfter++;
      const method = req.method === 'GET' && path.includes('/audit/') ? 'GetBlob' : req.method;
      const publisher = req.url.searchParams.get('PublisherIdentifier') ?? '00000000-0000-0000-0000-000000000000';
      return {
        ...afError(429, 'AF429', `Too many requests. Method=${method}, PublisherId=${publisher}`),
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Retry-After': String(this.throttleRetryAfterSeconds),
        },
      };
    }
    const op = path.slice(prefix.length);
    const contentType = req.url.searchParams.get('contentType');
    if (op === 'subscriptions/start' && req.method === 'POST') return this.start(contentType);
    if (op === 'subscriptions/stop' && req.method === 'POST') {
      const invalid = checkContentType(contentType);
      if (invalid) return invalid;
      this.subscriptions.set(contentType as string, 'disabled');
      return { status: 200 };
    }
    if (op === 'subscriptions/list' && req.method === 'GET') {
      return json(
        200,
        [...this.subscriptions].map(([type, status]) => ({ contentType: type, status, webhook: null })),
      );
    }
    if (op === 'subscriptions/content' && req.method === 'GET') return this.list(ctx, req, contentType);
    const blob = /^audit\/(.+)$/.exec(op);
    if (blob !== null && req.method === 'GET') return this.blob(decodeURIComponent(blob[1] as string));
    return afError(404, 'AF20050', `The specified content (${op}) does not exist.`);
  }

  private start(contentType: string | null): SimReply {
    const invalid = checkContentType(contentType);
    if (invalid) return invalid;
    const type = contentType as string;
    if (this.subscriptions.get(type) === 'enabled') {
      return afError(400, 'AF20024', 'The subscription is already enabled. No property change.');
    }
    this.subscriptions.set(type, 'enabled');
    return json(200, { contentType: type, status: 'enabled', webhook: null });
  }

  private list(ctx: SimContext, req: SimRequest, contentType: string | null): SimReply {
    const invalid = checkContentType(contentType);
    if (invalid) return invalid;
    const status = this.subscriptions.get(contentType as string);
    if (status === undefined) return afError(400, 'AF20022', 'No subscription found for the specified content type.');
    if (status === 'disabled') return afError(400, 'AF20023', 'The subscription was disabled by a tenant admin.');
    const q = req.url.searchParams;
    const rawStart = q.get('startTime');
    const rawEnd = q.get('endTime');
    const now = this.now();
    let start: number;
    let end: number;
    if (rawStart === null && rawEnd === null) {
      start = now - DAY_MS;
      end = now;
    } else {
      if (rawStart === null || rawEnd === null) return windowError();
      const s = parseListingTime(rawStart);
      const e = parseListingTime(rawEnd);
      if (s === undefined) return afError(400, 'AF20002', 'Invalid parameter type: startTime. Expected type: datetime');
      if (e === undefined) return afError(400, 'AF20002', 'Invalid parameter type: endTime. Expected type: datetime');
      start = s;
      end = e;
    }
    if (end - start > DAY_MS || end < start || start < now - RETENTION_MS) return windowError();
    this.seal();
    // Only the subscribed content type has records here: the simulator logs Exchange activity only.
    const matching =
      contentType === 'Audit.Exchange'
        ? this.blobs.filter((b) => b.contentCreated >= start && b.contentCreated < end)
        : [];
    let offset = 0;
    const nextPage = q.get('nextPage');
    if (nextPage !== null) {
      const m = /^\d{10}R(\d{6})$/.exec(nextPage);
      if (m === null) return afError(400, 'AF20031', `Invalid nextPage Input: ${nextPage}.`);
      offset = Number(m[1]);
    }
    const page = matching.slice(offset, offset + this.knobs.pageSize);
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    if (offset + this.knobs.pageSize < matching.length) {
      const next = new URL(req.url.toString());
      next.searchParams.set('startTime', formatListingTime(start));
      next.searchParams.set('endTime', formatListingTime(end));
      const stamp = new Date(now).toISOString().replace(/\D/g, '').slice(0, 10);
      next.searchParams.set('nextPage', `${stamp}R${String(offset + this.knobs.pageSize).padStart(6, '0')}`);
      headers.NextPageUri = next.toString();
    }
    const root = `${ctx.url}/api/v1.0/${ctx.tenant.tenantId}/activity/feed/audit`;
    return {
      status: 200,
      headers,
      body: page.map((b) => ({
        contentType: 'Audit.Exchange',
        contentId: b.contentId,
        contentUri: `${root}/${b.contentId}`,
        contentCreated: new Date(b.contentCreated).toISOString(),
        contentExpiration: new Date(b.contentCreated + RETENTION_MS).toISOString(),
      })),
    };
  }

  private blob(contentId: string): SimReply {
    this.seal();
    const found = this.blobs.find((b) => b.contentId === contentId);
    if (found === undefined) {
      if (!/^\d{23}\$\d{23}\$audit_exchange\$Audit_Exchange\$sim\d+$/.test(contentId)) {
        return afError(400, 'AF20052', `Content ID ${contentId} in the URL is invalid.`);
      }
      return afError(
        400,
        'AF20051',
        `Content requested with the key ${contentId} has already expired. ` +
          'Content older than 7 days cannot be retrieved.',
      );
    }
    return json(200, found.records);
  }
}

function json(status: number, body: unknown): SimReply {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body };
}

function afError(status: number, code: string, message: string): SimReply {
  return json(status, { error: { code, message } });
}

function windowError(): SimReply {
  return afError(
    400,
    'AF20030',
    'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours ' +
      'apart, with the start time no more than 7 days in the past.',
  );
}

function checkContentType(contentType: string | null): SimReply | undefined {
  if (contentType === null) return afError(400, 'AF20001', 'Missing parameter: contentType.');
  if (!(CONTENT_TYPES as readonly string[]).includes(contentType)) {
    return afError(400, 'AF20020', 'The specified content type is not valid.');
  }
  return undefined;
}

// The documented forms YYYY-MM-DD, YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS (UTC); fractions and a Z are accepted too.
const LISTING_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?Z?$/;

/** A listing time as milliseconds (UTC), or undefined when it is not one of the accepted forms. */
export function parseListingTime(value: string): number | undefined {
  if (!LISTING_TIME.test(value)) return undefined;
  const text = value.endsWith('Z') ? value.slice(0, -1) : value;
  const ms = Date.parse(text.includes('T') ? `${text}Z` : `${text}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

function formatListingTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function contentIdFor(created: number, seq: number): string {
  const stamp = `${new Date(created).toISOString().replace(/\D/g, '').slice(0, 17)}${String(seq).padStart(6, '0')}`;
  return `${stamp}$${stamp}$audit_exchange$Audit_Exchange$sim${seq}`;
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// ---- records ------------------------------------------------------------------------------------------------

/** `CreationTime` as the API writes it: UTC, seconds, no zone suffix. */
export function wireTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Who made a change, as an audit record names it. */
export interface AuditActor {
  userId: string;
  /** 0 Regular, 2 Admin, 3 DCAdmin, 4 System, 5 Application (docs/wire.md). */
  userType: number;
}

/** The record of one Exchange admin cmdlet (RecordType 1), in the shape of mgmt-content-blob.json. */
export function adminRecord(
  tenantId: string,
  organization: string,
  at: number,
  actor: AuditActor,
  operation: string,
  objectId: string,
  parameters: Record<string, string>,
  resultStatus = 'True',
): WireAuditRecord {
  const system = actor.userType === 3 || actor.userType === 4;
  return {
    CreationTime: wireTime(at),
    Id: randomUUID(),
    Operation: operation,
    OrganizationId: tenantId,
    RecordType: 1,
    ResultStatus: resultStatus,
    UserKey: system ? actor.userId : `1003${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`,
    UserType: actor.userType,
    Version: 1,
    Workload: 'Exchange',
    ClientIP: system ? '' : '203.0.113.24:51234',
    ObjectId: objectId,
    UserId: actor.userId,
    AppId: '',
    ClientAppId: '',
    ExternalAccess: system,
    OrganizationName: organization,
    OriginatingServer: 'SIM01MB0001 (15.20.8207.017)',
    Parameters: Object.entries(parameters).map(([Name, Value]) => ({ Name, Value })),
    // The actor's token claims (oid, tid); a system account has no token.
    TokenObjectId: system ? '' : actorObjectId(actor.userId),
    TokenTenantId: system ? '' : tenantId,
  };
}

/** A stable made-up object id for an actor (the simulator does not look actors up). */
function actorObjectId(userId: string): string {
  const hex = createHash('sha256').update(userId.toLowerCase()).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A mailbox audit record (RecordType 2), e.g. UpdateCalendarDelegation, in the shape of mgmt-content-blob.json. */
export function mailboxRecord(
  tenantId: string,
  organization: string,
  at: number,
  actor: AuditActor,
  operation: string,
  mailbox: { guid: string; ownerUpn: string; ownerSid: string },
): WireAuditRecord {
  return {
    CreationTime: wireTime(at),
    Id: randomUUID(),
    Operation: operation,
    OrganizationId: tenantId,
    RecordType: 2,
    ResultStatus: 'Succeeded',
    UserKey: `1003${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`,
    UserType: actor.userType,
    Version: 1,
    Workload: 'Exchange',
    ClientIP: '198.51.100.7',
    UserId: actor.userId,
    AppId: '00000002-0000-0ff1-ce00-000000000000',
    ClientAppId: '',
    ClientIPAddress: '198.51.100.7',
    ClientInfoString: 'Client=OWA;Action=ViaProxy',
    ExternalAccess: false,
    InternalLogonType: 0,
    LogonType: 0,
    LogonUserSid: mailbox.ownerSid,
    MailboxGuid: mailbox.guid,
    MailboxOwnerSid: mailbox.ownerSid,
    MailboxOwnerUPN: mailbox.ownerUpn,
    OrganizationName: organization,
    OriginatingServer: 'SIM01MB0001 (15.20.8207.017)\r\n',
  };
}
