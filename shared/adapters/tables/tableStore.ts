import { TableClient, odata, type TableEntity, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
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

/**
 * One table: typed-error mapping, batched transactions per partition, opaque paging, counters.
 * Repositories build on it and only supply keys and entity mappers.
 */
export class TableStore {
  private ensured?: Promise<void>;
  /** This table's own counters (the shared ones add up every table). */
  readonly own: TableCounters = { reads: 0, writes: 0, transactions: 0 };

  constructor(
    readonly client: TableClient,
    readonly counters: TableCounters,
  ) {}

  private count(kind: keyof TableCounters, n: number): void {
    this.counters[kind] += n;
    this.own[kind] += n;
  }

  get tableName(): string {
    return this.client.tableName;
  }

  /** Creates the table once per process (idempotent in Table Storage). */
  ensureTable(): Promise<void> {
    this.ensured ??= this.client.createTable().catch((error: unknown) => {
      this.ensured = undefined;
      throw fromTableError(error, `create table ${this.tableName}`);
    });
    return this.ensured;
  }

  /** Reads one entity, or undefined when it does not exist. */
  async get(partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    await this.ensureTable();
    this.count('reads', 1);
    try {
      return await this.client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (error) {
      const mapped = fromTableError(error, `read ${this.tableName}`);
      if (mapped.name === 'NotFoundError') return undefined;
      throw mapped;
    }
  }

  /** Inserts; throws ConflictError when the entity already exists (the basis of idempotent claims). */
  async insert(entity: Entity): Promise<string | undefined> {
    await this.ensureTable();
    this.count('writes', 1);
    try {
      return (await this.client.createEntity(entity)).etag;
    } catch (error) {
      throw fromTableError(error, `insert into ${this.tableName}`);
    }
  }

  /** Inserts or replaces without a concurrency check. */
  async upsert(entity: Entity, mode: 'Replace' | 'Merge' = 'Replace'): Promise<string | undefined> {
    await this.ensureTable();
    this.count('writes', 1);
    try {
      return (await this.client.upsertEntity(entity, mode)).etag;
    } catch (error) {
      throw fromTableError(error, `upsert into ${this.tableName}`);
    }
  }

  /** Replaces or merges only if the stored ETag still matches; PreconditionFailedError otherwise. */
  async update(entity: Entity, etag: string, mode: 'Replace' | 'Merge' = 'Replace'): Promise<string | undefined> {
    await this.ensureTable();
    this.count('writes', 1);
    try {
      return (await this.client.updateEntity(entity, mode, { etag })).etag;
    } catch (error) {
      throw fromTableError(error, `update ${this.tableName}`);
    }
  }

  /** Deletes; a missing entity is not an error (idempotent). With an ETag, a changed entity is a PreconditionFailedError. */
  async delete(partitionKey: string, rowKey: string, etag?: string): Promise<void> {
    await this.ensureTable();
    this.count('writes', 1);
    try {
      await this.client.deleteEntity(partitionKey, rowKey, etag ? { etag } : undefined);
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
        this.count('transactions', 1);
        this.count('writes', chunk.length);
        try {
          await this.client.submitTransaction(chunk);
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
  async page(options: { filter?: string; top: number; continuationToken?: string; select?: string[] }): Promise<Page<StoredEntity>> {
    await this.ensureTable();
    const sdkToken = unwrapToken(options.continuationToken);
    this.count('reads', 1);
    try {
      const iterator = this.client
        .listEntities<Record<string, unknown>>({
          queryOptions: { ...(options.filter ? { filter: options.filter } : {}), ...(options.select ? { select: options.select } : {}) },
        })
        .byPage({ maxPageSize: options.top, ...(sdkToken ? { continuationToken: sdkToken } : {}) });
      const result = await iterator.next();
      if (result.done || !result.value) return { items: [], continuationToken: null };
      const page = result.value;
      return { items: [...page], continuationToken: wrapToken(page.continuationToken) };
    } catch (error) {
      throw fromTableError(error, `query ${this.tableName}`);
    }
  }

  /** Streams every matching entity page by page (never holds the whole result). */
  async *all(filter?: string, select?: string[]): AsyncGenerator<StoredEntity> {
    await this.ensureTable();
    try {
      const pages = this.client
        .listEntities<Record<string, unknown>>({ queryOptions: { ...(filter ? { filter } : {}), ...(select ? { select } : {}) } })
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages) {
        this.count('reads', 1);
        yield* page;
      }
    } catch (error) {
      throw fromTableError(error, `query ${this.tableName}`);
    }
  }
}

/** Anything that hands out stores by logical table name (the factory, or a test double over Azurite). */
export interface TableFactoryLike {
  store(logicalName: string): TableStore;
}

/** Creates TableClients from the validated config: a connection string (Azurite) or an endpoint with managed identity. */
export class TableClientFactory implements TableFactoryLike {
  readonly counters: TableCounters = { reads: 0, writes: 0, transactions: 0 };
  private readonly stores = new Map<string, TableStore>();

  constructor(private readonly config: AppConfig['tables']) {}

  /** The store for a logical table name; the physical name carries the configured prefix. */
  store(logicalName: string): TableStore {
    let store = this.stores.get(logicalName);
    if (!store) {
      store = new TableStore(this.createClient(`${this.config.prefix}${logicalName}`), this.counters);
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
