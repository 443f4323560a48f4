import type { AuditRecordRead, PermissionChangeHint } from '../domain/auditHints.js';

/** The content type the change feed reads (docs/design.md §8.4): Exchange admin and mailbox audit records. */
export const AUDIT_CONTENT_TYPE = 'Audit.Exchange';

/** One content blob the Office 365 Management Activity API lists; `contentUri` is fetched with the same token. */
export interface AuditContentRef {
  contentType: string;
  contentId: string;
  contentUri: string;
  /** ISO 8601 UTC. */
  contentCreated: string;
  /** ISO 8601 UTC: the blob is gone after this (7 days after it was created). */
  contentExpiration: string;
}

/** A subscription as `subscriptions/list` reports it. */
export interface AuditSubscription {
  contentType: string;
  /** `enabled` or `disabled`. */
  status: string;
}

/**
 * The Office 365 Management Activity API (`{MANAGEMENT_API_BASE_URL}/api/v1.0/{tenantId}/activity/feed/…`), as
 * the change feed uses it. Errors are the domain's upstream errors: ThrottledError (429, Retry-After),
 * TransientUpstreamError (5xx, network), PermanentUpstreamError (`MANAGEMENT.*`: 401/403, a missing
 * subscription, a malformed answer).
 */
export interface AuditFeedPort {
  /** Fetches a token for the Management API (diagnostics). */
  acquireToken(): Promise<void>;
  /** Starts the subscription; `alreadyEnabled` when the API answers that it is (that is success). */
  startSubscription(contentType: string): Promise<'started' | 'alreadyEnabled'>;
  /** The tenant's subscriptions and their status. */
  listSubscriptions(): Promise<AuditSubscription[]>;
  /**
   * The content blobs made available in [start, end) (at most 24 h apart, within the last 7 days), page by page
   * through the `NextPageUri` response header.
   */
  listContent(contentType: string, start: Date, end: Date): AsyncIterable<AuditContentRef[]>;
  /** The records of one blob, validated: a record that fails validation is returned as `unreadable`. */
  fetchContent(contentUri: string): Promise<AuditRecordRead[]>;
}

// The record and what it hints are domain types (shared/domain/auditHints.ts interprets them purely); the port
// re-exports them so the feed's consumers import everything about the feed from here.
export type { AuditHint, AuditRecord, AuditRecordRead, PermissionChangeHint } from '../domain/auditHints.js';

/** A mailbox of a task's scope the feed asks to re-read, as its run item names it. */
export interface AuditResyncMailbox {
  mailboxId: string;
  upn: string;
  address: string;
  displayName: string;
}

/**
 * What one poll of the feed asks of one task: re-read these mailboxes (each inside the task's scope), because
 * these audit records named them. The hints only attribute what the re-read finds: Exchange stays the truth.
 */
export interface AuditResyncRequest {
  taskId: string;
  /** When the poll ran (ISO 8601 UTC): with the task it names the audit run, so a repeated poll is idempotent. */
  polledAt: string;
  mailboxes: Array<{ mailbox: AuditResyncMailbox; hints: PermissionChangeHint[] }>;
}
