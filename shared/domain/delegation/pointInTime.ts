import type { DelegateRef, DelegationEvent, DelegationRow, MailboxRef, Right, Source, Via } from './types.js';

/**
 * One delegation as it stood at a past time, rebuilt from the current rows and the change history. `via` and
 * `firstSeen` are present only when the history (or an unchanged current row) records them for that time, and
 * so are `grantedBy` and `observedBy`, from the grant event at or before that time (its actor; null: not known).
 */
export interface HistoricDelegation {
  mailbox: MailboxRef;
  delegate: DelegateRef;
  right: Right;
  source: Source;
  via?: Via[];
  firstSeen?: string;
  grantedBy?: string | null;
  observedBy?: DelegationEvent['observedBy'];
}

const keyOf = (d: { mailbox: MailboxRef; delegate: { id: string }; right: Right; source: Source }) =>
  [d.mailbox.id.toLowerCase(), d.delegate.id.toLowerCase(), d.right, d.source].join('|');

const ms = (iso: string) => Date.parse(iso);

/**
 * The delegations held at `at` (inclusive: an event at exactly `at` has happened), per (mailbox, delegate, right,
 * source). The latest event at or before `at` decides when there is one (granted: held). Otherwise the earliest
 * event after `at` does: a revocation after `at` means it was held at `at` (granted before the retained history),
 * a grant after `at` that it was not. A key with no event at all is held when a current row holds it since `at`.
 * Walking back from the current rows means a grant older than the retained history still shows; the caller says
 * from when the history is complete.
 */
export function delegationsAt(
  current: readonly DelegationRow[],
  events: readonly DelegationEvent[],
  at: string,
): HistoricDelegation[] {
  const cut = ms(at);
  const byKey = new Map<string, DelegationEvent[]>();
  for (const event of events) {
    const list = byKey.get(keyOf(event));
    if (list) list.push(event);
    else byKey.set(keyOf(event), [event]);
  }
  const rows = new Map(current.map((row) => [keyOf(row), row]));
  const held: HistoricDelegation[] = [];
  for (const key of new Set([...byKey.keys(), ...rows.keys()])) {
    const list = (byKey.get(key) ?? []).slice().sort((a, b) => ms(a.at) - ms(b.at));
    const before = list.filter((e) => ms(e.at) <= cut).at(-1);
    const after = list.find((e) => ms(e.at) > cut);
    const row = rows.get(key);
    // A current row with no event either side has held the delegation since its firstSeen (a revocation and a
    // re-grant write events, and the row's firstSeen restarts with a re-grant).
    const rowHeld = row !== undefined && ms(row.firstSeen) <= cut;
    const isHeld = before ? before.type === 'granted' : after ? after.type === 'revoked' : rowHeld;
    if (!isHeld) continue;
    const known = before ?? after ?? row;
    if (!known) continue;
    const grant = before?.type === 'granted' ? before : undefined;
    // A current row tells the time of the grant when nothing changed since `at`; its via may have changed without
    // an event (paths are not history), so only a grant event's via is shown.
    const firstSeen = grant ? grant.at : !after && row ? row.firstSeen : undefined;
    held.push({
      mailbox: known.mailbox,
      delegate: known.delegate,
      right: known.right,
      source: known.source,
      ...(grant ? { via: grant.via } : {}),
      ...(firstSeen ? { firstSeen } : {}),
      ...(grant ? { grantedBy: grant.actor, observedBy: grant.observedBy } : {}),
    });
  }
  return held;
}
