import type { TransactionAction } from '@azure/data-tables';
import type { StoredEntity, TableStore } from './tableStore.js';

/** Entities a deletion pass holds at once: bounded memory whatever a table holds. */
export const DELETE_CHUNK = 1000;

/**
 * Deletes entities in entity-group transactions (per partition, 100 at most each). A transaction that names an
 * entity already gone fails whole (404): its entities are then deleted one by one, where a missing one is no
 * error, so a pass repeated after a crash or beside another one finishes instead of failing.
 */
export async function deleteEntities(
  store: TableStore,
  entities: ReadonlyArray<Pick<StoredEntity, 'partitionKey' | 'rowKey'>>,
): Promise<void> {
  const keys = entities.map((e) => ({ partitionKey: String(e.partitionKey), rowKey: String(e.rowKey) }));
  try {
    await store.submit(keys.map((key): TransactionAction => ['delete', key]));
  } catch (error) {
    if ((error as Error).name !== 'NotFoundError') throw error;
    for (const key of keys) await store.delete(key.partitionKey, key.rowKey);
  }
}

/** Deletes every entity `filter` selects, a chunk at a time; returns how many. */
export async function deleteMatching(store: TableStore, filter: string): Promise<number> {
  let deleted = 0;
  let chunk: StoredEntity[] = [];
  for await (const entity of store.all(filter, ['PartitionKey', 'RowKey'])) {
    chunk.push(entity);
    if (chunk.length >= DELETE_CHUNK) {
      await deleteEntities(store, chunk);
      deleted += chunk.length;
      chunk = [];
    }
  }
  await deleteEntities(store, chunk);
  return deleted + chunk.length;
}
