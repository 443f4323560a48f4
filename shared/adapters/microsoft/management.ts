import { PermanentUpstreamError } from '../../errors.js';
import type { AuditContentRef, AuditFeedPort, AuditRecordRead, AuditSubscription } from '../../ports/auditFeed.js';
import { contentRefSchema, describeAuditIssues, parseAuditRecord, subscriptionSchema } from './auditRecords.js';
import { sendWithRetries, type ServiceContext } from './serviceHttp.js';

/** The longest listing window the API serves whole (docs/wire.md: ≤ 24 h, else AF20030 or partial results). */
export const MAX_CONTENT_WINDOW_MS = 24 * 3600_000;
/** How far back a listing may start (docs/wire.md: start no more than 7 days in the past). */
export const MAX_CONTENT_LOOKBACK_MS = 7 * 24 * 3600_000;

export interface ManagementClientOptions {
  tenantId: string;
  /** MANAGEMENT_API_BASE_URL, e.g. `https://manage.office.com`. */
  managementBaseUrl: string;
  context: ServiceContext;
  /**
   * `PublisherIdentifier` sent on every call (docs/wire.md): the tenant GUID of whoever runs the code; for an app
   * running in the customer's own tenant that is the tenant id (the default).
   */
  publisherId?: string;
  now?: () => number;
}

/** `YYYY-MM-DDTHH:MM:SS`, UTC, no zone suffix: a listing time the API documents (docs/wire.md). */
export function formatListingTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Client of the Office 365 Management Activity API (docs/wire.md), the change feed's source. */
export class ManagementClient implements AuditFeedPort {
  private readonly root: string;
  private readonly host: string;
  private readonly publisherId: string;
  private readonly now: () => number;

  constructor(private readonly options: ManagementClientOptions) {
    const base = new URL(options.managementBaseUrl);
    this.host = base.hostname.toLowerCase();
    this.root = `${options.managementBaseUrl.replace(/\/+$/, '')}/api/v1.0/${options.tenantId}/activity/feed`;
    this.publisherId = options.publisherId ?? options.tenantId;
    this.now = options.now ?? Date.now;
  }

  /** Obtains an app-only token for the Management API (the credential works and the scope is consented). */
  async acquireToken(): Promise<void> {
    await this.options.context.tokens.getToken();
  }

  /** Starts the subscription; the API's `AF20024` ("already enabled") is success, reported as `alreadyEnabled`. */
  async startSubscription(contentType: string): Promise<'started' | 'alreadyEnabled'> {
    const url = this.url('subscriptions/start', { contentType });
    try {
      const response = await sendWithRetries(this.options.context, {
        method: 'POST',
        url,
        headers: { Accept: 'application/json' },
        operation: 'subscriptions/start',
      });
      // A 2xx is the start; its body only echoes the subscription (docs/wire.md). A body in another shape is
      // still reported: the API is not answering as documented.
      if (response.json !== undefined) {
        const status = subscriptionSchema.safeParse(response.json);
        if (!status.success) throw this.badAnswer('subscriptions/start', describeAuditIssues(status.error));
      }
      return 'started';
    } catch (error) {
      if (error instanceof PermanentUpstreamError && error.code === 'MANAGEMENT.ALREADY_ENABLED') {
        return 'alreadyEnabled';
      }
      throw error;
    }
  }

  /** The tenant's subscriptions (`subscriptions/list`). */
  async listSubscriptions(): Promise<AuditSubscription[]> {
    const response = await sendWithRetries(this.options.context, {
      method: 'GET',
      url: this.url('subscriptions/list', {}),
      headers: { Accept: 'application/json' },
      operation: 'subscriptions/list',
    });
    const parsed = subscriptionSchema.array().safeParse(response.json);
    if (!parsed.success) throw this.badAnswer('subscriptions/list', describeAuditIssues(parsed.error));
    return parsed.data;
  }

  /**
   * The blobs made available in [start, end), page by page through `NextPageUri`. The window is checked first
   * (≤ 24 h, start within 7 days): the API would refuse it (AF20030) or answer partially.
   */
  async *listContent(contentType: string, start: Date, end: Date): AsyncIterable<AuditContentRef[]> {
    // Whole seconds: the start rounds down and the end up, so consecutive windows leave no gap (docs/wire.md).
    const startMs = Math.floor(start.getTime() / 1000) * 1000;
    const endMs = Math.ceil(end.getTime() / 1000) * 1000;
    this.checkWindow(startMs, endMs);
    let url: string | undefined = this.url('subscriptions/content', {
      contentType,
      startTime: formatListingTime(startMs),
      endTime: formatListingTime(endMs),
    });
    while (url !== undefined) {
      const response = await sendWithRetries(this.options.context, {
        method: 'GET',
        url,
        headers: { Accept: 'application/json' },
        operation: 'subscriptions/content',
      });
      const parsed = contentRefSchema.array().safeParse(response.json);
      if (!parsed.success) throw this.badAnswer('subscriptions/content', describeAuditIssues(parsed.error));
      yield parsed.data;
      const next = response.headers.get('NextPageUri');
      url = next === null || next.trim() === '' ? undefined : this.followable(next.trim(), 'NextPageUri');
    }
  }

  /** The records of one blob; each entry validated on its own (an invalid one is `unreadable`, never dropped). */
  async fetchContent(contentUri: string): Promise<AuditRecordRead[]> {
    const url = this.followable(contentUri, 'contentUri');
    const response = await sendWithRetries(this.options.context, {
      method: 'GET',
      url,
      headers: { Accept: 'application/json' },
      operation: 'content',
    });
    if (!Array.isArray(response.json)) {
      throw this.badAnswer('content', 'the blob is not a JSON array of records');
    }
    return response.json.map((raw, index) => parseAuditRecord(raw, index));
  }

  private url(path: string, query: Record<string, string>): string {
    const params = new URLSearchParams({ ...query, PublisherIdentifier: this.publisherId });
    return `${this.root}/${path}?${params.toString()}`;
  }

  /**
   * A URL the API handed us (`NextPageUri`, `contentUri`), checked before our token goes there: `https://` on the
   * configured Management host only (a forged listing must not get the token); `PublisherIdentifier` added if absent.
   */
  private followable(raw: string, what: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new PermanentUpstreamError('MANAGEMENT.UNTRUSTED_HOST', `${what} is not a URL: ${raw.slice(0, 200)}`);
    }
    if (url.protocol !== 'https:' || url.hostname.toLowerCase() !== this.host) {
      throw new PermanentUpstreamError(
        'MANAGEMENT.UNTRUSTED_HOST',
        `refusing to follow ${what} ${url.protocol}//${url.host}: only https://${this.host} ` +
          '(MANAGEMENT_API_BASE_URL) gets the token',
      );
    }
    const hasPublisher = [...url.searchParams.keys()].some((k) => k.toLowerCase() === 'publisheridentifier');
    if (!hasPublisher) url.searchParams.set('PublisherIdentifier', this.publisherId);
    return url.toString();
  }

  private checkWindow(startMs: number, endMs: number): void {
    const problem =
      endMs <= startMs
        ? 'the end is not after the start'
        : endMs - startMs > MAX_CONTENT_WINDOW_MS
          ? 'the window is longer than 24 hours'
          : startMs < this.now() - MAX_CONTENT_LOOKBACK_MS
            ? 'the start is more than 7 days in the past'
            : undefined;
    if (problem !== undefined) {
      throw new PermanentUpstreamError(
        'MANAGEMENT.BAD_WINDOW',
        `subscriptions/content [${new Date(startMs).toISOString()}, ${new Date(endMs).toISOString()}): ${problem}`,
      );
    }
  }

  private badAnswer(operation: string, why: string): PermanentUpstreamError {
    return new PermanentUpstreamError(
      'MANAGEMENT.BAD_ROW',
      `Management Activity API ${operation} answered in an unexpected shape: ${why}`,
    );
  }
}
