import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IncompleteObservationError,
  MIN_REVOCATIONS_TO_HOLD,
  RIGHTS,
  computeEffectiveDelegations,
  diffDelegations,
  keyOf,
  normalizeVias,
  observationDigest,
  planMailboxSync,
  type DelegateRef,
  type MailboxIdentity,
  type RawAce,
  type ResolvedTrustee,
  type Right,
  type SyncContext,
  type TrusteeKey,
} from '../../shared/domain/delegation/index.js';
import { effectiveArb, mailboxArb, observationArb, storedArb, storedRowsArb } from '../support/arbitraries.js';

// Storage holds one row per (mailbox, delegate, right); computeEffectiveDelegations emits one per key too.
const storedSetArb = fc.uniqueArray(storedArb, { selector: keyOf, maxLength: 12 });
const observedSetArb = fc.uniqueArray(effectiveArb, { selector: keyOf, maxLength: 12 });
const rightsArb = fc.option(fc.subarray([...RIGHTS]), { nil: undefined });

const NOW = '2026-03-01T00:00:00Z';

describe('diffDelegations properties', () => {
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

// Re-planning after a plan is applied is a property of the plan and the repository together: it runs through the
// tables on Azurite and the in-memory repository in test/integration/mailboxSync.repository.test.ts.
describe('planMailboxSync properties', () => {
  const MAILBOX = 'm-1';
  const contextArb = mailboxArb(MAILBOX).map(
    (mailbox): SyncContext => ({ mailbox, taskId: 'task-1', runId: 'run-1', at: NOW, observedBy: 'fullScan' }),
  );
  const sum = (byRight: Partial<Record<Right, number>>) => Object.values(byRight).reduce((a, b) => a + b, 0);

  it('counts what it writes and proposes', () => {
    fc.assert(
      fc.property(storedRowsArb(MAILBOX), observationArb(MAILBOX), contextArb, (rows, observed, context) => {
        const plan = planMailboxSync({ kind: 'rows', rows }, observed, context);

        expect(plan.counts).toEqual({
          delegationsAdded: plan.events.length,
          delegationsRemoved: 0,
          trusteesUnresolved: observed.unresolved.length + observed.orphaned,
        });
        expect(plan.events.every((e) => e.type === 'granted' && e.runId === 'run-1' && e.at === NOW)).toBe(true);
        expect(plan.upserts.length).toBeGreaterThanOrEqual(plan.counts.delegationsAdded + plan.changed);
        expect(sum(plan.revocationsProposed)).toBe(plan.removals.length);
        expect(new Set(plan.upserts.map(keyOf)).size).toBe(plan.upserts.length);
      }),
    );
  });

  it('writes synced rows only, and proposes only stored synced rows of the observed rights it no longer sees', () => {
    fc.assert(
      fc.property(storedRowsArb(MAILBOX), observationArb(MAILBOX), contextArb, (rows, observed, context) => {
        const plan = planMailboxSync({ kind: 'rows', rows }, observed, context);

        expect(plan.upserts.every((row) => row.source === 'MailboxPermissionSync')).toBe(true);
        const seen = new Set(observed.delegations.map(keyOf));
        const readEmpty = observed.delegations.length === 0 && sum(plan.storedByRight) >= MIN_REVOCATIONS_TO_HOLD;
        for (const { reason, actor, ...row } of plan.removals) {
          expect(actor).toBeNull(); // a plan attributes nothing: attributeSyncPlan does, in an audit run
          expect(rows).toContainEqual(row);
          expect(row.source).toBe('MailboxPermissionSync');
          expect(observed.observedRights).toContain(row.right);
          expect(seen.has(keyOf(row))).toBe(false);
          expect(reason).toBe(readEmpty ? 'readEmpty' : 'notObserved');
        }
        const synced = rows.filter((r) => r.source === 'MailboxPermissionSync');
        const expected = synced.filter((r) => observed.observedRights.includes(r.right) && !seen.has(keyOf(r)));
        expect(plan.removals).toHaveLength(expected.length);
      }),
    );
  });

  it('plans nothing when the stored rows are known to match the observation', () => {
    fc.assert(
      fc.property(observationArb(MAILBOX), contextArb, (observed, context) => {
        const plan = planMailboxSync({ kind: 'matchesDigest' }, observed, context);

        expect(plan).toMatchObject({ upserts: [], removals: [], events: [], changed: 0, delegates: [] });
        expect(plan.digest).toBe(observationDigest(context.mailbox, observed.observedRights, observed.delegations));
        expect(sum(plan.storedByRight)).toBe(observed.delegations.length);
      }),
    );
  });

  it('throws on trustees or groups the resolver left out, whatever is stored: they never read as revoked', () => {
    const missingArb = fc.oneof(
      fc.record({ missingKeys: fc.constant<string[]>(['u1@contoso.com']), missingGroups: fc.constant<string[]>([]) }),
      fc.record({ missingKeys: fc.constant<string[]>([]), missingGroups: fc.constant<string[]>(['g-1']) }),
    );
    fc.assert(
      fc.property(
        storedRowsArb(MAILBOX),
        observationArb(MAILBOX),
        missingArb,
        contextArb,
        (rows, observed, missing, context) => {
          expect(() => planMailboxSync({ kind: 'rows', rows }, { ...observed, ...missing }, context)).toThrow(
            IncompleteObservationError,
          );
        },
      ),
    );
  });

  it('counts unresolved and orphaned trustees and plans nothing else for them', () => {
    fc.assert(
      fc.property(storedRowsArb(MAILBOX), observationArb(MAILBOX), contextArb, (rows, observed, context) => {
        const resolvedOnly = { ...observed, unresolved: [], orphaned: 0 };

        const plan = planMailboxSync({ kind: 'rows', rows }, observed, context);
        const without = planMailboxSync({ kind: 'rows', rows }, resolvedOnly, context);

        expect({ ...plan, counts: undefined }).toEqual({ ...without, counts: undefined });
        expect(plan.counts.trusteesUnresolved).toBe(observed.unresolved.length + observed.orphaned);
      }),
    );
  });

  it('has a digest that depends on neither the order of the delegations nor that of their vias', () => {
    fc.assert(
      fc.property(observationArb(MAILBOX), contextArb, (observed, context) => {
        const reordered = [...observed.delegations].reverse().map((d) => ({ ...d, via: [...d.via].reverse() }));

        expect(observationDigest(context.mailbox, [...observed.observedRights].reverse(), reordered)).toBe(
          observationDigest(context.mailbox, observed.observedRights, observed.delegations),
        );
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
