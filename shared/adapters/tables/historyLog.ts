import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { CorruptEntityError, ValidationError } from '../../errors.js';
import type {
  ChangeContext,
  DelegationEvent,
  HistoryQuery,
  HistorySubject,
  SubjectHistory,
} from '../../ports/delegations.js';
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

/** Where an event is stored in the log (every event) and in its mailbox's and delegate's history (same row key). */
export interface HistoryKeys {
  logPartition: string;
  mailboxPartition: string;
  delegatePartition: string;
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
    delegatePartition: delegatePartition(event.delegate.id),
    rowKey: `${time}_${createHash('sha256').update(identity).digest('hex').slice(0, 24)}`,
  };
}

const mailboxPartition = (mailboxId: string) => encodeKey(mailboxId.toLowerCase(), 'mailbox id');
const delegatePartition = (delegateId: string) => encodeKey(delegateId.toLowerCase(), 'delegate id');
/** Event row keys start with the inverted time's digits: `RowKey lt ':'` selects them and nothing else. */
const EVENTS_END = ':';
/** A mailbox's history start marker, beside its events (sorts after them, before nothing that is read by range). */
const START_ROW = 'start';
/** The one partition of `DelegationHistoryStarts`: every mailbox's start, newest first. */
const STARTS_PARTITION = 'starts';
/** A scope's first write time for a mailbox; sorts after every event row key (those start with a digit). */
const SCOPE_PREFIX = 'scope_';
/** A transaction holds 100 actions: the scope's record and up to 99 events of one mailbox. */
const MAX_EVENTS_WITH_RECORD = 100;

const scopeRow = (eventScope: string) =>
  `${SCOPE_PREFIX}${createHash('sha256').update(eventScope).digest('hex').slice(0, 24)}`;

/** The `at` of a start row; a missing or unreadable one is corrupt (never a guessed start). */
function startTime(row: StoredEntity, table: string): string {
  const at = row.at;
  if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) return at;
  const location = { table, partitionKey: String(row.partitionKey), rowKey: String(row.rowKey), property: 'at' };
  throw new CorruptEntityError(location, at === undefined ? 'is missing' : 'is not a date-time');
}

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
 * mailbox's partition (`DelegationHistoryByMailbox`) and its delegate's (`DelegationHistoryByDelegate`), all keyed
 * newest first. A page is one key-range query, so it reads the entities it returns whatever the day holds; with a
 * mailbox, only that mailbox's events are read. Beside them, when each mailbox's history starts: a `start` row in
 * its partition and a row in `DelegationHistoryStarts`, whose first row is the newest start of any mailbox.
 */
export class HistoryLog {
  readonly log: TableStore;
  readonly byMailbox: TableStore;
  readonly byDelegate: TableStore;
  readonly starts: TableStore;
  /** Mailboxes this instance has seen a start for (start rows are never deleted): their next writes read none. */
  private readonly started = new Set<string>();

  constructor(tables: TableFactoryLike) {
    this.log = tables.store('DelegationHistory');
    this.byMailbox = tables.store('DelegationHistoryByMailbox');
    this.byDelegate = tables.store('DelegationHistoryByDelegate');
    this.starts = tables.store('DelegationHistoryStarts');
  }

  /**
   * Writes one mailbox's events (idempotent upserts). The events take the time of the scope's first write for the
   * mailbox, recorded beside its history: a redelivery, whose clock has moved on, rewrites the same rows. The
   * mailbox's history start is recorded before its first event, so no event is older than its mailbox's start.
   */
  async write(mailboxId: string, events: readonly DelegationEvent[], context: ChangeContext): Promise<void> {
    if (events.length === 0) return;
    await this.recordStart(mailboxId, context.at);
    const scope = { partitionKey: mailboxPartition(mailboxId), rowKey: scopeRow(context.eventScope) };
    let at = context.at;
    if (events.length < MAX_EVENTS_WITH_RECORD) {
      // Usually the scope's first write: its record travels in the mailbox copy's transaction (one request less).
      const rows = this.rows(events, context, at);
      try {
        await this.byMailbox.transact([['create', { ...scope, at }], ...rows.byMailbox]);
        await Promise.all([this.byDelegate.submit(rows.byDelegate), this.log.submit(rows.log)]);
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
    await Promise.all([
      this.log.submit(rows.log),
      this.byMailbox.submit(rows.byMailbox),
      this.byDelegate.submit(rows.byDelegate),
    ]);
  }

  /**
   * Records when a mailbox's history starts, once: the index row first, then the mailbox's marker, so a crash in
   * between leaves at worst a second, later index row (a later start only makes answers more cautious). Costs one
   * point read per mailbox and host instance (then remembered), and two writes on the mailbox's first history write.
   */
  private async recordStart(mailboxId: string, at: string): Promise<void> {
    const partitionKey = mailboxPartition(mailboxId);
    if (this.started.has(partitionKey)) return;
    if (await this.byMailbox.get(partitionKey, START_ROW)) {
      this.remember(partitionKey);
      return;
    }
    const hash = createHash('sha256').update(mailboxId.toLowerCase()).digest('hex').slice(0, 24);
    await this.starts.upsert({
      partitionKey: STARTS_PARTITION,
      rowKey: `${reverseTimeKey(new Date(at))}_${hash}`,
      mailboxId: mailboxId.toLowerCase(),
      at,
    });
    await this.byMailbox.insert({ partitionKey, rowKey: START_ROW, at }).catch((error: unknown) => {
      if ((error as Error).name !== 'ConflictError') throw error;
    });
    this.remember(partitionKey);
  }

  /** Bounded memory: past 100,000 mailboxes the set starts over (a forgotten one costs one read again). */
  private remember(partitionKey: string): void {
    if (this.started.size >= 100_000) this.started.clear();
    this.started.add(partitionKey);
  }

  /** The events as rows of the log and of the mailbox and delegate copies, keyed by the scope's first write `at`. */
  private rows(events: readonly DelegationEvent[], context: ChangeContext, at: string) {
    const log: TransactionAction[] = [];
    const byMailbox: TransactionAction[] = [];
    const byDelegate: TransactionAction[] = [];
    for (const event of events) {
      const keys = historyKeys(event, context.eventScope, at);
      const properties = toEventProperties({ ...event, at });
      log.push(['upsert', { partitionKey: keys.logPartition, rowKey: keys.rowKey, ...properties }, 'Replace']);
      byMailbox.push([
        'upsert',
        { partitionKey: keys.mailboxPartition, rowKey: keys.rowKey, ...properties },
        'Replace',
      ]);
      byDelegate.push([
        'upsert',
        { partitionKey: keys.delegatePartition, rowKey: keys.rowKey, ...properties },
        'Replace',
      ]);
    }
    return { log, byMailbox, byDelegate };
  }

  /**
   * Every retained event of one mailbox or one delegate, newest first (one partition query), and when the history
   * starts for it: the mailbox's recorded start, or for a delegate the newest start of any mailbox (any mailbox
   * might have granted the delegate something before its history began); undefined when none was recorded.
   */
  async historyOf(subject: HistorySubject): Promise<SubjectHistory> {
    const [store, partitionKey] =
      'mailboxId' in subject
        ? [this.byMailbox, mailboxPartition(subject.mailboxId)]
        : [this.byDelegate, delegatePartition(subject.delegateId)];
    const events: DelegationEvent[] = [];
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey lt ${EVENTS_END}`;
    for await (const e of store.all(filter, undefined, partitionKey)) events.push(fromEventEntity(e));
    const startedAt = 'mailboxId' in subject ? await this.mailboxStart(partitionKey) : await this.newestStart();
    return { events, ...(startedAt ? { startedAt } : {}) };
  }

  private async mailboxStart(partitionKey: string): Promise<string | undefined> {
    const row = await this.byMailbox.get(partitionKey, START_ROW);
    return row && startTime(row, 'DelegationHistoryByMailbox');
  }

  private async newestStart(): Promise<string | undefined> {
    const filter = odata`PartitionKey eq ${STARTS_PARTITION}`;
    const page = await this.starts.page({ filter, top: 1, partitionKey: STARTS_PARTITION });
    const row = page.items[0];
    return row && startTime(row, 'DelegationHistoryStarts');
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
   * Sets `actor` on the latest `granted` event of a delegation (every copy: the log's, the delegate's and, last, the
   * mailbox's, which this reads) when it has none; a later event already attributed, or none at all, leaves the
   * history as it is. Idempotent.
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
    const delegateKey = delegatePartition(d.delegate.id);
    await this.byDelegate.update({ partitionKey: delegateKey, rowKey, ...merge }, '*', 'Merge').catch(gone);
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
   * Deletes the events recorded before `before`: the delegate's and the mailbox's copies first, then the log's row,
   * so an interrupted pass leaves log rows that lead the next pass to the copies still there. Older events have
   * greater keys in every partition, so one key range selects them. Start records stay: a history's start does not
   * move when its oldest events go (readers take the retention cut-off into account). Returns the events deleted.
   */
  async deleteBefore(before: Date): Promise<number> {
    // Row keys of events at `before` itself sort below this bound: those are kept.
    const bound = `${reverseTimeKey(before)}${BOUND}`;
    const filter = odata`PartitionKey ge ${bound.slice(0, PARTITION_DIGITS)} and RowKey gt ${bound}`;
    let deleted = 0;
    let chunk: StoredEntity[] = [];
    const flush = async () => {
      const copyKeys = (property: 'mailboxId' | 'delegateId') =>
        chunk.map((e) => {
          const id = e[property];
          if (typeof id !== 'string' || id === '') {
            const location = {
              table: 'DelegationHistory',
              partitionKey: String(e.partitionKey),
              rowKey: String(e.rowKey),
            };
            throw new CorruptEntityError({ ...location, property }, 'is missing');
          }
          const partitionKey = property === 'mailboxId' ? mailboxPartition(id) : delegatePartition(id);
          return { partitionKey, rowKey: String(e.rowKey) };
        });
      const byMailbox = copyKeys('mailboxId');
      const byDelegate = copyKeys('delegateId');
      await deleteEntities(this.byDelegate, byDelegate);
      await deleteEntities(this.byMailbox, byMailbox);
      await deleteEntities(this.log, chunk);
      deleted += chunk.length;
      chunk = [];
    };
    for await (const entity of this.log.all(filter, ['PartitionKey', 'RowKey', 'mailboxId', 'delegateId'])) {
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
