import {
  RestError,
  TableClient,
  TableServiceClient,
  odata,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import { ManagedIdentityCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
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

/**
 * Opaque page token handed to API clients; wraps the SDK's token (and, across shards, the shard it is in) so its
 * format can change without breaking them.
 */
interface PagePosition {
  shard: number;
  sdkToken?: string;
}

function wrapToken(position: PagePosition | null): string | null {
  if (!position) return null;
  return Buffer.from(
    JSON.stringify({ v: 1, s: position.shard, ...(position.sdkToken ? { t: position.sdkToken } : {}) }),
  ).toString('base64url');
}

function unwrapToken(token: string | undefined, shards: number): PagePosition {
  if (!token) return { shard: 0 };
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      v?: unknown;
      t?: unknown;
      s?: unknown;
    };
    const shard = parsed.s ?? 0;
    const sdkToken = parsed.t;
    if (
      parsed.v === 1 &&
      Number.isInteger(shard) &&
      (shard as number) >= 0 &&
      (shard as number) < shards &&
      (sdkToken === undefined || (typeof sdkToken === 'string' && sdkToken.length < 4096))
    ) {
      return { shard: shard as number, ...(sdkToken === undefined ? {} : { sdkToken: sdkToken as string }) };
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('PAGING.INVALID_TOKEN', 'continuationToken is not a token this API issued', [
    { path: 'continuationToken', message: 'not a token this API issued' },
  ]);
}

/** How a logical table is split over physical tables: `count` shards named `<name><i zero-padded to digits>`, or one table named `<name>`. */
export interface ShardLayout {
  count: number;
  digits: number;
}

/** A sharded logical table: the layout new stores use, and older ones still honoured where their tables exist. */
export interface ShardedTable {
  current: ShardLayout;
  /** Newest first; each is told apart by its shard-number width (0: the unsharded table itself). */
  legacy: readonly ShardLayout[];
}

/** What a sharded store needs from its factory: a client per physical table, and the physical tables that exist. */
interface Sharding {
  table: ShardedTable;
  name: string;
  client: (physicalName: string) => TableClient;
  /** Names of the existing physical tables whose names start with the prefix. */
  existing: (prefix: string) => Promise<string[]>;
}

const isTableMissing = (error: unknown) =>
  error instanceof RestError && error.statusCode === 404 && /TableNotFound/i.test(String(error.code ?? error.message));

/**
 * One table: typed-error mapping, batched transactions per partition, opaque paging, counters.
 * Repositories build on it and only supply keys and entity mappers.
 */
export class TableStore {
  private ensured?: Promise<void>;
  /** This table's own counters (the shared ones add up every table). */
  readonly own: TableCounters = { reads: 0, writes: 0, transactions: 0 };
  /** The physical tables: the one given, until a sharded table's layout is settled (ensureTable). */
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
    client: TableClient,
    readonly counters: TableCounters,
    private readonly sharding?: Sharding,
  ) {
    this.clients = [client];
  }

  /** The first (or only) physical table. */
  get client(): TableClient {
    return this.clients[0]!;
  }

  /** The physical tables of a layout. */
  private shardClients(layout: ShardLayout): TableClient[] {
    const sharding = this.sharding!;
    if (layout.count === 1) return [sharding.client(sharding.name)];
    return Array.from({ length: layout.count }, (_, i) =>
      sharding.client(`${sharding.name}${String(i).padStart(layout.digits, '0')}`),
    );
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
   * Once per process: creates a plain table (idempotent in Table Storage), or settles a sharded table's layout
   * from the physical tables that exist (one listing): the current layout where any of its shards exists or none
   * of any layout does, else the newest legacy layout that has tables (data written by an older version stays
   * where it is).
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
    const { name, table } = this.sharding;
    const widths = new Set(
      (await this.sharding.existing(name))
        .map((t) => t.slice(name.length))
        .filter((suffix) => /^\d*$/.test(suffix))
        .map((suffix) => suffix.length),
    );
    const layout = widths.has(table.current.digits)
      ? table.current
      : (table.legacy.find((l) => widths.has(l.digits)) ?? table.current);
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

  /**
   * One page of entities matching an odata-built filter; `continuationToken` is opaque to callers. On a sharded
   * table, with `partitionKey` only its shard is queried; without, the shards are read in turn to fill the page.
   */
  async page(options: {
    filter?: string;
    top: number;
    continuationToken?: string;
    select?: string[];
    partitionKey?: string;
  }): Promise<Page<StoredEntity>> {
    await this.ensureTable();
    const single = this.clients.length === 1 || options.partitionKey !== undefined;
    let position: PagePosition | null = unwrapToken(options.continuationToken, single ? 1 : this.clients.length);
    const items: StoredEntity[] = [];
    while (position && items.length < options.top) {
      const current: PagePosition = position;
      const client: TableClient = single ? this.clientFor(options.partitionKey ?? '') : this.clients[current.shard]!;
      this.count('reads', 1);
      let sdkNext: string | undefined;
      try {
        const iterator = client
          .listEntities<Record<string, unknown>>({
            queryOptions: {
              ...(options.filter ? { filter: options.filter } : {}),
              ...(options.select ? { select: options.select } : {}),
            },
          })
          .byPage({
            maxPageSize: options.top - items.length,
            ...(current.sdkToken ? { continuationToken: current.sdkToken } : {}),
          });
        const result = await iterator.next();
        if (!result.done && result.value) {
          items.push(...result.value);
          sdkNext = result.value.continuationToken;
        }
      } catch (error) {
        if (!(this.sharding && isTableMissing(error))) throw fromTableError(error, `query ${this.tableName}`);
      }
      position = sdkNext
        ? { shard: current.shard, sdkToken: sdkNext }
        : !single && current.shard + 1 < this.clients.length
          ? { shard: current.shard + 1 }
          : null;
    }
    return { items, continuationToken: wrapToken(position) };
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
          .listEntities<Record<string, unknown>>({
            queryOptions: { ...(filter ? { filter } : {}), ...(select ? { select } : {}) },
          })
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
 * Logical tables split over several physical tables (by partition key). This matters on Azurite only: its queries
 * scan the whole table (at 100,000 mailboxes, 32 delegation shards left ~8,000 rows per shard and ~10 ms per
 * lookup query), and its index upkeep on every update or delete grows with the table. On Azure it changes nothing.
 * A layout decides where stored data is: a new one gets new table names, and stores written with the legacy layout
 * (found from one listing of the physical tables) keep it.
 */
export const SHARDED_TABLES: Readonly<Record<string, ShardedTable>> = {
  DelegationsByMailbox: { current: { count: 256, digits: 3 }, legacy: [{ count: 32, digits: 2 }] },
  DelegationsByDelegate: { current: { count: 256, digits: 3 }, legacy: [{ count: 32, digits: 2 }] },
  // Point reads and writes only, but every sync updates entities here, and Azurite's index upkeep on an update
  // grows with the table (a 100,000-mailbox sync slowed down as these passed a few hundred thousand rows).
  Directory: { current: { count: 64, digits: 2 }, legacy: [{ count: 1, digits: 0 }] },
  MailboxSyncState: { current: { count: 64, digits: 2 }, legacy: [{ count: 1, digits: 0 }] },
  // Every item of a run is updated twice; a run's 64 item partitions spread over these (paging walks the shards).
  RunItems: { current: { count: 32, digits: 2 }, legacy: [{ count: 1, digits: 0 }] },
};

const isInsecure = (connectionString: string) =>
  /TableEndpoint=http:\/\//i.test(connectionString) || /UseDevelopmentStorage=true/i.test(connectionString);

/** Anything that hands out stores by logical table name (the factory, or a test double over Azurite). */
export interface TableFactoryLike {
  store(logicalName: string): TableStore;
}

/** Creates TableClients from the validated config: a connection string (Azurite) or an endpoint with managed identity. */
export class TableClientFactory implements TableFactoryLike {
  readonly counters: TableCounters = { reads: 0, writes: 0, transactions: 0 };
  private readonly stores = new Map<string, TableStore>();
  private identity?: TokenCredential;
  private service?: TableServiceClient;

  constructor(private readonly config: AppConfig['tables']) {}

  /** The store for a logical table name; the physical name carries the configured prefix (and a shard number). */
  store(logicalName: string): TableStore {
    let store = this.stores.get(logicalName);
    if (!store) {
      const sharded = SHARDED_TABLES[logicalName];
      const name = `${this.config.prefix}${logicalName}`;
      store = sharded
        ? new TableStore(this.createClient(`${name}${'0'.repeat(sharded.current.digits)}`), this.counters, {
            table: sharded,
            name,
            client: (physical) => this.createClient(physical),
            existing: (prefix) => this.tablesStartingWith(prefix),
          })
        : new TableStore(this.createClient(name), this.counters);
      this.stores.set(logicalName, store);
    }
    return store;
  }

  /** Physical tables whose names start with `prefix` (one listing; table names are alphanumeric). */
  private async tablesStartingWith(prefix: string): Promise<string[]> {
    const names: string[] = [];
    // '{' sorts after every letter and digit, so this bounds the names that extend the prefix.
    for await (const t of this.serviceClient().listTables({
      queryOptions: { filter: odata`TableName ge ${prefix} and TableName lt ${`${prefix}{`}` },
    })) {
      if (t.name?.startsWith(prefix)) names.push(t.name);
    }
    return names;
  }

  private serviceClient(): TableServiceClient {
    this.service ??=
      this.config.kind === 'connectionString'
        ? TableServiceClient.fromConnectionString(this.config.connectionString, {
            allowInsecureConnection: isInsecure(this.config.connectionString),
          })
        : new TableServiceClient(this.config.endpoint, this.credential());
    return this.service;
  }

  private createClient(tableName: string): TableClient {
    if (this.config.kind === 'connectionString') {
      return TableClient.fromConnectionString(this.config.connectionString, tableName, {
        allowInsecureConnection: isInsecure(this.config.connectionString),
      });
    }
    return new TableClient(this.config.endpoint, tableName, this.credential());
  }

  /** One credential for every table client: each would otherwise fetch and cache its own token (hundreds of shards). */
  private credential(): TokenCredential {
    if (this.config.kind === 'connectionString') throw new Error('a connection string carries its own key');
    const { clientId } = this.config;
    this.identity ??= clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
    return this.identity;
  }
}
