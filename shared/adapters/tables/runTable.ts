import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import type {
  ItemOutcome,
  ItemStatus,
  Page,
  PageRequest,
  ProposedRevocation,
  RevocationTally,
  RunItem,
  RunRepository,
  Versioned,
} from '../../ports/repositories.js';
import {
  RUN_STATUSES,
  isActiveStatus,
  type Run,
  type RunCounts,
  type RunReview,
  type RunStatus,
  type Target,
} from '../../domain/task.js';
import { releasesTask, transitionRun, type RunChanges } from '../../domain/runLifecycle.js';
import { RIGHTS, type Right } from '../../domain/delegation/types.js';
import { CorruptDataError, PreconditionFailedError } from '../../errors.js';
import { assertKey } from './keys.js';
import { json, num, str, storedEnum } from './entityFields.js';

const RUN_TRIGGERS = ['schedule', 'manual'] as const;
import { odata, type Entity, type TableFactoryLike, type TableStore } from './tableStore.js';
import { TaskTable } from './taskTable.js';

/**
 * A run's items are spread over shard partitions, each with its own live counter row, so concurrent
 * syncMailbox invocations rarely contend for one ETag and no partition grows with the run (Azurite scans a
 * partition on every read and write; Azure caps a partition at ~2,000 entities/s).
 */
export const COUNTER_SHARDS = 64;
const ITEM_PREFIX = 'm_';
const COUNTER_PREFIX = 'c_';

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
function runShards(taskId: string, runId: string): string {
  const pk = runPartition(taskId, runId);
  return odata`PartitionKey ge ${`${pk}_s`} and PartitionKey lt ${`${pk}_t`}`;
}

type LiveCounts = Omit<RunCounts, 'mailboxesTotal' | 'mailboxesSkipped' | 'revocationsHeld'>;

const counterRows = odata`RowKey ge ${COUNTER_PREFIX} and RowKey lt ${'c`'}`;

function sumOf(byRight: Partial<Record<Right, number>> | undefined): number {
  return Object.values(byRight ?? {}).reduce((a, b) => a + b, 0);
}

/** A shard counter's per-right columns after adding one settled item's proposals and stored counts. */
function tallyColumns(shard: Record<string, unknown> | undefined, outcome: ItemOutcome): Record<string, number> {
  const columns: Record<string, number> = {};
  for (const right of RIGHTS) {
    for (const [column, add] of [
      [`proposed${right}`, outcome.revocationsProposed?.[right] ?? 0],
      [`stored${right}`, outcome.storedByRight?.[right] ?? 0],
    ] as const) {
      const total = (shard ? num(shard, column) : 0) + add;
      if (total !== 0) columns[column] = total;
    }
  }
  return columns;
}

const REVOCATION_PREFIX = 'r_';

function revocationFilter(taskId: string, runId: string): string {
  return `${runShards(taskId, runId)} and ${odata`RowKey ge ${REVOCATION_PREFIX} and RowKey lt ${'r`'}`}`;
}

function toRevocationEntity(partitionKey: string, row: ProposedRevocation): Entity {
  const key = [row.mailbox.id, row.delegate.id, row.right, row.source].map((k) => k.toLowerCase()).join('_');
  return {
    partitionKey,
    rowKey: assertKey(`${REVOCATION_PREFIX}${key}`, 'revocation key'),
    reason: row.reason,
    row: JSON.stringify(row),
  };
}

/** Maps a proposed-revocation entity back; a row without its JSON is corrupt and named as such. */
export function fromRevocationEntity(e: Record<string, unknown>): ProposedRevocation {
  const row = json<ProposedRevocation | undefined>(e, 'row', undefined);
  if (!row) {
    throw new CorruptDataError(
      'TABLE.CORRUPT_ENTITY',
      `RunItems entity ${String(e.partitionKey)}/${String(e.rowKey)}: property 'row' is missing`,
    );
  }
  return row;
}

/** Maps a run to its entity. */
export function toRunEntity(r: Run): Entity {
  return {
    partitionKey: assertKey(r.taskId, 'task id'),
    rowKey: assertKey(r.runId, 'run id'),
    status: r.status,
    trigger: r.trigger,
    scheduledFor: r.scheduledFor ?? '',
    createdAt: r.createdAt,
    startedAt: r.startedAt ?? '',
    finishedAt: r.finishedAt ?? '',
    error: r.error ?? '',
    skippedByReason: JSON.stringify(r.skippedByReason),
    target: JSON.stringify(r.target),
    rights: JSON.stringify(r.rights),
    progress: r.progress ? JSON.stringify(r.progress) : '',
    mailboxesTotal: r.mailboxesTotal,
    mailboxesDone: r.mailboxesDone,
    mailboxesFailed: r.mailboxesFailed,
    mailboxesSkipped: r.mailboxesSkipped,
    delegationsAdded: r.delegationsAdded,
    delegationsRemoved: r.delegationsRemoved,
    trusteesUnresolved: r.trusteesUnresolved,
    rightsNotRead: r.rightsNotRead,
    revocationsHeld: r.revocationsHeld,
    warnings: JSON.stringify(r.warnings),
    heldRights: JSON.stringify(r.heldRights),
    suspectRights: JSON.stringify(r.suspectRights),
    review: r.review ? JSON.stringify(r.review) : '',
  };
}

/** Maps an entity back to a run. */
export function fromRunEntity(e: Record<string, unknown>): Run {
  const orNull = (name: string) => str(e, name) || null;
  return {
    taskId: str(e, 'partitionKey') ?? '',
    runId: str(e, 'rowKey') ?? '',
    status: storedEnum(e, 'status', RUN_STATUSES, 'Runs'),
    trigger: storedEnum(e, 'trigger', RUN_TRIGGERS, 'Runs'),
    scheduledFor: orNull('scheduledFor'),
    createdAt: str(e, 'createdAt') ?? '',
    startedAt: orNull('startedAt'),
    finishedAt: orNull('finishedAt'),
    error: orNull('error'),
    skippedByReason: json<Record<string, number>>(e, 'skippedByReason', {}),
    target: json<Target>(e, 'target', { kind: 'mailboxes', mailboxes: [] } as unknown as Target),
    rights: json<Right[]>(e, 'rights', []),
    ...(str(e, 'progress')
      ? { progress: json<NonNullable<Run['progress']>>(e, 'progress', { settled: 0, at: '', resends: 0 }) }
      : {}),
    mailboxesTotal: num(e, 'mailboxesTotal'),
    mailboxesDone: num(e, 'mailboxesDone'),
    mailboxesFailed: num(e, 'mailboxesFailed'),
    mailboxesSkipped: num(e, 'mailboxesSkipped'),
    delegationsAdded: num(e, 'delegationsAdded'),
    delegationsRemoved: num(e, 'delegationsRemoved'),
    trusteesUnresolved: num(e, 'trusteesUnresolved'),
    rightsNotRead: num(e, 'rightsNotRead'),
    revocationsHeld: num(e, 'revocationsHeld'),
    warnings: json<string[]>(e, 'warnings', []),
    heldRights: json<Right[]>(e, 'heldRights', []),
    suspectRights: json<Right[]>(e, 'suspectRights', []),
    review: str(e, 'review') ? json<RunReview>(e, 'review', null as unknown as RunReview) : null,
  };
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

/** Maps an item entity back to a run item. */
export function fromItemEntity(e: Record<string, unknown>): RunItem {
  return {
    mailboxId: (str(e, 'rowKey') ?? '').slice(ITEM_PREFIX.length),
    upn: str(e, 'upn') ?? '',
    address: str(e, 'address') ?? '',
    displayName: str(e, 'displayName') ?? '',
    status: (str(e, 'status') ?? 'pending') as ItemStatus,
    error: str(e, 'error') || null,
    delegationsAdded: num(e, 'delegationsAdded'),
    delegationsRemoved: num(e, 'delegationsRemoved'),
    trusteesUnresolved: num(e, 'trusteesUnresolved'),
    settledAt: str(e, 'settledAt') || null,
    rightsNotRead: json<RunItem['rightsNotRead']>(e, 'rightsNotRead', []),
    warnings: json<string[]>(e, 'warnings', []),
    revocationsProposed: num(e, 'revocationsProposed'),
    ...(e.plannedAdded !== undefined
      ? {
          planned: {
            delegationsAdded: num(e, 'plannedAdded'),
            delegationsRemoved: num(e, 'plannedRemoved'),
            trusteesUnresolved: num(e, 'plannedUnresolved'),
          },
        }
      : {}),
  };
}

/** Runs (partition = task, newest first by run id), an index of active runs, and run items with sharded counters. */
export class RunTable implements RunRepository {
  private readonly runs: TableStore;
  private readonly activeIndex: TableStore;
  private readonly itemStore: TableStore;

  /** The task whose active-run pointer a closing transition clears. */
  private readonly tasks: TaskTable;

  constructor(tables: TableFactoryLike) {
    this.runs = tables.store('Runs');
    this.activeIndex = tables.store('ActiveRuns');
    this.itemStore = tables.store('RunItems');
    this.tasks = new TaskTable(tables.store('Tasks'));
  }

  async create(run: Run): Promise<void> {
    await this.runs.insert(toRunEntity(run));
    if (isActiveStatus(run.status)) {
      await this.activeIndex.upsert({
        partitionKey: 'active',
        rowKey: runPartition(run.taskId, run.runId),
        taskId: run.taskId,
        runId: run.runId,
      });
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
    const etag = (await this.runs.update(toRunEntity(next), current.etag)) ?? '';
    if (releasesTask(current.value.status, to)) await this.release(next.taskId, next.runId);
    return { value: next, etag };
  }

  async recordProgress(current: Versioned<Run>, progress: NonNullable<Run['progress']>): Promise<Versioned<Run>> {
    const next: Run = { ...current.value, progress };
    return { value: next, etag: (await this.runs.update(toRunEntity(next), current.etag)) ?? '' };
  }

  async *active(): AsyncIterable<{ taskId: string; runId: string }> {
    for await (const e of this.activeIndex.all(odata`PartitionKey eq ${'active'}`)) {
      yield { taskId: str(e, 'taskId') ?? '', runId: str(e, 'runId') ?? '' };
    }
  }

  async release(taskId: string, runId: string): Promise<void> {
    // The task first: the index entry is what brings the finalizer back to finish an interrupted release.
    await this.tasks.releaseRun(taskId, runId);
    await this.activeIndex.delete('active', runPartition(taskId, runId));
  }

  async addItems(
    taskId: string,
    runId: string,
    items: ReadonlyArray<Pick<RunItem, 'mailboxId' | 'upn' | 'address' | 'displayName'>>,
  ): Promise<void> {
    // Merge keeps the status of an item a redelivered expansion finds already settled.
    const actions: TransactionAction[] = items.map((item) => [
      'upsert',
      {
        partitionKey: itemPartition(taskId, runId, item.mailboxId),
        rowKey: assertKey(`${ITEM_PREFIX}${item.mailboxId}`, 'mailbox id'),
        upn: item.upn,
        address: item.address,
        displayName: item.displayName,
      },
      'Merge',
    ]);
    await this.itemStore.submit(actions);
  }

  async getItem(taskId: string, runId: string, mailboxId: string): Promise<RunItem | undefined> {
    const e = await this.itemStore.get(
      itemPartition(taskId, runId, mailboxId),
      assertKey(`${ITEM_PREFIX}${mailboxId}`, 'mailbox id'),
    );
    return e ? fromItemEntity(e) : undefined;
  }

  async recordPlannedCounts(
    taskId: string,
    runId: string,
    mailboxId: string,
    counts: NonNullable<RunItem['planned']>,
  ): Promise<void> {
    await this.itemStore.upsert(
      {
        partitionKey: itemPartition(taskId, runId, mailboxId),
        rowKey: assertKey(`${ITEM_PREFIX}${mailboxId}`, 'mailbox id'),
        plannedAdded: counts.delegationsAdded,
        plannedRemoved: counts.delegationsRemoved,
        plannedUnresolved: counts.trusteesUnresolved,
      },
      'Merge',
    );
  }

  async settleItem(taskId: string, runId: string, mailboxId: string, outcome: ItemOutcome): Promise<boolean> {
    const pk = itemPartition(taskId, runId, mailboxId);
    const rk = assertKey(`${ITEM_PREFIX}${mailboxId}`, 'mailbox id');
    const shardKey = shardOf(mailboxId);
    for (let attempt = 0; attempt < 20; attempt++) {
      const item = await this.itemStore.get(pk, rk);
      const status = item ? str(item, 'status') : undefined;
      if (status === 'done' || status === 'failed') return false;
      const shard = await this.itemStore.get(pk, shardKey);
      // The change planned for this item is counted by whichever delivery settles it: a concurrent copy of the
      // message may find the change already made (an empty diff) and settle first.
      const planned = outcome.status === 'done' && item ? fromItemEntity(item).planned : undefined;
      const counts = planned ?? {
        delegationsAdded: outcome.delegationsAdded ?? 0,
        delegationsRemoved: outcome.delegationsRemoved ?? 0,
        trusteesUnresolved: outcome.trusteesUnresolved ?? 0,
      };
      const itemEntity: Entity = {
        partitionKey: pk,
        rowKey: rk,
        status: outcome.status,
        error: outcome.error ?? '',
        delegationsAdded: counts.delegationsAdded,
        delegationsRemoved: counts.delegationsRemoved,
        trusteesUnresolved: counts.trusteesUnresolved,
        settledAt: outcome.at,
        rightsNotRead: JSON.stringify(outcome.rightsNotRead ?? []),
        warnings: JSON.stringify(outcome.warnings ?? []),
        revocationsProposed: sumOf(outcome.revocationsProposed),
      };
      const counter: Entity = {
        partitionKey: pk,
        rowKey: shardKey,
        done: (shard ? num(shard, 'done') : 0) + (outcome.status === 'done' ? 1 : 0),
        failed: (shard ? num(shard, 'failed') : 0) + (outcome.status === 'failed' ? 1 : 0),
        added: (shard ? num(shard, 'added') : 0) + counts.delegationsAdded,
        removed: (shard ? num(shard, 'removed') : 0) + counts.delegationsRemoved,
        unresolved: (shard ? num(shard, 'unresolved') : 0) + counts.trusteesUnresolved,
        notRead: (shard ? num(shard, 'notRead') : 0) + (outcome.rightsNotRead?.length ?? 0),
        ...tallyColumns(shard, outcome),
      };
      // One entity-group transaction: the item's transition and the counter bump happen together or not at all.
      const actions: TransactionAction[] = [
        item ? ['update', itemEntity, 'Merge', { etag: item.etag }] : ['create', itemEntity],
        shard ? ['update', counter, 'Replace', { etag: shard.etag }] : ['create', counter],
      ];
      try {
        await this.itemStore.submit(actions);
        return true;
      } catch (error) {
        if (error instanceof PreconditionFailedError || (error as Error).name === 'ConflictError') {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
          continue;
        }
        throw error;
      }
    }
    throw new PreconditionFailedError(
      'RUN.COUNTER_CONTENTION',
      `Could not settle mailbox ${mailboxId} of run ${runId}: counters kept changing`,
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
      totals.mailboxesDone += num(e, 'done');
      totals.mailboxesFailed += num(e, 'failed');
      totals.delegationsAdded += num(e, 'added');
      totals.delegationsRemoved += num(e, 'removed');
      totals.trusteesUnresolved += num(e, 'unresolved');
      totals.rightsNotRead += num(e, 'notRead');
    }
    return totals;
  }

  async revocationTally(taskId: string, runId: string): Promise<RevocationTally> {
    const tally: RevocationTally = {};
    for await (const e of this.itemStore.all(`${runShards(taskId, runId)} and ${counterRows}`)) {
      for (const right of RIGHTS) {
        const proposed = num(e, `proposed${right}`);
        const stored = num(e, `stored${right}`);
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
