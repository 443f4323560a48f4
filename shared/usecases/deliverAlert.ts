import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Logger } from '../logging.js';
import { alertBody, nextAttemptAt, signBody, type AlertEvent } from '../domain/alerts.js';
import type { AlertAttempt, AlertDelivery, AlertPorts } from '../ports/alerts.js';
import { QUEUES, type QueueSender } from '../ports/queue.js';
import { alertMessageSchema, type AlertMessage } from './alertRaiser.js';
import { parseMessage } from './messages.js';
import type { DeadLetterInfo } from './deadLetters.js';

export interface DeliverAlertDeps {
  alerts: Pick<AlertPorts, 'rules' | 'deliveries' | 'webhook' | 'backoff'>;
  queue: QueueSender;
  now: () => Date;
  logger?: Logger;
}

export type DeliverOutcome =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'retrying'; status: number | null; retryAt: Date }
  | { outcome: 'abandoned'; reason: string }
  | { outcome: 'alreadySettled' }
  | { outcome: 'ruleDeleted' };

/** POSTs one signed body to the rule's webhook: the attempt as recorded (a status, or why none came back). */
export async function attemptDelivery(
  deps: Pick<DeliverAlertDeps, 'alerts' | 'now'>,
  target: { webhookUrl: string; secret: string },
  delivery: { ruleId: string; deliveryId: string; event: AlertEvent | null },
  attempt: number,
): Promise<AlertAttempt> {
  const body = alertBody(delivery.ruleId, delivery.deliveryId, delivery.event);
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'MailboxPermissionSync-Alerts/1',
    'X-MPS-Delivery': delivery.deliveryId,
    'X-MPS-Signature': signBody(body, target.secret),
  };
  try {
    const { status } = await deps.alerts.webhook.post(target.webhookUrl, body, headers);
    return { attempt, at: deps.now().toISOString(), status, error: null };
  } catch (error) {
    // Refused at send time, timed out, network: an attempt without a status. Anything else is ours: redelivery.
    if (error instanceof AppError && error.code === 'WEBHOOK.FAILED') {
      return { attempt, at: deps.now().toISOString(), status: null, error: error.message };
    }
    throw error;
  }
}

const isSuccess = (a: AlertAttempt) => a.status !== null && a.status >= 200 && a.status < 300;

function describeAttempt(a: AlertAttempt): string {
  return a.status !== null ? `HTTP ${a.status}` : (a.error ?? 'no answer');
}

/**
 * Delivers one `mps-alert` message: one attempt, recorded on the delivery. A 2xx delivers; anything else (a 3xx
 * included: redirects are not followed) schedules the next attempt as a delayed copy of the message, with
 * exponential backoff and jitter, until the backoff window after the first attempt is over: then `abandoned`.
 * Idempotent: an attempt already recorded (its next copy is scheduled) is not made again.
 */
export async function deliverAlert(deps: DeliverAlertDeps, body: unknown): Promise<DeliverOutcome> {
  const message = parseMessage(alertMessageSchema, body, QUEUES.alert);
  const { ruleId, deliveryId, createdAt, attempt } = message;
  const [rule, secret] = await Promise.all([deps.alerts.rules.get(ruleId), deps.alerts.rules.secretOf(ruleId)]);
  const stored = await deps.alerts.deliveries.get(ruleId, createdAt, deliveryId);
  if (!rule || secret === undefined) {
    // A retry of a deleted rule's delivery: nothing to send it to; its record must not stay pending.
    if (stored?.state === 'pending') {
      const reason = 'The alert rule was deleted before the delivery succeeded';
      await deps.alerts.deliveries.put({ ...stored, state: 'abandoned', nextAttemptAt: null, reason });
    }
    return { outcome: 'ruleDeleted' };
  }
  if (stored && (stored.state !== 'pending' || stored.attempts.some((a) => a.attempt >= attempt))) {
    return { outcome: 'alreadySettled' };
  }
  const firstAttemptAt = message.firstAttemptAt ?? deps.now().toISOString();
  const result = await attemptDelivery(deps, { webhookUrl: rule.webhookUrl, secret }, message, attempt);
  const attempts = [...(stored?.attempts ?? []), result];
  const base: AlertDelivery = {
    ruleId,
    deliveryId,
    createdAt,
    test: false,
    event: message.event,
    attempts,
    nextAttemptAt: null,
    state: 'delivered',
    reason: null,
  };
  if (isSuccess(result)) {
    await deps.alerts.deliveries.put(base);
    return { outcome: 'delivered', status: result.status ?? 0 };
  }
  const retryAt = nextAttemptAt(deps.alerts.backoff, new Date(firstAttemptAt), deps.now(), attempt);
  if (!retryAt) {
    const reason = `Gave up after ${attempts.length} attempts; the last: ${describeAttempt(result)}`;
    await deps.alerts.deliveries.put({ ...base, state: 'abandoned', reason });
    return { outcome: 'abandoned', reason };
  }
  // The copy first, the record second: a crash between them redelivers this message, which finds no record of
  // this attempt and tries again (at least once); the copy it sends again has the same id (deduplicated).
  const next: AlertMessage = { ...message, attempt: attempt + 1, firstAttemptAt };
  await deps.queue.send(QUEUES.alert, {
    body: next,
    messageId: `alert_${deliveryId}_a${attempt + 1}`,
    scheduledEnqueueTime: retryAt,
  });
  await deps.alerts.deliveries.put({ ...base, state: 'pending', nextAttemptAt: retryAt.toISOString() });
  return { outcome: 'retrying', status: result.status, retryAt };
}

/** A dead-lettered alert message is recorded as failed on its delivery, with the reason (nothing stays pending). */
export async function failDeadLetteredAlert(
  deps: Pick<DeliverAlertDeps, 'alerts' | 'now' | 'logger'>,
  body: unknown,
  info: DeadLetterInfo,
): Promise<'failed' | 'alreadySettled' | 'unreadable'> {
  const parsed = alertMessageSchema.safeParse(typeof body === 'string' ? safeJson(body) : body);
  if (!parsed.success) {
    deps.logger?.error(
      { reason: info.reason, description: info.description },
      'unreadable dead-lettered mps-alert message discarded',
    );
    return 'unreadable';
  }
  const m = parsed.data;
  const stored = await deps.alerts.deliveries.get(m.ruleId, m.createdAt, m.deliveryId);
  if (stored && stored.state !== 'pending') return 'alreadySettled';
  await deps.alerts.deliveries.put({
    ruleId: m.ruleId,
    deliveryId: m.deliveryId,
    createdAt: m.createdAt,
    test: false,
    event: m.event,
    attempts: stored?.attempts ?? [],
    nextAttemptAt: null,
    state: 'failed',
    reason: `Dead-lettered: ${info.description || info.reason || 'the message was dead-lettered'}`,
  });
  return 'failed';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A test delivery: one signed POST of a body marked `test: true`, recorded with the rule's deliveries. */
export async function sendTestDelivery(
  deps: Pick<DeliverAlertDeps, 'alerts' | 'now'>,
  ruleId: string,
  target: { webhookUrl: string; secret: string },
): Promise<AlertDelivery> {
  const deliveryId = randomUUID().replaceAll('-', '');
  const createdAt = deps.now().toISOString();
  const result = await attemptDelivery(deps, target, { ruleId, deliveryId, event: null }, 1);
  const delivered = isSuccess(result);
  const delivery: AlertDelivery = {
    ruleId,
    deliveryId,
    createdAt,
    test: true,
    event: null,
    attempts: [result],
    nextAttemptAt: null,
    state: delivered ? 'delivered' : 'failed',
    reason: delivered ? null : `Test delivery failed: ${describeAttempt(result)}`,
  };
  await deps.alerts.deliveries.put(delivery);
  return delivery;
}
