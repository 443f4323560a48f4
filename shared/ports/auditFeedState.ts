import type { Versioned } from './repositories.js';

/** Why the feed ignored a record (the `ignored` hint's reasons), each counted on its own. */
export const IGNORED_REASONS = ['notPermissionChange', 'systemActor', 'failedOperation'] as const;
export type IgnoredReason = (typeof IGNORED_REASONS)[number];

/** What the feed counts, per hour (docs/design.md §8.4): "events in the last 24 h" sums 24 buckets. */
export interface AuditFeedCounts {
  /** Records read from content blobs (readable ones). */
  recordsRead: number;
  /** Records that named a mailbox permission change. */
  permissionHints: number;
  ignored: Record<IgnoredReason, number>;
  /** Entries of a blob that failed validation (logged with the content id; they can never become readable). */
  unreadableRecords: number;
  /** Permission hints whose mailbox no directory entry nor Exchange recipient names exactly once. */
  unresolvedMailboxes: number;
  /** Permission hints on mailboxes outside every enabled task's scope. */
  outsideScope: number;
  /** Mailboxes handed to a task's re-read. */
  mailboxesQueued: number;
  /** Polls the Management API throttled (stopped cleanly, checkpoint kept). */
  throttledPolls: number;
  /** Polls that failed (retried by the next tick). */
  failedPolls: number;
}

/** Counts that are all zero. */
export function zeroCounts(): AuditFeedCounts {
  return {
    recordsRead: 0,
    permissionHints: 0,
    ignored: { notPermissionChange: 0, systemActor: 0, failedOperation: 0 },
    unreadableRecords: 0,
    unresolvedMailboxes: 0,
    outsideScope: 0,
    mailboxesQueued: 0,
    throttledPolls: 0,
    failedPolls: 0,
  };
}

/** Adds two sets of counts. */
export function sumCounts(a: AuditFeedCounts, b: AuditFeedCounts): AuditFeedCounts {
  const ignored = Object.fromEntries(IGNORED_REASONS.map((r) => [r, a.ignored[r] + b.ignored[r]])) as Record<
    IgnoredReason,
    number
  >;
  return {
    recordsRead: a.recordsRead + b.recordsRead,
    permissionHints: a.permissionHints + b.permissionHints,
    ignored,
    unreadableRecords: a.unreadableRecords + b.unreadableRecords,
    unresolvedMailboxes: a.unresolvedMailboxes + b.unresolvedMailboxes,
    outsideScope: a.outsideScope + b.outsideScope,
    mailboxesQueued: a.mailboxesQueued + b.mailboxesQueued,
    throttledPolls: a.throttledPolls + b.throttledPolls,
    failedPolls: a.failedPolls + b.failedPolls,
  };
}

/** A span of time whose content the feed could not list any more (older than 7 days): its events are lost. */
export interface AuditFeedGap {
  /** ISO 8601 UTC, inclusive. */
  from: string;
  /** ISO 8601 UTC, exclusive. */
  to: string;
  /** When a poll found it. */
  detectedAt: string;
}

export type AuditPollOutcome = 'succeeded' | 'throttled' | 'failed';

/** The persisted state of one tenant's feed of one content type. */
export interface AuditFeedState {
  /** Every blob listed with `contentCreated` before this was processed and its mailboxes re-read; null: none yet. */
  checkpoint: string | null;
  subscription: {
    /** `enabled` once the API confirmed it (start answered, or a listing worked); `unknown` until then. */
    status: 'enabled' | 'unknown';
    /** When the API last confirmed it. */
    confirmedAt: string | null;
  };
  lastPoll: { at: string; outcome: AuditPollOutcome; error: string | null } | null;
  /** The newest record `CreationTime` the feed has read (its lag is now − this). */
  newestRecordAt: string | null;
  /** Spans the feed lost (newest last, at most MAX_GAPS kept). */
  gaps: AuditFeedGap[];
  /** When a poll found the subscription enabled but no checkpoint, and read back the whole 7 days. */
  checkpointLostAt: string | null;
}

/** Gaps a state keeps: enough to show an operator what happened, bounded so the row stays small. */
export const MAX_GAPS = 20;

/** A content blob the feed processed, remembered so an overlapping listing does not fetch it again. */
export interface SeenContent {
  contentId: string;
  /** ISO 8601 UTC. */
  contentCreated: string;
}

/** The change feed's state in the store: one state row, hourly counters and seen blobs per tenant and content type. */
export interface AuditFeedStateRepository {
  get(tenantId: string, contentType: string): Promise<Versioned<AuditFeedState> | undefined>;
  /**
   * Reads the state, applies `change` (given undefined when there is none) and writes the result under the read
   * ETag; on a concurrent write it reads again and re-applies `change`. Answers the state written.
   */
  update(
    tenantId: string,
    contentType: string,
    change: (current: AuditFeedState | undefined) => AuditFeedState,
  ): Promise<AuditFeedState>;
  /** Adds `counts` to the bucket of the hour `at` falls in (ETag-guarded: concurrent adds all count). */
  addCounts(tenantId: string, contentType: string, at: Date, counts: AuditFeedCounts): Promise<void>;
  /** The sum of the buckets from the hour `since` falls in onwards. */
  countsSince(tenantId: string, contentType: string, since: Date): Promise<AuditFeedCounts>;
  /** Which of `contents` were processed before (by content id and creation time). */
  seen(tenantId: string, contentType: string, contents: readonly SeenContent[]): Promise<Set<string>>;
  /** Remembers processed blobs. */
  markSeen(tenantId: string, contentType: string, contents: readonly SeenContent[]): Promise<void>;
  /** Forgets blobs created before `before` and hourly buckets before it; answers how many rows it deleted. */
  forgetBefore(tenantId: string, contentType: string, before: Date): Promise<number>;
}
