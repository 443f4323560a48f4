import { RestError, TableClient, odata, type TableEntity, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { ManagedIdentityCredential, DefaultAzureCredential } from '@azure/identity';
import type { AppConfig } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { fromTableError } from './tableErrors.js';

export { odata };

export type Entity = TableEntity<Record<string, unknown>>;
export type StoredEntity = TableEntityResult<Record<string, unknown>>;

/** Operation counters, read by the benchmark and by tests that prove "an unchanged re-sync writes nothing". */
export interface TableCounters {
  reads: number;
  writes: number;
  transactions: number;
}

export interface Page<T> {
  items: T[];
  continuationToken: string | null;
}

const MAX_BATCH = 100;
/** Partitions of one `submit` written at once. */
const PARALLEL_PARTITIONS = 8;

/** Opaque page token handed to API clients; wraps the SDK's token so its format can change without breaking them. */
function wrapToken(sdkToken: string | undefined): string | null {
  return sdkToken ? Buffer.from(JSON.stringify({ v: 1, t: sdkToken })).toString('base64url') : null;
}

function unwrapToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; t?: unknown };
    if (parsed.v === 1 && typeof parsed.t === 'string' && parsed.t.length < 4096) return parsed.t;
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('PAGING.INVALID_TOKEN', 'continuationToken is not a token this API issued', [
    { path: 'continuationToken', message: 'not a token this API issued' },
  ]);
}

/** How a logical table is split over physical tables: `count` shards named `<name><i zero-padded to digits>`. */
export interface ShardLayout {
  count: number;
  digits: number;
}

/** A sharded logical table: the layout new stores use, and an older one still honoured where its tables exist. */
export interface ShardedTable {
  current: ShardLayout;
  legacy?: ShardLayout;
}

const isTableMissing = (error: unknown) => error instanceof RestError && error.statusCode === 404 && /TableNotFound/i.test(String(error.code ?? error.message));

/**
 * One table: typed-error mapping, batched transactions per partition, opaque paging, counters.
 * Repositories build on it and only supply keys and entity mappers.
 */
export class TableStore {
  private ensured?: Promise<void>;
  /** This table's own counters (the shared ones add up every table). */
  readonly own: TableCounters = { reads: 0, writes: 0, transactions: 0 };
  private clients: readonly TableClient[];
  /** Shard tables known to exist (created on their first write). */
  private readonly created = new Map<TableClient, Promise<void>>();

  /**
   * One physical table, or several shards of one logical table: a partition lives in the shard its key
   * hashes to (FNV-1a, fixed forever: it decides where stored data is). Sharding keeps each physical table
   * small, which matters on Azurite, whose queries scan the whole table; on Azure it changes nothing.
   * Shard tables are created on their first write; a shard never written reads as empty.
   */
  constructor(
    clients: TableClient | readonly TableClient[],
    readonly counters: TableCounters,
    private readonly sharding?: { table: ShardedTable; client: (physicalName: string) => TableClient; name: string },
  ) {
    this.clients = Array.isArray(clients) ? [...(clients as readonly TableClient[])] : [clients as TableClient];
  }

  /** The first (or only) physical table. */
  get client(): TableClient {
    return this.clients[0]!;
  }

  /** The physical tables of a layout. */
  private shardClients(layout: ShardLayout): TableClient[] {
    const sharding = this.sharding!;
    return Array.from({ length: layout.count }, (_, i) => sharding.client(`${sharding.name}${String(i).padStart(layout.digits, '0')}`));
  }

  /** The physical table holding a partition. */
  private clientFor(partitionKey: string): TableClient {
    if (this.clients.length === 1) return this.clients[0]!;
    let hash = 0x811c9dc5;
    for (let i = 0; i < partitionKey.length; i++) hash = Math.imul(hash ^ partitionKey.charCodeAt(i), 0x01000193) >>> 0;
    return this.clients[hash % this.clients.length]!;
  }

  private count(kind: keyof TableCounters, n: number): void {
    this.counters[kind] += n;
    this.own[kind] += n;
  }

  get tableName(): string {
    return this.client.tableName;
  }

  /**
   * Once per process: creates a plain table (idempotent in Table Storage), or settles a sharded table's layout:
   * the legacy one where its first shard exists (data written by an older version stays where it is), else the
   * current one.
   */
  ensureTable(): Promise<void> {
    this.ensured ??= this.prepare().catch((error: unknown) => {
      this.ensured = undefined;
      throw fromTableError(error, `create table ${this.tableName}`);
    });
    return this.ensured;
  }

  private async prepare(): Promise<void> {
    if (!this.sharding) {
      await this.clients[0]!.createTable();
      return;
    }
    const { current, legacy } = this.sharding.table;
    let layout = current;
    if (legacy) {
      const probe = this.shardClients(legacy)[0]!;
      try {
        await probe.listEntities({ queryOptions: { select: ['PartitionKey'] } }).byPage({ maxPageSize: 1 }).next();
        layout = legacy;
      } catch (error) {
        if (!isTableMissing(error)) throw error;
      }
    }
    this.clients = this.shardClients(layout);
  }

  /** Before a write: the table exists (shards are created on their first write). */
  private async ensureWritable(partitionKey: string): Promise<TableClient> {
    await this.ensureTable();
    const client = this.clientFor(partitionKey);
    if (!this.sharding) return client;
    let created = this.created.get(client);
    if (!created) {
      created = client.createTable().catch((error: unknown) => {
        this.created.delete(client);
        throw fromTableError(error, `create table ${client.tableName}`);
      });
      this.created.set(client, created);
    }
    await created;
    return client;
  }

  /** Reads one entity, or undefined when it does not exist. */
  async get(partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    await this.ensureTable();
    this.count('reads', 1);
    try {
      return await this.clientFor(partitionKey).getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (error) {
      const mapped = fromTableError(error, `read ${this.tableName}`);
      if (mapped.name === 'NotFoundError') return undefined;
      throw mapped;
    }
  }

  /** Inserts; throws ConflictError when the entity already exists (the basis of idempotent claims). */
  async insert(entity: Entity): Promise<string | undefined> {
    const client = await this.ensureWritable(entity.partitionKey);
    this.count('writes', 1);
    try {
      return (await client.createEntity(entity)).etag;
    } catch (error) {
      throw fromTableError(error, `insert into ${this.tableName}`);
    }
  }

  /** Inserts or replaces without a concurrency check. */
  async upsert(entity: Entity, mode: 'Replace' | 'Merge' = 'Replace'): Promise<string | undefined> {
    const client = await this.ensureWritable(entity.partitionKey);
    this.count('writes', 1);
    try {
      return (await client.upsertEntity(entity, mode)).etag;
    } catch (error) {
      throw fromTableError(error, `upsert into ${this.tableName}`);
    }
  }

  /** Replaces or merges only if the stored ETag still matches; PreconditionFailedError otherwise. */
  async update(entity: Entity, etag: string, mode: 'Replace' | 'Merge' = 'Replace'): Promise<string | undefined> {
    const client = await this.ensureWritable(entity.partitionKey);
    this.count('writes', 1);
    try {
      return (await client.updateEntity(entity, mode, { etag })).etag;
    } catch (error) {
      throw fromTableError(error, `update ${this.tableName}`);
    }
  }

  /** Deletes; a missing entity is not an error (idempotent). With an ETag, a changed entity is a PreconditionFailedError. */
  async delete(partitionKey: string, rowKey: string, etag?: string): Promise<void> {
    await this.ensureTable();
    this.count('writes', 1);
    try {
      await this.clientFor(partitionKey).deleteEntity(partitionKey, rowKey, etag ? { etag } : undefined);
    } catch (error) {
      const mapped = fromTableError(error, `delete from ${this.tableName}`);
      if (mapped.name !== 'NotFoundError') throw mapped;
    }
  }

  /**
   * Applies many writes as entity-group transactions: grouped by partition, at most 100 per transaction.
   * Partitions are written concurrently (a few at a time), each partition's chunks in order.
   * Use idempotent actions (upsert, delete of existing) so a redelivered message can re-apply them.
   */
  async submit(actions: readonly TransactionAction[]): Promise<void> {
    if (actions.length === 0) return;
    await this.ensureTable();
    const byPartition = new Map<string, TransactionAction[]>();
    for (const action of actions) {
      const pk = String(action[1].partitionKey);
      const list = byPartition.get(pk);
      if (list) list.push(action);
      else byPartition.set(pk, [action]);
    }
    const partitions = [...byPartition.values()];
    const writePartition = async (list: TransactionAction[]) => {
      for (let i = 0; i < list.length; i += MAX_BATCH) {
        const chunk = list.slice(i, i + MAX_BATCH);
        const client = await this.ensureWritable(String(chunk[0]![1].partitionKey));
        this.count('transactions', 1);
        this.count('writes', chunk.length);
        try {
          await client.submitTransaction(chunk);
        } catch (error) {
          throw fromTableError(error, `transaction on ${this.tableName}`);
        }
      }
    };
    // Sequential round trips per partition made wide batches (a page of directory entries) slow.
    let next = 0;
    const worker = async () => {
      while (next < partitions.length) await writePartition(partitions[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTITIONS, partitions.length) }, worker));
  }

  /** One page of entities matching an odata-built filter; `continuationToken` is opaque to callers. */
  async page(options: { filter?: string; top: number; continuationToken?: string; select?: string[]; partitionKey?: string }): Promise<Page<StoredEntity>> {
    await this.ensureTable();
    if (this.clients.length > 1 && options.partitionKey === undefined) {
      throw new Error(`Paging over the sharded table ${this.tableName} needs the partition key`);
    }
    const sdkToken = unwrapToken(options.continuationToken);
    this.count('reads', 1);
    try {
      const iterator = this.clientFor(options.partitionKey ?? '')
        .listEntities<Record<string, unknown>>({
          queryOptions: { ...(options.filter ? { filter: options.filter } : {}), ...(options.select ? { select: options.select } : {}) },
        })
        .byPage({ maxPageSize: options.top, ...(sdkToken ? { continuationToken: sdkToken } : {}) });
      const result = await iterator.next();
      if (result.done || !result.value) return { items: [], continuationToken: null };
      const page = result.value;
      return { items: [...page], continuationToken: wrapToken(page.continuationToken) };
    } catch (error) {
      if (this.sharding && isTableMissing(error)) return { items: [], continuationToken: null };
      throw fromTableError(error, `query ${this.tableName}`);
    }
  }

  /**
   * Streams every matching entity page by page (never holds the whole result). With `partitionKey` only the
   * shard holding that partition is queried (the filter must still select the partition).
   */
  async *all(filter?: string, select?: string[], partitionKey?: string): AsyncGenerator<StoredEntity> {
    await this.ensureTable();
    const shards = partitionKey === undefined ? this.clients : [this.clientFor(partitionKey)];
    for (const client of shards) {
      try {
        const pages = client
          .listEntities<Record<string, unknown>>({ queryOptions: { ...(filter ? { filter } : {}), ...(select ? { select } : {}) } })
          .byPage({ maxPageSize: 1000 });
        for await (const page of pages) {
          this.count('reads', 1);
          yield* page;
        }
      } catch (error) {
        if (this.sharding && isTableMissing(error)) continue; // a shard never written to
        throw fromTableError(error, `query ${this.tableName}`);
      }
    }
  }
}

/**
 * Logical tables split over several physical tables (by partition key). These are the ones read by
 * partition per lookup or per mailbox: on Azurite a query scans its whole table, so a lookup's cost would grow
 * with the tenant (at 100,000 mailboxes, 32 shards left ~8,000 rows per shard and ~10 ms per query). A layout
 * decides where stored data is: a new one gets new table names, and stores written with the legacy layout keep it.
 */
export const SHARDED_TABLES: Readonly<Record<string, ShardedTable>> = {
  DelegationsByMailbox: { current: { count: 256, digits: 3 }, legacy: { count: 32, digits: 2 } },
  DelegationsByDelegate: { current: { count: 256, digits: 3 }, legacy: { count: 32, digits: 2 } },
};

/** Anything that hands out stores by logical table name (the factory, or a test double over Azurite). */
export interface TableFactoryLike {
  store(logicalName: string): TableStore;
}

/** Creates TableClients from the validated config: a connection string (Azurite) or an endpoint with managed identity. */
export class TableClientFactory implements TableFactoryLike {
  readonly counters: TableCounters = { reads: 0, writes: 0, transactions: 0 };
  private readonly stores = new Map<string, TableStore>();

  constructor(private readonly config: AppConfig['tables']) {}

  /** The store for a logical table name; the physical name carries the configured prefix (and a shard number). */
  store(logicalName: string): TableStore {
    let store = this.stores.get(logicalName);
    if (!store) {
      const sharded = SHARDED_TABLES[logicalName];
      const name = `${this.config.prefix}${logicalName}`;
      store = sharded
        ? new TableStore(this.createClient(`${name}${'0'.repeat(sharded.current.digits)}`), this.counters, { table: sharded, name, client: (physical) => this.createClient(physical) })
        : new TableStore(this.createClient(name), this.counters);
      this.stores.set(logicalName, store);
    }
    return store;
  }

  private createClient(tableName: string): TableClient {
    if (this.config.kind === 'connectionString') {
      const insecure = /TableEndpoint=http:\/\//i.test(this.config.connectionString) || /UseDevelopmentStorage=true/i.test(this.config.connectionString);
      return TableClient.fromConnectionString(this.config.connectionString, tableName, { allowInsecureConnection: insecure });
    }
    const credential = this.config.clientId
      ? new ManagedIdentityCredential({ clientId: this.config.clientId })
      : new DefaultAzureCredential();
    return new TableClient(this.config.endpoint, tableName, credential);
  }
}
