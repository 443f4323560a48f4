import fc from 'fast-check';
import {
  RIGHTS,
  keyOf,
  type DelegateRef,
  type DelegationRow,
  type EffectiveDelegation,
  type EffectiveDelegations,
  type MailboxRef,
  type StoredDelegation,
  type UnresolvedTrustee,
  type Via,
} from '../../shared/domain/delegation/index.js';

// Small pools, so that generated stored and observed sets overlap, collide and differ in display data.

/** A delegate from a pool of four ids (two differ only in case: GUID casing varies between Exchange and Graph). */
export const delegateArb: fc.Arbitrary<DelegateRef> = fc.record(
  {
    id: fc.constantFrom('u-1', 'u-2', 'U-2', 'u-3', 'u-4'),
    upn: fc.constantFrom('a@contoso.com', 'b@contoso.com'),
    address: fc.constantFrom('a@contoso.com', 'a2@contoso.com'),
    displayName: fc.constantFrom('A', 'A renamed'),
    accountEnabled: fc.boolean(),
  },
  { requiredKeys: ['id', 'upn', 'address', 'displayName'] },
);

export const viaArb: fc.Arbitrary<Via> = fc.oneof(
  fc.constant<Via>({ kind: 'direct' }),
  fc.record({
    kind: fc.constant('group' as const),
    id: fc.constantFrom('g-1', 'g-2', 'g-3'),
    displayName: fc.constantFrom('Group', 'Group renamed'),
  }),
);

const viasArb = fc.array(viaArb, { minLength: 1, maxLength: 4 });

export const effectiveArb: fc.Arbitrary<EffectiveDelegation> = fc.record({
  mailboxId: fc.constantFrom('m-1', 'M-1', 'm-2'),
  delegate: delegateArb,
  right: fc.constantFrom(...RIGHTS),
  via: viasArb,
});

export const storedArb: fc.Arbitrary<StoredDelegation> = fc.record({
  mailboxId: fc.constantFrom('m-1', 'M-1', 'm-2'),
  delegate: delegateArb,
  right: fc.constantFrom(...RIGHTS),
  via: viasArb,
  source: fc.constantFrom('MailboxPermissionSync' as const, 'Manual' as const),
  firstSeen: fc.constantFrom('2025-01-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z'),
  lastConfirmed: fc.constantFrom('2025-06-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z'),
  grantedBy: fc.constantFrom(null, 'admin@contoso.com'),
  grantedAt: fc.constantFrom(null, '2024-12-31T23:00:00.000Z'),
});

/** The mailbox `id` as a sync shows it now: its name may have changed since its rows were stored. */
export const mailboxArb = (id: string): fc.Arbitrary<MailboxRef> =>
  fc.record({
    id: fc.constant(id),
    address: fc.constantFrom(`${id}@contoso.com`, `${id}.renamed@contoso.com`),
    displayName: fc.constantFrom('Shared box', 'Shared box (renamed)'),
  });

/** The stored rows of mailbox `id`: one per (delegate, right, source), as the tables key them. */
export const storedRowsArb = (id: string): fc.Arbitrary<DelegationRow[]> =>
  fc.uniqueArray(
    fc.tuple(storedArb, mailboxArb(id)).map(([row, mailbox]): DelegationRow => ({ ...row, mailboxId: id, mailbox })),
    { selector: (row) => `${keyOf(row)}|${row.source}`, maxLength: 12 },
  );

const unresolvedArb: fc.Arbitrary<UnresolvedTrustee> = fc.record({
  key: fc.constantFrom('discovery management', 'nobody@contoso.com', 'twin'),
  reason: fc.constantFrom('roleGroup' as const, 'notFound' as const, 'ambiguous' as const),
  detail: fc.constant('generated'),
});

/**
 * What `computeEffectiveDelegations` could return for mailbox `id` (its id in the mailbox's own casing or not):
 * one delegation per (delegate, right), all in the observed rights, some unresolved and orphaned trustees, and no
 * missing ones (a complete resolver).
 */
export const observationArb = (id: string): fc.Arbitrary<EffectiveDelegations> =>
  fc
    .record({
      observedRights: fc.subarray([...RIGHTS]),
      delegations: fc.uniqueArray(
        fc.tuple(effectiveArb, fc.boolean()).map(([d, upper]) => ({ ...d, mailboxId: upper ? id.toUpperCase() : id })),
        { selector: keyOf, maxLength: 12 },
      ),
      unresolved: fc.uniqueArray(unresolvedArb, { selector: (u) => u.key, maxLength: 2 }),
      orphaned: fc.nat(2),
    })
    .map(({ observedRights, delegations, unresolved, orphaned }) => ({
      observedRights,
      delegations: delegations.filter((d) => observedRights.includes(d.right)),
      unresolved,
      orphaned,
      missingKeys: [],
      missingGroups: [],
    }));
