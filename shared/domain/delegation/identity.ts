import { RIGHTS, type DelegateRef, type EffectiveDelegation, type Right, type Via } from './types.js';

/**
 * Identity of a delegation: (mailbox, delegate, right). Object ids are compared case-insensitively
 * because Exchange and Graph do not agree on GUID casing.
 */
export function delegationKey(mailboxId: string, delegateId: string, right: Right): string {
  return `${mailboxId.toLowerCase()}|${delegateId.toLowerCase()}|${right}`;
}

/** `delegationKey` of an existing delegation. */
export function keyOf(d: Pick<EffectiveDelegation, 'mailboxId' | 'delegate' | 'right'>): string {
  return delegationKey(d.mailboxId, d.delegate.id, d.right);
}

/** Code-point order: locale-independent, so output is identical on every host. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Order of vias: direct first, then groups by id (display name breaks ties). */
export function compareVias(a: Via, b: Via): number {
  if (a.kind === 'direct' || b.kind === 'direct') {
    return a.kind === b.kind ? 0 : a.kind === 'direct' ? -1 : 1;
  }
  return compareStrings(a.id.toLowerCase(), b.id.toLowerCase()) || compareStrings(a.displayName, b.displayName);
}

/** Sorts vias (direct first, then groups by id) and drops repeats of the same path. */
export function normalizeVias(vias: readonly Via[]): Via[] {
  const byPath = new Map<string, Via>();
  for (const via of [...vias].sort(compareVias)) {
    const path = via.kind === 'direct' ? 'direct' : `group:${via.id.toLowerCase()}`;
    if (!byPath.has(path)) byPath.set(path, via.kind === 'direct' ? { kind: 'direct' } : { ...via });
  }
  return [...byPath.values()];
}

/** True when both lists name the same paths (order-insensitive); a renamed group counts as different. */
export function sameVias(a: readonly Via[], b: readonly Via[]): boolean {
  const left = normalizeVias(a);
  const right = normalizeVias(b);
  return (
    left.length === right.length &&
    left.every((via, i) => {
      const other = right[i];
      if (other === undefined || via.kind !== other.kind) return false;
      return via.kind === 'direct' || (other.kind === 'group' && compareVias(via, other) === 0);
    })
  );
}

/** True when the display data we store for a delegate (upn, address, displayName, accountEnabled) is equal. */
export function sameDelegateDisplay(a: DelegateRef, b: DelegateRef): boolean {
  return (
    a.upn === b.upn &&
    a.address === b.address &&
    a.displayName === b.displayName &&
    a.accountEnabled === b.accountEnabled
  );
}

/** Deterministic order of delegations: mailbox id, delegate id, then right in `RIGHTS` order. */
export function compareDelegations(
  a: Pick<EffectiveDelegation, 'mailboxId' | 'delegate' | 'right'>,
  b: Pick<EffectiveDelegation, 'mailboxId' | 'delegate' | 'right'>,
): number {
  return (
    compareStrings(a.mailboxId.toLowerCase(), b.mailboxId.toLowerCase()) ||
    compareStrings(a.delegate.id.toLowerCase(), b.delegate.id.toLowerCase()) ||
    RIGHTS.indexOf(a.right) - RIGHTS.indexOf(b.right)
  );
}
