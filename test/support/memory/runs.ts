import { releasesTask, transitionRun, type RunChanges } from '../../../shared/domain/runLifecycle.js';
import { isActiveStatus, type Run, type RunStatus } from '../../../shared/domain/task.js';
import { RIGHTS, type Right } from '../../../shared/domain/delegation/types.js';
import { AppError, ConflictError, NotFoundError, PreconditionFailedError } from '../../../shared/errors.js';
import {
  pendingRunItem,
  type ItemOutcome,
  type RunItemMailbox,
  type ItemStatus,
  type LiveRunCounts,
  type Page,
  type PageRequest,
  type ProposedRevocation,
  type RevocationTally,
  type RunItem,
  type RunRepository,
  type SettleResult,
  type Versioned,
} from '../../../shared/ports/repositories.js';
import { EtagSource, pageOf } from './paging.js';
import type { MemoryTasks } from './tasks.js';

type Counts = NonNullable<RunItem['planned']>;

/** One run's items, live counters and proposed revocations (the table keeps them in the run's shard partitions). */
interface RunState {
  items: Map<string, RunItem>;
  counts: LiveRunCounts;
  proposed: Record<Right, number>;
  stored: Record<Right, number>;
  /** Row key (mailbox, delegate, right, source; lower-cased) → proposal. */
  revocations: Map<string, ProposedRevocation>;
}

const runKeyOf = (taskId: string, runId: string) => `${taskId}_${runId}`;

const byRight = (): Record<Right, number> => Object.fromEntries(RIGHTS.map((r) => [r, 0])) as Record<Right, number>;

function revocationKey(row: ProposedRevocation): string {
  return [row.mailbox.id, row.delegate.id, row.right, row.source].map((k) => k.toLowerCase()).join('_');
}

/** A table transaction names each row once (Table Storage answers 400 InvalidDuplicateRow): so does this one. */
function onceEach(rows: readonly ProposedRevocation[]): readonly ProposedRevocation[] {
  const keys = new Set(rows.map(revocationKey));
  if (keys.size < rows.length)
    throw new AppError('TABLE.BAD_REQUEST', 'transaction on RunItems: a proposal appears twice in one batch');
  return rows;
}

function sumOf(counts: Partial<Record<Right, number>> | undefined): number {
  return Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
}

/**
 * Runs in memory with RunTable's semantics where the use cases depend on them: `create` of an existing run is a
 * ConflictError; `transition` applies the lifecycle under the run's ETag (PreconditionFailedError when stale) and
 * releases a run leaving the active statuses; `addItems` never resets a settled item; `settleItem` settles once
 * and credits the counts a delivery planned before it wrote.
 */
export class MemoryRuns implements RunRepository {
  private readonly rows = new Map<string, Versioned<Run>>();
  private readonly activeIndex = new Set<string>();
  private readonly states = new Map<string, RunState>();
  private readonly etags = new EtagSource();

  /** The tasks whose active-run pointer a closing transition clears. */
  constructor(private readonly tasks: MemoryTasks) {}

  async create(run: Run): Promise<void> {
    const key = runKeyOf(run.taskId, run.runId);
    if (this.rows.has(key)) throw new ConflictError('TABLE.CONFLICT', `Run '${run.runId}' already exists`);
    this.rows.set(key, { value: structuredClone(run), etag: this.etags.next() });
    if (isActiveStatus(run.status)) this.activeIndex.add(key);
  }

  async get(taskId: string, runId: string): Promise<Versioned<Run> | undefined> {
    const row = this.rows.get(runKeyOf(taskId, runId));
    return row && structuredClone(row);
  }

  async list(taskId: string, page: PageRequest): Promise<Page<Run>> {
    // Run ids sort newest first (inverted time), as the table's row keys do.
    const runs = [...this.rows.values()]
      .map((row) => row.value)
      .filter((run) => run.taskId === taskId)
      .sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
    return pageOf(
      runs.map((run) => structuredClone(run)),
      page,
    );
  }

  async transition(current: Versioned<Run>, to: RunStatus, at: Date, changes?: RunChanges): Promise<Versioned<Run>> {
    const next = transitionRun(current.value, to, at, changes);
    const written = this.write(next, current.etag);
    if (releasesTask(current.value.status, to)) await this.release(next.taskId, next.runId);
    return written;
  }

  async recordProgress(current: Versioned<Run>, progress: NonNullable<Run['progress']>): Promise<Versioned<Run>> {
    return this.write({ ...current.value, progress }, current.etag);
  }

  async *active(): AsyncIterable<{ taskId: string; runId: string }> {
    for (const key of [...this.activeIndex].sort()) {
      const row = this.rows.get(key);
      if (row) yield { taskId: row.value.taskId, runId: row.value.runId };
    }
  }

  async release(taskId: string, runId: string): Promise<void> {
    await this.tasks.releaseRun(taskId, runId);
    this.activeIndex.delete(runKeyOf(taskId, runId));
  }

  /** True while the active index lists the run (what brings the finalizer back to it). */
  isIndexedActive(taskId: string, runId: string): boolean {
    return this.activeIndex.has(runKeyOf(taskId, runId));
  }

  async addItems(taskId: string, runId: string, items: ReadonlyArray<RunItemMailbox>): Promise<void> {
    const state = this.state(taskId, runId);
    for (const { mailboxId, upn, address, displayName } of items) {
      const existing = state.items.get(mailboxId);
      // Merged as the table merges: the mailbox as shown is rewritten, a settled item stays settled.
      state.items.set(
        mailboxId,
        existing
          ? { ...existing, upn, address, displayName }
          : pendingRunItem({ mailboxId, upn, address, displayName }),
      );
    }
  }

  async getItem(taskId: string, runId: string, mailboxId: string): Promise<RunItem | undefined> {
    const item = this.states.get(runKeyOf(taskId, runId))?.items.get(mailboxId);
    return item && structuredClone(item);
  }

  async recordPlannedCounts(taskId: string, runId: string, mailboxId: string, counts: Counts): Promise<void> {
    const item = this.itemOrThrow(taskId, runId, mailboxId);
    item.planned = { ...counts };
  }

  async settleItem(taskId: string, runId: string, mailboxId: string, outcome: ItemOutcome): Promise<SettleResult> {
    const item = this.itemOrThrow(taskId, runId, mailboxId);
    if (item.status !== 'pending') return { settled: false, mayCompleteRun: true };
    // Whichever delivery settles the item is credited with the change planned for it (see RunTable.settleItem).
    const planned = outcome.status === 'done' ? item.planned : undefined;
    const counts: Counts = planned ?? {
      delegationsAdded: outcome.delegationsAdded ?? 0,
      delegationsRemoved: outcome.delegationsRemoved ?? 0,
      trusteesUnresolved: outcome.trusteesUnresolved ?? 0,
    };
    Object.assign(item, {
      ...counts,
      status: outcome.status,
      error: outcome.error ?? null,
      settledAt: outcome.at,
      rightsNotRead: structuredClone(outcome.rightsNotRead ?? []),
      warnings: [...(outcome.warnings ?? [])],
      revocationsProposed: sumOf(outcome.revocationsProposed),
    });
    const state = this.state(taskId, runId);
    state.counts.mailboxesDone += outcome.status === 'done' ? 1 : 0;
    state.counts.mailboxesFailed += outcome.status === 'failed' ? 1 : 0;
    state.counts.delegationsAdded += counts.delegationsAdded;
    state.counts.delegationsRemoved += counts.delegationsRemoved;
    state.counts.trusteesUnresolved += counts.trusteesUnresolved;
    state.counts.rightsNotRead += outcome.rightsNotRead?.length ?? 0;
    for (const right of RIGHTS) {
      state.proposed[right] += outcome.revocationsProposed?.[right] ?? 0;
      state.stored[right] += outcome.storedByRight?.[right] ?? 0;
    }
    // No shards here: the whole run is one, so this is exact (the table answers per shard).
    const pending = [...state.items.values()].some((i) => i.status === 'pending');
    return { settled: true, mayCompleteRun: !pending };
  }

  async items(
    taskId: string,
    runId: string,
    filter: { status?: ItemStatus },
    page: PageRequest,
  ): Promise<Page<RunItem>> {
    return pageOf(this.itemList(taskId, runId, filter.status), page);
  }

  async *allItems(taskId: string, runId: string, status?: ItemStatus): AsyncIterable<RunItem> {
    yield* this.itemList(taskId, runId, status);
  }

  async counters(taskId: string, runId: string): Promise<LiveRunCounts> {
    return { ...this.state(taskId, runId).counts };
  }

  async revocationTally(taskId: string, runId: string): Promise<RevocationTally> {
    const state = this.state(taskId, runId);
    const tally: RevocationTally = {};
    for (const right of RIGHTS) {
      const proposed = state.proposed[right];
      const stored = state.stored[right];
      if (proposed !== 0 || stored !== 0) tally[right] = { proposed, stored };
    }
    return tally;
  }

  async proposeRevocations(
    taskId: string,
    runId: string,
    _mailboxId: string,
    rows: readonly ProposedRevocation[],
  ): Promise<void> {
    const state = this.state(taskId, runId);
    for (const row of onceEach(rows)) state.revocations.set(revocationKey(row), structuredClone(row));
  }

  async revocations(taskId: string, runId: string, page: PageRequest): Promise<Page<ProposedRevocation>> {
    return pageOf(this.revocationList(taskId, runId), page);
  }

  async *allRevocations(taskId: string, runId: string): AsyncIterable<ProposedRevocation> {
    yield* this.revocationList(taskId, runId);
  }

  async forgetRevocations(taskId: string, runId: string, rows: readonly ProposedRevocation[]): Promise<void> {
    const state = this.state(taskId, runId);
    for (const row of onceEach(rows)) state.revocations.delete(revocationKey(row));
  }

  private write(next: Run, etag: string): Versioned<Run> {
    const key = runKeyOf(next.taskId, next.runId);
    const row = this.rows.get(key);
    if (!row) throw new NotFoundError('TABLE.NOT_FOUND', `update Runs: run '${next.runId}' not found`);
    if (row.etag !== etag)
      throw new PreconditionFailedError('TABLE.PRECONDITION_FAILED', `update Runs: run '${next.runId}' changed`);
    const written = { value: structuredClone(next), etag: this.etags.next() };
    this.rows.set(key, written);
    return structuredClone(written);
  }

  private state(taskId: string, runId: string): RunState {
    const key = runKeyOf(taskId, runId);
    let state = this.states.get(key);
    if (!state) {
      state = {
        items: new Map(),
        counts: {
          mailboxesDone: 0,
          mailboxesFailed: 0,
          delegationsAdded: 0,
          delegationsRemoved: 0,
          trusteesUnresolved: 0,
          rightsNotRead: 0,
        },
        proposed: byRight(),
        stored: byRight(),
        revocations: new Map(),
      };
      this.states.set(key, state);
    }
    return state;
  }

  /**
   * The stored item, to change in place. Settling or planning an item expansion never wrote would make the
   * table hold an item without its mailbox (a corrupt entity): callers check first, so here it is a failure.
   */
  private itemOrThrow(taskId: string, runId: string, mailboxId: string): RunItem {
    const item = this.states.get(runKeyOf(taskId, runId))?.items.get(mailboxId);
    if (!item) throw new NotFoundError('RUN.NOT_FOUND', `Run '${runId}' of task '${taskId}' has no item ${mailboxId}`);
    return item;
  }

  private itemList(taskId: string, runId: string, status?: ItemStatus): RunItem[] {
    const items = [...(this.states.get(runKeyOf(taskId, runId))?.items.values() ?? [])];
    return items
      .filter((item) => !status || item.status === status)
      .sort((a, b) => (a.mailboxId < b.mailboxId ? -1 : a.mailboxId > b.mailboxId ? 1 : 0))
      .map((item) => structuredClone(item));
  }

  /** Ordered by key, mailbox first: one mailbox's proposals come together, as the table's partitions give them. */
  private revocationList(taskId: string, runId: string): ProposedRevocation[] {
    const revocations = this.states.get(runKeyOf(taskId, runId))?.revocations ?? new Map();
    return [...revocations.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => structuredClone(row));
  }
}
