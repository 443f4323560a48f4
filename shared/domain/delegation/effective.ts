import { collectTrusteeGrants } from './grants.js';
import { compareDelegations, compareVias, delegationKey, normalizeVias } from './identity.js';
import type {
  DelegateRef,
  EffectiveDelegation,
  MailboxIdentity,
  MailboxRightsSnapshot,
  ResolvedTrustee,
  Right,
  TrusteeKey,
  UnresolvedReason,
  Via,
} from './types.js';

/** A trustee that holds or is denied a right but cannot become a stored delegation; the run counts it. */
export interface UnresolvedTrustee {
  key: TrusteeKey;
  reason: UnresolvedReason | 'roleGroup';
  detail: string;
}

export interface EffectiveDelegations {
  /** One per (mailbox, delegate, right), sorted by delegate id then right. */
  delegations: EffectiveDelegation[];
  /** Rights that were synced and read: pass to `diffDelegations` so other rights' rows stay untouched. */
  observedRights: Right[];
  /** Role groups, ambiguous names, names not found: counted, not stored. One entry per key. */
  unresolved: UnresolvedTrustee[];
  /** Distinct orphaned SIDs (deleted trustees). */
  orphaned: number;
  /** Keys of the plan missing from `resolved` (caller bug: those grants were skipped). */
  missingKeys: TrusteeKey[];
  /** Group ids resolved as trustees but missing from `groupMembers` (caller bug: those grants were skipped). */
  missingGroups: string[];
}

type UserTrustee = Extract<ResolvedTrustee, { kind: 'user' }>;
type GroupTrustee = Extract<ResolvedTrustee, { kind: 'group' }>;

/** One path from a trustee row to a user. */
interface Path {
  right: Right;
  delegate: DelegateRef;
  via: Via;
}

function isOwner(delegate: DelegateRef, mailbox: MailboxIdentity): boolean {
  const own = new Set([mailbox.upn, mailbox.primarySmtp].filter((a) => a !== '').map((a) => a.toLowerCase()));
  return (
    delegate.id.toLowerCase() === mailbox.id.toLowerCase() ||
    own.has(delegate.upn.toLowerCase()) ||
    own.has(delegate.address.toLowerCase())
  );
}

function toDelegateRef(user: UserTrustee): DelegateRef {
  const ref: DelegateRef = { id: user.id, upn: user.upn, address: user.address, displayName: user.displayName };
  if (user.accountEnabled !== undefined) ref.accountEnabled = user.accountEnabled;
  return ref;
}

/**
 * Turns the resolved trustee rows of one mailbox into the delegations it grants now: groups expanded to
 * their users, paths merged, explicit denies applied, the owner and unresolvable trustees left out.
 *
 * A Deny for a group cancels the right for every transitive member of that group, as an ACL evaluates a
 * deny against the user's group memberships; a Deny always beats an Allow for the same right, whatever
 * path either came from, and touches no other right.
 */
export function computeEffectiveDelegations(
  snapshot: MailboxRightsSnapshot,
  resolved: ReadonlyMap<TrusteeKey, ResolvedTrustee>,
  groupMembers: ReadonlyMap<string, readonly DelegateRef[]>,
): EffectiveDelegations {
  const { grants, observedRights, orphanedSids } = collectTrusteeGrants(snapshot);
  const { mailbox } = snapshot;
  const allows: Path[] = [];
  const denied = new Set<string>();
  const unresolved = new Map<TrusteeKey, UnresolvedTrustee>();
  const missingKeys = new Set<TrusteeKey>();
  const missingGroups = new Set<string>();

  for (const grant of grants) {
    const trustee = resolved.get(grant.key);
    if (trustee === undefined) {
      missingKeys.add(grant.key);
      continue;
    }
    if (trustee.kind === 'roleGroup' || trustee.kind === 'unresolved') {
      if (!unresolved.has(grant.key)) unresolved.set(grant.key, toUnresolved(grant.key, trustee));
      continue;
    }
    const reach = reachOf(trustee, groupMembers);
    if (reach === undefined) {
      missingGroups.add(trustee.id);
      continue;
    }
    for (const delegate of reach.users) {
      if (grant.effect === 'deny') denied.add(delegationKey(mailbox.id, delegate.id, grant.right));
      else allows.push({ right: grant.right, delegate, via: reach.via });
    }
  }

  return {
    delegations: mergePaths(mailbox, allows, denied),
    observedRights,
    unresolved: [...unresolved.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    orphaned: orphanedSids.length,
    missingKeys: [...missingKeys].sort(),
    missingGroups: [...missingGroups].sort(),
  };
}

/** The users a trustee reaches and the path they take; undefined when the group's members were not supplied. */
function reachOf(
  trustee: UserTrustee | GroupTrustee,
  groupMembers: ReadonlyMap<string, readonly DelegateRef[]>,
): { users: readonly DelegateRef[]; via: Via } | undefined {
  if (trustee.kind === 'user') return { users: [toDelegateRef(trustee)], via: { kind: 'direct' } };
  const members = groupMembers.get(trustee.id);
  if (members === undefined) return undefined;
  return { users: members, via: { kind: 'group', id: trustee.id, displayName: trustee.displayName } };
}

function toUnresolved(
  key: TrusteeKey,
  trustee: Extract<ResolvedTrustee, { kind: 'roleGroup' | 'unresolved' }>,
): UnresolvedTrustee {
  return trustee.kind === 'roleGroup'
    ? { key, reason: 'roleGroup', detail: trustee.name }
    : { key, reason: trustee.reason, detail: trustee.detail };
}

function mergePaths(mailbox: MailboxIdentity, allows: Path[], denied: ReadonlySet<string>): EffectiveDelegation[] {
  // Visiting paths in via order makes the kept delegate data independent of row order: direct data wins.
  const ordered = [...allows].sort((a, b) => compareVias(a.via, b.via));
  const merged = new Map<string, EffectiveDelegation>();
  for (const path of ordered) {
    const key = delegationKey(mailbox.id, path.delegate.id, path.right);
    if (denied.has(key) || isOwner(path.delegate, mailbox)) continue;
    const existing = merged.get(key);
    if (existing === undefined) {
      merged.set(key, { mailboxId: mailbox.id, delegate: { ...path.delegate }, right: path.right, via: [path.via] });
      continue;
    }
    existing.via.push(path.via);
    if (existing.delegate.accountEnabled === undefined && path.delegate.accountEnabled !== undefined) {
      existing.delegate.accountEnabled = path.delegate.accountEnabled;
    }
  }
  return [...merged.values()].map((d) => ({ ...d, via: normalizeVias(d.via) })).sort(compareDelegations);
}
