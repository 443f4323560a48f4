import type { Versioned } from '../../ports/repositories.js';
import {
  type AuditFeedCounts,
  type AuditFeedState,
  type AuditFeedStateRepository,
  type SeenContent,
  sumCounts,
  zeroCounts,
} from '../../ports/auditFeedState.js';
import { ConflictError } from '../../errors.js';
import {
  countsPartition,
  fromAuditFeedStateEntity,
  fromCountsEntity,
  hourKey,
  seenPartition,
  statePartition,
  toAuditFeedStateEntity,
  toCountsEntity,
} from './entities/auditFeed.js';
import { deleteMatching } from './deletions.js';
import { assertKey, encodeKey } from './keys.js';
import { odata, type TableStore } from './tableStore.js';

/**
 * Read-modify-write rounds before a contended row gives up (the timer tries again next minute). Each lost round
 * means another writer succeeded, so n writers at once all finish within n rounds; the jittered pause spreads them.
 */
const MAX_ATTEMPTS = 20;

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * Math.min(attempt + 1, 5)));

const isContention = (error: unknown) =>
  error instanceof Error && (error.name === 'PreconditionFailedError' || error.name === 'ConflictError');

/** The row of one seen blob: by creation time first, so the blobs past the 7-day window are a key range. */
function seenRow(content: SeenContent): string {
  return assertKey(`${new Date(content.contentCreated).toISOString()}|${encodeKey(content.contentId, 'content id')}`);
}

/**
 * The change feed's table (docs/design.md §8.4): per tenant and content type one state row, one counter row per
 * hour and one row per processed blob. Every write of a shared row is under its ETag (or an insert that fails
 * when another poll inserted first), so overlapping polls neither lose counts nor move the checkpoint back.
 */
export class AuditFeedTable implements AuditFeedStateRepository {
  constructor(private readonly store: TableStore) {}

  async get(tenantId: string, contentType: string): Promise<Versioned<AuditFeedState> | undefined> {
    const e = await this.store.get(statePartition(tenantId), assertKey(contentType, 'content type'));
    return e ? { value: fromAuditFeedStateEntity(e), etag: e.etag } : undefined;
  }

  async update(
    tenantId: string,
    contentType: string,
    change: (current: AuditFeedState | undefined) => AuditFeedState,
  ): Promise<AuditFeedState> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.get(tenantId, contentType);
      const next = change(current?.value);
      const entity = toAuditFeedStateEntity(tenantId, contentType, next);
      try {
        if (current) await this.store.update(entity, current.etag);
        else await this.store.insert(entity);
        return next;
      } catch (error) {
        if (!isContention(error)) throw error;
        await pause(attempt);
      }
    }
    throw new ConflictError(
      'AUDIT.STATE_CONTENTION',
      `The audit feed state of tenant '${tenantId}' (${contentType}) kept changing under ${MAX_ATTEMPTS} writes`,
    );
  }

  async addCounts(tenantId: string, contentType: string, at: Date, counts: AuditFeedCounts): Promise<void> {
    const pk = countsPartition(tenantId, contentType);
    const rk = hourKey(at);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const e = await this.store.get(pk, rk);
      try {
        if (e) await this.store.update(toCountsEntity(pk, rk, sumCounts(fromCountsEntity(e), counts)), e.etag);
        else await this.store.insert(toCountsEntity(pk, rk, counts));
        return;
      } catch (error) {
        if (!isContention(error)) throw error;
        await pause(attempt);
      }
    }
    throw new ConflictError(
      'AUDIT.STATE_CONTENTION',
      `The audit feed counters of tenant '${tenantId}' (${contentType}, hour ${rk}) kept changing`,
    );
  }

  async countsSince(tenantId: string, contentType: string, since: Date): Promise<AuditFeedCounts> {
    const pk = countsPartition(tenantId, contentType);
    let total = zeroCounts();
    for await (const e of this.store.all(odata`PartitionKey eq ${pk} and RowKey ge ${hourKey(since)}`, undefined, pk)) {
      total = sumCounts(total, fromCountsEntity(e));
    }
    return total;
  }

  async seen(tenantId: string, contentType: string, contents: readonly SeenContent[]): Promise<Set<string>> {
    const pk = seenPartition(tenantId, contentType);
    const found = new Set<string>();
    await Promise.all(
      contents.map(async (c) => {
        if (await this.store.get(pk, seenRow(c))) found.add(c.contentId);
      }),
    );
    return found;
  }

  async markSeen(tenantId: string, contentType: string, contents: readonly SeenContent[]): Promise<void> {
    const pk = seenPartition(tenantId, contentType);
    await this.store.submit(
      contents.map((c) => ['upsert', { partitionKey: pk, rowKey: seenRow(c), contentId: c.contentId }, 'Replace']),
    );
  }

  async forgetBefore(tenantId: string, contentType: string, before: Date): Promise<number> {
    const seen = seenPartition(tenantId, contentType);
    const hours = countsPartition(tenantId, contentType);
    const blobs = await deleteMatching(
      this.store,
      odata`PartitionKey eq ${seen} and RowKey lt ${before.toISOString()}`,
    );
    const buckets = await deleteMatching(this.store, odata`PartitionKey eq ${hours} and RowKey lt ${hourKey(before)}`);
    return blobs + buckets;
  }
}
