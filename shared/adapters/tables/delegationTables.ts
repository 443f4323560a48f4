import type { TransactionAction } from '@azure/data-tables';
import type { Right, Source } from '../../domain/delegation/types.js';
import type { LateAttribution } from '../../domain/delegation/attribution.js';
import { decodeKey, encodeKey } from './keys.js';
import { HistoryLog } from './historyLog.js';
import type { Page } from '../../ports/repositories.js';
import { fromDelegationEntity, toDelegationProperties } from './entities/delegation.js';
import { fromSyncStateEntity, fromVerifiedEntity, toVerifiedProperties } from './entities/syncState.js';
import { odata, type Entity, type StoredEntity, type TableFactoryLike, type TableStore } from './tableStore.js';
import type {
  ChangeContext,
  DelegationEvent,
  DelegationRepository,
  DelegationRow,
  HistoryQuery,
  MailboxChanges,
  StoredMailboxRead,
  SyncState,
} from '../../ports/delegations.js';
import type { MailboxSyncPlan } from '../../domain/delegation/plan.js';

const SEP = '|';
const SYNC_STATE_ROW = 'state';
/**
 * Beside the state row, its own row: the state row is replaced whole under ETags (the digest protocol), which
 * would drop a time kept on it, and a write to it would fail a concurrent sync's conditional digest write.
 */
const VERIFIED_ROW = 'verified';

function rowKeyOf(otherId: string, right: Right, source: Source): string {
  return [encodeKey(otherId.toLowerCase(), 'object id'), right, source].join(SEP);
}

function toEntity(partitionId: string, otherId: string, d: DelegationRow): Entity {
  return {
    partitionKey: encodeKey(partitionId.toLowerCase(), 'object id'),
    rowKey: rowKeyOf(otherId, d.right, d.source),
    ...toDelegationProperties(d),
  };
}

/**
 * The delegate index: by mailbox (the state a sync diffs against), by delegate (lookups), and the history of
 * grants and revocations. Writes follow the crash-safety order of docs/design.md §2: history and the reverse
 * index first, the forward index last, all idempotent, so a redelivered message repairs a partial write.
 */
export class DelegationTables implements DelegationRepository {
  readonly byMailbox: TableStore;
  readonly byDelegate: TableStore;
  readonly history: HistoryLog;
  /**
   * One row per mailbox ever written through `apply`: the digest of what the last sync observed, or '' while
   * a write is in progress or after any other writer. A sync whose observation has the stored digest skips
   * reading the mailbox's rows; a mailbox without a row has no rows at all (apply writes the row first).
   */
  readonly syncStates: TableStore;

  constructor(tables: TableFactoryLike) {
    this.byMailbox = tables.store('DelegationsByMailbox');
    this.byDelegate = tables.store('DelegationsByDelegate');
    this.history = new HistoryLog(tables);
    this.syncStates = tables.store('MailboxSyncState');
  }

  /** The mailbox's sync state (digest and ETag), or undefined when nothing was ever written for it. */
  async syncState(mailboxId: string): Promise<SyncState | undefined> {
    const e = await this.syncStates.get(encodeKey(mailboxId.toLowerCase(), 'mailbox id'), SYNC_STATE_ROW);
    if (!e) return undefined;
    return fromSyncStateEntity(e);
  }

  /**
   * Records that the latest sync of a mailbox, in run `runKey`, proposed revocations it did not apply: the rows
   * no longer match any digest, and only that run's proposals may still be applied (a later sync replaces this).
   */
  private async markRevocationsPending(mailboxId: string, runKey: string): Promise<void> {
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
  private async recordSyncDigest(mailboxId: string, digest: string, etag: string): Promise<boolean> {
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
      rows.push(fromDelegationEntity(e, 'DelegationsByMailbox'));
    return rows;
  }

  /** Every stored delegation a delegate holds (one partition query). */
  async forDelegate(delegateId: string): Promise<DelegationRow[]> {
    const rows: DelegationRow[] = [];
    const pk = encodeKey(delegateId.toLowerCase(), 'delegate id');
    for await (const e of this.byDelegate.all(odata`PartitionKey eq ${pk}`, undefined, pk))
      rows.push(fromDelegationEntity(e, 'DelegationsByDelegate'));
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
    await this.history.write(changes.mailbox.id, changes.events, context);
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

  /** The stored side of a mailbox for a sync whose observation has `digest`; an equal digest reads no row. */
  async readForSync(mailboxId: string, digest: string): Promise<StoredMailboxRead> {
    const state = await this.syncState(mailboxId);
    if (state?.digest === digest) return { kind: 'matchesDigest' };
    // No state row: nothing was ever written for this mailbox (apply writes the state first), so no rows to read.
    return { kind: 'rows', rows: state ? await this.forMailbox(mailboxId) : [], stateEtag: state?.etag };
  }

  /** Applies a mailbox's sync plan in crash-safe order (see DelegationRepository.applySyncPlan). */
  async applySyncPlan(plan: MailboxSyncPlan, read: StoredMailboxRead, runKey: string): Promise<void> {
    if (read.kind === 'matchesDigest') return;
    let stateEtag = read.stateEtag;
    if (plan.upserts.length > 0) {
      stateEtag = await this.apply(
        { mailbox: plan.mailbox, upsert: plan.upserts, remove: [], events: plan.events },
        { taskId: plan.taskId, runId: plan.runId, at: plan.at, eventScope: runKey },
      );
    }
    if (plan.removals.length > 0) {
      // The rows no longer match any observation, and only this run's proposals may be applied at its close.
      await this.markRevocationsPending(plan.mailbox.id, runKey);
    } else if (stateEtag) {
      // Conditional: a writer that came in between leaves the state unknown, so the next sync reads the rows.
      await this.recordSyncDigest(plan.mailbox.id, plan.digest, stateEtag);
    }
  }

  /** One page of the change history, newest first (the history's keys and query: historyLog.ts). */
  changes(query: HistoryQuery): Promise<Page<DelegationEvent>> {
    return this.history.changes(query);
  }

  /** Merges the verified time of the rights a sync read into the mailbox's `verified` row (one write). */
  async recordVerified(mailboxId: string, rights: readonly Right[], at: string): Promise<void> {
    if (rights.length === 0) return;
    await this.syncStates.upsert(
      {
        partitionKey: encodeKey(mailboxId.toLowerCase(), 'mailbox id'),
        rowKey: VERIFIED_ROW,
        ...toVerifiedProperties(rights, at),
      },
      'Merge',
    );
  }

  /** The `verified` row of each mailbox: one point read each, up to 32 at once (a user may open thousands). */
  async lastVerified(mailboxIds: readonly string[]): Promise<Map<string, Partial<Record<Right, string>>>> {
    const ids = [...new Set(mailboxIds.map((id) => id.toLowerCase()))];
    const found = new Map<string, Partial<Record<Right, string>>>();
    for (let i = 0; i < ids.length; i += 32) {
      const chunk = ids.slice(i, i + 32);
      const rows = await Promise.all(chunk.map((id) => this.syncStates.get(encodeKey(id, 'mailbox id'), VERIFIED_ROW)));
      chunk.forEach((id, k) => {
        const row = rows[k];
        if (row) found.set(id, fromVerifiedEntity(row));
      });
    }
    return found;
  }

  /** Attributes a stored grant after the fact (see DelegationRepository.attributeGrant). */
  async attributeGrant({ row, actor, at }: LateAttribution): Promise<void> {
    await this.history.attributeLatestGrant(row, actor);
    const grant = { grantedBy: actor, grantedAt: at };
    // Merges under '*': only the attribution changes, and a row removed meanwhile is not brought back. The reverse
    // index first, the forward index (which the next sync reads) last, as every other write.
    const reverseKey = encodeKey(row.delegate.id.toLowerCase(), 'delegate id');
    await this.byDelegate
      .update(
        { partitionKey: reverseKey, rowKey: rowKeyOf(row.mailbox.id, row.right, row.source), ...grant },
        '*',
        'Merge',
      )
      .catch(ignoreNotFound);
    const forwardKey = encodeKey(row.mailbox.id.toLowerCase(), 'mailbox id');
    await this.byMailbox
      .update(
        { partitionKey: forwardKey, rowKey: rowKeyOf(row.delegate.id, row.right, row.source), ...grant },
        '*',
        'Merge',
      )
      .catch(ignoreNotFound);
  }
}

function ignoreNotFound(error: unknown): void {
  if ((error as Error).name !== 'NotFoundError') throw error;
}

export { decodeKey };
