import { compareDelegations, keyOf, normalizeVias, sameDelegateDisplay, sameVias } from './identity.js';
import { RIGHTS, type EffectiveDelegation, type Right, type StoredDelegation } from './types.js';

/** What to write for one mailbox so that stored state matches what the sync observed. */
export interface DelegationDiff {
  /** New delegations: source `MailboxPermissionSync`, firstSeen = lastConfirmed = now. */
  added: StoredDelegation[];
  /** Synced delegations no longer observed. */
  removed: StoredDelegation[];
  /** Same (mailbox, delegate, right) with other vias or delegate display data; firstSeen kept, lastConfirmed = now. */
  changed: { before: StoredDelegation; after: StoredDelegation }[];
  /** Synced delegations observed exactly as stored: nothing to write. */
  unchanged: number;
  /** Observed delegations already held by a `Manual` row: the Manual row stays as it is. */
  coveredByManual: number;
}

export interface DiffOptions {
  /**
   * Rights this sync observed (`EffectiveDelegations.observedRights`). Stored rows of other rights are
   * left alone, so a task syncing only FullAccess never revokes SendAs found by another task. Default: all.
   */
  rights?: readonly Right[];
}

/**
 * Compares the stored delegations of a mailbox with the observed ones. Only `MailboxPermissionSync` rows
 * are added, changed or removed; `Manual` rows are never touched. An unchanged mailbox yields no writes.
 * `observed` is expected unique per (mailbox, delegate, right), as `computeEffectiveDelegations` returns it.
 */
export function diffDelegations(
  stored: readonly StoredDelegation[],
  observed: readonly EffectiveDelegation[],
  now: string,
  options: DiffOptions = {},
): DelegationDiff {
  const inScope = new Set<Right>(options.rights ?? RIGHTS);
  const manualKeys = new Set(stored.filter((d) => d.source === 'Manual').map(keyOf));
  const synced = new Map<string, StoredDelegation>();
  for (const row of stored) {
    if (row.source === 'MailboxPermissionSync' && inScope.has(row.right)) synced.set(keyOf(row), row);
  }

  const diff: DelegationDiff = { added: [], removed: [], changed: [], unchanged: 0, coveredByManual: 0 };
  const seen = new Set<string>();
  for (const current of [...observed].sort(compareDelegations)) {
    const key = keyOf(current);
    if (!inScope.has(current.right) || seen.has(key)) continue;
    seen.add(key);
    const before = synced.get(key);
    if (before !== undefined) {
      if (sameVias(before.via, current.via) && sameDelegateDisplay(before.delegate, current.delegate)) {
        diff.unchanged++;
      } else {
        diff.changed.push({ before, after: { ...toStored(current, before.firstSeen, now), ...grantOf(before) } });
      }
    } else if (manualKeys.has(key)) {
      diff.coveredByManual++;
    } else {
      diff.added.push(toStored(current, now, now));
    }
  }
  diff.removed = [...synced.entries()]
    .filter(([key]) => !seen.has(key))
    .map(([, row]) => row)
    .sort(compareDelegations);
  return diff;
}

/** Who granted a stored delegation and when: kept when its row is rewritten for another reason. */
function grantOf(d: StoredDelegation): Pick<StoredDelegation, 'grantedBy' | 'grantedAt'> {
  return { grantedBy: d.grantedBy, grantedAt: d.grantedAt };
}

/** A new or rewritten synced row; who granted it is not known to a read of Exchange (see attributeSyncPlan). */
function toStored(d: EffectiveDelegation, firstSeen: string, lastConfirmed: string): StoredDelegation {
  return {
    mailboxId: d.mailboxId,
    delegate: { ...d.delegate },
    right: d.right,
    via: normalizeVias(d.via),
    source: 'MailboxPermissionSync',
    firstSeen,
    lastConfirmed,
    grantedBy: null,
    grantedAt: null,
  };
}
