import {
  RestError,
  TableClient,
  odata,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import { ManagedIdentityCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { AppConfig } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { fromTableError } from './tableErrors.js';
import { ATTR, dependencySpan } from '../telemetry/spans.js';

export { odata };

export type Entity = TableEntity<Record<string, unknown>>;
export type StoredEntity = TableEntityResult<Record<string, unknown>>;

/** Operation counters, read by the benchmark and by tests that prove "an unchanged re-sync writes nothing". */
export interface TableCounters {
  /** Queries and point reads sent. */
  reads: number;
  /** Entities those returned: what a page costs in Table Storage, however many round trips it took. */
  entities: number;
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

/**
 * Where a logical table's entities are stored: its physical tables. With more than one, a partition lives in the
 * table its key hashes to (FNV-1a, fixed forever: it decides where stored data is). The composition root picks the
 * layout: one table per entity on Table Storage, whose partitions scale out by themselves; the local host, the bench
 * and the tests pass dev/tableLayout.ts's sharded layout for Azurite, which scans a whole table per query.
 */
export interface TableLayout {
  /** The physical table names of `logicalName`, whose prefixed name is `name`: `[name]`, or its shards. */
  physicalTables(logicalName: string, name: string): readonly string[];
}

/** One physical table per logical table. */
export const ONE_TABLE_PER_ENTITY: TableLayout = { physicalTables: (_logicalName, name) => [name] };

const isTableMissing = (error: unknown) =>
  error instanceof RestError && error.statusCode === 404 && /TableNotFound/i.test(String(error.code ?? error.message));

/**
 * One logical table: typed-error mapping, batched transactions per partition, opaque paging, counters.
 * Repositories build on it and only supply keys and entity mappers. Its physical tables (one, or the shards of a
 * layout) are created on their first write; a table never written reads as empty.
 */
export class TableStore {
  /** This table's own counters (the shared ones add up every table). */
  readonly own: TableCounters = { reads: 0, entities: 0, writes: 0, transactions: 0 };
  /** Physical tables known to exist (created on their first write). */
  private readonly created = new Map<TableClient, Promise<void>>();

  constructor(
    private readonly clients: readonly [TableClient, ...TableClient[]],
    readonly counters: TableCounters,
    /** The entity's table name without prefix or shard (`Runs`), as dependency spans name it. */
    private readonly logicalName = clients[0].tableName,
  ) {}

  /** A Tables dependency span (`Tables query RunItems`); its row count is the entities read or written. */
  private traced<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return dependencySpan(
      `Tables ${operation} ${this.logicalName}`,
      { [ATTR.service]: 'tables', [ATTR.operation]: operation, [ATTR.table]: this.logicalName },
      fn,
    );
  }

  /** The physical table holding a partition. */
  private clientFor(partitionKey: string): TableClient {
    if (this.clients.length === 1) return this.clients[0];
    let hash = 0x811c9dc5;
    for (let i = 0; i < partitionKey.length; i++) hash = Math.imul(hash ^ partitionKey.charCodeAt(i), 0x01000193) >>> 0;
    return this.clients[hash % this.clients.length] ?? this.clients[0];
  }

  private count(kind: keyof TableCounters, n: number): void {
    this.counters[kind] += n;
    this.own[kind] += n;
  }

  /** The (first) physical table's name, for messages. */
  get tableName(): string {
    return this.clients[0].tableName;
  }

  /** Before a write: the partition's physical table exists (created once per process; idempotent in the service). */
  private async ensureWritable(partitionKey: string): Promise<TableClient> {
    const client = this.clientFor(partitionKey);
    let created = this.created.get(client);
    if (!created) {
      created = this.traced('createTable', () => client.createTable()).catch((error: unknown) => {
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
    this.count('reads', 1);
    try {
      const entity = await this.traced('read', () =>
        this.clientFor(partitionKey).getEntity<Record<string, unknown>>(partitionKey, rowKey),
      );
      this.count('entities', 1);
      return entity;
    } catch (error) {
      const mapped = fromTableError(error, `read ${this.tableName}`);
      if (mapped.name === 'NotFoundError') return undefined;
      throw mapped;
    }
  }

  /** Inserts; throws ConflictError when the entity already exists (the basis of idempotent claims). */
  async insert(entity: Entity): Promise<string> {
    const client = await this.ensureWritable(entity.partitionKey);
    this.count('writes', 1);
    try {
      return this.etagOf(await this.traced('insert', () => client.createEntity(entity)), 'insert into');
    } catch (error) {
      throw fromTableError(error, `insert into ${this.tableName}`);
    }
  }

  /** Inserts or replaces without a concurrency check. */
  async upsert(entity: Entity, mode: 'Replace' | 'Merge' = 'Replace'): Promise<string> {
    const client = await this.ensureWritable(entity.partitionKey);
    this.count('writes', 1);
    try {
      return this.etagOf(await this.traced('upsert', () => client.upsertEntity(entity, mode)), 'upsert into');
    } catch (error) {
      throw fromTableError(error, `upsert into ${this.tableName}`);
    }
  }

  /** Replaces or merges only if the stored ETag still matches; PreconditionFailedError otherwise. */
  async update(entity: Entity, etag: string, mode: 'Replace' | 'Merge' = 'Replace'): Promise<string> {
    const client = await this.ensureWritable(entity.partitionKey);
    this.count('writes', 1);
    try {
      return this.etagOf(await this.traced('update', () => client.updateEntity(entity, mode, { etag })), 'update');
    } catch (error) {
      throw fromTableError(error, `update ${this.tableName}`);
    }
  }

  /** The new ETag of a write: Table Storage always sends one, and an invented one would defeat the next guard. */
  private etagOf(response: { etag?: string }, what: string): string {
    if (!response.etag) throw new Error(`Table Storage answered ${what} ${this.tableName} without an ETag`);
    return response.etag;
  }

  /**
   * Deletes; a missing entity is not an error (idempotent). With an ETag, a changed entity is a
   * PreconditionFailedError.
   */
  async delete(partitionKey: string, rowKey: string, etag?: string): Promise<void> {
    this.count('writes', 1);
    try {
      await this.traced('delete', () =>
        this.clientFor(partitionKey).deleteEntity(partitionKey, rowKey, etag ? { etag } : undefined),
      );
    } catch (error) {
      const mapped = fromTableError(error, `delete from ${this.tableName}`);
      if (mapped.name !== 'NotFoundError') throw mapped;
    }
  }

  /**
   * One entity-group transaction (one partition, at most 100 actions), answering each written entity's new ETag
   * in the actions' order (a delete has none), so a caller can guard its next write without reading again.
   */
  async transact(actions: readonly TransactionAction[]): Promise<Array<string | undefined>> {
    if (actions.length === 0) return [];
    const response = await this.submitChunk(actions);
    // A changeset's responses come in its requests' order (OData batch); an update's has no Location to name it.
    if (response.subResponses.length !== actions.length) {
      const answered = response.subResponses.length;
      throw new Error(`Table Storage answered ${answered} of a transaction's ${actions.length} on ${this.tableName}`);
    }
    // The SDK cuts the ETag out of the multipart text up to the line's end: with CRLF lines it keeps the CR.
    const etags = response.subResponses.map((r) => r.etag?.trim());
    return actions.map(([kind], i) =>
      kind === 'delete' ? undefined : this.etagOf({ etag: etags[i] }, 'a transaction on'),
    );
  }

  /** One entity-group transaction of one partition's actions (at most 100), counted and traced. */
  private async submitChunk(
    actions: readonly TransactionAction[],
  ): Promise<Awaited<ReturnType<TableClient['submitTransaction']>>> {
    const partitionKey = String(actions[0]?.[1].partitionKey);
    if (actions.length > MAX_BATCH || actions.some((a) => String(a[1].partitionKey) !== partitionKey)) {
      throw new Error(`a transaction on ${this.tableName} takes one partition and at most ${MAX_BATCH} actions`);
    }
    const client = await this.ensureWritable(partitionKey);
    this.count('transactions', 1);
    this.count('writes', actions.length);
    try {
      return await this.traced('transaction', () => client.submitTransaction([...actions]));
    } catch (error) {
      throw fromTableError(error, `transaction on ${this.tableName}`);
    }
  }

  /**
   * Applies many writes as entity-group transactions: grouped by partition, at most 100 per transaction.
   * Partitions are written concurrently (a few at a time), each partition's chunks in order.
   * Use idempotent actions (upsert, delete of existing) so a redelivered message can re-apply them.
   */
  async submit(actions: readonly TransactionAction[]): Promise<void> {
    if (actions.length === 0) return;
    const byPartition = new Map<string, TransactionAction[]>();
    for (const action of actions) {
      const pk = String(action[1].partitionKey);
      const list = byPartition.get(pk);
      if (list) list.push(action);
      else byPartition.set(pk, [action]);
    }
    const partitions = [...byPartition.entries()];
    const writePartition = async ([, list]: [string, TransactionAction[]]) => {
      for (let i = 0; i < list.length; i += MAX_BATCH) await this.submitChunk(list.slice(i, i + MAX_BATCH));
    };
    // Sequential round trips per partition made wide batches (a page of directory entries) slow.
    const queue = partitions.values();
    const worker = async () => {
      for (const partition of queue) await writePartition(partition);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTITIONS, partitions.length) }, worker));
  }

  /**
   * One page of entities matching an odata-built filter; `continuationToken` is opaque to callers. Over several
   * physical tables, with `partitionKey` only its table is queried; without, the tables are read in turn to fill
   * the page (so only a single table returns entities in key order).
   */
  async page(options: {
    filter?: string;
    top: number;
    continuationToken?: string;
    select?: string[];
    partitionKey?: string;
  }): Promise<Page<StoredEntity>> {
    const single = this.clients.length === 1 || options.partitionKey !== undefined;
    let position: PagePosition | null = unwrapToken(options.continuationToken, single ? 1 : this.clients.length);
    const items: StoredEntity[] = [];
    while (position && items.length < options.top) {
      const current: PagePosition = position;
      const client = single
        ? this.clientFor(options.partitionKey ?? '')
        : (this.clients[current.shard] ?? this.clients[0]);
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
        const result = await this.traced('query', () => iterator.next());
        if (!result.done && result.value) {
          items.push(...result.value);
          this.count('entities', result.value.length);
          sdkNext = result.value.continuationToken;
        }
      } catch (error) {
        if (!isTableMissing(error)) throw fromTableError(error, `query ${this.tableName}`); // never written: empty
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
   * physical table holding that partition is queried (the filter must still select the partition).
   */
  async *all(filter?: string, select?: string[], partitionKey?: string): AsyncGenerator<StoredEntity> {
    const shards = partitionKey === undefined ? this.clients : [this.clientFor(partitionKey)];
    for (const client of shards) {
      try {
        const pages = client
          .listEntities<Record<string, unknown>>({
            queryOptions: { ...(filter ? { filter } : {}), ...(select ? { select } : {}) },
          })
          .byPage({ maxPageSize: 1000 });
        // Paged by hand so each round trip is its own span; a consumer that stops early still closes the pager.
        const iterator = pages[Symbol.asyncIterator]();
        try {
          for (;;) {
            const next = await this.traced('query', () => iterator.next());
            if (next.done) break;
            const page = next.value;
            this.count('reads', 1);
            this.count('entities', page.length);
            yield* page;
          }
        } finally {
          await iterator.return?.();
        }
      } catch (error) {
        if (isTableMissing(error)) continue; // a table never written to
        throw fromTableError(error, `query ${this.tableName}`);
      }
    }
  }
}

const isInsecure = (connectionString: string) =>
  /TableEndpoint=http:\/\//i.test(connectionString) || /UseDevelopmentStorage=true/i.test(connectionString);

/** Anything that hands out stores by logical table name (the factory, or a test double over Azurite). */
export interface TableFactoryLike {
  store(logicalName: string): TableStore;
}

/**
 * Creates TableClients from the validated config: a connection string (Azurite) or an endpoint with managed
 * identity.
 */
export class TableClientFactory implements TableFactoryLike {
  readonly counters: TableCounters = { reads: 0, entities: 0, writes: 0, transactions: 0 };
  private readonly stores = new Map<string, TableStore>();
  private identity?: TokenCredential;

  constructor(
    private readonly config: AppConfig['tables'],
    private readonly layout: TableLayout = ONE_TABLE_PER_ENTITY,
  ) {}

  /** The store for a logical table name; the physical names carry the configured prefix (and the layout's suffix). */
  store(logicalName: string): TableStore {
    let store = this.stores.get(logicalName);
    if (!store) {
      const [first, ...rest] = this.layout
        .physicalTables(logicalName, `${this.config.prefix}${logicalName}`)
        .map((name) => this.createClient(name));
      if (!first) throw new Error(`the table layout gives no physical table for ${logicalName}`);
      store = new TableStore([first, ...rest], this.counters, logicalName);
      this.stores.set(logicalName, store);
    }
    return store;
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
