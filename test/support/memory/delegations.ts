import type { LateAttribution, MailboxSyncPlan, Right } from '../../../shared/domain/delegation/index.js';
import type {
  ChangeContext,
  DelegationEvent,
  DelegationRepository,
  DelegationRow,
  HistoryQuery,
  MailboxChanges,
  StoredMailboxRead,
  SyncState,
} from '../../../shared/ports/delegations.js';
import type { Page } from '../../../shared/ports/repositories.js';
import { pageOf } from './paging.js';

/** The part of the delegation port that a mailbox's sync and its run's close use. */
export type MailboxDelegationPort = Pick<
  DelegationRepository,
  'syncState' | 'forMailbox' | 'readForSync' | 'applySyncPlan' | 'apply'
>;

const rowKey = (otherId: string, d: Pick<DelegationRow, 'right' | 'source'>) =>
  [otherId.toLowerCase(), d.right, d.source].join('|');

/**
 * The delegation tables in memory, for use-case tests without a network. It keeps what the tables key on: one
 * row per (mailbox, delegate, right, source) in each index, history rows keyed by their run scope and identity, and
 * one sync state per mailbox that every write replaces (its ETag a counter).
 */
export class MemoryDelegations implements DelegationRepository {
  /** Mailbox id (lower-cased) → row key → row: the forward index. */
  private readonly byMailbox = new Map<string, Map<string, DelegationRow>>();
  /** Delegate id (lower-cased) → row key → row: the reverse index. */
  private readonly byDelegate = new Map<string, Map<string, DelegationRow>>();
  private readonly states = new Map<string, SyncState>();
  /** Mailbox id (lower-cased) → right → when a sync last verified it (the `verified` row beside the state). */
  readonly verified = new Map<string, Partial<Record<Right, string>>>();
  /** History rows by their deterministic key: a redelivery rewrites, never adds. */
  readonly history = new Map<string, DelegationEvent>();
  private version = 0;

  async syncState(mailboxId: string): Promise<SyncState | undefined> {
    const state = this.states.get(mailboxId.toLowerCase());
    return state && { ...state };
  }

  async forMailbox(mailboxId: string): Promise<DelegationRow[]> {
    return [...(this.byMailbox.get(mailboxId.toLowerCase())?.values() ?? [])].map((row) => structuredClone(row));
  }

  async forDelegate(delegateId: string): Promise<DelegationRow[]> {
    return [...(this.byDelegate.get(delegateId.toLowerCase())?.values() ?? [])].map((row) => structuredClone(row));
  }

  /** The history newest first, filtered as the history log's key ranges select (offset continuation tokens). */
  async changes(query: HistoryQuery): Promise<Page<DelegationEvent>> {
    const same = (a: string, b: string | undefined) => b === undefined || a.toLowerCase() === b.toLowerCase();
    const events = [...this.history.values()]
      .filter(
        (e) => e.at >= query.since && same(e.mailbox.id, query.mailboxId) && same(e.delegate.id, query.delegateId),
      )
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return pageOf(
      events.map((e) => structuredClone(e)),
      query,
    );
  }

  async readForSync(mailboxId: string, digest: string): Promise<StoredMailboxRead> {
    const state = await this.syncState(mailboxId);
    if (state?.digest === digest) return { kind: 'matchesDigest' };
    return { kind: 'rows', rows: state ? await this.forMailbox(mailboxId) : [], stateEtag: state?.etag };
  }

  async applySyncPlan(plan: MailboxSyncPlan, read: StoredMailboxRead, runKey: string): Promise<void> {
    if (read.kind === 'matchesDigest') return;
    let stateEtag = read.stateEtag;
    if (plan.upserts.length > 0) {
      stateEtag = await this.apply(
        { mailbox: plan.mailbox, upsert: plan.upserts, remove: [], events: plan.events },
        { taskId: plan.taskId, runId: plan.runId, at: plan.at, eventScope: runKey },
      );
    }
    const id = plan.mailbox.id.toLowerCase();
    if (plan.removals.length > 0) this.writeState(id, { digest: '', pendingRun: runKey });
    else if (stateEtag && this.states.get(id)?.etag === stateEtag) this.writeState(id, { digest: plan.digest });
  }

  async apply(changes: MailboxChanges, context: ChangeContext): Promise<string | undefined> {
    if (changes.upsert.length === 0 && changes.remove.length === 0 && changes.events.length === 0) return undefined;
    const etag = this.writeState(changes.mailbox.id.toLowerCase(), { digest: '' });
    for (const e of changes.events) {
      const identity = [context.eventScope, e.mailbox.id, e.delegate.id, e.right, e.source, e.type].join('|');
      this.history.set(identity.toLowerCase(), structuredClone(e));
    }
    for (const d of changes.upsert) {
      // The tables store the row's mailbox id as the mailbox reference holds it.
      const row = structuredClone({ ...d, mailboxId: d.mailbox.id });
      partition(this.byDelegate, d.delegate.id).set(rowKey(d.mailbox.id, d), row);
      partition(this.byMailbox, d.mailbox.id).set(rowKey(d.delegate.id, d), row);
    }
    for (const d of changes.remove) {
      partition(this.byDelegate, d.delegate.id).delete(rowKey(d.mailbox.id, d));
      partition(this.byMailbox, d.mailbox.id).delete(rowKey(d.delegate.id, d));
    }
    return etag;
  }

  async recordVerified(mailboxId: string, rights: readonly Right[], at: string): Promise<void> {
    if (rights.length === 0) return;
    const id = mailboxId.toLowerCase();
    this.verified.set(id, { ...this.verified.get(id), ...Object.fromEntries(rights.map((r) => [r, at])) });
  }

  async lastVerified(mailboxIds: readonly string[]): Promise<Map<string, Partial<Record<Right, string>>>> {
    const found = new Map<string, Partial<Record<Right, string>>>();
    for (const id of mailboxIds.map((m) => m.toLowerCase())) {
      const times = this.verified.get(id);
      if (times) found.set(id, { ...times });
    }
    return found;
  }

  async attributeGrant({ row, actor, at }: LateAttribution): Promise<void> {
    const same = (e: DelegationEvent) =>
      e.type === 'granted' &&
      e.mailbox.id.toLowerCase() === row.mailbox.id.toLowerCase() &&
      e.delegate.id.toLowerCase() === row.delegate.id.toLowerCase() &&
      e.right === row.right &&
      e.source === row.source;
    const latest = [...this.history.values()].filter(same).sort((a, b) => (a.at < b.at ? 1 : -1))[0];
    if (latest && latest.actor === null) latest.actor = actor;
    for (const [index, id, key] of [
      [this.byDelegate, row.delegate.id, rowKey(row.mailbox.id, row)],
      [this.byMailbox, row.mailbox.id, rowKey(row.delegate.id, row)],
    ] as const) {
      const stored = index.get(id.toLowerCase())?.get(key);
      if (stored) Object.assign(stored, { grantedBy: actor, grantedAt: at });
    }
  }

  private writeState(mailboxId: string, state: Omit<SyncState, 'etag'>): string {
    const etag = `W/"${++this.version}"`;
    this.states.set(mailboxId, { ...state, etag });
    return etag;
  }
}

function partition(index: Map<string, Map<string, DelegationRow>>, id: string): Map<string, DelegationRow> {
  const key = id.toLowerCase();
  let rows = index.get(key);
  if (!rows) {
    rows = new Map();
    index.set(key, rows);
  }
  return rows;
}
