import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { CorruptEntityError, ValidationError } from '../../errors.js';
import type { ChangeContext, DelegationEvent, HistoryQuery } from '../../ports/delegations.js';
import type { Page } from '../../ports/repositories.js';
import { fromEventEntity, toEventProperties } from './entities/historyEvent.js';
import { encodeKey, reverseTimeKey } from './keys.js';
import { odata, type StoredEntity, type TableFactoryLike, type TableStore } from './tableStore.js';
import { DELETE_CHUNK, deleteEntities, deleteMatching } from './deletions.js';

/**
 * Digits of the inverted time that name a log partition: 12 of 16, so a partition holds 10 seconds of events.
 * Azurite scans a partition on every write (a day in one partition took a full sync's ~260,000 events); Table
 * Storage takes ~2,000 entities/s per partition, well above what a sync writes in 10 seconds.
 */
const PARTITION_DIGITS = 12;
/** Sorts after the `_` that ends a row key's time, so `RowKey lt <time><BOUND>` keeps every event of that time. */
const BOUND = '`';

/** Where an event is stored in the log (every event) and in its mailbox's history (the same row key). */
export interface HistoryKeys {
  logPartition: string;
  mailboxPartition: string;
  rowKey: string;
}

/**
 * The keys of an event written at `at` in scope `eventScope`: the row key is the inverted time (newest first)
 * followed by a hash of the event's identity, so a redelivery that writes the same event at the same time
 * rewrites the same row, and key order is time order in every partition and across the log's partitions.
 */
export function historyKeys(event: DelegationEvent, eventScope: string, at: string): HistoryKeys {
  const identity = [eventScope, event.mailbox.id, event.delegate.id, event.right, event.source, event.type]
    .join('|')
    .toLowerCase();
  const time = reverseTimeKey(new Date(at));
  return {
    logPartition: time.slice(0, PARTITION_DIGITS),
    mailboxPartition: mailboxPartition(event.mailbox.id),
    rowKey: `${time}_${createHash('sha256').update(identity).digest('hex').slice(0, 24)}`,
  };
}

const mailboxPartition = (mailboxId: string) => encodeKey(mailboxId.toLowerCase(), 'mailbox id');
/** A scope's first write time for a mailbox; sorts after every event row key (those start with a digit). */
const SCOPE_PREFIX = 'scope_';
/** A transaction holds 100 actions: the scope's record and up to 99 events of one mailbox. */
const MAX_EVENTS_WITH_RECORD = 100;

const scopeRow = (eventScope: string) =>
  `${SCOPE_PREFIX}${createHash('sha256').update(eventScope).digest('hex').slice(0, 24)}`;

const invalidToken = (why = 'not a token this API issued') =>
  new ValidationError('PAGING.INVALID_TOKEN', `continuationToken is ${why}`, [
    { path: 'continuationToken', message: why },
  ]);

/** Wraps the store's page token so the forms this API issued before can be told apart and refused with advice. */
function wrapToken(storeToken: string | null): string | null {
  return storeToken && Buffer.from(JSON.stringify({ v: 3, t: storeToken })).toString('base64url');
}

function unwrapToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  let parsed: { v?: unknown; s?: unknown; t?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw invalidToken();
  }
  // Earlier forms: events to skip in a day (no version), then a day and the last event's keys (v2).
  if ((parsed.v === undefined && typeof parsed.s === 'number') || parsed.v === 2)
    throw invalidToken('from an earlier version of this API; list again without it');
  if (parsed.v !== 3 || typeof parsed.t !== 'string') throw invalidToken();
  return parsed.t;
}

/**
 * The change history: every event once in a log partitioned by time (`DelegationHistory`), and again in its
 * mailbox's partition (`DelegationHistoryByMailbox`), both keyed newest first. A page is one key-range query, so
 * it reads the entities it returns whatever the day holds; with a mailbox, only that mailbox's events are read.
 */
export class HistoryLog {
  readonly log: TableStore;
  readonly byMailbox: TableStore;

  constructor(tables: TableFactoryLike) {
    this.log = tables.store('DelegationHistory');
    this.byMailbox = tables.store('DelegationHistoryByMailbox');
  }

  /**
   * Writes one mailbox's events (idempotent upserts). The events take the time of the scope's first write for the
   * mailbox, recorded beside its history: a redelivery, whose clock has moved on, rewrites the same rows.
   */
  async write(mailboxId: string, events: readonly DelegationEvent[], context: ChangeContext): Promise<void> {
    if (events.length === 0) return;
    const scope = { partitionKey: mailboxPartition(mailboxId), rowKey: scopeRow(context.eventScope) };
    let at = context.at;
    if (events.length < MAX_EVENTS_WITH_RECORD) {
      // Usually the scope's first write: its record travels in the mailbox copy's transaction (one request less).
      const rows = this.rows(events, context, at);
      try {
        await this.byMailbox.transact([['create', { ...scope, at }], ...rows.byMailbox]);
        await this.log.submit(rows.log);
        return;
      } catch (error) {
        if ((error as Error).name !== 'ConflictError') throw error;
      }
    } else {
      await this.byMailbox.insert({ ...scope, at }).catch((error: unknown) => {
        if ((error as Error).name !== 'ConflictError') throw error;
      });
    }
    // An earlier delivery of this scope wrote first: its time keys the events, so a replay rewrites its rows.
    at = await this.recordedFirstWrite(scope);
    const rows = this.rows(events, context, at);
    await Promise.all([this.log.submit(rows.log), this.byMailbox.submit(rows.byMailbox)]);
  }

  /** The events as rows of the log and of the mailbox copy, keyed by the scope's first write `at`. */
  private rows(events: readonly DelegationEvent[], context: ChangeContext, at: string) {
    const log: TransactionAction[] = [];
    const byMailbox: TransactionAction[] = [];
    for (const event of events) {
      const keys = historyKeys(event, context.eventScope, at);
      const properties = toEventProperties({ ...event, at });
      log.push(['upsert', { partitionKey: keys.logPartition, rowKey: keys.rowKey, ...properties }, 'Replace']);
      byMailbox.push([
        'upsert',
        { partitionKey: keys.mailboxPartition, rowKey: keys.rowKey, ...properties },
        'Replace',
      ]);
    }
    return { log, byMailbox };
  }

  /** The time an earlier delivery of the scope recorded as its first write for the mailbox. */
  private async recordedFirstWrite(scope: { partitionKey: string; rowKey: string }): Promise<string> {
    const recorded = await this.byMailbox.get(scope.partitionKey, scope.rowKey);
    const at = recorded?.at;
    if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) {
      const location = { table: 'DelegationHistoryByMailbox', ...scope, property: 'at' };
      throw new CorruptEntityError(location, recorded ? 'is not a date-time' : 'is missing');
    }
    return at;
  }

  /**
   * Sets `actor` on the latest `granted` event of a delegation (both copies) when it has none; a later event
   * already attributed, or none at all, leaves the history as it is. Idempotent.
   */
  async attributeLatestGrant(
    d: Pick<DelegationEvent, 'mailbox' | 'delegate' | 'right' | 'source'>,
    actor: string,
  ): Promise<void> {
    const pk = mailboxPartition(d.mailbox.id);
    // Event rows start with the inverted time (digits): the scope records (`scope_…`) sort after them.
    const filter = [
      odata`PartitionKey eq ${pk} and RowKey lt ${SCOPE_PREFIX} and type eq ${'granted'}`,
      odata`delegateId eq ${d.delegate.id} and right eq ${d.right} and source eq ${d.source}`,
    ].join(' and ');
    let latest: StoredEntity | undefined;
    for await (const entity of this.byMailbox.all(filter, undefined, pk)) {
      latest = entity;
      break; // newest first
    }
    if (!latest || (typeof latest.actor === 'string' && latest.actor !== '')) return;
    const rowKey = String(latest.rowKey);
    const merge = { actor };
    // Retention deletes the mailbox copy before the log's: a copy gone is an event past retention.
    const gone = (error: unknown) => {
      if ((error as Error).name !== 'NotFoundError') throw error;
    };
    const logKey = rowKey.slice(0, PARTITION_DIGITS);
    await this.log.update({ partitionKey: logKey, rowKey, ...merge }, '*', 'Merge').catch(gone);
    await this.byMailbox.update({ partitionKey: pk, rowKey, ...merge }, '*', 'Merge').catch(gone);
  }

  /** One page of events at or after `since`, newest first (see DelegationRepository.changes). */
  async changes(query: HistoryQuery): Promise<Page<DelegationEvent>> {
    const continuationToken = unwrapToken(query.continuationToken);
    // Every event at or after `since` has a row key below this, in every partition.
    const bound = `${reverseTimeKey(new Date(query.since))}${BOUND}`;
    const delegate = query.delegateId ? [odata`delegateId eq ${query.delegateId}`] : [];
    const page = query.mailboxId
      ? await this.byMailbox.page({
          filter: [
            odata`PartitionKey eq ${mailboxPartition(query.mailboxId)} and RowKey lt ${bound}`,
            ...delegate,
          ].join(' and '),
          top: query.top,
          partitionKey: mailboxPartition(query.mailboxId),
          ...(continuationToken ? { continuationToken } : {}),
        })
      : await this.log.page({
          // Older partitions have greater keys: the newest partition of the range is the log's first.
          filter: [odata`PartitionKey le ${bound.slice(0, PARTITION_DIGITS)} and RowKey lt ${bound}`, ...delegate].join(
            ' and ',
          ),
          top: query.top,
          ...(continuationToken ? { continuationToken } : {}),
        });
    return { items: page.items.map(fromEventEntity), continuationToken: wrapToken(page.continuationToken) };
  }

  /**
   * Deletes the events recorded before `before`: each mailbox's copy first, then the log's row, so an interrupted
   * pass leaves log rows that lead the next pass to the copies still there. Older events have greater keys in
   * every partition, so one key range selects them. Returns the events deleted.
   */
  async deleteBefore(before: Date): Promise<number> {
    // Row keys of events at `before` itself sort below this bound: those are kept.
    const bound = `${reverseTimeKey(before)}${BOUND}`;
    const filter = odata`PartitionKey ge ${bound.slice(0, PARTITION_DIGITS)} and RowKey gt ${bound}`;
    let deleted = 0;
    let chunk: StoredEntity[] = [];
    const flush = async () => {
      const copies = chunk.map((e) => {
        const mailboxId = e.mailboxId;
        if (typeof mailboxId !== 'string' || mailboxId === '') {
          const location = {
            table: 'DelegationHistory',
            partitionKey: String(e.partitionKey),
            rowKey: String(e.rowKey),
          };
          throw new CorruptEntityError({ ...location, property: 'mailboxId' }, 'is missing');
        }
        return { partitionKey: mailboxPartition(mailboxId), rowKey: String(e.rowKey) };
      });
      await deleteEntities(this.byMailbox, copies);
      await deleteEntities(this.log, chunk);
      deleted += chunk.length;
      chunk = [];
    };
    for await (const entity of this.log.all(filter, ['PartitionKey', 'RowKey', 'mailboxId'])) {
      chunk.push(entity);
      if (chunk.length >= DELETE_CHUNK) await flush();
    }
    await flush();
    return deleted;
  }

  /** Deletes the first-write records (`scope_…` rows) made before `before`; returns how many. */
  async deleteFirstWritesBefore(before: Date): Promise<number> {
    return deleteMatching(
      this.byMailbox,
      odata`RowKey ge ${SCOPE_PREFIX} and RowKey lt ${'scope`'} and at lt ${before.toISOString()}`,
    );
  }
}
