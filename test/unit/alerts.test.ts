import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALERT_BACKOFF,
  deliveryIdOf,
  nextAttemptAt,
  toAlertEvent,
  signBody,
  type AlertRule,
} from '../../shared/domain/alerts.js';
import type { DelegationEvent } from '../../shared/domain/delegation/types.js';
import { WebhookError } from '../../shared/errors.js';
import type {
  AlertDelivery,
  AlertDeliveryRepository,
  AlertRuleRepository,
  WebhookPort,
} from '../../shared/ports/alerts.js';
import type { OutgoingMessage, QueueSender } from '../../shared/ports/queue.js';
import type { MicrosoftPorts } from '../../shared/ports/microsoft.js';
import { RuleAlertRaiser, type AlertMessage } from '../../shared/usecases/alertRaiser.js';
import { deliverAlert, failDeadLetteredAlert } from '../../shared/usecases/deliverAlert.js';

const MAILBOX = '11111111-1111-4111-8111-111111111111';
const DELEGATE = '22222222-2222-4222-8222-222222222222';
const GROUP = '33333333-3333-4333-8333-333333333333';

const anEvent = (over: Partial<DelegationEvent> = {}): DelegationEvent => ({
  type: 'granted',
  mailbox: { id: MAILBOX, address: 'ceo@contoso.com', displayName: 'CEO' },
  delegate: { id: DELEGATE, upn: 'eve@contoso.com', address: 'eve@contoso.com', displayName: 'Eve' },
  right: 'FullAccess',
  via: [{ kind: 'direct' }],
  source: 'MailboxPermissionSync',
  runId: 'run-1',
  taskId: 'task-1',
  at: '2026-12-06T10:00:00.000Z',
  actor: 'it-admin@contoso.com',
  observedBy: 'auditEvent',
  ...over,
});

const aRule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'rule-1',
  description: 'CEO',
  watch: { kind: 'mailboxes', mailboxes: [{ id: MAILBOX, address: 'ceo@contoso.com', displayName: 'CEO' }] },
  rights: ['FullAccess'],
  webhookUrl: 'https://hooks.example.com/x',
  createdAt: '2026-12-01T00:00:00.000Z',
  ...over,
});

class Rules implements AlertRuleRepository {
  reads = 0;
  constructor(readonly rules: AlertRule[]) {}
  async create() {}
  async get(id: string) {
    return this.rules.find((r) => r.id === id);
  }
  async secretOf(id: string) {
    return this.rules.some((r) => r.id === id) ? 'the-rule-secret-0123456789' : undefined;
  }
  async list() {
    return { items: this.rules, continuationToken: null };
  }
  async all() {
    this.reads++;
    return [...this.rules];
  }
  async delete() {}
}

class Deliveries implements AlertDeliveryRepository {
  readonly rows = new Map<string, AlertDelivery>();
  async get(ruleId: string, createdAt: string, deliveryId: string) {
    return this.rows.get(`${ruleId}|${createdAt}|${deliveryId}`);
  }
  async put(d: AlertDelivery) {
    this.rows.set(`${d.ruleId}|${d.createdAt}|${d.deliveryId}`, structuredClone(d));
  }
  async list() {
    return { items: [...this.rows.values()], continuationToken: null };
  }
}

class Queue implements QueueSender {
  readonly sent: OutgoingMessage[] = [];
  async send(_name: string, messages: OutgoingMessage | readonly OutgoingMessage[]) {
    this.sent.push(...(Array.isArray(messages) ? messages : [messages as OutgoingMessage]));
  }
  async ping() {}
  async close() {}
}

/** A webhook answering the given statuses in turn (null: no answer). */
function webhook(
  answers: Array<number | null>,
): WebhookPort & { bodies: string[]; headers: Array<Record<string, string>> } {
  const bodies: string[] = [];
  const headers: Array<Record<string, string>> = [];
  return {
    bodies,
    headers,
    async check() {},
    async post(_url, body, h) {
      bodies.push(body);
      headers.push(h);
      const status = answers.shift();
      if (status === null || status === undefined) throw new WebhookError('WEBHOOK.FAILED', 'ECONNREFUSED: refused');
      return { status };
    },
  };
}

const noGraph = (): MicrosoftPorts => {
  throw new Error('no Graph call expected');
};

describe('the alert hook (RuleAlertRaiser)', () => {
  it('enqueues one message per matching (rule, event), with the same id for a redelivered plan', async () => {
    const queue = new Queue();
    const rules = new Rules([aRule(), aRule({ id: 'rule-2', rights: ['SendAs'] })]);
    const raiser = new RuleAlertRaiser({ rules, queue, now: () => new Date(), microsoft: noGraph });
    const events = [anEvent(), anEvent({ right: 'SendAs' }), anEvent({ type: 'revoked' })];

    expect(await raiser.raise(events)).toBe(2);
    // A redelivery re-plans the same events later: same ids.
    expect(await raiser.raise(events.map((e) => ({ ...e, at: '2026-12-06T10:05:00.000Z' })))).toBe(2);

    const ids = queue.sent.map((m) => m.messageId);
    expect(ids.slice(0, 2)).toEqual(ids.slice(2));
    expect(new Set(ids.slice(0, 2)).size).toBe(2);
    expect((queue.sent[0]!.body as AlertMessage).event).toMatchObject({
      actor: 'it-admin@contoso.com',
      observedBy: 'auditEvent',
      right: 'FullAccess',
    });
    expect(rules.reads).toBe(1); // the rule cache
  });

  it('reads no rule for a plan without grants, and fires nothing for an unwatched mailbox', async () => {
    const queue = new Queue();
    const rules = new Rules([aRule()]);
    const raiser = new RuleAlertRaiser({ rules, queue, now: () => new Date(), microsoft: noGraph });
    expect(await raiser.raise([anEvent({ type: 'revoked' })])).toBe(0);
    expect(rules.reads).toBe(0);
    const other = anEvent({ mailbox: { id: DELEGATE, address: 'x@contoso.com', displayName: 'X' } });
    expect(await raiser.raise([other])).toBe(0);
  });

  it('a group rule fires for a mailbox among the transitive members, listed once per TTL', async () => {
    let listings = 0;
    const microsoft = () =>
      ({
        graph: {
          async *transitiveMembers(groupId: string) {
            listings++;
            expect(groupId).toBe(GROUP);
            yield [{ kind: 'user', id: MAILBOX.toUpperCase() }];
          },
        },
      }) as unknown as MicrosoftPorts;
    const queue = new Queue();
    const rules = new Rules([aRule({ watch: { kind: 'group', groupId: GROUP, displayName: 'Board' } })]);
    const raiser = new RuleAlertRaiser({ rules, queue, now: () => new Date(), microsoft });

    expect(await raiser.raise([anEvent()])).toBe(1);
    expect(await raiser.raise([anEvent({ delegate: { ...anEvent().delegate, id: 'other' } })])).toBe(1);
    expect(listings).toBe(1);
    const outside = anEvent({ mailbox: { id: DELEGATE, address: 'x@contoso.com', displayName: 'X' } });
    expect(await raiser.raise([outside])).toBe(0);
  });
});

describe('deliverAlert', () => {
  const setup = (answers: Array<number | null>, windowMs = 60_000) => {
    let now = new Date('2026-12-06T10:00:00.000Z');
    const deps = {
      alerts: {
        rules: new Rules([aRule()]),
        deliveries: new Deliveries(),
        webhook: webhook(answers),
        backoff: { delayMs: (attempt: number) => 1000 * 2 ** (attempt - 1), windowMs },
      },
      queue: new Queue(),
      now: () => now,
    };
    const message: AlertMessage = {
      ruleId: 'rule-1',
      deliveryId: deliveryIdOf('rule-1', anEvent()),
      createdAt: now.toISOString(),
      event: { ...toAlertEvent(anEvent()), type: 'granted' },
      attempt: 1,
    };
    return { deps, message, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
  };

  it('signs the raw body with the secret and delivers on a 2xx', async () => {
    const { deps, message } = setup([200]);
    expect(await deliverAlert(deps, message)).toEqual({ outcome: 'delivered', status: 200 });
    const [body] = deps.alerts.webhook.bodies;
    expect(deps.alerts.webhook.headers[0]).toMatchObject({
      'Content-Type': 'application/json',
      'X-MPS-Delivery': message.deliveryId,
      'X-MPS-Signature': signBody(body!, 'the-rule-secret-0123456789'),
    });
    expect(JSON.parse(body!)).toMatchObject({
      ruleId: 'rule-1',
      deliveryId: message.deliveryId,
      event: { actor: 'it-admin@contoso.com', observedBy: 'auditEvent' },
    });
  });

  it('retries with backoff through scheduled copies and abandons past the window', async () => {
    const { deps, message, advance } = setup([500, null, 302, 503], 5_000);
    let current: unknown = message;
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const outcome = await deliverAlert(deps, current);
      outcomes.push(outcome.outcome);
      if (outcome.outcome !== 'retrying') break;
      const copy = deps.queue.sent.at(-1)!;
      expect(copy.scheduledEnqueueTime?.getTime()).toBe(outcome.retryAt.getTime());
      advance(copy.scheduledEnqueueTime!.getTime() - Date.parse(deps.now().toISOString()));
      current = copy.body;
    }
    // Delays 1 s, 2 s, then 4 s would start 7 s after the first attempt: past the 5 s window.
    expect(outcomes).toEqual(['retrying', 'retrying', 'abandoned']);
    const [row] = [...deps.alerts.deliveries.rows.values()];
    expect(row?.state).toBe('abandoned');
    expect(row?.attempts.map((a) => a.status ?? a.error)).toEqual([500, 'ECONNREFUSED: refused', 302]);
    expect(row?.reason).toContain('HTTP 302');
    expect(deps.queue.sent.map((m) => m.messageId)).toEqual([
      `alert_${message.deliveryId}_a2`,
      `alert_${message.deliveryId}_a3`,
    ]);
  });

  it('is idempotent: a redelivered attempt already recorded is not made again', async () => {
    const { deps, message } = setup([500, 200]);
    await deliverAlert(deps, message);
    expect(await deliverAlert(deps, message)).toEqual({ outcome: 'alreadySettled' });
    expect(deps.alerts.webhook.bodies).toHaveLength(1);
  });

  it('a dead-lettered message is recorded as failed on its delivery', async () => {
    const { deps, message } = setup([500]);
    await deliverAlert(deps, message);
    expect(await failDeadLetteredAlert(deps, message, { reason: 'MaxDeliveryCountExceeded' })).toBe('failed');
    const [row] = [...deps.alerts.deliveries.rows.values()];
    expect(row).toMatchObject({ state: 'failed', nextAttemptAt: null });
    expect(row?.reason).toContain('MaxDeliveryCountExceeded');
    expect(row?.attempts).toHaveLength(1);
  });
});

describe('the production backoff', () => {
  it('doubles from about 30 s, caps at about an hour, and gives up 24 h after the first attempt', () => {
    const first = new Date('2026-12-06T00:00:00Z');
    const d1 = DEFAULT_ALERT_BACKOFF.delayMs(1);
    expect(d1).toBeGreaterThanOrEqual(24_000);
    expect(d1).toBeLessThanOrEqual(36_000);
    expect(DEFAULT_ALERT_BACKOFF.delayMs(30)).toBeLessThanOrEqual(3_600_000 * 1.2);
    expect(nextAttemptAt(DEFAULT_ALERT_BACKOFF, first, new Date(first.getTime() + 3_600_000), 8)).not.toBeNull();
    expect(nextAttemptAt(DEFAULT_ALERT_BACKOFF, first, new Date(first.getTime() + 24 * 3_600_000), 40)).toBeNull();
  });
});

describe('deliverAlert after the rule is deleted', () => {
  it('sends nothing and closes a pending delivery as abandoned', async () => {
    const rules = new Rules([aRule()]);
    const deliveries = new Deliveries();
    const hook = webhook([500]);
    const deps = {
      alerts: { rules, deliveries, webhook: hook, backoff: { delayMs: () => 1000, windowMs: 60_000 } },
      queue: new Queue(),
      now: () => new Date('2026-12-06T10:00:00.000Z'),
    };
    const message: AlertMessage = {
      ruleId: 'rule-1',
      deliveryId: deliveryIdOf('rule-1', anEvent()),
      createdAt: '2026-12-06T10:00:00.000Z',
      event: { ...toAlertEvent(anEvent()), type: 'granted' },
      attempt: 1,
    };
    expect((await deliverAlert(deps, message)).outcome).toBe('retrying');
    rules.rules.splice(0);

    expect(await deliverAlert(deps, deps.queue.sent[0]!.body)).toEqual({ outcome: 'ruleDeleted' });

    expect(hook.bodies).toHaveLength(1);
    expect([...deliveries.rows.values()][0]).toMatchObject({ state: 'abandoned', nextAttemptAt: null });
  });
});

describe('mps-alert messages are checked, not trusted', () => {
  it.each([
    ['no body', undefined],
    ['not JSON', '{"ruleId":'],
    ['a bad rule id', { ruleId: '../x', deliveryId: 'd', createdAt: '2026-12-06T10:00:00Z', attempt: 1, event: null }],
    ['attempt 0', { ruleId: 'r', deliveryId: 'd', createdAt: '2026-12-06T10:00:00Z', attempt: 0, event: null }],
  ])('%s: a validation error (redelivered, then dead-lettered), and its dead letter is discarded', async (_w, body) => {
    const deps = {
      alerts: {
        rules: new Rules([aRule()]),
        deliveries: new Deliveries(),
        webhook: webhook([200]),
        backoff: DEFAULT_ALERT_BACKOFF,
      },
      queue: new Queue(),
      now: () => new Date(),
    };
    await expect(deliverAlert(deps, body)).rejects.toMatchObject({ code: 'QUEUE.INVALID_MESSAGE' });
    expect(await failDeadLetteredAlert(deps, body, { reason: 'MaxDeliveryCountExceeded' })).toBe('unreadable');
    expect(deps.alerts.webhook.bodies).toEqual([]);
    expect(deps.alerts.deliveries.rows.size).toBe(0);
  });
});
