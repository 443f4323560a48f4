import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RIGHTS,
  applyDelegationDiff,
  computeEffectiveDelegations,
  diffDelegations,
  keyOf,
  normalizeVias,
  type DelegateRef,
  type EffectiveDelegation,
  type MailboxIdentity,
  type RawAce,
  type ResolvedTrustee,
  type StoredDelegation,
  type TrusteeKey,
  type Via,
} from '../../shared/domain/delegation/index.js';

// Small pools so that generated stored and observed sets overlap, collide and differ in display data.
const delegateArb: fc.Arbitrary<DelegateRef> = fc.record({
  id: fc.constantFrom('u-1', 'u-2', 'U-2', 'u-3', 'u-4'),
  upn: fc.constantFrom('a@contoso.com', 'b@contoso.com'),
  address: fc.constantFrom('a@contoso.com', 'a2@contoso.com'),
  displayName: fc.constantFrom('A', 'A renamed'),
  accountEnabled: fc.constantFrom(true, false, undefined),
});

const viaArb: fc.Arbitrary<Via> = fc.oneof(
  fc.constant<Via>({ kind: 'direct' }),
  fc.record({
    kind: fc.constant('group' as const),
    id: fc.constantFrom('g-1', 'g-2', 'g-3'),
    displayName: fc.constantFrom('Group', 'Group renamed'),
  }),
);

const effectiveArb: fc.Arbitrary<EffectiveDelegation> = fc.record({
  mailboxId: fc.constantFrom('m-1', 'M-1', 'm-2'),
  delegate: delegateArb,
  right: fc.constantFrom(...RIGHTS),
  via: fc.array(viaArb, { minLength: 1, maxLength: 4 }),
});

const storedArb: fc.Arbitrary<StoredDelegation> = fc.record({
  mailboxId: fc.constantFrom('m-1', 'M-1', 'm-2'),
  delegate: delegateArb,
  right: fc.constantFrom(...RIGHTS),
  via: fc.array(viaArb, { minLength: 1, maxLength: 4 }),
  source: fc.constantFrom('MailboxPermissionSync' as const, 'Manual' as const),
  firstSeen: fc.constantFrom('2025-01-01T00:00:00Z', '2025-06-01T00:00:00Z'),
  lastConfirmed: fc.constantFrom('2025-06-01T00:00:00Z', '2025-07-01T00:00:00Z'),
});

// Storage holds one row per (mailbox, delegate, right); computeEffectiveDelegations emits one per key too.
const storedSetArb = fc.uniqueArray(storedArb, { selector: keyOf, maxLength: 12 });
const observedSetArb = fc.uniqueArray(effectiveArb, { selector: keyOf, maxLength: 12 });
const rightsArb = fc.option(fc.subarray([...RIGHTS]), { nil: undefined });

const NOW = '2026-03-01T00:00:00Z';
const LATER = '2026-03-02T00:00:00Z';

describe('diffDelegations properties', () => {
  it('is idempotent: after applying a diff, diffing again against the same observation writes nothing', () => {
    fc.assert(
      fc.property(storedSetArb, observedSetArb, rightsArb, (stored, observed, rights) => {
        const first = diffDelegations(stored, observed, NOW, { rights });
        const second = diffDelegations(applyDelegationDiff(stored, first), observed, LATER, { rights });

        expect(second.added).toEqual([]);
        expect(second.removed).toEqual([]);
        expect(second.changed).toEqual([]);
      }),
    );
  });

  it('never removes or changes a Manual row', () => {
    fc.assert(
      fc.property(storedSetArb, observedSetArb, rightsArb, (stored, observed, rights) => {
        const diff = diffDelegations(stored, observed, NOW, { rights });
        const after = applyDelegationDiff(stored, diff);

        for (const manual of stored.filter((d) => d.source === 'Manual')) {
          expect(after).toContainEqual(manual);
        }
        const touched = [...diff.removed, ...diff.changed.map((c) => c.before), ...diff.changed.map((c) => c.after)];
        expect(touched.every((d) => d.source === 'MailboxPermissionSync')).toBe(true);
        expect(after.filter((d) => d.source === 'Manual')).toHaveLength(
          stored.filter((d) => d.source === 'Manual').length,
        );
      }),
    );
  });

  it('does not depend on the order of the observed delegations or their vias', () => {
    const observedTwiceArb = observedSetArb.chain((observed) =>
      fc.tuple(
        fc.constant(observed),
        fc.shuffledSubarray(observed, { minLength: observed.length, maxLength: observed.length }),
      ),
    );
    fc.assert(
      fc.property(storedSetArb, observedTwiceArb, rightsArb, (stored, [observed, shuffled], rights) => {
        const reordered = shuffled.map((d) => ({ ...d, via: [...d.via].reverse() }));

        expect(diffDelegations(stored, reordered, NOW, { rights })).toEqual(
          diffDelegations(stored, observed, NOW, { rights }),
        );
      }),
    );
  });

  it('never adds and removes the same delegation, and accounts for every observed one', () => {
    fc.assert(
      fc.property(storedSetArb, observedSetArb, rightsArb, (stored, observed, rights) => {
        const diff = diffDelegations(stored, observed, NOW, { rights });

        const added = new Set(diff.added.map(keyOf));
        const removed = new Set(diff.removed.map(keyOf));
        const changed = new Set(diff.changed.map((c) => keyOf(c.before)));
        expect([...added].filter((k) => removed.has(k) || changed.has(k))).toEqual([]);
        expect([...removed].filter((k) => changed.has(k))).toEqual([]);
        const inScope = observed.filter((d) => rights === undefined || rights.includes(d.right));
        expect(diff.added.length + diff.changed.length + diff.unchanged + diff.coveredByManual).toBe(inScope.length);
      }),
    );
  });

  it('keeps firstSeen of changed rows and stamps now on what it writes', () => {
    fc.assert(
      fc.property(storedSetArb, observedSetArb, (stored, observed) => {
        const diff = diffDelegations(stored, observed, NOW);

        for (const { before, after } of diff.changed) {
          expect(after.firstSeen).toBe(before.firstSeen);
          expect(after.lastConfirmed).toBe(NOW);
          expect(after.via).toEqual(normalizeVias(after.via));
        }
        expect(diff.added.every((d) => d.firstSeen === NOW && d.lastConfirmed === NOW)).toBe(true);
      }),
    );
  });
});

// Raw rows over a fixed little tenant: users, two groups (overlapping), a role group, the owner, noise.
const owner: MailboxIdentity = {
  id: 'm-owner',
  upn: 'owner@contoso.com',
  primarySmtp: 'owner@contoso.com',
  name: 'owner',
  displayName: 'Owner',
};
const ownerRef: DelegateRef = {
  id: 'm-owner',
  upn: 'owner@contoso.com',
  address: 'owner@contoso.com',
  displayName: 'Owner',
};
const u1: DelegateRef = {
  id: 'u-1',
  upn: 'u1@contoso.com',
  address: 'u1@contoso.com',
  displayName: 'U1',
  accountEnabled: true,
};
const u2: DelegateRef = {
  id: 'u-2',
  upn: 'u2@contoso.com',
  address: 'u2@contoso.com',
  displayName: 'U2',
  accountEnabled: false,
};
const u3: DelegateRef = { id: 'u-3', upn: 'u3@contoso.com', address: 'u3@contoso.com', displayName: 'U3' };
const resolved = new Map<TrusteeKey, ResolvedTrustee>([
  ['u1@contoso.com', { kind: 'user', ...u1 }],
  ['u2@contoso.com', { kind: 'user', ...u2 }],
  ['owner@contoso.com', { kind: 'user', ...ownerRef }],
  ['team a', { kind: 'group', id: 'g-a', displayName: 'Team A' }],
  ['team b', { kind: 'group', id: 'g-b', displayName: 'Team B' }],
  ['discovery management', { kind: 'roleGroup', name: 'Discovery Management' }],
]);
const members = new Map<string, readonly DelegateRef[]>([
  ['g-a', [u1, u3, ownerRef]],
  ['g-b', [u2, u3]],
]);
const membersOf = (key: string): DelegateRef[] => {
  const trustee = resolved.get(key);
  if (trustee?.kind === 'user') return [{ ...trustee }];
  if (trustee?.kind === 'group') return [...(members.get(trustee.id) ?? [])];
  return [];
};

const aceArb = (right: 'FullAccess' | 'SendAs'): fc.Arbitrary<RawAce> =>
  fc.record({
    trustee: fc.constantFrom(
      'U1@contoso.com',
      'u2@contoso.com',
      'owner',
      'Team A',
      'TEAM B',
      'Discovery Management',
      'NT AUTHORITY\\SELF',
      'S-1-5-21-1-2-3-99',
    ),
    accessRights: fc.constantFrom([right], [`${right}, ReadPermission`], ['ReadPermission']),
    isInherited: fc.boolean(),
    deny: fc.boolean(),
  });

describe('computeEffectiveDelegations properties', () => {
  it('does not depend on row order, never lists the owner, and lets a Deny win', () => {
    fc.assert(
      fc.property(
        fc.array(aceArb('FullAccess'), { maxLength: 10 }),
        fc.array(aceArb('SendAs'), { maxLength: 10 }),
        (fullAccess, sendAs) => {
          const snap = { mailbox: owner, rights: [...RIGHTS], fullAccess, sendAs };

          const result = computeEffectiveDelegations(snap, resolved, members);
          const reversed = computeEffectiveDelegations(
            { ...snap, fullAccess: [...fullAccess].reverse(), sendAs: [...sendAs].reverse() },
            resolved,
            members,
          );

          expect(reversed).toEqual(result);
          expect(result.delegations.some((d) => d.delegate.id === owner.id)).toBe(false);
          expect(new Set(result.delegations.map(keyOf)).size).toBe(result.delegations.length);
          for (const [right, rows] of [
            ['FullAccess', fullAccess],
            ['SendAs', sendAs],
          ] as const) {
            const explicitDenies = rows.filter(
              (r) => r.deny && !r.isInherited && r.accessRights[0] !== 'ReadPermission',
            );
            const deniedIds = new Set(
              explicitDenies.flatMap((r) => membersOf(r.trustee.toLowerCase()).map((u) => u.id)),
            );
            const holders = result.delegations.filter((d) => d.right === right).map((d) => d.delegate.id);
            expect(holders.filter((id) => deniedIds.has(id))).toEqual([]);
          }
          for (const d of result.delegations) expect(d.via).toEqual(normalizeVias(d.via));
        },
      ),
    );
  });
});
