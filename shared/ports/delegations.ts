import type { DelegationEvent, DelegationRow, MailboxRef, Right } from '../domain/delegation/types.js';
import type { MailboxSyncPlan } from '../domain/delegation/plan.js';
import type { LateAttribution } from '../domain/delegation/attribution.js';
import type { Page } from './repositories.js';

// The delegation vocabulary is the domain's: its sync plan is built from these very rows and events.
export type { ChangeType, DelegationEvent, DelegationRow, MailboxRef } from '../domain/delegation/types.js';
export { CHANGE_TYPES } from '../domain/delegation/types.js';

/** Where a batch of changes comes from: the run (or the admin) and when. */
export interface ChangeContext {
  taskId: string | null;
  runId: string | null;
  at: string;
  /** Deterministic per run so a redelivered message rewrites the same history rows instead of adding new ones. */
  eventScope: string;
}

/** One mailbox's changes, applied together. */
export interface MailboxChanges {
  mailbox: MailboxRef;
  upsert: DelegationRow[];
  remove: DelegationRow[];
  events: DelegationEvent[];
}

/** A mailbox's sync state: the last observation's digest ('' = unknown) and the run whose revocations are pending. */
export interface SyncState {
  digest: string;
  etag: string;
  pendingRun?: string;
}

/**
 * What a sync reads of a mailbox (see `planMailboxSync`): `matchesDigest` when its sync state holds the digest of
 * the sync's observation (no row is read), else its rows and the ETag of its sync state (undefined: the mailbox
 * has none, so nothing was ever written for it).
 */
export type StoredMailboxRead =
  | { kind: 'matchesDigest' }
  | { kind: 'rows'; rows: DelegationRow[]; stateEtag: string | undefined };

/** A page of the change history: events at or after `since`, of one mailbox and/or one delegate when given. */
export interface HistoryQuery {
  /** ISO 8601 date-time. */
  since: string;
  mailboxId?: string;
  delegateId?: string;
  top: number;
  continuationToken?: string;
}

/**
 * The stored delegations, indexed by mailbox (what a sync compares against) and by delegate (lookups), their
 * history, and each mailbox's sync state. Writes are idempotent and crash-safe (docs/design.md §2).
 */
export interface DelegationRepository {
  /** The mailbox's sync state (digest and ETag), or undefined when nothing was ever written for it. */
  syncState(mailboxId: string): Promise<SyncState | undefined>;
  /** The stored side of a mailbox for a sync whose observation has `digest`: the input of `planMailboxSync`. */
  readForSync(mailboxId: string, digest: string): Promise<StoredMailboxRead>;
  /**
   * Applies a mailbox's sync plan in crash-safe order: the sync state marked unknown, history, the reverse index,
   * the forward index last; then either the plan's removals marked pending for run `runKey` (record them on the
   * run first) or the plan's digest recorded, if the sync state is still the one `read` saw or this apply wrote.
   * Idempotent: `runKey` keys the history rows, so a redelivery re-plans and rewrites the same rows. Nothing is
   * deleted here: the run's close applies the removals.
   */
  applySyncPlan(plan: MailboxSyncPlan, read: StoredMailboxRead, runKey: string): Promise<void>;
  /** Every stored delegation on a mailbox. */
  forMailbox(mailboxId: string): Promise<DelegationRow[]>;
  /** Every stored delegation a delegate holds. */
  forDelegate(delegateId: string): Promise<DelegationRow[]>;
  /** Applies one mailbox's changes in crash-safe order; returns the ETag of its sync state when it wrote any. */
  apply(changes: MailboxChanges, context: ChangeContext): Promise<string | undefined>;
  /** One page of the change history, newest first; a page reads about the entities it returns (docs/performance.md). */
  changes(query: HistoryQuery): Promise<Page<DelegationEvent>>;
  /**
   * Records that a sync read these rights of the mailbox at `at` and its stored rows match what it read (one
   * write per mailbox, whatever the rights; no delegation row is written).
   */
  recordVerified(mailboxId: string, rights: readonly Right[], at: string): Promise<void>;
  /** When each right of each mailbox was last verified (see recordVerified); a mailbox never verified is absent. */
  lastVerified(mailboxIds: readonly string[]): Promise<Map<string, Partial<Record<Right, string>>>>;
  /**
   * Attributes a stored grant after the fact (see lateAttributions): the actor on its latest `granted` event (both
   * history copies) if that has none, then `grantedBy` / `grantedAt` on its rows (both indexes) if they have none.
   * Idempotent, history first: a redelivery finds the rows still unattributed and completes the write.
   */
  attributeGrant(attribution: LateAttribution): Promise<void>;
}
