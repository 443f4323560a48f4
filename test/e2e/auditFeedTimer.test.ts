import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { feedUntil as feedUntilOn, rightsOf as rightsOn, simMutate } from '../support/feedDriver.js';

// docs/design.md §8.4 end to end on the local host (Azurite, the HTTPS simulator with its audit log, real JWTs):
// changes made through the simulator's control API reach the lookups through the pollAuditFeed timer alone — no
// task run after the first — with the actor their audit records name.

const DELAY_MS = 300;
/** The outage: 10 minutes of 503s (the test ends it early once the failed polls are seen). */
const OUTAGE_S = 600;

let app: TestApp;
let taskId: string;

const mutate = (body: Record<string, unknown>) => simMutate(app, body);
const rightsOf = (mailboxId: string, delegateId: string) => rightsOn(app, mailboxId, delegateId);
const feedUntil = (done: () => Promise<boolean>) => feedUntilOn(app, done);

interface EventJson {
  type: string;
  delegate: { id: string };
  right: string;
  actor: string | null;
  observedBy: string;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FeedStatusJson {
  subscription: { status: string };
  checkpoint: string | null;
  lagSeconds: number | null;
  lastPoll: { outcome: string; error: string | null } | null;
  last24h: {
    permissionHints: number;
    mailboxesQueued: number;
    failedPolls: number;
    ignored: { systemActor: number };
  };
}

async function feedStatus(): Promise<FeedStatusJson> {
  const res = await app.api('GET', 'audit-feed', { role: 'Reader' });
  expect(res.status).toBe(200);
  return res.json as FeedStatusJson;
}

async function historyOf(mailboxId: string): Promise<EventJson[]> {
  const res = await app.api('GET', `delegation-changes?mailbox=${mailboxId}&since=2026-01-01T00:00:00Z&top=100`, {
    role: 'Reader',
  });
  expect(res.status).toBe(200);
  return (res.json as { items: EventJson[] }).items;
}

describe('the pollAuditFeed timer, end to end', () => {
  beforeAll(async () => {
    app = await startTestApp({ simulator: { auditDelayMs: DELAY_MS } });
    const demo = app.sim.tenant.demo;
    const schedule = await app.api('POST', 'schedules', {
      body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
    });
    const task = await app.api('POST', 'tasks', {
      body: {
        description: 'Feed',
        scheduleId: (schedule.json as { id: string }).id,
        target: { kind: 'mailboxes', mailboxes: [demo.meganId, demo.gradyId, demo.joniId] },
      },
    });
    expect(task.status).toBe(201);
    taskId = (task.json as { id: string }).id;
    await app.api('POST', `tasks/${taskId}/run`);
    await app.settle();
    // The first tick starts the subscription and reads the log the tenant starts with.
    await app.host.fireTimer('pollAuditFeed');
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('a FullAccess grant and its revocation arrive through the feed alone, each with its actor', async () => {
    const { meganId, diegoId } = app.sim.tenant.demo;
    await mutate({ op: 'grantFullAccess', mailboxId: meganId, trusteeId: diegoId, actor: 'it.admin@contoso.com' });
    await feedUntil(async () => (await rightsOf(meganId, diegoId)).some((r) => r.right === 'FullAccess'));
    expect(await rightsOf(meganId, diegoId)).toContainEqual(
      expect.objectContaining({ right: 'FullAccess', grantedBy: 'it.admin@contoso.com' }),
    );

    await mutate({ op: 'revokeFullAccess', mailboxId: meganId, trusteeId: diegoId, actor: 'sec.officer@contoso.com' });
    await feedUntil(async () => !(await rightsOf(meganId, diegoId)).some((r) => r.right === 'FullAccess'));
    const events = (await historyOf(meganId)).filter((e) => same(e.delegate.id, diegoId) && e.right === 'FullAccess');
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'granted', actor: 'it.admin@contoso.com', observedBy: 'auditEvent' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'revoked', actor: 'sec.officer@contoso.com', observedBy: 'auditEvent' }),
    );
  }, 60_000);

  it('a SendOnBehalf grant and a calendar delegate (with its actor) arrive through the feed alone', async () => {
    const { gradyId, joniId, alexId } = app.sim.tenant.demo;
    await mutate({ op: 'grantSendOnBehalf', mailboxId: gradyId, trusteeId: alexId, actor: 'helpdesk@contoso.com' });
    await mutate({
      op: 'setCalendarRole',
      mailboxId: joniId,
      userId: alexId,
      role: 'delegateWithoutPrivateEventAccess',
      via: 'admin',
      actor: 'cal.admin@contoso.com',
    });
    await feedUntil(
      async () =>
        (await rightsOf(gradyId, alexId)).some((r) => r.right === 'SendOnBehalf') &&
        (await rightsOf(joniId, alexId)).some((r) => r.right === 'CalendarDelegate'),
    );
    const onBehalf = (await historyOf(gradyId)).find((e) => same(e.delegate.id, alexId) && e.right === 'SendOnBehalf');
    // Set-Mailbox writes the whole remaining GrantSendOnBehalfTo list (docs/wire.md): it names who is left, not who
    // was added, so no delegate is attributed the actor (never guessed); the re-read still finds the grant.
    expect(onBehalf).toMatchObject({ type: 'granted', actor: null, observedBy: 'auditEvent' });
    const calendar = (await historyOf(joniId)).find(
      (e) => same(e.delegate.id, alexId) && e.right === 'CalendarDelegate',
    );
    expect(calendar).toMatchObject({ type: 'granted', actor: 'cal.admin@contoso.com', observedBy: 'auditEvent' });
  }, 60_000);

  it('GET /api/audit-feed reports what the timer did', async () => {
    const body = await feedStatus();
    expect(body.subscription.status).toBe('enabled');
    expect(body.checkpoint).not.toBeNull();
    expect(body.lagSeconds).not.toBeNull();
    expect(body.lastPoll?.outcome).toBe('succeeded');
    expect(body.last24h.permissionHints).toBeGreaterThanOrEqual(4);
    expect(body.last24h.mailboxesQueued).toBeGreaterThanOrEqual(4);
    expect(body.last24h.ignored.systemActor).toBeGreaterThanOrEqual(1);
  });
  it('a feed outage (503s) loses nothing: changes made during it arrive after; failed polls are shown', async () => {
    const { meganId, gradyId, lidiaId } = app.sim.tenant.demo;
    const failedBefore = (await feedStatus()).last24h.failedPolls;
    expect(await rightsOf(meganId, lidiaId)).toEqual([]);
    expect(await rightsOf(gradyId, lidiaId)).toEqual([]);
    // The Management API answers 503 from now on, for OUTAGE_S.
    app.sim.audit.setFaults({ outage: { seconds: OUTAGE_S } });
    await mutate({ op: 'grantFullAccess', mailboxId: meganId, trusteeId: lidiaId, actor: 'night.shift@contoso.com' });
    await mutate({ op: 'grantFullAccess', mailboxId: gradyId, trusteeId: lidiaId, actor: 'night.shift@contoso.com' });
    await sleep(DELAY_MS * 2); // the records are listable now, were the API up

    for (let i = 0; i < 2; i++) {
      await app.host.fireTimer('pollAuditFeed');
      await app.settle();
    }
    const during = await feedStatus();
    expect(during.lastPoll).toMatchObject({ outcome: 'failed' });
    expect(during.lastPoll?.error).toBeTruthy();
    expect(during.last24h.failedPolls).toBe(failedBefore + 2);
    expect(await rightsOf(meganId, lidiaId)).toEqual([]);

    app.sim.audit.setFaults({ outage: { seconds: 0 } }); // the outage ends
    await feedUntil(
      async () =>
        (await rightsOf(meganId, lidiaId)).some((r) => r.right === 'FullAccess') &&
        (await rightsOf(gradyId, lidiaId)).some((r) => r.right === 'FullAccess'),
    );
    for (const mailboxId of [meganId, gradyId]) {
      expect(await rightsOf(mailboxId, lidiaId)).toContainEqual(
        expect.objectContaining({ right: 'FullAccess', grantedBy: 'night.shift@contoso.com' }),
      );
    }
    const after = await feedStatus();
    expect(after.lastPoll).toMatchObject({ outcome: 'succeeded', error: null });
    expect(after.last24h.failedPolls).toBeGreaterThanOrEqual(failedBefore + 2);
  }, 60_000);
});
