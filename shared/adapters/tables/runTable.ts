import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { LRUCache } from 'lru-cache';
import type {
  ItemOutcome,
  ItemStatus,
  Page,
  PageRequest,
  ProposedRevocation,
  RevocationTally,
  RunItem,
  RunRepository,
  SettleResult,
  Versioned,
} from '../../ports/repositories.js';
import { isActiveStatus, type Run, type RunCounts, type RunStatus } from '../../domain/task.js';
import { releasesTask, transitionRun, type RunChanges } from '../../domain/runLifecycle.js';
import { RIGHTS, type Right } from '../../domain/delegation/types.js';
import { PreconditionFailedError } from '../../errors.js';
import { assertKey } from './keys.js';
import { ACTIVE_PARTITION, fromActiveRunEntity, toActiveRunEntity } from './entities/activeRun.js';
import { fromRunEntity, toRunEntity } from './entities/run.js';
import {
  COUNTER_PREFIX,
  fromCounterEntity,
  toCounterEntity,
  EMPTY_COUNTER,
  type RunCounter,
} from './entities/runCounter.js';
import {
  fromItemEntity,
  ITEM_PREFIX,
  itemRowKey,
  toPendingItemEntity,
  toPlannedCountsEntity,
  toSettledItemEntity,
} from './entities/runItem.js';
import { fromRevocationEntity, REVOCATION_PREFIX, toRevocationEntity } from './entities/proposedRevocation.js';
import { odata, type StoredEntity, type TableFactoryLike, type TableStore } from './tableStore.js';
import { TaskTable } from './taskTable.js';

/**
 * A run's items are spread over shard partitions, each with its own live counter row, so concurrent
 * syncMailbox invocations rarely contend for one ETag and no partition grows with the run (Azurite scans a
 * partition on every read and write; Azure caps a partition at ~2,000 entities/s).
 */
export const COUNTER_SHARDS = 64;

function runPartition(taskId: string, runId: string): string {
  return assertKey(`${taskId}_${runId}`, 'run key');
}

function shardNumber(mailboxId: string): string {
  return String(createHash('sha1').update(mailboxId).digest().readUInt16BE(0) % COUNTER_SHARDS).padStart(2, '0');
}

function shardOf(mailboxId: string): string {
  return `${COUNTER_PREFIX}${shardNumber(mailboxId)}`;
}

/** The partition holding a mailbox's item and its shard's counter (one entity-group transaction settles both). */
function itemPartition(taskId: string, runId: string, mailboxId: string): string {
  return `${runPartition(taskId, runId)}_s${shardNumber(mailboxId)}`;
}

/** Filter over every shard partition of a run. */
export function runShards(taskId: string, runId: string): string {
  const pk = runPartition(taskId, runId);
  return odata`PartitionKey ge ${`${pk}_s`} and PartitionKey lt ${`${pk}_t`}`;
}

/** What expansion knows of an item it adds. */
type NewItem = Pick<RunItem, 'mailboxId' | 'upn' | 'address' | 'displayName'>;

/** Items per entity-group transaction when adding items: the limit is 100 actions, one is the shard's counter. */
const ITEMS_PER_TRANSACTION = 99;

/** The key of an entity in RunTable's cache of recently seen rows. */
function recentKey(partitionKey: string, rowKey: string): string {
  return `${partitionKey}\n${rowKey}`;
}

/** A jittered pause before retrying a write that lost an ETag race on a shard's counter. */
function contentionPause(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
}

type LiveCounts = Omit<RunCounts, 'mailboxesTotal' | 'mailboxesSkipped' | 'revocationsHeld'>;

const counterRows = odata`RowKey ge ${COUNTER_PREFIX} and RowKey lt ${'c`'}`;

function sumOf(byRight: Partial<Record<Right, number>> | undefined): number {
  return Object.values(byRight ?? {}).reduce((a, b) => a + b, 0);
}

/** A shard's counter after one settled item is added to it. */
function addToCounter(c: RunCounter, outcome: ItemOutcome, counts: NonNullable<RunItem['planned']>): RunCounter {
  const add = (base: Record<Right, number>, by: Partial<Record<Right, number>> | undefined) =>
    Object.fromEntries(RIGHTS.map((r) => [r, base[r] + (by?.[r] ?? 0)])) as Record<Right, number>;
  return {
    total: c.total,
    done: c.done + (outcome.status === 'done' ? 1 : 0),
    failed: c.failed + (outcome.status === 'failed' ? 1 : 0),
    added: c.added + counts.delegationsAdded,
    removed: c.removed + counts.delegationsRemoved,
    unresolved: c.unresolved + counts.trusteesUnresolved,
    notRead: c.notRead + (outcome.rightsNotRead?.length ?? 0),
    proposed: add(c.proposed, outcome.revocationsProposed),
    stored: add(c.stored, outcome.storedByRight),
  };
}

function revocationFilter(taskId: string, runId: string): string {
  return `${runShards(taskId, runId)} and ${odata`RowKey ge ${REVOCATION_PREFIX} and RowKey lt ${'r`'}`}`;
}

/**
 * The item query of a run. A pending item has no `status` property (expansion merges items without one, so a
 * redelivered expansion cannot reset a settled item), and Table Storage never matches a missing property: the
 * pending filter selects every item and the caller keeps the pending ones.
 */
function itemFilter(taskId: string, runId: string, status: ItemStatus | undefined): string {
  const base = `${runShards(taskId, runId)} and ${odata`RowKey ge ${ITEM_PREFIX} and RowKey lt ${'m`'}`}`;
  return status && status !== 'pending' ? `${base} and ${odata`status eq ${status}`}` : base;
}

/** Runs (partition = task, newest first by run id), an index of active runs, and run items with sharded counters. */
export class RunTable implements RunRepository {
  private readonly runs: TableStore;
  private readonly activeIndex: TableStore;
  private readonly itemStore: TableStore;

  /** The task whose active-run pointer a closing transition clears. */
  private readonly tasks: TaskTable;

  /**
   * The items and shard counters this process last read or wrote, with their ETags: a settle tries them before
   * reading the rows again (two reads of the ~15 requests a mailbox's sync makes). A stale one only costs a
   * PreconditionFailed and a read; the ETag, not the cache, decides.
   */
  private readonly recent = new LRUCache<string, StoredEntity>({ max: 20_000 });
  /** Settles of one shard in this process, one after another: its cached counter is then never stale here. */
  private readonly shardQueues = new Map<string, Promise<unknown>>();

  constructor(tables: TableFactoryLike) {
    this.runs = tables.store('Runs');
    this.activeIndex = tables.store('ActiveRuns');
    this.itemStore = tables.store('RunItems');
    this.tasks = new TaskTable(tables.store('Tasks'));
  }

  async create(run: Run): Promise<void> {
    await this.runs.insert(toRunEntity(run));
    if (isActiveStatus(run.status)) {
      await this.activeIndex.upsert(toActiveRunEntity(runPartition(run.taskId, run.runId), run));
    }
  }

  async get(taskId: string, runId: string): Promise<Versioned<Run> | undefined> {
    const e = await this.runs.get(assertKey(taskId, 'task id'), assertKey(runId, 'run id'));
    return e ? { value: fromRunEntity(e), etag: e.etag } : undefined;
  }

  async list(taskId: string, page: PageRequest): Promise<Page<Run>> {
    const result = await this.runs.page({ filter: odata`PartitionKey eq ${assertKey(taskId, 'task id')}`, ...page });
    return { items: result.items.map(fromRunEntity), continuationToken: result.continuationToken };
  }

  async transition(current: Versioned<Run>, to: RunStatus, at: Date, changes?: RunChanges): Promise<Versioned<Run>> {
    const next = transitionRun(current.value, to, at, changes);
    // The status is written first, under the ETag: a losing concurrent transition must not release anything.
    const etag = await this.runs.update(toRunEntity(next), current.etag);
    if (releasesTask(current.value.status, to)) await this.release(next.taskId, next.runId);
    return { value: next, etag };
  }

  async recordProgress(current: Versioned<Run>, progress: NonNullable<Run['progress']>): Promise<Versioned<Run>> {
    const next: Run = { ...current.value, progress };
    return { value: next, etag: await this.runs.update(toRunEntity(next), current.etag) };
  }

  async *active(): AsyncIterable<{ taskId: string; runId: string }> {
    for await (const e of this.activeIndex.all(odata`PartitionKey eq ${ACTIVE_PARTITION}`)) {
      yield fromActiveRunEntity(e);
    }
  }

  async release(taskId: string, runId: string): Promise<void> {
    // The task first: the index entry is what brings the finalizer back to finish an interrupted release.
    await this.tasks.releaseRun(taskId, runId);
    await this.activeIndex.delete(ACTIVE_PARTITION, runPartition(taskId, runId));
  }

  async addItems(taskId: string, runId: string, items: readonly NewItem[]): Promise<void> {
    const byShard = new Map<string, { shardKey: string; list: NewItem[] }>();
    for (const item of items) {
      const pk = itemPartition(taskId, runId, item.mailboxId);
      const shard = byShard.get(pk);
      if (shard) shard.list.push(item);
      else byShard.set(pk, { shardKey: shardOf(item.mailboxId), list: [item] });
    }
    // A transaction per shard partition; a few at once, as TableStore.submit does (wide batches were slow).
    const shards = byShard.entries();
    const worker = async () => {
      for (const [pk, { shardKey, list }] of shards) {
        for (let i = 0; i < list.length; i += ITEMS_PER_TRANSACTION) {
          await this.addShardItems(pk, shardKey, list.slice(i, i + ITEMS_PER_TRANSACTION));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, byShard.size) }, worker));
  }

  /**
   * Inserts one shard's new items and adds them to the shard counter's `total` in one entity-group transaction,
   * so a redelivered expansion neither counts an item twice nor resets a settled one: items already stored are
   * left out (found after a conflict, which is rare).
   */
  private async addShardItems(pk: string, shardKey: string, items: readonly NewItem[]): Promise<void> {
    let fresh = items;
    for (let attempt = 0; attempt < 20; attempt++) {
      if (fresh.length === 0) return;
      const shard = await this.itemStore.get(pk, shardKey);
      const before = shard ? fromCounterEntity(shard) : EMPTY_COUNTER;
      const counter = toCounterEntity(pk, shardKey, { ...before, total: before.total + fresh.length });
      const actions: TransactionAction[] = [
        ...fresh.map((item): TransactionAction => ['create', toPendingItemEntity(pk, item)]),
        shard ? ['update', counter, 'Replace', { etag: shard.etag }] : ['create', counter],
      ];
      try {
        await this.itemStore.submit(actions);
        return;
      } catch (error) {
        if (error instanceof PreconditionFailedError) {
          await contentionPause(attempt);
          continue;
        }
        if ((error as Error).name !== 'ConflictError') throw error;
        // An item stored already (a redelivery), or a counter row a concurrent settle created first.
        const stored = await Promise.all(fresh.map((item) => this.itemStore.get(pk, itemRowKey(item.mailboxId))));
        fresh = fresh.filter((_, i) => stored[i] === undefined);
      }
    }
    throw new PreconditionFailedError(
      'RUN.COUNTER_CONTENTION',
      `Could not add ${fresh.length} items to run partition ${pk}: its counter kept changing`,
    );
  }

  async getItem(taskId: string, runId: string, mailboxId: string): Promise<RunItem | undefined> {
    const pk = itemPartition(taskId, runId, mailboxId);
    const e = await this.itemStore.get(pk, itemRowKey(mailboxId));
    if (!e) return undefined;
    const item = fromItemEntity(e);
    if (item.status === 'pending') this.recent.set(recentKey(pk, itemRowKey(mailboxId)), e);
    return item;
  }

  async recordPlannedCounts(
    taskId: string,
    runId: string,
    mailboxId: string,
    counts: NonNullable<RunItem['planned']>,
  ): Promise<void> {
    const planned = toPlannedCountsEntity(itemPartition(taskId, runId, mailboxId), mailboxId, counts);
    const etag = await this.itemStore.upsert(planned, 'Merge');
    const key = recentKey(planned.partitionKey, planned.rowKey);
    const seen = this.recent.get(key);
    if (seen) this.recent.set(key, { ...seen, ...planned, etag });
  }

  async settleItem(taskId: string, runId: string, mailboxId: string, outcome: ItemOutcome): Promise<SettleResult> {
    const pk = itemPartition(taskId, runId, mailboxId);
    const previous = this.shardQueues.get(pk) ?? Promise.resolve();
    const settle = previous.then(() => this.settleInShard(pk, mailboxId, outcome));
    const queued = settle.catch(() => undefined);
    this.shardQueues.set(pk, queued);
    try {
      return await settle;
    } finally {
      if (this.shardQueues.get(pk) === queued) this.shardQueues.delete(pk);
    }
  }

  private async settleInShard(pk: string, mailboxId: string, outcome: ItemOutcome): Promise<SettleResult> {
    const rk = itemRowKey(mailboxId);
    const shardKey = shardOf(mailboxId);
    const itemKey = recentKey(pk, rk);
    const counterKey = recentKey(pk, shardKey);
    for (let attempt = 0; attempt < 20; attempt++) {
      // The first attempt trusts what this process saw last; a lost ETag race reads both rows again.
      const item = (attempt === 0 ? this.recent.get(itemKey) : undefined) ?? (await this.itemStore.get(pk, rk));
      const stored = item ? fromItemEntity(item) : undefined;
      if (stored && stored.status !== 'pending') return { settled: false, mayCompleteRun: true };
      const shard =
        (attempt === 0 ? this.recent.get(counterKey) : undefined) ?? (await this.itemStore.get(pk, shardKey));
      // The change planned for this item is counted by whichever delivery settles it: a concurrent copy of the
      // message may find the change already made (an empty diff) and settle first.
      const planned = outcome.status === 'done' ? stored?.planned : undefined;
      const counts = planned ?? {
        delegationsAdded: outcome.delegationsAdded ?? 0,
        delegationsRemoved: outcome.delegationsRemoved ?? 0,
        trusteesUnresolved: outcome.trusteesUnresolved ?? 0,
      };
      const itemEntity = toSettledItemEntity(pk, mailboxId, outcome, counts, sumOf(outcome.revocationsProposed));
      const after = addToCounter(shard ? fromCounterEntity(shard) : EMPTY_COUNTER, outcome, counts);
      const counter = toCounterEntity(pk, shardKey, after);
      // One entity-group transaction: the item's transition and the counter bump happen together or not at all.
      const actions: TransactionAction[] = [
        item ? ['update', itemEntity, 'Merge', { etag: item.etag }] : ['create', itemEntity],
        shard ? ['update', counter, 'Replace', { etag: shard.etag }] : ['create', counter],
      ];
      try {
        const [, counterEtag] = await this.itemStore.transact(actions);
        this.recent.delete(itemKey);
        if (counterEtag) this.recent.set(counterKey, { ...counter, etag: counterEtag });
        // The shard's counter says whether any item beside this one is pending: only the settle that empties a
        // shard reads the run's counters (a query over every shard), about one per shard and run.
        return { settled: true, mayCompleteRun: after.done + after.failed >= after.total };
      } catch (error) {
        this.recent.delete(itemKey);
        this.recent.delete(counterKey);
        if (error instanceof PreconditionFailedError || (error as Error).name === 'ConflictError') {
          if (attempt > 0) await contentionPause(attempt);
          continue;
        }
        throw error;
      }
    }
    throw new PreconditionFailedError(
      'RUN.COUNTER_CONTENTION',
      `Could not settle mailbox ${mailboxId} in run partition ${pk}: its counter kept changing`,
    );
  }

  async items(
    taskId: string,
    runId: string,
    filter: { status?: ItemStatus },
    page: PageRequest,
  ): Promise<Page<RunItem>> {
    const result = await this.itemStore.page({ filter: itemFilter(taskId, runId, filter.status), ...page });
    const items = result.items.map(fromItemEntity);
    // A pending page is filtered here (see itemFilter), so it may be short; the token still leads on.
    return {
      items: filter.status === 'pending' ? items.filter((i) => i.status === 'pending') : items,
      continuationToken: result.continuationToken,
    };
  }

  async *allItems(taskId: string, runId: string, status?: ItemStatus): AsyncIterable<RunItem> {
    for await (const e of this.itemStore.all(itemFilter(taskId, runId, status))) {
      const item = fromItemEntity(e);
      if (!status || item.status === status) yield item;
    }
  }

  async counters(taskId: string, runId: string): Promise<LiveCounts> {
    const totals: LiveCounts = {
      mailboxesDone: 0,
      mailboxesFailed: 0,
      delegationsAdded: 0,
      delegationsRemoved: 0,
      trusteesUnresolved: 0,
      rightsNotRead: 0,
    };
    for await (const e of this.itemStore.all(`${runShards(taskId, runId)} and ${counterRows}`)) {
      const c = fromCounterEntity(e);
      totals.mailboxesDone += c.done;
      totals.mailboxesFailed += c.failed;
      totals.delegationsAdded += c.added;
      totals.delegationsRemoved += c.removed;
      totals.trusteesUnresolved += c.unresolved;
      totals.rightsNotRead += c.notRead;
    }
    return totals;
  }

  async revocationTally(taskId: string, runId: string): Promise<RevocationTally> {
    const tally: RevocationTally = {};
    for await (const e of this.itemStore.all(`${runShards(taskId, runId)} and ${counterRows}`)) {
      const c = fromCounterEntity(e);
      for (const right of RIGHTS) {
        const proposed = c.proposed[right];
        const stored = c.stored[right];
        if (proposed === 0 && stored === 0) continue;
        const entry = tally[right] ?? { proposed: 0, stored: 0 };
        tally[right] = { proposed: entry.proposed + proposed, stored: entry.stored + stored };
      }
    }
    return tally;
  }

  async proposeRevocations(taskId: string, runId: string, mailboxId: string, rows: readonly ProposedRevocation[]) {
    const pk = itemPartition(taskId, runId, mailboxId);
    await this.itemStore.submit(
      rows.map((row): TransactionAction => ['upsert', toRevocationEntity(pk, row), 'Replace']),
    );
  }

  async revocations(taskId: string, runId: string, page: PageRequest): Promise<Page<ProposedRevocation>> {
    const result = await this.itemStore.page({ filter: revocationFilter(taskId, runId), ...page });
    return { items: result.items.map(fromRevocationEntity), continuationToken: result.continuationToken };
  }

  async *allRevocations(taskId: string, runId: string): AsyncIterable<ProposedRevocation> {
    for await (const e of this.itemStore.all(revocationFilter(taskId, runId))) yield fromRevocationEntity(e);
  }

  async forgetRevocations(taskId: string, runId: string, rows: readonly ProposedRevocation[]): Promise<void> {
    await this.itemStore.submit(
      rows.map((row): TransactionAction => {
        const { partitionKey, rowKey } = toRevocationEntity(itemPartition(taskId, runId, row.mailbox.id), row);
        return ['delete', { partitionKey, rowKey }];
      }),
    );
  }
}
