import { describe, expect, it } from 'vitest';
import {
  classifyTrustee,
  computeEffectiveDelegations,
  delegationKey,
  describeTrusteeKey,
  diffDelegations,
  isRight,
  normalizeVias,
  planTrustees,
  splitAccessRights,
  type DelegateRef,
  type EffectiveDelegation,
  type MailboxIdentity,
  type MailboxRightsSnapshot,
  type RawAce,
  type RawCalendarPermission,
  type ResolvedTrustee,
  type StoredDelegation,
  type TrusteeKey,
} from '../../shared/domain/delegation/index.js';

// Fixtures copied from test/contract/fixtures (made-up tenant data), mapped field by field:
// User/Trustee → trustee, UserSid/TrusteeSidString → trusteeSid, Deny / AccessControlType==='Deny' → deny.

const alex: MailboxIdentity = {
  id: 'a1b2c3d4-0000-4000-8000-000000000001',
  upn: 'alex.wilber@contoso.com',
  primarySmtp: 'alex.wilber@contoso.com',
  name: 'alex.wilber',
  displayName: 'Alex Wilber',
};

/** exo-get-mailboxpermission.json */
const mailboxPermissionRows: RawAce[] = [
  {
    trustee: 'NT AUTHORITY\\SELF',
    trusteeSid: 'S-1-5-10',
    accessRights: ['FullAccess, ReadPermission'],
    isInherited: false,
    deny: false,
  },
  {
    trustee: 'grady.archie@contoso.com',
    trusteeSid: 'S-1-5-21-3623811015-3361044348-30300820-1186',
    accessRights: ['FullAccess'],
    isInherited: false,
    deny: false,
  },
  {
    trustee: 'SalesSharedAccess',
    trusteeSid: 'S-1-5-21-3623811015-3361044348-30300820-1207',
    accessRights: ['FullAccess'],
    isInherited: false,
    deny: false,
  },
  {
    trustee: 'joni.sherman@contoso.com',
    trusteeSid: 'S-1-5-21-3623811015-3361044348-30300820-1190',
    accessRights: ['FullAccess'],
    isInherited: false,
    deny: true,
  },
  {
    trustee: 'S-1-5-21-3623811015-3361044348-30300820-1234',
    trusteeSid: 'S-1-5-21-3623811015-3361044348-30300820-1234',
    accessRights: ['FullAccess'],
    isInherited: false,
    deny: false,
  },
  {
    trustee: 'Discovery Management',
    trusteeSid: 'S-1-5-21-3623811015-3361044348-30300820-1002',
    accessRights: ['FullAccess'],
    isInherited: false,
    deny: false,
  },
  {
    trustee: 'EURPR04A008\\Administrator',
    trusteeSid: 'S-1-5-21-2064315823-1553430735-1958427185-500',
    accessRights: ['FullAccess'],
    isInherited: true,
    deny: true,
  },
  {
    trustee: 'EURPR04A008\\Organization Management',
    trusteeSid: 'S-1-5-21-2064315823-1553430735-1958427185-1120',
    accessRights: ['FullAccess, DeleteItem, ReadPermission, ChangePermission, ChangeOwner'],
    isInherited: true,
    deny: true,
  },
  {
    trustee: 'NT AUTHORITY\\SYSTEM',
    trusteeSid: 'S-1-5-18',
    accessRights: ['FullAccess'],
    isInherited: true,
    deny: false,
  },
];

/** exo-get-recipientpermission.json */
const recipientPermissionRows: RawAce[] = [
  { trustee: 'NT AUTHORITY\\SELF', trusteeSid: 'S-1-5-10', accessRights: ['SendAs'], isInherited: false, deny: false },
  {
    trustee: 'megan.bowen@contoso.com',
    trusteeSid: 'S-1-5-21-3623811015-3361044348-30300820-1187',
    accessRights: ['SendAs'],
    isInherited: false,
    deny: false,
  },
];

/** exo-get-mailbox-page.json, alex.wilber's GrantSendOnBehalfTo */
const grantSendOnBehalfTo = ['5f6e7d8c-0000-4000-8000-000000000009'];

/** graph-calendarpermissions.json */
const calendarPermissions: RawCalendarPermission[] = [
  { id: 'RGVmYXVsdA==', role: 'freeBusyRead', emailAddress: { name: 'My Organization' } },
  {
    id: 'L289RXhj-megan',
    role: 'delegateWithPrivateEventAccess',
    emailAddress: { name: 'Megan Bowen', address: 'megan.bowen@contoso.com' },
  },
  {
    id: 'L289RXhj-diego',
    role: 'read',
    emailAddress: { name: 'Diego Siciliani', address: 'diego.siciliani@contoso.com' },
  },
];

function user(name: string, id: string, overrides: Partial<DelegateRef> = {}): DelegateRef {
  return {
    id,
    upn: `${name}@contoso.com`,
    address: `${name}@contoso.com`,
    displayName: name,
    accountEnabled: true,
    ...overrides,
  };
}

const grady = user('grady.archie', 'u-grady');
const joni = user('joni.sherman', 'u-joni');
const megan = user('megan.bowen', 'u-megan');
const lidia = user('lidia.holloway', '5f6e7d8c-0000-4000-8000-000000000009');
const alexAsMember = user('alex.wilber', alex.id);

function asUser(d: DelegateRef): ResolvedTrustee {
  return { kind: 'user', ...d };
}

function snapshot(overrides: Partial<MailboxRightsSnapshot> = {}): MailboxRightsSnapshot {
  return {
    mailbox: alex,
    rights: ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'],
    fullAccess: mailboxPermissionRows,
    sendAs: recipientPermissionRows,
    sendOnBehalfNames: grantSendOnBehalfTo,
    calendar: calendarPermissions,
    ...overrides,
  };
}

function ace(trustee: string, overrides: Partial<RawAce> = {}): RawAce {
  return { trustee, accessRights: ['FullAccess'], isInherited: false, deny: false, ...overrides };
}

/** What the resolver and the group expansion would answer for the wire-sample tenant. */
const sampleResolved = new Map<TrusteeKey, ResolvedTrustee>([
  ['grady.archie@contoso.com', asUser(grady)],
  ['salessharedaccess', { kind: 'group', id: 'g-sales', displayName: 'SalesSharedAccess' }],
  ['joni.sherman@contoso.com', asUser(joni)],
  ['discovery management', { kind: 'roleGroup', name: 'Discovery Management' }],
  ['megan.bowen@contoso.com', asUser(megan)],
  ['5f6e7d8c-0000-4000-8000-000000000009', asUser(lidia)],
]);
const sampleMembers = new Map<string, readonly DelegateRef[]>([['g-sales', [joni, lidia, alexAsMember]]]);

describe('splitAccessRights', () => {
  it('splits comma-joined elements, trims and dedupes', () => {
    expect(splitAccessRights(['FullAccess, ReadPermission', ' SendAs ', 'ReadPermission,FullAccess', ''])).toEqual([
      'FullAccess',
      'ReadPermission',
      'SendAs',
    ]);
  });
});

describe('isRight', () => {
  it.each([
    ['FullAccess', true],
    ['CalendarDelegate', true],
    ['fullaccess', false],
    ['ReadPermission', false],
    [42, false],
  ])('%s → %s', (value, expected) => {
    expect(isRight(value)).toBe(expected);
  });
});

describe('delegationKey', () => {
  it('ignores GUID casing but keeps rights apart', () => {
    expect(delegationKey('ABC', 'DEF', 'SendAs')).toBe(delegationKey('abc', 'def', 'SendAs'));
    expect(delegationKey('abc', 'def', 'SendAs')).not.toBe(delegationKey('abc', 'def', 'FullAccess'));
  });
});

describe('classifyTrustee', () => {
  it.each<[string, string | undefined, ReturnType<typeof classifyTrustee>]>([
    ['NT AUTHORITY\\SELF', 'S-1-5-10', 'self'],
    ['anything', 'S-1-5-10', 'self'],
    ['alex.wilber@contoso.com', undefined, 'self'],
    ['ALEX.WILBER@contoso.com', undefined, 'self'],
    ['alex.wilber', undefined, 'self'],
    ['A1B2C3D4-0000-4000-8000-000000000001', undefined, 'self'],
    ['NT AUTHORITY\\SYSTEM', 'S-1-5-18', 'system'],
    ['NT AUTHORITY\\NETWORK SERVICE', undefined, 'system'],
    ['BUILTIN\\Administrators', 'S-1-5-32-544', 'system'],
    ['Everyone', 'S-1-1-0', 'system'],
    ['Local Service', 'S-1-5-19', 'system'],
    ['S-1-5-20', undefined, 'system'],
    ['S-1-5-21-3623811015-3361044348-30300820-1234', 'S-1-5-21-3623811015-3361044348-30300820-1234', 'orphanedSid'],
    ['S-1-12-1-1234-5678-9012-3456', undefined, 'orphanedSid'],
    ['  ', undefined, 'system'],
    ['Grady.Archie@Contoso.com', 'S-1-5-21-1-2-3-1186', { key: 'grady.archie@contoso.com' }],
    ['5F6E7D8C-0000-4000-8000-000000000009', undefined, { key: '5f6e7d8c-0000-4000-8000-000000000009' }],
    ['SalesSharedAccess', 'S-1-5-21-1-2-3-1207', { key: 'salessharedaccess' }],
    // Not inherited, so not filtered by the inherited rule: a name to resolve like any other.
    [
      'EURPR04A008\\Administrator',
      'S-1-5-21-2064315823-1553430735-1958427185-500',
      { key: 'eurpr04a008\\administrator' },
    ],
    ['CONTOSO\\jdoe', undefined, { key: 'contoso\\jdoe' }],
  ])('%s (sid %s) → %j', (trustee, sid, expected) => {
    expect(classifyTrustee(trustee, sid, alex)).toEqual(expected);
  });
});

describe('describeTrusteeKey', () => {
  it.each([
    ['grady.archie@contoso.com', { kind: 'address', address: 'grady.archie@contoso.com' }],
    ['5f6e7d8c-0000-4000-8000-000000000009', { kind: 'objectId', id: '5f6e7d8c-0000-4000-8000-000000000009' }],
    ['salessharedaccess', { kind: 'name', name: 'salessharedaccess' }],
    ['contoso\\jdoe', { kind: 'name', name: 'contoso\\jdoe' }],
  ])('%s', (key, expected) => {
    expect(describeTrusteeKey(key)).toEqual(expected);
  });
});

describe('planTrustees', () => {
  it('lists the trustees of the wire samples that need resolving, and counts the rest', () => {
    const plan = planTrustees(snapshot());

    expect(plan.keys).toEqual([
      '5f6e7d8c-0000-4000-8000-000000000009', // GrantSendOnBehalfTo GUID name
      'discovery management',
      'grady.archie@contoso.com',
      'joni.sherman@contoso.com', // explicit Deny: resolved so it can cancel allows
      'megan.bowen@contoso.com', // SendAs and calendar delegate: one key
      'salessharedaccess',
    ]);
    expect(plan.orphaned).toBe(1);
    // FullAccess: SELF + 3 inherited; SendAs: SELF; calendar: default entry + 'read' role.
    expect(plan.dropped).toBe(7);
  });

  it('drops inherited rows, including inherited Deny rows of admin role groups', () => {
    const plan = planTrustees(
      snapshot({
        rights: ['FullAccess'],
        fullAccess: mailboxPermissionRows.filter((r) => r.isInherited),
      }),
    );

    expect(plan).toEqual({ keys: [], orphaned: 0, dropped: 3 });
  });

  it('reads only the rights the task syncs', () => {
    const plan = planTrustees(snapshot({ rights: ['SendAs'] }));

    expect(plan.keys).toEqual(['megan.bowen@contoso.com']);
    expect(plan.orphaned).toBe(0);
  });

  it('needs FullAccess among the split AccessRights of a Get-MailboxPermission row', () => {
    const plan = planTrustees(
      snapshot({
        rights: ['FullAccess'],
        fullAccess: [
          ace('reader@contoso.com', { accessRights: ['ReadPermission, DeleteItem'] }),
          ace('joined@contoso.com', { accessRights: ['ReadPermission, FullAccess'] }),
        ],
      }),
    );

    expect(plan.keys).toEqual(['joined@contoso.com']);
    expect(plan.dropped).toBe(1);
  });

  it('counts an orphaned SID once however many rows carry it', () => {
    const sid = 'S-1-5-21-3623811015-3361044348-30300820-1234';
    const plan = planTrustees(
      snapshot({
        rights: ['FullAccess', 'SendAs'],
        fullAccess: [ace(sid, { trusteeSid: sid })],
        sendAs: [
          ace(sid, { trusteeSid: sid, accessRights: ['SendAs'] }),
          ace('S-1-12-1-1-2-3-4', { accessRights: ['SendAs'] }),
        ],
      }),
    );

    expect(plan).toEqual({ keys: [], orphaned: 2, dropped: 0 });
  });

  it('counts only the two delegate calendar roles; default and anonymous entries never', () => {
    const plan = planTrustees(
      snapshot({
        rights: ['CalendarDelegate'],
        calendar: [
          { id: 'RGVmYXVsdA==', role: 'delegateWithPrivateEventAccess', emailAddress: { name: 'My Organization' } },
          { id: 'QW5vbnltb3Vz', role: 'delegateWithoutPrivateEventAccess', emailAddress: { name: 'Anonymous' } },
          {
            id: 'x1',
            role: 'delegateWithoutPrivateEventAccess',
            emailAddress: { name: 'Pat', address: 'Pat@Contoso.com' },
          },
          {
            id: 'x2',
            role: 'delegateWithPrivateEventAccess',
            emailAddress: { name: 'Sam', address: 'sam@contoso.com' },
          },
          { id: 'x3', role: 'write', emailAddress: { address: 'writer@contoso.com' } },
          { id: 'x4', role: 'custom', emailAddress: { address: 'custom@contoso.com' } },
        ],
      }),
    );

    expect(plan.keys).toEqual(['pat@contoso.com', 'sam@contoso.com']);
    expect(plan.dropped).toBe(4);
  });
});

describe('computeEffectiveDelegations', () => {
  it('turns the wire samples into delegations', () => {
    const result = computeEffectiveDelegations(snapshot(), sampleResolved, sampleMembers);

    const summary = result.delegations.map((d) => [
      d.delegate.id,
      d.right,
      d.via.map((v) => (v.kind === 'group' ? v.id : v.kind)),
    ]);
    expect(summary).toEqual([
      // lidia: SalesSharedAccess member (FullAccess) and GrantSendOnBehalfTo by GUID name.
      ['5f6e7d8c-0000-4000-8000-000000000009', 'FullAccess', ['g-sales']],
      ['5f6e7d8c-0000-4000-8000-000000000009', 'SendOnBehalf', ['direct']],
      ['u-grady', 'FullAccess', ['direct']],
      // joni is a SalesSharedAccess member but has an explicit FullAccess Deny; alex (owner) is a member too.
      ['u-megan', 'SendAs', ['direct']],
      ['u-megan', 'CalendarDelegate', ['direct']],
    ]);
    expect(result.delegations.every((d) => d.mailboxId === alex.id)).toBe(true);
    expect(result.unresolved).toEqual([
      { key: 'discovery management', reason: 'roleGroup', detail: 'Discovery Management' },
    ]);
    expect(result.orphaned).toBe(1);
    expect(result.observedRights).toEqual(['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate']);
    expect(result.missingKeys).toEqual([]);
    expect(result.missingGroups).toEqual([]);
  });

  it('records the group named in Exchange in via', () => {
    const result = computeEffectiveDelegations(snapshot({ rights: ['FullAccess'] }), sampleResolved, sampleMembers);

    const lidiaFullAccess = result.delegations.find((d) => d.delegate.id === lidia.id);
    expect(lidiaFullAccess?.via).toEqual([{ kind: 'group', id: 'g-sales', displayName: 'SalesSharedAccess' }]);
    expect(lidiaFullAccess?.delegate).toEqual(lidia);
  });

  it('merges a direct grant and two group grants into one delegation with three vias', () => {
    const pat = user('pat', 'u-pat');
    const resolved = new Map<TrusteeKey, ResolvedTrustee>([
      ['zeta', { kind: 'group', id: 'g-zeta', displayName: 'Zeta' }],
      ['alpha', { kind: 'group', id: 'g-alpha', displayName: 'Alpha' }],
      ['pat@contoso.com', asUser(pat)],
    ]);
    const members = new Map<string, readonly DelegateRef[]>([
      ['g-zeta', [pat]],
      ['g-alpha', [pat]],
    ]);

    const result = computeEffectiveDelegations(
      snapshot({
        rights: ['FullAccess'],
        fullAccess: [ace('Zeta'), ace('Pat@contoso.com'), ace('Alpha'), ace('ALPHA')],
      }),
      resolved,
      members,
    );

    expect(result.delegations).toEqual<EffectiveDelegation[]>([
      {
        mailboxId: alex.id,
        delegate: pat,
        right: 'FullAccess',
        via: [
          { kind: 'direct' },
          { kind: 'group', id: 'g-alpha', displayName: 'Alpha' },
          { kind: 'group', id: 'g-zeta', displayName: 'Zeta' },
        ],
      },
    ]);
  });

  it('lets an explicit user Deny cancel a group-derived allow for that right only', () => {
    const resolved = new Map<TrusteeKey, ResolvedTrustee>([
      ['salessharedaccess', { kind: 'group', id: 'g-sales', displayName: 'SalesSharedAccess' }],
      ['joni.sherman@contoso.com', asUser(joni)],
    ]);

    const result = computeEffectiveDelegations(
      snapshot({
        rights: ['FullAccess', 'SendAs'],
        fullAccess: [ace('SalesSharedAccess'), ace('joni.sherman@contoso.com', { deny: true })],
        sendAs: [ace('SalesSharedAccess', { accessRights: ['SendAs'] })],
      }),
      resolved,
      new Map([['g-sales', [joni, lidia]]]),
    );

    expect(result.delegations.map((d) => [d.delegate.id, d.right])).toEqual([
      [lidia.id, 'FullAccess'],
      [lidia.id, 'SendAs'],
      [joni.id, 'SendAs'],
    ]);
  });

  it('lets an explicit user Deny cancel a direct allow too, whatever the row order', () => {
    const rows = [ace('joni.sherman@contoso.com', { deny: true }), ace('joni.sherman@contoso.com')];
    const resolved = new Map<TrusteeKey, ResolvedTrustee>([['joni.sherman@contoso.com', asUser(joni)]]);

    for (const fullAccess of [rows, [...rows].reverse()]) {
      const result = computeEffectiveDelegations(snapshot({ rights: ['FullAccess'], fullAccess }), resolved, new Map());
      expect(result.delegations).toEqual([]);
    }
  });

  it('lets a group Deny cancel the right for every member of that group, and only that right', () => {
    const resolved = new Map<TrusteeKey, ResolvedTrustee>([
      ['grady.archie@contoso.com', asUser(grady)],
      ['blocked', { kind: 'group', id: 'g-blocked', displayName: 'Blocked' }],
    ]);

    const result = computeEffectiveDelegations(
      snapshot({
        rights: ['FullAccess', 'SendAs'],
        fullAccess: [ace('grady.archie@contoso.com'), ace('Blocked', { deny: true })],
        sendAs: [ace('grady.archie@contoso.com', { accessRights: ['SendAs'] })],
      }),
      resolved,
      new Map([['g-blocked', [grady]]]),
    );

    expect(result.delegations.map((d) => [d.delegate.id, d.right])).toEqual([[grady.id, 'SendAs']]);
  });

  it('ignores an inherited Deny', () => {
    const resolved = new Map<TrusteeKey, ResolvedTrustee>([['grady.archie@contoso.com', asUser(grady)]]);

    const result = computeEffectiveDelegations(
      snapshot({
        rights: ['FullAccess'],
        fullAccess: [
          ace('grady.archie@contoso.com'),
          ace('grady.archie@contoso.com', { deny: true, isInherited: true }),
        ],
      }),
      resolved,
      new Map(),
    );

    expect(result.delegations.map((d) => d.delegate.id)).toEqual([grady.id]);
  });

  it('reports role groups, ambiguous and unknown names as unresolved, once per key', () => {
    const resolved = new Map<TrusteeKey, ResolvedTrustee>([
      ['discovery management', { kind: 'roleGroup', name: 'Discovery Management' }],
      ['tim mcmichael', { kind: 'unresolved', reason: 'ambiguous', detail: '2 recipients named Tim McMichael' }],
      ['ghost', { kind: 'unresolved', reason: 'notFound', detail: 'no recipient ghost' }],
    ]);

    const result = computeEffectiveDelegations(
      snapshot({
        rights: ['FullAccess', 'SendAs'],
        fullAccess: [ace('Discovery Management'), ace('Tim McMichael'), ace('ghost')],
        sendAs: [ace('Tim McMichael', { accessRights: ['SendAs'] })],
      }),
      resolved,
      new Map(),
    );

    expect(result.delegations).toEqual([]);
    expect(result.unresolved).toEqual([
      { key: 'discovery management', reason: 'roleGroup', detail: 'Discovery Management' },
      { key: 'ghost', reason: 'notFound', detail: 'no recipient ghost' },
      { key: 'tim mcmichael', reason: 'ambiguous', detail: '2 recipients named Tim McMichael' },
    ]);
  });

  it('resolves GUID names of GrantSendOnBehalfTo by their key', () => {
    const result = computeEffectiveDelegations(
      snapshot({
        rights: ['SendOnBehalf'],
        sendOnBehalfNames: ['5F6E7D8C-0000-4000-8000-000000000009', 'alex.wilber'],
      }),
      sampleResolved,
      sampleMembers,
    );

    expect(result.delegations).toEqual([
      { mailboxId: alex.id, delegate: lidia, right: 'SendOnBehalf', via: [{ kind: 'direct' }] },
    ]);
  });

  it('never makes the owner its own delegate, not even through a group or another id casing', () => {
    const resolved = new Map<TrusteeKey, ResolvedTrustee>([
      ['everyone-sales', { kind: 'group', id: 'g-all', displayName: 'Everyone Sales' }],
      ['alex.w@contoso.com', asUser({ ...alexAsMember, id: alex.id.toUpperCase(), upn: 'alex.w@contoso.com' })],
    ]);

    const result = computeEffectiveDelegations(
      snapshot({ rights: ['FullAccess'], fullAccess: [ace('Everyone-Sales'), ace('alex.w@contoso.com')] }),
      resolved,
      new Map([['g-all', [alexAsMember, grady]]]),
    );

    expect(result.delegations.map((d) => d.delegate.id)).toEqual([grady.id]);
  });

  it('reports keys and groups the caller forgot to resolve instead of guessing', () => {
    const resolved = new Map<TrusteeKey, ResolvedTrustee>([
      ['sales', { kind: 'group', id: 'g-sales', displayName: 'Sales' }],
    ]);

    const result = computeEffectiveDelegations(
      snapshot({ rights: ['FullAccess'], fullAccess: [ace('Sales'), ace('nobody@contoso.com')] }),
      resolved,
      new Map(),
    );

    expect(result.delegations).toEqual([]);
    expect(result.missingKeys).toEqual(['nobody@contoso.com']);
    expect(result.missingGroups).toEqual(['g-sales']);
    expect(result.unresolved).toEqual([]);
  });

  it('does not observe a synced right whose rows were not read', () => {
    const result = computeEffectiveDelegations(
      snapshot({ calendar: undefined, sendOnBehalfNames: undefined }),
      sampleResolved,
      sampleMembers,
    );

    expect(result.observedRights).toEqual(['FullAccess', 'SendAs']);
  });
});

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-02-01T00:00:00Z';

function stored(d: EffectiveDelegation, overrides: Partial<StoredDelegation> = {}): StoredDelegation {
  return {
    ...d,
    source: 'MailboxPermissionSync',
    firstSeen: T0,
    lastConfirmed: T0,
    grantedBy: null,
    grantedAt: null,
    ...overrides,
  };
}

function effective(
  delegate: DelegateRef,
  right: EffectiveDelegation['right'],
  via: EffectiveDelegation['via'] = [{ kind: 'direct' }],
): EffectiveDelegation {
  return { mailboxId: alex.id, delegate, right, via };
}

describe('diffDelegations', () => {
  const groupA = { kind: 'group', id: 'g-a', displayName: 'A' } as const;
  const groupB = { kind: 'group', id: 'g-b', displayName: 'B' } as const;

  it('adds new delegations as synced, first seen now', () => {
    const diff = diffDelegations([], [effective(grady, 'FullAccess')], T1);

    expect(diff.added).toEqual([stored(effective(grady, 'FullAccess'), { firstSeen: T1, lastConfirmed: T1 })]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed).toEqual([]);
  });

  it('writes nothing for an unchanged mailbox, whatever the via order', () => {
    const before = [stored(effective(grady, 'FullAccess', [groupB, { kind: 'direct' }, groupA]))];

    const diff = diffDelegations(before, [effective(grady, 'FullAccess', [groupA, groupB, { kind: 'direct' }])], T1);

    expect(diff).toEqual({ added: [], removed: [], changed: [], unchanged: 1, coveredByManual: 0 });
  });

  it.each<[string, EffectiveDelegation]>([
    ['a renamed delegate', effective({ ...grady, displayName: 'Grady A.' }, 'FullAccess')],
    ['a new address', effective({ ...grady, address: 'g.archie@contoso.com' }, 'FullAccess')],
    ['a disabled account', effective({ ...grady, accountEnabled: false }, 'FullAccess')],
    ['another path', effective(grady, 'FullAccess', [{ kind: 'direct' }, groupA])],
    ['a renamed group', effective(grady, 'FullAccess', [{ ...groupA, displayName: 'A renamed' }])],
  ])('reports %s as changed, keeping firstSeen', (_, observed) => {
    const before = stored(
      effective(grady, 'FullAccess', observed.via.some((v) => v.kind === 'group') ? [groupA] : [{ kind: 'direct' }]),
    );

    const diff = diffDelegations([before], [observed], T1);

    expect(diff.changed).toEqual([{ before, after: stored(observed, { firstSeen: T0, lastConfirmed: T1 }) }]);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.unchanged).toBe(0);
  });

  it('removes synced delegations no longer observed, never Manual ones', () => {
    const synced = stored(effective(grady, 'FullAccess'));
    const manual = stored(effective(megan, 'SendAs'), { source: 'Manual' });

    const diff = diffDelegations([synced, manual], [], T1);

    expect(diff.removed).toEqual([synced]);
  });

  it('leaves a Manual row alone when the sync observes the same delegation', () => {
    const manual = stored(effective(megan, 'SendAs'), { source: 'Manual', delegate: { ...megan, displayName: 'old' } });

    const diff = diffDelegations([manual], [effective(megan, 'SendAs', [groupA])], T1);

    expect(diff).toEqual({ added: [], removed: [], changed: [], unchanged: 0, coveredByManual: 1 });
  });

  it('identifies a delegation by mailbox, delegate and right', () => {
    const diff = diffDelegations([stored(effective(grady, 'FullAccess'))], [effective(grady, 'SendAs')], T1);

    expect(diff.added.map((d) => d.right)).toEqual(['SendAs']);
    expect(diff.removed.map((d) => d.right)).toEqual(['FullAccess']);
  });

  it('touches only the rights the sync observed', () => {
    const sendAs = stored(effective(megan, 'SendAs'));
    const fullAccess = stored(effective(grady, 'FullAccess'));

    const diff = diffDelegations(
      [sendAs, fullAccess],
      [effective(megan, 'SendAs'), effective(lidia, 'CalendarDelegate')],
      T1,
      {
        rights: ['FullAccess'],
      },
    );

    expect(diff).toEqual({ added: [], removed: [fullAccess], changed: [], unchanged: 0, coveredByManual: 0 });
  });
});

describe('one mailbox, end to end', () => {
  it('computes, diffs, applies, and then finds nothing to write on the next sync', () => {
    const snap = snapshot();
    const plan = planTrustees(snap);
    const resolved = new Map([...sampleResolved].filter(([key]) => plan.keys.includes(key)));
    const first = computeEffectiveDelegations(snap, resolved, sampleMembers);

    const initial = diffDelegations([], first.delegations, T0, { rights: first.observedRights });
    const state = initial.added; // a first sync's writes are its whole stored state
    const again = diffDelegations(state, computeEffectiveDelegations(snap, resolved, sampleMembers).delegations, T1, {
      rights: first.observedRights,
    });

    expect(initial.added).toHaveLength(5);
    expect(state.every((d) => d.firstSeen === T0 && d.via.length > 0)).toBe(true);
    expect(again).toEqual({ added: [], removed: [], changed: [], unchanged: 5, coveredByManual: 0 });
  });
});

describe('normalizeVias', () => {
  it('puts direct first, sorts groups by id and drops repeats', () => {
    expect(
      normalizeVias([
        { kind: 'group', id: 'g-2', displayName: 'Two' },
        { kind: 'direct' },
        { kind: 'group', id: 'g-1', displayName: 'One' },
        { kind: 'direct' },
        { kind: 'group', id: 'G-2', displayName: 'Two' },
      ]),
    ).toEqual([
      { kind: 'direct' },
      { kind: 'group', id: 'g-1', displayName: 'One' },
      { kind: 'group', id: 'g-2', displayName: 'Two' },
    ]);
  });
});
