import type { Right } from '../domain/delegation/types.js';

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

/** An audit record as the feed keeps it (the fields the change feed reads; the wire has many more). */
export interface AuditRecord {
  /** The record's `Id` (a GUID): one change, whichever blob carries it. */
  id: string;
  /** `CreationTime` as ISO 8601 UTC (the wire omits the `Z`). */
  creationTime: string;
  /** `Operation`, e.g. `Add-MailboxPermission`. */
  operation: string;
  /** `RecordType` (1 ExchangeAdmin, 2 ExchangeItem, …). */
  recordType: number;
  workload: string | null;
  /** `UserId`: who made the change (a UPN, or a system account such as `NT AUTHORITY\SYSTEM (…)`). */
  userId: string;
  /** `UserType` (0 Regular, 2 Admin, 3 DcAdmin, 4 System, 5 Application, 6 ServicePrincipal, …), when sent. */
  userType: number | null;
  /** `ObjectId`: the object the cmdlet changed, as Exchange names it. */
  objectId: string | null;
  /** `Parameters` of an admin cmdlet: `[{Name, Value}]`. */
  parameters: Array<{ name: string; value: string }>;
  /** `ResultStatus` (`True`/`Succeeded`, `False`/`Failed`, …) when sent. */
  resultStatus: string | null;
  /** Mailbox audit records (`UpdateCalendarDelegation`, folder permissions): the mailbox owner's object id. */
  mailboxGuid: string | null;
  mailboxOwnerUpn: string | null;
}

/** One entry of a content blob: a record, or why it could not be read (counted and logged, never dropped quietly). */
export type AuditRecordRead = { kind: 'record'; record: AuditRecord } | { kind: 'unreadable'; reason: string };

/**
 * What an audit record says about mailbox delegation (see `interpretAuditRecord`): a hint that one mailbox's
 * rights changed, to be re-read from Exchange; or why the feed ignores the record.
 */
export type AuditHint =
  | {
      kind: 'permissionChange';
      recordId: string;
      /** ISO 8601 UTC. */
      at: string;
      operation: string;
      /** Who made the change (the record's UserId). */
      actor: string;
      /** How the record names the changed mailbox: an object id, address, UPN or name (resolve it). */
      mailboxIdentity: string;
      /** The right the record is about, when it says. */
      right: Right | null;
      /** The trustee the record names (granted or removed), when it names one; a removal may not. */
      trustee: string | null;
      change: 'grant' | 'revoke' | 'set';
    }
  | { kind: 'ignored'; recordId: string; reason: 'notPermissionChange' | 'systemActor' | 'failedOperation' };

/** A hint that names a mailbox delegation change (see AuditHint). */
export type PermissionChangeHint = Extract<AuditHint, { kind: 'permissionChange' }>;

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
