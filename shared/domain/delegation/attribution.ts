import type { MailboxSyncPlan, RevocationProposal } from './plan.js';
import type { DelegationRow, ObservedBy, Right, StoredDelegation } from './types.js';

/**
 * What an audit record says about a change, as attribution reads it (the change feed's PermissionChangeHint has
 * these fields): who made it, when, to which trustee and right when the record says.
 */
export interface AttributionHint {
  actor: string;
  /** ISO 8601 UTC: the record's CreationTime. */
  at: string;
  right: Right | null;
  trustee: string | null;
  change: 'grant' | 'revoke' | 'set';
}

/**
 * True when the hint names this delegation's change: the hint's right when it names one, a change of the same
 * direction (`set`, Set-Mailbox's whole new list, counts for both), and its trustee equal, case-insensitively, to
 * the delegate's object id, UPN, address or display name, or to the id or name of a group the delegation comes
 * `via`. A hint without a trustee names nobody: a Set-Mailbox removal lists who remains, not who was removed.
 */
export function hintNames(
  hint: AttributionHint,
  d: Pick<StoredDelegation, 'delegate' | 'right' | 'via'>,
  change: 'grant' | 'revoke',
): boolean {
  if (hint.right !== null && hint.right !== d.right) return false;
  if (hint.change !== 'set' && hint.change !== change) return false;
  const trustee = hint.trustee?.trim().toLowerCase();
  if (!trustee) return false;
  const names = [
    d.delegate.id,
    d.delegate.upn,
    d.delegate.address,
    d.delegate.displayName,
    ...d.via.flatMap((v) => (v.kind === 'group' ? [v.id, v.displayName] : [])),
  ];
  return names.some((name) => name !== '' && name.toLowerCase() === trustee);
}

/** The latest hint that names the delegation's change (see hintNames), if any. */
export function attributingHint(
  hints: readonly AttributionHint[],
  d: Pick<StoredDelegation, 'delegate' | 'right' | 'via'>,
  change: 'grant' | 'revoke',
): AttributionHint | undefined {
  let best: AttributionHint | undefined;
  for (const hint of hints) {
    if (!hintNames(hint, d, change)) continue;
    if (!best || Date.parse(hint.at) > Date.parse(best.at)) best = hint;
  }
  return best;
}

/**
 * A sync plan with its changes attributed: every event observed by `observedBy`; in an audit run, each granted
 * event, new row and proposed revocation whose change a hint names gets the hint's actor (a new row also its
 * time as `grantedAt`). Events no hint names keep a null actor: the re-read found them, nobody said who made them.
 */
export function attributeSyncPlan(
  plan: MailboxSyncPlan,
  observedBy: ObservedBy,
  hints: readonly AttributionHint[],
): MailboxSyncPlan {
  const grantOf = (d: Pick<StoredDelegation, 'delegate' | 'right' | 'via'>) => attributingHint(hints, d, 'grant');
  const events = plan.events.map((e) => {
    const hint = e.type === 'granted' ? grantOf(e) : attributingHint(hints, e, 'revoke');
    return { ...e, observedBy, actor: hint?.actor ?? null };
  });
  const added = new Set(plan.events.filter((e) => e.type === 'granted').map((e) => rowIdentity(e)));
  const upserts = plan.upserts.map((row) => {
    const hint = added.has(rowIdentity(row)) ? grantOf(row) : undefined;
    return hint ? { ...row, grantedBy: hint.actor, grantedAt: hint.at } : row;
  });
  const removals = plan.removals.map(
    (row): RevocationProposal => ({ ...row, actor: attributingHint(hints, row, 'revoke')?.actor ?? null }),
  );
  return { ...plan, events, upserts, removals };
}

/** A stored grant an audit record attributes after the fact (see lateAttributions). */
export interface LateAttribution {
  row: DelegationRow;
  actor: string;
  /** The record's time: when the grant was made. */
  at: string;
}

/**
 * Grants already stored that a hint now attributes: a full scan found them first (no author), and an audit run's
 * re-read finds them unchanged. Only synced rows with no `grantedBy`, and only a hint from no later than the row's
 * `firstSeen` (a record after it is about some later change: the grant was there before it). Rows the plan
 * itself grants are left out: attributeSyncPlan attributes those.
 */
export function lateAttributions(
  rows: readonly DelegationRow[],
  plan: Pick<MailboxSyncPlan, 'events'>,
  hints: readonly AttributionHint[],
): LateAttribution[] {
  const granted = new Set(plan.events.filter((e) => e.type === 'granted').map((e) => rowIdentity(e)));
  const found: LateAttribution[] = [];
  for (const row of rows) {
    if (row.source !== 'MailboxPermissionSync' || row.grantedBy !== null || granted.has(rowIdentity(row))) continue;
    const before = hints.filter((h) => Date.parse(h.at) <= Date.parse(row.firstSeen));
    const hint = attributingHint(before, row, 'grant');
    if (hint) found.push({ row, actor: hint.actor, at: hint.at });
  }
  return found;
}

function rowIdentity(d: { delegate: { id: string }; right: Right; source: string }): string {
  return `${d.delegate.id.toLowerCase()}|${d.right}|${d.source}`;
}
