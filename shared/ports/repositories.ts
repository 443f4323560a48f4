import type { ScheduleDefinition } from '../domain/schedule.js';
import type { Run, RunCounts, RunStatus, Task } from '../domain/task.js';
import type { RunChanges } from '../domain/runLifecycle.js';
import type { Right, StoredDelegation } from '../domain/delegation/types.js';

export interface Page<T> {
  items: T[];
  continuationToken: string | null;
}

export interface PageRequest {
  top: number;
  continuationToken?: string;
}

export interface StoredSchedule {
  id: string;
  definition: ScheduleDefinition;
  createdAt: string;
  updatedAt: string;
}

export interface Versioned<T> {
  value: T;
  etag: string;
}

/** Schedules: plain CRUD. */
export interface ScheduleRepository {
  create(schedule: StoredSchedule): Promise<void>;
  get(id: string): Promise<StoredSchedule | undefined>;
  list(page: PageRequest): Promise<Page<StoredSchedule>>;
  replace(schedule: StoredSchedule): Promise<void>;
  delete(id: string): Promise<void>;
}

/** Tasks: CRUD plus ETag-guarded updates (the task entity is the lock for "one active run per task"). */
export interface TaskRepository {
  create(task: Task): Promise<void>;
  get(id: string): Promise<Versioned<Task> | undefined>;
  list(page: PageRequest): Promise<Page<Task>>;
  all(): AsyncIterable<Task>;
  /** Replaces the task if its ETag still matches; PreconditionFailedError otherwise. */
  update(task: Task, etag: string): Promise<string>;
  delete(id: string): Promise<void>;
}

export type ItemStatus = 'pending' | 'done' | 'failed';

export interface RunItem {
  mailboxId: string;
  upn: string;
  address: string;
  displayName: string;
  status: ItemStatus;
  error: string | null;
  delegationsAdded: number;
  delegationsRemoved: number;
  trusteesUnresolved: number;
  settledAt: string | null;
  /** Rights that could not be read for this mailbox: left as stored, with the reason. */
  rightsNotRead: Array<{ right: Right; reason: string }>;
  /** Exchange `@adminapi.warnings` met while reading this mailbox. */
  warnings: string[];
  /** Revocations this mailbox's sync proposed; the run applies them when it closes, or holds them for review. */
  revocationsProposed: number;
  /** Counts a delivery recorded before writing its changes (see syncMailbox). */
  planned?: { delegationsAdded: number; delegationsRemoved: number; trusteesUnresolved: number };
}

/** The mailbox a run item is about, as expansion writes it. */
export type RunItemMailbox = Pick<RunItem, 'mailboxId' | 'upn' | 'address' | 'displayName'>;

/**
 * A run item nothing has settled yet: no counts, no notes (as expansion writes it, with the counts a delivery may
 * have planned before it wrote).
 */
export function pendingRunItem(mailbox: RunItemMailbox & Pick<RunItem, 'planned'>): RunItem {
  return {
    ...mailbox,
    status: 'pending',
    error: null,
    delegationsAdded: 0,
    delegationsRemoved: 0,
    trusteesUnresolved: 0,
    settledAt: null,
    rightsNotRead: [],
    warnings: [],
    revocationsProposed: 0,
  };
}

export interface ItemOutcome {
  status: 'done' | 'failed';
  /** When it settled (ISO 8601, from the caller's clock). */
  at: string;
  error?: string;
  delegationsAdded?: number;
  delegationsRemoved?: number;
  trusteesUnresolved?: number;
  rightsNotRead?: Array<{ right: Right; reason: string }>;
  warnings?: string[];
  /** Revocations proposed per right, and the synced delegations stored per observed right (the hold's base). */
  revocationsProposed?: Partial<Record<Right, number>>;
  storedByRight?: Partial<Record<Right, number>>;
}

/** What settling an item did. */
export interface SettleResult {
  /** False when the item was already settled (a redelivered or concurrent copy): nothing changed. */
  settled: boolean;
  /**
   * False only when some item stored beside this one is still pending, so this settle cannot have been the run's
   * last. True asks the caller to compare the run's counters with its total (see closeRunIfComplete); it is also
   * true for an item already settled, since the copy that settled it may have died before closing the run.
   */
  mayCompleteRun: boolean;
}

/** A run's counters while it runs (the totals and the held count are set by expansion and at close). */
export type LiveRunCounts = Omit<RunCounts, 'mailboxesTotal' | 'mailboxesSkipped' | 'revocationsHeld'>;

/**
 * Why a run proposes to revoke a stored delegation: a sync no longer saw it (`notObserved`), a sync saw nothing
 * at all on a mailbox that held many (`readEmpty`: always held for review), or its mailbox left every task's
 * scope (`leftScope`).
 */
export type RevocationReason = 'notObserved' | 'readEmpty' | 'leftScope';

/** A revocation a run proposed: applied when the run closes, or held for review (docs/design.md §8.2). */
export interface ProposedRevocation extends StoredDelegation {
  mailbox: { id: string; address: string; displayName: string };
  reason: RevocationReason;
  /** Who removed it, when an audit record said; null otherwise (and for a mailbox that left scope). */
  actor: string | null;
}

/** Per right: revocations the run's mailboxes proposed and the synced delegations they had stored. */
export type RevocationTally = Partial<Record<Right, { proposed: number; stored: number }>>;

/** Runs, their per-mailbox items and live counters. */
export interface RunRepository {
  /** Inserts the run; ConflictError when that run id already exists (idempotent claims). */
  create(run: Run): Promise<void>;
  get(taskId: string, runId: string): Promise<Versioned<Run> | undefined>;
  /** Newest first. */
  list(taskId: string, page: PageRequest): Promise<Page<Run>>;
  /**
   * The one writer of a run's status: applies the lifecycle's `run.status → to` (IllegalRunTransitionError when
   * it forbids it) if the run's ETag still matches (PreconditionFailedError otherwise). A run that leaves the
   * active statuses is then released (see release).
   */
  transition(current: Versioned<Run>, to: RunStatus, at: Date, changes?: RunChanges): Promise<Versioned<Run>>;
  /** Records the finalizer's progress bookkeeping of an active run (ETag-guarded); never its status. */
  recordProgress(current: Versioned<Run>, progress: NonNullable<Run['progress']>): Promise<Versioned<Run>>;
  /** Active runs (queued, expanding, running), across tasks: an index kept beside the runs. */
  active(): AsyncIterable<{ taskId: string; runId: string }>;
  /**
   * Takes a closed or vanished run out of the active index and clears its task's active-run pointer if it still
   * names the run. Idempotent: the finalizer completes a release a crash interrupted.
   */
  release(taskId: string, runId: string): Promise<void>;
  /**
   * Writes pending items in batched transactions, idempotently: an item already stored (a redelivered expansion)
   * is left as it is, settled or not, and counted toward the run's completion once.
   */
  addItems(taskId: string, runId: string, items: ReadonlyArray<RunItemMailbox>): Promise<void>;
  getItem(taskId: string, runId: string, mailboxId: string): Promise<RunItem | undefined>;
  /** Records the counts a delivery is about to apply, before it writes (kept across redeliveries). */
  recordPlannedCounts(
    taskId: string,
    runId: string,
    mailboxId: string,
    counts: NonNullable<RunItem['planned']>,
  ): Promise<void>;
  /**
   * Settles a pending item exactly once (a second call changes nothing and answers `settled: false`) and bumps the
   * live counters; `mayCompleteRun` says whether the caller should look if the run is complete.
   */
  settleItem(taskId: string, runId: string, mailboxId: string, outcome: ItemOutcome): Promise<SettleResult>;
  items(taskId: string, runId: string, filter: { status?: ItemStatus }, page: PageRequest): Promise<Page<RunItem>>;
  allItems(taskId: string, runId: string, status?: ItemStatus): AsyncIterable<RunItem>;
  /** Live counters summed over shards (done, failed, added, removed, unresolved, rights not read). */
  counters(taskId: string, runId: string): Promise<LiveRunCounts>;
  /** Per right, the revocations the settled items proposed and the synced delegations they had stored. */
  revocationTally(taskId: string, runId: string): Promise<RevocationTally>;
  /** Records revocations proposed for one mailbox (idempotent upserts, keyed by mailbox, delegate, right, source). */
  proposeRevocations(
    taskId: string,
    runId: string,
    mailboxId: string,
    rows: readonly ProposedRevocation[],
  ): Promise<void>;
  /** The run's proposed revocations, a page at a time (optionally of some rights only). */
  revocations(taskId: string, runId: string, page: PageRequest): Promise<Page<ProposedRevocation>>;
  allRevocations(taskId: string, runId: string): AsyncIterable<ProposedRevocation>;
  /** Forgets proposed revocations (applied or dismissed). */
  forgetRevocations(taskId: string, runId: string, rows: readonly ProposedRevocation[]): Promise<void>;
}

export type { Run, RunStatus, Task };
