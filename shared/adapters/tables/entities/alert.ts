import { z } from 'zod';
import { OBSERVERS, RIGHTS, type Right } from '../../../domain/delegation/types.js';
import type { AlertDelivery, AlertRule } from '../../../ports/alerts.js';
import { assertKey, reverseTimeKey } from '../keys.js';
import { instant, jsonOf, nonEmpty, nullable, readEntity, storedCount, text } from '../entityFields.js';
import type { Entity } from '../tableStore.js';
import { SOURCES, via } from './delegation.js';

export const ALERT_RULE_PARTITION = 'rule';

const mailboxRef = z.object({ id: nonEmpty, address: text, displayName: text });

const watch = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mailboxes'), mailboxes: z.array(mailboxRef).min(1) }),
  z.object({ kind: z.literal('group'), groupId: nonEmpty, displayName: text }),
]);

/** A rule's entity (AlertRules). `secret` is a property of its own that only `secretOf` reads. */
const ruleEntity = z.object({
  rowKey: nonEmpty,
  description: text,
  watch: jsonOf(watch),
  rights: jsonOf(z.array(z.enum(RIGHTS)).min(1)),
  webhookUrl: nonEmpty,
  createdAt: instant,
});

const secretEntity = z.object({ secret: nonEmpty });

/** Maps a rule and its secret to its entity. */
export function toAlertRuleEntity(rule: AlertRule, secret: string): Entity {
  return {
    partitionKey: ALERT_RULE_PARTITION,
    rowKey: assertKey(rule.id, 'alert rule id'),
    description: rule.description,
    watch: JSON.stringify(rule.watch),
    rights: JSON.stringify(rule.rights),
    webhookUrl: rule.webhookUrl,
    secret,
    createdAt: rule.createdAt,
  };
}

/** Maps an entity back to a rule, without its secret; a missing or unreadable property is a CorruptEntityError. */
export function fromAlertRuleEntity(e: Record<string, unknown>): AlertRule {
  const s = readEntity('AlertRules', ruleEntity, e);
  return {
    id: s.rowKey,
    description: s.description,
    watch: s.watch,
    rights: s.rights as Right[],
    webhookUrl: s.webhookUrl,
    createdAt: s.createdAt,
  };
}

/** The secret of a rule's entity (a missing one is corrupt: a delivery must never go out unsigned). */
export function secretOfEntity(e: Record<string, unknown>): string {
  return readEntity('AlertRules', secretEntity, e).secret;
}

const alertEvent = z.object({
  type: z.literal('granted'),
  mailbox: mailboxRef,
  delegate: z.object({ id: nonEmpty, address: text, displayName: text, upn: text }),
  right: z.enum(RIGHTS),
  via: z.array(via),
  source: z.enum(SOURCES),
  actor: z.string().nullable(),
  observedBy: z.enum(OBSERVERS),
  at: instant,
  runId: z.string().nullable(),
});

const attempt = z.object({
  attempt: z.number().int().positive(),
  at: instant,
  status: z.number().int().nullable(),
  error: z.string().nullable(),
});

/** A delivery's entity (AlertDeliveries): partition the rule, row key newest first. */
const deliveryEntity = z.object({
  partitionKey: nonEmpty,
  deliveryId: nonEmpty,
  createdAt: instant,
  test: z.enum(['true', 'false']),
  event: nullable(jsonOf(alertEvent)),
  attempts: jsonOf(z.array(attempt)),
  attemptCount: storedCount,
  nextAttemptAt: nullable(instant),
  state: z.enum(['pending', 'delivered', 'abandoned', 'failed']),
  reason: nullable(nonEmpty),
});

/** The row key of a delivery: newest first, then the delivery id. */
export function deliveryRowKey(createdAt: string, deliveryId: string): string {
  return reverseTimeKey(new Date(createdAt), assertKey(deliveryId, 'delivery id'));
}

/** Maps a delivery to its entity. */
export function toAlertDeliveryEntity(d: AlertDelivery): Entity {
  return {
    partitionKey: assertKey(d.ruleId, 'alert rule id'),
    rowKey: deliveryRowKey(d.createdAt, d.deliveryId),
    deliveryId: d.deliveryId,
    createdAt: d.createdAt,
    test: String(d.test),
    event: d.event === null ? '' : JSON.stringify(d.event),
    attempts: JSON.stringify(d.attempts),
    attemptCount: d.attempts.length,
    nextAttemptAt: d.nextAttemptAt ?? '',
    state: d.state,
    reason: d.reason ?? '',
  };
}

/** Maps an entity back to a delivery; a missing or unreadable property is a CorruptEntityError. */
export function fromAlertDeliveryEntity(e: Record<string, unknown>): AlertDelivery {
  const s = readEntity('AlertDeliveries', deliveryEntity, e);
  return {
    ruleId: s.partitionKey,
    deliveryId: s.deliveryId,
    createdAt: s.createdAt,
    test: s.test === 'true',
    event: s.event,
    attempts: s.attempts,
    nextAttemptAt: s.nextAttemptAt,
    state: s.state,
    reason: s.reason,
  };
}
