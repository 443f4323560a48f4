import { describe, expect, it } from 'vitest';
import { delegationsAt } from '../../shared/domain/delegation/pointInTime.js';
import { changeEvent, type DelegationEvent } from '../../shared/domain/delegation/types.js';
import { aDelegate, aDelegationRow, aMailbox } from '../support/factories.js';

const mailbox = aMailbox();
const row = aDelegationRow({ firstSeen: '2026-01-05T00:00:00.000Z' });
const event = (type: 'granted' | 'revoked', at: string, extra: Record<string, unknown> = {}): DelegationEvent => ({
  ...changeEvent(type, mailbox, row, { runId: 'r', taskId: 't', at, actor: null, observedBy: 'fullScan' }),
  ...extra,
});
const held = (current: (typeof row)[], events: DelegationEvent[], at: string) =>
  delegationsAt(current, events, at).map((d) => ({
    via: d.via,
    firstSeen: d.firstSeen,
    grantedBy: d.grantedBy,
    observedBy: d.observedBy,
  }));

describe('delegationsAt: the state at a past time from the current rows and the history', () => {
  it('the latest event at or before the time decides, the boundary inclusive', () => {
    const events = [event('granted', '2026-02-01T00:00:00Z'), event('revoked', '2026-02-03T00:00:00Z')];
    expect(held([], events, '2026-01-31T23:59:59.999Z')).toEqual([]);
    expect(held([], events, '2026-02-01T00:00:00.000Z')).toHaveLength(1);
    expect(held([], events, '2026-02-02T23:59:59.999Z')).toHaveLength(1);
    expect(held([], events, '2026-02-03T00:00:00.000Z')).toEqual([]);
  });

  it('with no event up to the time, the first later event decides; with none at all, the current row', () => {
    // Revoked later: it was held (granted before the retained history), via unknown, firstSeen unknown.
    expect(held([], [event('revoked', '2026-02-03T00:00:00Z')], '2026-02-01T00:00:00Z')).toEqual([{}]);
    // Granted later: not held yet, though a current row holds it now.
    expect(held([row], [event('granted', '2026-02-03T00:00:00Z')], '2026-02-01T00:00:00Z')).toEqual([]);
    // Nothing happened since: the current row, with its firstSeen but not its via (paths are not history).
    expect(held([row], [], '2026-02-01T00:00:00Z')).toEqual([{ firstSeen: '2026-01-05T00:00:00.000Z' }]);
    // A row first seen after the time was not held then, even when its grant event is gone (retention).
    expect(held([row], [], '2026-01-04T00:00:00Z')).toEqual([]);
  });

  it('shows the grant event’s via, time, actor (as grantedBy) and how it was observed', () => {
    const grant = event('granted', '2026-02-01T00:00:00Z', { actor: 'admin@contoso.com', observedBy: 'auditEvent' });
    expect(held([row], [grant], '2026-02-02T00:00:00Z')).toEqual([
      {
        via: [{ kind: 'direct' }],
        firstSeen: '2026-02-01T00:00:00Z',
        grantedBy: 'admin@contoso.com',
        observedBy: 'auditEvent',
      },
    ]);
  });

  it('keeps each (mailbox, delegate, right, source) apart, ids compared without case', () => {
    const other = { ...row, delegate: aDelegate({ id: row.delegate.id.toUpperCase() }), source: 'Manual' as const };
    const events = [
      event('granted', '2026-02-01T00:00:00Z'),
      {
        ...changeEvent('revoked', mailbox, other, {
          runId: null,
          taskId: null,
          at: '2026-02-02T00:00:00Z',
          actor: null,
          observedBy: 'manual',
        }),
      },
    ];
    const result = delegationsAt([row, other], events, '2026-02-03T00:00:00Z');
    expect(result.map((d) => d.source)).toEqual(['MailboxPermissionSync']);
  });
});
