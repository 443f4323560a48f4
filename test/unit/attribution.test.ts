import { describe, expect, it } from 'vitest';
import {
  attributeSyncPlan,
  attributingHint,
  changeEvent,
  hintNames,
  lateAttributions,
  type AttributionHint,
  type MailboxSyncPlan,
} from '../../shared/domain/delegation/index.js';
import { aDelegate, aDelegationRow, aMailbox } from '../support/factories.js';

// docs/design.md §8.4: an audit record's hint attributes what an audit run's re-read finds; it never decides what
// is granted. These are the matching rules on their own.

const DELEGATE = aDelegate({
  id: 'd-1',
  upn: 'Diego@Contoso.com',
  address: 'diego.s@contoso.com',
  displayName: 'Diego',
});
const GROUP = { kind: 'group' as const, id: 'g-1', displayName: 'Sales Team' };
const grant = { delegate: DELEGATE, right: 'FullAccess' as const, via: [{ kind: 'direct' as const }] };

function hint(overrides: Partial<AttributionHint> = {}): AttributionHint {
  return {
    actor: 'admin@contoso.com',
    at: '2026-12-06T09:05:00Z',
    right: 'FullAccess',
    trustee: 'diego@contoso.com',
    change: 'grant',
    ...overrides,
  };
}

describe('hintNames: which hint names which change', () => {
  it.each([
    ['the object id', 'D-1'],
    ['the UPN, case-insensitively', 'DIEGO@contoso.COM'],
    ['the primary address', 'diego.s@contoso.com'],
    ['the display name', ' diego '],
  ])('names the delegate by %s', (_what, trustee) => {
    expect(hintNames(hint({ trustee }), grant, 'grant')).toBe(true);
  });

  it('names the events that came via a group trustee, by its id or name', () => {
    const viaGroup = { ...grant, via: [GROUP] };
    expect(hintNames(hint({ trustee: 'sales team' }), viaGroup, 'grant')).toBe(true);
    expect(hintNames(hint({ trustee: 'G-1' }), viaGroup, 'grant')).toBe(true);
    expect(hintNames(hint({ trustee: 'sales team' }), grant, 'grant')).toBe(false);
  });

  it.each([
    ['another trustee', { trustee: 'megan@contoso.com' }, 'grant'],
    ['another right', { right: 'SendAs' as const }, 'grant'],
    ['a removal for a grant', { change: 'revoke' as const }, 'grant'],
    ['a grant for a removal', { change: 'grant' as const }, 'revoke'],
    ['no trustee (a Set-Mailbox removal lists who remains)', { trustee: null, change: 'set' as const }, 'revoke'],
    ['an empty display name', { trustee: '' }, 'grant'],
  ] as const)('does not name it with %s', (_what, overrides, change) => {
    const nameless = { ...grant, delegate: { ...DELEGATE, displayName: '' } };
    expect(hintNames(hint(overrides), nameless, change)).toBe(false);
  });

  it('a hint without a right, or a `set`, names either direction of the right it can', () => {
    expect(hintNames(hint({ right: null }), grant, 'grant')).toBe(true);
    expect(
      hintNames(hint({ change: 'set', right: 'SendOnBehalf' }), { ...grant, right: 'SendOnBehalf' }, 'revoke'),
    ).toBe(true);
  });

  it('several hints name it: the latest wins', () => {
    const early = hint({ actor: 'first@contoso.com', at: '2026-12-06T09:00:00Z' });
    const late = hint({ actor: 'second@contoso.com', at: '2026-12-06T09:30:00Z' });
    expect(attributingHint([late, early], grant, 'grant')?.actor).toBe('second@contoso.com');
  });
});

describe('attributeSyncPlan', () => {
  const mailbox = aMailbox();
  const at = '2026-12-06T10:30:00.000Z';
  const added = aDelegationRow({ mailbox, delegate: DELEGATE, firstSeen: at, lastConfirmed: at });
  const other = aDelegationRow({ mailbox, delegate: aDelegate({ id: 'd-2', upn: 'megan@contoso.com' }) });
  const context = { runId: 'run-a', taskId: 'task-1', at, actor: null, observedBy: 'auditEvent' as const };
  const plan = {
    mailbox,
    taskId: 'task-1',
    runId: 'run-a',
    at,
    observedBy: 'auditEvent',
    digest: 'x',
    upserts: [added, { ...other, right: 'SendAs' as const }],
    removals: [{ ...other, mailbox, reason: 'notObserved' as const, actor: null }],
    events: [
      changeEvent('granted', mailbox, added, context),
      changeEvent('granted', mailbox, { ...other, right: 'SendAs' }, context),
    ],
    counts: { delegationsAdded: 2, delegationsRemoved: 0, trusteesUnresolved: 0 },
    changed: 0,
    delegates: [],
    storedByRight: {},
    revocationsProposed: { FullAccess: 1 },
  } satisfies MailboxSyncPlan;

  it('gives a named grant the hint’s actor and time, and the others of the audit run a null actor', () => {
    const removal = hint({ actor: 'remover@contoso.com', trustee: 'megan@contoso.com', change: 'revoke' });

    const attributed = attributeSyncPlan(plan, 'auditEvent', [hint(), removal]);

    expect(attributed.events.map((e) => [e.delegate.id, e.right, e.actor, e.observedBy])).toEqual([
      ['d-1', 'FullAccess', 'admin@contoso.com', 'auditEvent'],
      ['d-2', 'SendAs', null, 'auditEvent'],
    ]);
    expect(attributed.upserts.map((r) => [r.grantedBy, r.grantedAt])).toEqual([
      ['admin@contoso.com', '2026-12-06T09:05:00Z'],
      [null, null],
    ]);
    expect(attributed.removals.map((r) => r.actor)).toEqual(['remover@contoso.com']);
  });

  it('leaves a rewritten row it did not grant as stored (a changed via is not a grant)', () => {
    const attributed = attributeSyncPlan({ ...plan, events: [] }, 'auditEvent', [hint()]);
    expect(attributed.upserts.map((r) => r.grantedBy)).toEqual([null, null]);
  });
});

describe('lateAttributions: a full scan’s grant, attributed when its audit record arrives', () => {
  const firstSeen = '2026-12-06T10:00:00.000Z';
  const stored = aDelegationRow({ delegate: DELEGATE, firstSeen });

  it('attributes an unattributed synced row from a hint made before the scan found it', () => {
    expect(lateAttributions([stored], { events: [] }, [hint()])).toEqual([
      { row: stored, actor: 'admin@contoso.com', at: '2026-12-06T09:05:00Z' },
    ]);
  });

  it.each([
    ['a row already attributed', { grantedBy: 'someone@contoso.com' }, hint()],
    ['a Manual row', { source: 'Manual' as const }, hint()],
    ['a hint after the row was first seen (about a later change)', {}, hint({ at: '2026-12-06T10:00:01Z' })],
    ['a removal hint', {}, hint({ change: 'revoke' })],
  ])('leaves %s alone', (_what, overrides, h) => {
    expect(lateAttributions([{ ...stored, ...overrides }], { events: [] }, [h])).toEqual([]);
  });

  it('leaves a row the plan grants itself to attributeSyncPlan', () => {
    const events = [
      changeEvent('granted', stored.mailbox, stored, {
        ...stored,
        runId: 'r',
        taskId: 't',
        at: firstSeen,
        actor: null,
        observedBy: 'auditEvent',
      }),
    ];
    expect(lateAttributions([stored], { events }, [hint()])).toEqual([]);
  });
});
