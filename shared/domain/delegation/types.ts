/**
 * Vocabulary of mailbox delegation. Pure data: Exchange/Graph rows come in as the raw shapes below,
 * leave as `EffectiveDelegation`s (what the tenant grants now) and `StoredDelegation`s (what we keep).
 */

export const RIGHTS = ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'] as const;
export type Right = (typeof RIGHTS)[number];

/** True when `x` names one of the delegation rights we sync. */
export function isRight(x: unknown): x is Right {
  return typeof x === 'string' && (RIGHTS as readonly string[]).includes(x);
}

export type Source = 'MailboxPermissionSync' | 'Manual';

/** One path that leads to a delegation: granted to the delegate itself, or to a group named in Exchange. */
export type Via = { kind: 'direct' } | { kind: 'group'; id: string; displayName: string };

/** The mailbox whose rights are being read; `id` is its ExternalDirectoryObjectId (Entra object id). */
export interface MailboxIdentity {
  id: string;
  upn: string;
  primarySmtp: string;
  name: string;
  displayName: string;
}

/**
 * Raw ACE from Get-MailboxPermission (User / UserSid / Deny) or Get-RecipientPermission
 * (Trustee / TrusteeSidString / AccessControlType === 'Deny'). `accessRights` elements may be
 * comma-joined (`"FullAccess, ReadPermission"`).
 */
export interface RawAce {
  trustee: string;
  trusteeSid?: string;
  accessRights: string[];
  isInherited: boolean;
  deny: boolean;
}

/** Raw entry of Graph `/users/{id}/calendar/calendarPermissions`. */
export interface RawCalendarPermission {
  id: string;
  role: string;
  emailAddress?: { name?: string; address?: string };
}

/**
 * Everything read from Exchange/Graph about one mailbox. `rights` are the rights the task syncs; a right
 * listed there whose rows are `undefined` was not read, so it is not observed (its stored rows are left alone).
 */
export interface MailboxRightsSnapshot {
  mailbox: MailboxIdentity;
  rights: Right[];
  fullAccess?: RawAce[];
  sendAs?: RawAce[];
  /** Get-Mailbox GrantSendOnBehalfTo: recipient Names, often the object id GUID. */
  sendOnBehalfNames?: string[];
  calendar?: RawCalendarPermission[];
}

/**
 * Normalized lookup key of a trustee, built by `classifyTrustee`:
 * - contains `@` → lower-cased UPN/SMTP address;
 * - a GUID → lower-cased object id;
 * - otherwise the recipient Name (or `DOMAIN\Name`), lower-cased because Exchange matches Names
 *   case-insensitively.
 * `describeTrusteeKey` tells a resolver which of the three it holds.
 */
export type TrusteeKey = string;

export type UnresolvedReason = 'notFound' | 'ambiguous' | 'notAUserOrGroup';

/** What a resolver found for one `TrusteeKey`. */
export type ResolvedTrustee =
  | { kind: 'user'; id: string; upn: string; address: string; displayName: string; accountEnabled?: boolean }
  | { kind: 'group'; id: string; displayName: string }
  /** Exchange role group (e.g. Discovery Management): counted, not stored. */
  | { kind: 'roleGroup'; name: string }
  | { kind: 'unresolved'; reason: UnresolvedReason; detail: string };

/** The user holding a right, with the display data we store and compare. */
export interface DelegateRef {
  id: string;
  upn: string;
  address: string;
  displayName: string;
  accountEnabled?: boolean;
}

/**
 * One (mailbox, delegate, right) as the tenant grants it now; `via` is sorted (direct first, groups by id) and
 * deduped.
 */
export interface EffectiveDelegation {
  mailboxId: string;
  delegate: DelegateRef;
  right: Right;
  via: Via[];
}

export interface StoredDelegation extends EffectiveDelegation {
  source: Source;
  /** ISO 8601 UTC. */
  firstSeen: string;
  /** ISO 8601 UTC; only rewritten when the row is written for another reason (unchanged rows cost no writes). */
  lastConfirmed: string;
  /**
   * Who made the grant, when an audit record said (its UserId), or the administrator of a Manual delegation; null
   * when not known (a full scan finds a grant, not its author).
   */
  grantedBy: string | null;
  /** When the grant was made, from the same source as `grantedBy` (ISO 8601 UTC); null when not known. */
  grantedAt: string | null;
}

/** The mailbox as lookups show it, stored on every row so a lookup needs no directory call. */
export interface MailboxRef {
  id: string;
  address: string;
  displayName: string;
}

/** A stored delegation together with the mailbox it is on. */
export interface DelegationRow extends StoredDelegation {
  mailbox: MailboxRef;
}

export const CHANGE_TYPES = ['granted', 'revoked'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/**
 * How a change came to be known: a run reading its task's whole scope (`fullScan`), a run re-reading mailboxes an
 * audit record named (`auditEvent`), or an administrator's call to this API (`manual`).
 */
export const OBSERVERS = ['fullScan', 'auditEvent', 'manual'] as const;
export type ObservedBy = (typeof OBSERVERS)[number];

/** One line of the change history: a delegation granted or revoked, by a run (or an admin when runId is null). */
export interface DelegationEvent {
  type: ChangeType;
  mailbox: MailboxRef;
  delegate: DelegateRef;
  right: Right;
  via: Via[];
  source: Source;
  runId: string | null;
  taskId: string | null;
  at: string;
  /** Who made the change, when known: an audit record's UserId, or the administrator who called the API. */
  actor: string | null;
  observedBy: ObservedBy;
}

/** The history event of one delegation granted on or revoked from a mailbox, by a run (or an admin: null ids). */
export function changeEvent(
  type: ChangeType,
  mailbox: MailboxRef,
  d: Pick<StoredDelegation, 'delegate' | 'right' | 'via' | 'source'>,
  change: Pick<DelegationEvent, 'runId' | 'taskId' | 'at' | 'actor' | 'observedBy'>,
): DelegationEvent {
  return { type, mailbox, delegate: d.delegate, right: d.right, via: d.via, source: d.source, ...change };
}
