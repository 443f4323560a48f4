import { createHash } from 'node:crypto';
import { diffDelegations } from './diff.js';
import type { EffectiveDelegations } from './effective.js';
import { readsSuspiciouslyEmpty } from './hold.js';
import { compareDelegations, keyOf, normalizeVias } from './identity.js';
import {
  changeEvent,
  type DelegateRef,
  type DelegationEvent,
  type DelegationRow,
  type EffectiveDelegation,
  type MailboxRef,
  type ObservedBy,
  type Right,
  type StoredDelegation,
} from './types.js';

/**
 * What a sync knows of a mailbox's stored delegations: its rows, or only that they match the observation whose
 * digest the mailbox's sync state holds (the rows are then not read: they are the observed ones).
 */
export type StoredMailbox = { kind: 'matchesDigest' } | { kind: 'rows'; rows: readonly DelegationRow[] };

/**
 * Why a sync proposes to revoke a stored delegation: it was not observed, or the mailbox read empty while it held
 * many (`readEmpty`: held for review whatever the run's totals, docs/wire.md, Safety).
 */
export type SyncRevocationReason = 'notObserved' | 'readEmpty';

/** A stored synced delegation the sync no longer observed: the run applies or holds it when it closes. */
export interface RevocationProposal extends DelegationRow {
  reason: SyncRevocationReason;
  /** Who removed it, when an audit record said (see attributeSyncPlan); its `revoked` event carries it. */
  actor: string | null;
}

/** The counts a run item records for one mailbox's sync. */
export interface SyncCounts {
  delegationsAdded: number;
  /** Always 0 here: a sync proposes revocations, the run's close applies them. */
  delegationsRemoved: number;
  trusteesUnresolved: number;
}

/** Who syncs the mailbox, and when: stamped on the rows and history events the plan writes. */
export interface SyncContext {
  mailbox: MailboxRef;
  taskId: string;
  runId: string;
  /** ISO 8601 UTC. */
  at: string;
  /** What kind of run reads the mailbox: its events say so (an audit run's are attributed by attributeSyncPlan). */
  observedBy: ObservedBy;
}

/**
 * Everything one mailbox's sync changes. Rows are only upserted: a sync never deletes (docs/trust.md), it
 * proposes `removals` to its run. Applying `upserts` and `events` and re-planning the same observation yields
 * no upserts and no events, and the same removals until the run applies them.
 */
export interface MailboxSyncPlan extends SyncContext {
  /** `observationDigest` of the observation: recorded once the rows match it, so the next equal one reads none. */
  digest: string;
  /** Added and changed synced delegations, and the unchanged synced rows of a renamed mailbox. */
  upserts: DelegationRow[];
  /** Stored synced delegations of the observed rights that were not observed, proposed for revocation. */
  removals: RevocationProposal[];
  /** One `granted` event per added delegation. */
  events: DelegationEvent[];
  counts: SyncCounts;
  /** Delegations whose vias or delegate display data changed. */
  changed: number;
  /** The delegates of the added and changed delegations, each once: their directory entries are written too. */
  delegates: DelegateRef[];
  /** Synced delegations stored per observed right before this sync: the base of the run's revocation hold. */
  storedByRight: Partial<Record<Right, number>>;
  /** `removals` per right. */
  revocationsProposed: Partial<Record<Right, number>>;
}

/**
 * An observation that skipped grants because the resolver answered for fewer trustees or groups than asked: a
 * bug, never a reason to propose revoking what those grants hold (the message is retried, then dead-lettered).
 */
export class IncompleteObservationError extends Error {
  override name = 'IncompleteObservationError';
}

/**
 * Everything the plan of a mailbox depends on besides the stored rows: the mailbox as shown, the rights
 * observed and the effective delegations with their display data. Equal digest + untouched rows = no change.
 */
export function observationDigest(
  mailbox: MailboxRef,
  observedRights: readonly Right[],
  delegations: readonly EffectiveDelegation[],
): string {
  const rows = delegations
    .map(
      (d) =>
        [
          d.delegate.id.toLowerCase(),
          d.right,
          d.delegate.upn,
          d.delegate.address,
          d.delegate.displayName,
          d.delegate.accountEnabled ?? null,
          normalizeVias(d.via),
        ] as const,
    )
    .sort((a, b) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0] < b[0] ? -1 : 1));
  const canonical = JSON.stringify([
    1,
    mailbox.id.toLowerCase(),
    mailbox.address,
    mailbox.displayName,
    [...observedRights].sort(),
    rows,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * Plans one mailbox's sync: what to write so the stored synced delegations of the observed rights match the
 * observation, and which to propose for revocation. Manual rows and rights not observed are left as stored.
 * Throws IncompleteObservationError when the observation skipped grants (missing trustees or groups).
 */
export function planMailboxSync(
  stored: StoredMailbox,
  observed: EffectiveDelegations,
  context: SyncContext,
): MailboxSyncPlan {
  if (observed.missingKeys.length > 0 || observed.missingGroups.length > 0) {
    throw new IncompleteObservationError(
      `mailbox ${context.mailbox.id}: the resolver left out ${observed.missingKeys.length} trustee(s) and ` +
        `${observed.missingGroups.length} group(s) of the observation; its grants would read as revoked`,
    );
  }
  const { mailbox, taskId, runId, at, observedBy } = context;
  const digest = observationDigest(mailbox, observed.observedRights, observed.delegations);
  const counts: SyncCounts = {
    delegationsAdded: 0,
    delegationsRemoved: 0,
    trusteesUnresolved: observed.unresolved.length + observed.orphaned,
  };
  if (stored.kind === 'matchesDigest') {
    // The rows are what the last sync wrote for this very observation, which is what the hold counts against.
    return {
      mailbox,
      taskId,
      runId,
      at,
      observedBy,
      digest,
      upserts: [],
      removals: [],
      events: [],
      counts,
      changed: 0,
      delegates: [],
      storedByRight: countByRight(observed.delegations),
      revocationsProposed: {},
    };
  }

  const diff = diffDelegations(stored.rows, observed.delegations, at, { rights: observed.observedRights });
  const onMailbox = (d: StoredDelegation): DelegationRow => ({ ...d, mailbox });
  const removedKeys = new Set(diff.removed.map(keyOf));
  const changedKeys = new Set(diff.changed.map((c) => keyOf(c.before)));
  const synced = stored.rows.filter((row) => row.source === 'MailboxPermissionSync');
  const inScope = new Set(observed.observedRights);
  const storedByRight = countByRight(synced.filter((row) => inScope.has(row.right)));

  // A renamed mailbox: its unchanged rows are rewritten so by-delegate lookups show the new name.
  const renamed = synced.filter(
    (row) =>
      (row.mailbox.address !== mailbox.address || row.mailbox.displayName !== mailbox.displayName) &&
      !removedKeys.has(keyOf(row)) &&
      !changedKeys.has(keyOf(row)),
  );
  // A mailbox that suddenly reads empty while it held many delegations is more likely a read that went wrong than
  // a mailbox everyone lost access to: its revocations are held whatever the run's totals (docs/wire.md, Safety).
  const storedCount = Object.values(storedByRight).reduce((a, b) => a + b, 0);
  const reason = readsSuspiciouslyEmpty(observed.delegations.length, storedCount) ? 'readEmpty' : 'notObserved';
  const removals = synced
    .filter((row) => removedKeys.has(keyOf(row)))
    .sort(compareDelegations)
    .map((row): RevocationProposal => ({ ...row, reason, actor: null }));
  const events = diff.added.map((d) =>
    changeEvent('granted', mailbox, d, { runId, taskId, at, actor: null, observedBy }),
  );
  const written = [...diff.added, ...diff.changed.map((c) => c.after)];
  return {
    mailbox,
    taskId,
    runId,
    at,
    observedBy,
    digest,
    upserts: [...written.map(onMailbox), ...renamed.map((row) => ({ ...row, mailbox }))],
    removals,
    events,
    counts: { ...counts, delegationsAdded: diff.added.length },
    changed: diff.changed.length,
    delegates: [...new Map(written.map((d) => [d.delegate.id, d.delegate])).values()],
    storedByRight,
    revocationsProposed: countByRight(removals),
  };
}

function countByRight(rows: ReadonlyArray<{ right: Right }>): Partial<Record<Right, number>> {
  const counts: Partial<Record<Right, number>> = {};
  for (const row of rows) counts[row.right] = (counts[row.right] ?? 0) + 1;
  return counts;
}
