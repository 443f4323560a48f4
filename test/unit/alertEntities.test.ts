import { describe, expect, it } from 'vitest';
import {
  fromAlertDeliveryEntity,
  fromAlertRuleEntity,
  secretOfEntity,
  toAlertDeliveryEntity,
  toAlertRuleEntity,
} from '../../shared/adapters/tables/entities/alert.js';
import type { AlertDelivery, AlertRule } from '../../shared/ports/alerts.js';
import { CorruptEntityError } from '../../shared/errors.js';

// Alert rules and deliveries read back as written; the rule read for views never carries the secret; a missing or
// unreadable property is a CorruptEntityError naming table, keys and property (a delivery never goes out unsigned).

const rule: AlertRule = {
  id: '5d1c1f5e-3b5a-4d8e-9a51-0c8c2b0d4e11',
  description: 'CEO',
  watch: { kind: 'group', groupId: '0f0e0d0c-0b0a-4909-8807-060504030201', displayName: 'Board' },
  rights: ['FullAccess', 'SendAs'],
  webhookUrl: 'https://hooks.example.com/x',
  createdAt: '2026-12-06T10:00:00.000Z',
};

const delivery: AlertDelivery = {
  ruleId: rule.id,
  deliveryId: 'a'.repeat(32),
  createdAt: '2026-12-06T10:00:00.000Z',
  test: false,
  event: {
    type: 'granted',
    mailbox: { id: 'm1', address: 'ceo@contoso.com', displayName: 'CEO' },
    delegate: { id: 'd1', address: 'eve@contoso.com', displayName: 'Eve', upn: 'eve@contoso.com' },
    right: 'FullAccess',
    via: [{ kind: 'group', id: 'g1', displayName: 'Sales' }],
    source: 'MailboxPermissionSync',
    actor: null,
    observedBy: 'fullScan',
    at: '2026-12-06T10:00:00.000Z',
    runId: 'r1',
  },
  attempts: [
    { attempt: 1, at: '2026-12-06T10:00:01.000Z', status: null, error: 'ECONNREFUSED: refused' },
    { attempt: 2, at: '2026-12-06T10:00:31.000Z', status: 200, error: null },
  ],
  nextAttemptAt: null,
  state: 'delivered',
  reason: null,
};

describe('alert entities', () => {
  it('round-trip a rule (the secret apart) and a delivery', () => {
    const entity = toAlertRuleEntity(rule, 'the-secret-of-this-rule');
    expect(fromAlertRuleEntity(entity)).toEqual(rule);
    expect(JSON.stringify(fromAlertRuleEntity(entity))).not.toContain('the-secret-of-this-rule');
    expect(secretOfEntity(entity)).toBe('the-secret-of-this-rule');
    expect(fromAlertDeliveryEntity(toAlertDeliveryEntity(delivery))).toEqual(delivery);
    const test = { ...delivery, test: true, event: null, state: 'failed' as const, reason: 'Test delivery failed' };
    expect(fromAlertDeliveryEntity(toAlertDeliveryEntity(test))).toEqual(test);
  });

  it('newer deliveries sort first', () => {
    const older = toAlertDeliveryEntity(delivery);
    const newer = toAlertDeliveryEntity({ ...delivery, createdAt: '2026-12-06T11:00:00.000Z' });
    expect(String(newer.rowKey) < String(older.rowKey)).toBe(true);
  });

  it.each([
    ['AlertRules', 'secret', () => secretOfEntity({ ...toAlertRuleEntity(rule, 'x'.repeat(16)), secret: undefined })],
    ['AlertRules', 'rights', () => fromAlertRuleEntity({ ...toAlertRuleEntity(rule, 's'), rights: '["ReadAll"]' })],
    ['AlertRules', 'watch', () => fromAlertRuleEntity({ ...toAlertRuleEntity(rule, 's'), watch: '{"kind":"x"}' })],
    ['AlertDeliveries', 'state', () => fromAlertDeliveryEntity({ ...toAlertDeliveryEntity(delivery), state: 'ok' })],
    [
      'AlertDeliveries',
      'attempts',
      () => fromAlertDeliveryEntity({ ...toAlertDeliveryEntity(delivery), attempts: undefined }),
    ],
    [
      'AlertDeliveries',
      'event',
      () => {
        const { observedBy: _lost, ...event } = delivery.event!;
        return fromAlertDeliveryEntity({ ...toAlertDeliveryEntity(delivery), event: JSON.stringify(event) });
      },
    ],
  ])('a bad %s.%s is a CorruptEntityError naming it', (table, property, read) => {
    let error: unknown;
    try {
      read();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorruptEntityError);
    expect(error).toMatchObject({ table, property });
  });
});
