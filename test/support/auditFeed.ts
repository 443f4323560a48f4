import { PermanentUpstreamError } from '../../shared/errors.js';
import type {
  AuditContentRef,
  AuditFeedPort,
  AuditRecord,
  AuditRecordRead,
  AuditResyncRequest,
  AuditSubscription,
} from '../../shared/ports/auditFeed.js';

const DAY = 24 * 3_600_000;

/** An Exchange admin record of `operation` on `objectId` by `userId` (the fields the feed reads). */
export function anAuditRecord(overrides: Partial<AuditRecord> & { id: string }): AuditRecord {
  return {
    creationTime: '2026-03-02T09:00:00.000Z',
    operation: 'Add-MailboxPermission',
    recordType: 1,
    workload: 'Exchange',
    userId: 'admin@contoso.com',
    userType: 2,
    objectId: 'adele@contoso.com',
    parameters: [
      { name: 'Identity', value: overrides.objectId ?? 'adele@contoso.com' },
      { name: 'User', value: 'bob@contoso.com' },
      { name: 'AccessRights', value: 'FullAccess' },
    ],
    resultStatus: 'True',
    mailboxGuid: null,
    mailboxOwnerUpn: null,
    ...overrides,
  };
}

type Operation = 'token' | 'start' | 'subscriptions' | 'list' | 'fetch';

/**
 * The Management Activity API as the port sees it, in memory: blobs made available at `contentCreated`, listed in
 * pages of `pageSize` for [start, end), refusing what the real API refuses (a window over 24 h, a start older than
 * 7 days, a listing without an enabled subscription). `fault` injects an error into one call.
 */
export class FakeAuditFeed implements AuditFeedPort {
  readonly blobs: Array<{ ref: AuditContentRef; entries: AuditRecordRead[] }> = [];
  subscription: 'none' | 'enabled' = 'none';
  pageSize = 2;
  readonly calls = { start: 0, lists: [] as Array<{ start: Date; end: Date }>, fetched: [] as string[] };
  fault: ((operation: Operation, detail: string) => Error | undefined) | undefined;

  constructor(private readonly now: () => Date) {}

  /** Makes a blob available at `createdAt` holding `entries` (records, or unreadable entries). */
  add(contentId: string, createdAt: Date, entries: Array<AuditRecord | { unreadable: string }>): AuditContentRef {
    const ref: AuditContentRef = {
      contentType: 'Audit.Exchange',
      contentId,
      contentUri: `https://manage.test/api/v1.0/tenant/activity/feed/audit/${contentId}`,
      contentCreated: createdAt.toISOString(),
      contentExpiration: new Date(createdAt.getTime() + 7 * DAY).toISOString(),
    };
    const reads = entries.map(
      (e): AuditRecordRead =>
        'unreadable' in e ? { kind: 'unreadable', reason: e.unreadable } : { kind: 'record', record: e },
    );
    this.blobs.push({ ref, entries: reads });
    return ref;
  }

  private check(operation: Operation, detail: string): void {
    const error = this.fault?.(operation, detail);
    if (error) throw error;
  }

  async acquireToken(): Promise<void> {
    this.check('token', '');
  }

  async startSubscription(): Promise<'started' | 'alreadyEnabled'> {
    this.calls.start++;
    this.check('start', '');
    if (this.subscription === 'enabled') return 'alreadyEnabled';
    this.subscription = 'enabled';
    return 'started';
  }

  async listSubscriptions(): Promise<AuditSubscription[]> {
    this.check('subscriptions', '');
    return this.subscription === 'enabled' ? [{ contentType: 'Audit.Exchange', status: 'enabled' }] : [];
  }

  async *listContent(_contentType: string, start: Date, end: Date): AsyncIterable<AuditContentRef[]> {
    this.calls.lists.push({ start, end });
    this.check('list', start.toISOString());
    if (this.subscription !== 'enabled') {
      throw new PermanentUpstreamError('MANAGEMENT.NO_SUBSCRIPTION', 'AF20022: No subscription found');
    }
    if (end.getTime() - start.getTime() > DAY)
      throw new PermanentUpstreamError('MANAGEMENT.BAD_WINDOW', 'window over 24 h');
    if (start.getTime() < this.now().getTime() - 7 * DAY) {
      throw new PermanentUpstreamError('MANAGEMENT.BAD_WINDOW', 'startTime older than 7 days');
    }
    const listed = this.blobs
      .map((b) => b.ref)
      .filter((r) => Date.parse(r.contentCreated) >= start.getTime() && Date.parse(r.contentCreated) < end.getTime());
    for (let i = 0; i < listed.length; i += this.pageSize) {
      if (i > 0) this.check('list', `page ${i / this.pageSize}`);
      yield listed.slice(i, i + this.pageSize);
    }
  }

  async fetchContent(contentUri: string): Promise<AuditRecordRead[]> {
    const blob = this.blobs.find((b) => b.ref.contentUri === contentUri);
    this.check('fetch', blob?.ref.contentId ?? contentUri);
    if (!blob) throw new PermanentUpstreamError('MANAGEMENT.NOT_FOUND', `no content at ${contentUri}`);
    this.calls.fetched.push(blob.ref.contentId);
    return blob.entries;
  }
}

/** Records each resync request (what the lead wires to startAuditRun); `fail` makes the next ones throw. */
export class RecordedResyncs {
  readonly requests: AuditResyncRequest[] = [];
  fail: Error | undefined;
  resync = async (request: AuditResyncRequest): Promise<void> => {
    if (this.fail) throw this.fail;
    this.requests.push(request);
  };

  /** Every mailbox id re-read so far, once per request it was in. */
  mailboxIds(): string[] {
    return this.requests.flatMap((r) => r.mailboxes.map((m) => m.mailbox.mailboxId));
  }
}
