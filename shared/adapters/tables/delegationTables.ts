import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import {
  RIGHTS,
  type DelegateRef,
  type Right,
  type Source,
  type StoredDelegation,
  type Via,
} from '../../domain/delegation/types.js';
import { decodeKey, encodeKey } from './keys.js';
import { json, str, storedEnum } from './entityFields.js';
import { odata, type Entity, type StoredEntity, type TableFactoryLike, type TableStore } from './tableStore.js';

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

const SOURCES = ['MailboxPermissionSync', 'Manual'] as const satisfies readonly Source[];

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
}

/** Where a batch of changes comes from: the run (or the admin) and when. */
export interface ChangeContext {
  taskId: string | null;
  runId: string | null;
  at: string;
  /** Deterministic per run so a redelivered message rewrites the same history rows instead of adding new ones. */
  eventScope: string;
}

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

const SEP = '|';
const SYNC_STATE_ROW = 'state';

function rowKeyOf(otherId: string, right: Right, source: Source): string {
  return [encodeKey(otherId.toLowerCase(), 'object id'), right, source].join(SEP);
}

function toEntity(partitionId: string, otherId: string, d: DelegationRow): Entity {
  return {
    partitionKey: encodeKey(partitionId.toLowerCase(), 'object id'),
    rowKey: rowKeyOf(otherId, d.right, d.source),
    mailboxId: d.mailbox.id,
    mailboxAddress: d.mailbox.address,
    mailboxDisplayName: d.mailbox.displayName,
    delegateId: d.delegate.id,
    delegateUpn: d.delegate.upn,
    delegateAddress: d.delegate.address,
    delegateDisplayName: d.delegate.displayName,
    delegateAccountEnabled: d.delegate.accountEnabled === undefined ? '' : String(d.delegate.accountEnabled),
    right: d.right,
    source: d.source,
    via: JSON.stringify(d.via),
    firstSeen: d.firstSeen,
    lastConfirmed: d.lastConfirmed,
  };
}

/** Maps a delegation entity (either index) back to a row. */
export function fromDelegationEntity(e: Record<string, unknown>): DelegationRow {
  const enabled = str(e, 'delegateAccountEnabled');
  return {
    mailboxId: str(e, 'mailboxId') ?? '',
    mailbox: {
      id: str(e, 'mailboxId') ?? '',
      address: str(e, 'mailboxAddress') ?? '',
      displayName: str(e, 'mailboxDisplayName') ?? '',
    },
    delegate: {
      id: str(e, 'delegateId') ?? '',
      upn: str(e, 'delegateUpn') ?? '',
      address: str(e, 'delegateAddress') ?? '',
      displayName: str(e, 'delegateDisplayName') ?? '',
      ...(enabled === 'true' || enabled === 'false' ? { accountEnabled: enabled === 'true' } : {}),
    },
    right: storedEnum(e, 'right', RIGHTS, 'DelegationsByMailbox/DelegationsByDelegate'),
    source: storedEnum(e, 'source', SOURCES, 'DelegationsByMailbox/DelegationsByDelegate'),
    via: json<Via[]>(e, 'via', []),
    firstSeen: str(e, 'firstSeen') ?? '',
    lastConfirmed: str(e, 'lastConfirmed') ?? '',
  };
}

/**
 * History partitions: the UTC day, split into buckets by mailbox. One partition per day took every event of a
 * full sync (Azurite scans a partition on each write; Azure caps a partition at ~2,000 entities/s).
 */
const HISTORY_BUCKETS = 64;

function historyPartition(day: string, mailboxId: string): string {
  const bucket = createHash('sha1').update(mailboxId.toLowerCase()).digest().readUInt16BE(0) % HISTORY_BUCKETS;
  return `${day}_${String(bucket).padStart(2, '0')}`;
}

function eventEntity(event: DelegationEvent, context: ChangeContext): Entity {
  const day = context.at.slice(0, 10).replaceAll('-', '');
  const identity = [context.eventScope, event.mailbox.id, event.delegate.id, event.right, event.source, event.type]
    .join(SEP)
    .toLowerCase();
  // Newest first within a day; the hash makes the key deterministic for a redelivered message.
  const inverted = (8_640_000_000_000_000 - Date.parse(context.at)).toString().padStart(16, '0');
  const scopeHash = createHash('sha256').update(context.eventScope).digest('hex').slice(0, 12);
  return {
    partitionKey: historyPartition(day, event.mailbox.id),
    rowKey: `${context.runId ? scopeHash : inverted}_${createHash('sha256').update(identity).digest('hex').slice(0, 24)}`,
    sortKey: inverted,
    type: event.type,
    mailboxId: event.mailbox.id,
    mailboxAddress: event.mailbox.address,
    mailboxDisplayName: event.mailbox.displayName,
    delegateId: event.delegate.id,
    delegateUpn: event.delegate.upn,
    delegateAddress: event.delegate.address,
    delegateDisplayName: event.delegate.displayName,
    right: event.right,
    via: JSON.stringify(event.via),
    source: event.source,
    runId: event.runId ?? '',
    taskId: event.taskId ?? '',
    at: event.at,
  };
}

/** A place in a day's history: events are ordered newest first by `sortKey` (inverted time), then by keys. */
export interface HistoryCursor {
  sortKey: string;
  partitionKey: string;
  rowKey: string;
}

function compareCursors(a: HistoryCursor, b: HistoryCursor): number {
  return a.sortKey < b.sortKey
    ? -1
    : a.sortKey > b.sortKey
      ? 1
      : a.partitionKey < b.partitionKey
        ? -1
        : a.partitionKey > b.partitionKey
          ? 1
          : a.rowKey < b.rowKey
            ? -1
            : a.rowKey > b.rowKey
              ? 1
              : 0;
}

/** Maps a history entity back to an event. */
export function fromEventEntity(e: Record<string, unknown>): DelegationEvent {
  return {
    type: storedEnum(e, 'type', CHANGE_TYPES, 'DelegationHistory'),
    mailbox: {
      id: str(e, 'mailboxId') ?? '',
      address: str(e, 'mailboxAddress') ?? '',
      displayName: str(e, 'mailboxDisplayName') ?? '',
    },
    delegate: {
      id: str(e, 'delegateId') ?? '',
      upn: str(e, 'delegateUpn') ?? '',
      address: str(e, 'delegateAddress') ?? '',
      displayName: str(e, 'delegateDisplayName') ?? '',
    },
    right: storedEnum(e, 'right', RIGHTS, 'DelegationHistory'),
    via: json<Via[]>(e, 'via', []),
    source: storedEnum(e, 'source', SOURCES, 'DelegationHistory'),
    runId: str(e, 'runId') || null,
    taskId: str(e, 'taskId') || null,
    at: str(e, 'at') ?? '',
  };
}

/**
 * The delegate index: by mailbox (the state a sync diffs against), by delegate (lookups), and the history of
 * grants and revocations. Writes follow the crash-safety order of docs/design.md §2: history and the reverse
 * index first, the forward index last, all idempotent, so a redelivered message repairs a partial write.
 */
export class DelegationTables {
  readonly byMailbox: TableStore;
  readonly byDelegate: TableStore;
  readonly history: TableStore;
  /**
   * One row per mailbox ever written through `apply`: the digest of what the last sync observed, or '' while
   * a write is in progress or after any other writer. A sync whose observation has the stored digest skips
   * reading the mailbox's rows; a mailbox without a row has no rows at all (apply writes the row first).
   */
  readonly syncStates: TableStore;

  constructor(tables: TableFactoryLike) {
    this.byMailbox = tables.store('DelegationsByMailbox');
    this.byDelegate = tables.store('DelegationsByDelegate');
    this.history = tables.store('DelegationHistory');
    this.syncStates = tables.store('MailboxSyncState');
  }

  /** The mailbox's sync state (digest and ETag), or undefined when nothing was ever written for it. */
  async syncState(mailboxId: string): Promise<SyncState | undefined> {
    const e = await this.syncStates.get(encodeKey(mailboxId.toLowerCase(), 'mailbox id'), SYNC_STATE_ROW);
    if (!e) return undefined;
    const pendingRun = str(e, 'pendingRun');
    return { digest: str(e, 'digest') ?? '', etag: e.etag, ...(pendingRun ? { pendingRun } : {}) };
  }

  /**
   * Records that the latest sync of a mailbox, in run `runKey`, proposed revocations it did not apply: the rows
   * no longer match any digest, and only that run's proposals may still be applied (a later sync replaces this).
   */
  async markRevocationsPending(mailboxId: string, runKey: string): Promise<void> {
    await this.syncStates.upsert({
      partitionKey: encodeKey(mailboxId.toLowerCase(), 'mailbox id'),
      rowKey: SYNC_STATE_ROW,
      digest: '',
      pendingRun: runKey,
    });
  }

  /**
   * Records the digest of an observation the stored rows now match, only if the state is still the one the
   * caller read or wrote (`etag`); false when another writer came in between (the state stays unknown).
   */
  async recordSyncDigest(mailboxId: string, digest: string, etag: string): Promise<boolean> {
    try {
      await this.syncStates.update(
        { partitionKey: encodeKey(mailboxId.toLowerCase(), 'mailbox id'), rowKey: SYNC_STATE_ROW, digest },
        etag,
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'PreconditionFailedError' || (error as Error).name === 'NotFoundError')
        return false;
      throw error;
    }
  }

  /** Every stored delegation on a mailbox (one partition query). */
  async forMailbox(mailboxId: string): Promise<DelegationRow[]> {
    const rows: DelegationRow[] = [];
    const pk = encodeKey(mailboxId.toLowerCase(), 'mailbox id');
    for await (const e of this.byMailbox.all(odata`PartitionKey eq ${pk}`, undefined, pk))
      rows.push(fromDelegationEntity(e));
    return rows;
  }

  /** Every stored delegation a delegate holds (one partition query). */
  async forDelegate(delegateId: string): Promise<DelegationRow[]> {
    const rows: DelegationRow[] = [];
    const pk = encodeKey(delegateId.toLowerCase(), 'delegate id');
    for await (const e of this.byDelegate.all(odata`PartitionKey eq ${pk}`, undefined, pk))
      rows.push(fromDelegationEntity(e));
    return rows;
  }

  /** Raw entities of a delegate's partition (for ETags over the whole list). */
  async *delegateEntities(delegateId: string): AsyncGenerator<StoredEntity> {
    const pk = encodeKey(delegateId.toLowerCase(), 'delegate id');
    yield* this.byDelegate.all(odata`PartitionKey eq ${pk}`, undefined, pk);
  }

  /**
   * Applies one mailbox's changes in crash-safe order. Every write is an idempotent upsert or delete.
   * Returns the ETag of the mailbox's sync state, marked unknown before any row is touched.
   */
  async apply(changes: MailboxChanges, context: ChangeContext): Promise<string | undefined> {
    if (changes.upsert.length === 0 && changes.remove.length === 0 && changes.events.length === 0) return undefined;
    // 0. The sync state first: from here on the rows may differ from any recorded digest.
    const stateEtag = await this.syncStates.upsert({
      partitionKey: encodeKey(changes.mailbox.id.toLowerCase(), 'mailbox id'),
      rowKey: SYNC_STATE_ROW,
      digest: '',
    });
    // 1. History (deterministic keys: a replay rewrites the same rows).
    await this.history.submit(
      changes.events.map((e): TransactionAction => ['upsert', eventEntity(e, context), 'Replace']),
    );
    // 2. Reverse index, one partition per delegate.
    const reverse: TransactionAction[] = [
      ...changes.upsert.map((d): TransactionAction => ['upsert', toEntity(d.delegate.id, d.mailbox.id, d), 'Replace']),
    ];
    await this.byDelegate.submit(reverse);
    for (const d of changes.remove) {
      await this.byDelegate.delete(
        encodeKey(d.delegate.id.toLowerCase(), 'delegate id'),
        rowKeyOf(d.mailbox.id, d.right, d.source),
      );
    }
    // 3. Forward index last: it is what the next diff reads, so until this lands a redelivery redoes it all.
    const forward: TransactionAction[] = [
      ...changes.upsert.map((d): TransactionAction => ['upsert', toEntity(d.mailbox.id, d.delegate.id, d), 'Replace']),
      ...changes.remove.map(
        (d): TransactionAction => [
          'delete',
          {
            partitionKey: encodeKey(d.mailbox.id.toLowerCase(), 'mailbox id'),
            rowKey: rowKeyOf(d.delegate.id, d.right, d.source),
          },
        ],
      ),
    ];
    await this.byMailbox.submit(forward);
    return stateEtag;
  }

  /**
   * Up to `limit` history events of one UTC day (`yyyymmdd`) after `after`, newest first (ordered by time, then
   * keys), and whether the day holds more. The day's rows are streamed and only the `limit` first in that order
   * are kept, so memory stays O(limit) however many events a full sync wrote that day. A mailbox id narrows the
   * read to the one partition that holds its events.
   */
  async eventsOfDay(
    day: string,
    options: { limit: number; after?: HistoryCursor; mailboxId?: string; filter?: string },
  ): Promise<{ events: Array<{ event: DelegationEvent; cursor: HistoryCursor }>; more: boolean }> {
    const filters = [
      options.mailboxId
        ? odata`PartitionKey eq ${historyPartition(day, options.mailboxId)}`
        : odata`PartitionKey ge ${`${day}_`} and PartitionKey lt ${`${day}\``}`,
    ];
    if (options.after) filters.push(odata`sortKey ge ${options.after.sortKey}`);
    if (options.filter) filters.push(options.filter);
    const keep = options.limit + 1; // one more tells whether the day holds more
    let kept: Array<{ cursor: HistoryCursor; entity: StoredEntity }> = [];
    const trim = () => {
      kept.sort((a, b) => compareCursors(a.cursor, b.cursor));
      kept.length = Math.min(kept.length, keep);
    };
    for await (const entity of this.history.all(
      filters.join(' and '),
      undefined,
      options.mailboxId ? historyPartition(day, options.mailboxId) : undefined,
    )) {
      const cursor: HistoryCursor = {
        sortKey: String(entity.sortKey ?? ''),
        partitionKey: String(entity.partitionKey ?? ''),
        rowKey: String(entity.rowKey ?? ''),
      };
      if (options.after && compareCursors(cursor, options.after) <= 0) continue;
      kept.push({ cursor, entity });
      if (kept.length >= 2 * keep) trim(); // amortised: sort and cut when the buffer doubles
    }
    trim();
    const more = kept.length > options.limit;
    kept = kept.slice(0, options.limit);
    return { events: kept.map(({ cursor, entity }) => ({ event: fromEventEntity(entity), cursor })), more };
  }
}

export { decodeKey };
