import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { feedUntil, rightsOf, simMutate } from '../support/feedDriver.js';
import { Receiver, signatureValid } from '../support/receiver.js';
import type { AlertDelivery } from '../../shared/ports/alerts.js';

// Issue 23, "a rule fires once for a grant seen through the feed", end to end on the local host (Azurite, the HTTPS
// simulator with its audit log, real JWTs): after the task's first full run, a FullAccess grant made through the
// simulator's control API (which logs it with its actor) reaches the rule only through the pollAuditFeed timer, and
// the receiver gets exactly one signed delivery naming the actor and the feed; later polls, which list the same
// content again through the checkpoint's overlap, send nothing more.

const SECRET = 'feed-rule-secret-7c2e91d04ab3';
const ACTOR = 'exchange.admin@contoso.com';
const DELAY_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let app: TestApp;
const receiver = new Receiver();
let ruleId: string;
let taskId: string;

async function deliveries(): Promise<AlertDelivery[]> {
  const answer = await app.api('GET', `alert-rules/${ruleId}/deliveries`);
  expect(answer.status).toBe(200);
  return (answer.json as { items: AlertDelivery[] }).items;
}

async function runsOf(taskId: string): Promise<number> {
  const answer = await app.api('GET', `tasks/${taskId}/runs`, { role: 'Reader' });
  expect(answer.status).toBe(200);
  return (answer.json as { items: unknown[] }).items.length;
}

beforeAll(async () => {
  await receiver.start();
  app = await startTestApp({ simulator: { auditDelayMs: DELAY_MS }, env: { ALERT_ALLOW_HTTP_LOOPBACK: 'true' } });
  const { meganId } = app.sim.tenant.demo;
  const schedule = await app.api('POST', 'schedules', {
    body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
  });
  const task = await app.api('POST', 'tasks', {
    body: {
      description: 'Feed',
      scheduleId: (schedule.json as { id: string }).id,
      target: { kind: 'mailboxes', mailboxes: [meganId] },
    },
  });
  expect(task.status).toBe(201);
  taskId = (task.json as { id: string }).id;
  expect((await app.api('POST', `tasks/${taskId}/run`)).status).toBe(202);
  await app.settle();
  // The first tick starts the subscription and reads the log the tenant starts with.
  await app.host.fireTimer('pollAuditFeed');
  await app.settle();
  // The rule comes after the first run: the delegations already there are not news (docs/operations.md, "Alerts").
  const created = await app.api('POST', 'alert-rules', {
    body: {
      description: 'Megan’s mailbox',
      mailboxes: [meganId],
      rights: ['FullAccess'],
      webhookUrl: receiver.url('/feed'),
      secret: SECRET,
    },
  });
  expect(created.status).toBe(201);
  ruleId = (created.json as { id: string }).id;
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await receiver.stop();
});

describe('an alert rule and the audit feed, end to end', () => {
  it('fires exactly once for a grant seen through the feed, naming the actor; more polls send nothing', async () => {
    const { meganId } = app.sim.tenant.demo;
    const delegate = app.sim.tenant.addUser({ displayName: 'Feed Delegate' });
    const runsBefore = await runsOf(taskId);
    expect(receiver.forRule(ruleId)).toEqual([]);

    await simMutate(app, { op: 'grantFullAccess', mailboxId: meganId, trusteeId: delegate.id, actor: ACTOR });
    await feedUntil(app, async () => (await rightsOf(app, meganId, delegate.id)).some((r) => r.right === 'FullAccess'));
    await app.settle();

    const got = receiver.forRule(ruleId);
    expect(got).toHaveLength(1);
    const [only] = got;
    expect(only?.path).toBe('/feed');
    expect(only?.body.event).toMatchObject({
      mailbox: { id: meganId.toLowerCase() },
      delegate: { id: delegate.id.toLowerCase() },
      right: 'FullAccess',
      via: [{ kind: 'direct' }],
      actor: ACTOR,
      observedBy: 'auditEvent',
    });
    expect(only?.body.event?.runId).not.toBeNull(); // the feed's re-read (an audit run), not a manual grant
    expect(only?.headers['x-mps-delivery']).toBe(only?.body.deliveryId);
    expect(signatureValid(only!, SECRET)).toBe(true);
    const [recorded] = await deliveries();
    expect(recorded).toMatchObject({
      deliveryId: only?.body.deliveryId,
      state: 'delivered',
      event: { actor: ACTOR, observedBy: 'auditEvent' },
    });
    // The feed's audit run is what found the grant; the test started no run after the first.
    const runsAfterGrant = await runsOf(taskId);

    // Each minute's tick lists the content since the checkpoint minus its overlap, so the grant's record is listed
    // again; its blob was read once and is remembered, and the mailbox holds nothing new: no second delivery.
    const status = (await app.api('GET', 'audit-feed', { role: 'Reader' })).json as {
      last24h: { mailboxesQueued: number };
    };
    for (let i = 0; i < 3; i++) {
      await sleep(DELAY_MS);
      await app.host.fireTimer('pollAuditFeed');
      await app.settle();
    }
    const later = (await app.api('GET', 'audit-feed', { role: 'Reader' })).json as typeof status & {
      lastPoll: { outcome: string };
    };
    expect(later.lastPoll.outcome).toBe('succeeded');
    expect(later.last24h.mailboxesQueued).toBe(status.last24h.mailboxesQueued);
    expect(receiver.forRule(ruleId)).toHaveLength(1);
    expect(await deliveries()).toHaveLength(1);
    expect(await runsOf(taskId)).toBe(runsAfterGrant);
    expect(runsAfterGrant).toBeGreaterThan(runsBefore);
  }, 90_000);
});
