import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuedRun } from '../../shared/domain/runLifecycle.js';
import { scheduledRunId } from '../../shared/domain/task.js';
import type { AuditResyncMailbox, PermissionChangeHint } from '../../shared/ports/auditFeed.js';
import { startAuditRun } from '../../shared/usecases/auditRuns.js';
import type { MailboxMessageBody } from '../../shared/usecases/messages.js';
import { syncMailbox } from '../../shared/usecases/syncMailbox.js';
import { startTestApp, type TestApp } from '../support/app.js';

// docs/design.md §8.4: the change feed re-reads the mailboxes audit records name through an audit run (trigger
// auditEvent) of the task whose scope holds them. Everything real: the local host, Azurite, the HTTPS simulator.
// The test app runs no timers: a run that closes here closed on its last settle.

let app: TestApp;
let taskId: string;
let fullRunId: string;
let polls = 0;

const ACTIVE = new Set(['queued', 'expanding', 'running']);

interface RunJson {
  runId: string;
  status: string;
  trigger: string;
  mailboxesTotal: number;
  delegationsAdded: number;
  delegationsRemoved: number;
  revocationsHeld: number;
}

interface RightJson {
  right: string;
  grantedBy: string | null;
  grantedAt: string | null;
  lastVerified: string | null;
  lastConfirmed: string;
}

interface EventJson {
  type: string;
  delegate: { id: string };
  right: string;
  runId: string | null;
  actor: string | null;
  observedBy: string;
}

async function pollUntilClosed(runId: string): Promise<RunJson> {
  const until = Date.now() + 30_000;
  for (;;) {
    const run = await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' });
    expect(run.status).toBe(200);
    const body = run.json as RunJson;
    if (!ACTIVE.has(body.status) || Date.now() > until) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function mailboxOf(id: string): AuditResyncMailbox {
  const user = app.sim.tenant.users.get(id);
  if (!user) throw new Error(`no simulator user ${id}`);
  return { mailboxId: id, upn: user.userPrincipalName, address: user.mail ?? '', displayName: user.displayName };
}

function hint(mailboxId: string, overrides: Partial<PermissionChangeHint>): PermissionChangeHint {
  return {
    kind: 'permissionChange',
    recordId: `rec-${mailboxId}-${Math.random().toString(16).slice(2)}`,
    at: new Date(Date.now() - 90 * 60_000).toISOString(),
    operation: 'Add-MailboxPermission',
    actor: 'admin@contoso.com',
    mailboxIdentity: mailboxId,
    right: 'FullAccess',
    trustee: null,
    change: 'grant',
    ...overrides,
  };
}

/** One feed poll's request for the task; each poll has its own time, so its own run. */
async function auditRun(entries: Array<{ mailboxId: string; hints: PermissionChangeHint[] }>): Promise<RunJson> {
  const polledAt = new Date(Date.UTC(2026, 11, 6, 13, 0, polls++)).toISOString();
  const started = await startAuditRun(app.services, {
    taskId,
    polledAt,
    mailboxes: entries.map((e) => ({ mailbox: mailboxOf(e.mailboxId), hints: e.hints })),
  });
  if (!('runId' in started)) throw new Error(`audit run skipped: ${started.skipped}`);
  return pollUntilClosed(started.runId);
}

async function rightsOf(mailboxId: string, delegateId: string): Promise<RightJson[]> {
  const res = await app.api('GET', `mailboxes/${mailboxId}/delegates`, { role: 'Reader' });
  expect(res.status).toBe(200);
  const items = (res.json as { items: Array<{ delegate: { id: string }; rights: RightJson[] }> }).items;
  return items.find((i) => i.delegate.id.toLowerCase() === delegateId.toLowerCase())?.rights ?? [];
}

async function historyOf(mailboxId: string): Promise<EventJson[]> {
  const since = '2026-01-01T00:00:00Z';
  const res = await app.api('GET', `delegation-changes?mailbox=${mailboxId}&since=${since}&top=100`, {
    role: 'Reader',
  });
  expect(res.status).toBe(200);
  return (res.json as { items: EventJson[] }).items;
}

async function delegateCounts(mailboxIds: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const id of mailboxIds) counts[id] = (await app.services.repos.delegations.forMailbox(id)).length;
  return counts;
}

describe('audit runs re-read the mailboxes audit records name (local host, Azurite, simulator)', () => {
  let scope: string[];

  beforeAll(async () => {
    app = await startTestApp();
    const demo = app.sim.tenant.demo;
    scope = [demo.alexId, demo.meganId, demo.gradyId, demo.joniId, demo.lidiaId];
    const schedule = await app.api('POST', 'schedules', {
      body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
    });
    const task = await app.api('POST', 'tasks', {
      body: {
        description: 'Audit',
        scheduleId: (schedule.json as { id: string }).id,
        target: { kind: 'mailboxes', mailboxes: scope },
      },
    });
    expect(task.status).toBe(201);
    taskId = (task.json as { id: string }).id;
    // So the scope's other mailboxes hold something an audit run mistaken for the scope would revoke.
    app.sim.tenant.grantSendAs(demo.alexId, demo.meganId);
    const started = await app.api('POST', `tasks/${taskId}/run`);
    fullRunId = (started.json as { runId: string }).runId;
    expect(await pollUntilClosed(fullRunId)).toMatchObject({ status: 'succeeded', mailboxesTotal: 5 });
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('a grant it finds carries the hint’s actor; it re-reads only its mailbox, closes on its last settle, and is \
not the task’s scope (no leftScope for the others)', async () => {
    const demo = app.sim.tenant.demo;
    const diego = mailboxOf(demo.diegoId);
    const others = scope.filter((id) => id !== demo.meganId);
    const before = await delegateCounts(others);
    expect(before[demo.alexId]).toBeGreaterThan(0);
    app.sim.tenant.grantFullAccess(demo.meganId, demo.diegoId);
    const made = hint(demo.meganId, { trustee: diego.upn.toUpperCase() });

    const run = await auditRun([{ mailboxId: demo.meganId, hints: [made] }]);

    expect(run).toMatchObject({ status: 'succeeded', trigger: 'auditEvent', mailboxesTotal: 1, delegationsAdded: 1 });
    const items = await app.api('GET', `tasks/${taskId}/runs/${run.runId}/mailboxes`, { role: 'Reader' });
    const itemIds = (items.json as { items: Array<{ mailboxId: string }> }).items.map((i) => i.mailboxId);
    expect(itemIds).toEqual([demo.meganId.toLowerCase()]);
    const granted = (await historyOf(demo.meganId)).filter(
      (e) => e.type === 'granted' && e.delegate.id.toLowerCase() === demo.diegoId.toLowerCase(),
    );
    expect(granted).toEqual([
      expect.objectContaining({ right: 'FullAccess', runId: run.runId, actor: made.actor, observedBy: 'auditEvent' }),
    ]);
    const [right] = await rightsOf(demo.meganId, demo.diegoId);
    expect(right).toMatchObject({ right: 'FullAccess', grantedBy: made.actor, grantedAt: made.at });
    expect(Date.parse(right?.lastVerified ?? '')).toBeGreaterThanOrEqual(Date.parse(right?.lastConfirmed ?? ''));
    expect(await delegateCounts(others)).toEqual(before);
    // The full run's events say so, with no actor.
    const fullScan = (await historyOf(demo.alexId)).filter((e) => e.runId === fullRunId);
    expect(fullScan.every((e) => e.observedBy === 'fullScan' && e.actor === null)).toBe(true);
    // The task's summary keeps its last full run; the runs list shows the audit run with its trigger.
    const task = await app.api('GET', `tasks/${taskId}`, { role: 'Reader' });
    expect((task.json as { lastRun: { runId: string } }).lastRun.runId).toBe(fullRunId);
    const runs = await app.api('GET', `tasks/${taskId}/runs`, { role: 'Reader' });
    expect((runs.json as { items: RunJson[] }).items.map((r) => [r.runId, r.trigger])).toContainEqual([
      run.runId,
      'auditEvent',
    ]);
  }, 60_000);

  it('an unchanged re-read attributes a grant a full scan stored first, once, and records lastVerified', async () => {
    const demo = app.sim.tenant.demo;
    const lidia = mailboxOf(demo.lidiaId);
    app.sim.tenant.grantSendAs(demo.gradyId, demo.lidiaId);
    const made = new Date().toISOString(); // the change, before the full scan finds it
    const rerun = await app.api('POST', `tasks/${taskId}/run`);
    const full = await pollUntilClosed((rerun.json as { runId: string }).runId);
    expect(full).toMatchObject({ status: 'succeeded', delegationsAdded: 1 });
    const [beforeRight] = await rightsOf(demo.gradyId, demo.lidiaId);
    expect(beforeRight).toMatchObject({ right: 'SendAs', grantedBy: null, grantedAt: null });
    const late = hint(demo.gradyId, {
      operation: 'Add-RecipientPermission',
      right: 'SendAs',
      trustee: lidia.address,
      actor: 'helpdesk@contoso.com',
      at: made,
    });

    const first = await auditRun([{ mailboxId: demo.gradyId, hints: [late] }]);
    const again = await auditRun([
      { mailboxId: demo.gradyId, hints: [{ ...late, actor: 'someone-else@contoso.com' }] },
    ]);

    expect(first).toMatchObject({ status: 'succeeded', delegationsAdded: 0, delegationsRemoved: 0 });
    expect(again).toMatchObject({ status: 'succeeded', delegationsAdded: 0 });
    const events = (await historyOf(demo.gradyId)).filter(
      (e) => e.delegate.id.toLowerCase() === demo.lidiaId.toLowerCase() && e.right === 'SendAs',
    );
    expect(events).toEqual([
      expect.objectContaining({ type: 'granted', runId: full.runId, actor: late.actor, observedBy: 'fullScan' }),
    ]);
    // The log's copy too: a query without ?mailbox= reads the time-partitioned log, not the mailbox's history.
    const log = await app.api('GET', `delegation-changes?delegate=${demo.lidiaId}&since=2026-01-01T00:00:00Z`, {
      role: 'Reader',
    });
    const fromLog = (log.json as { items: Array<EventJson & { mailbox: { id: string } }> }).items.filter(
      (e) => e.mailbox.id.toLowerCase() === demo.gradyId.toLowerCase() && e.right === 'SendAs',
    );
    expect(fromLog.map((e) => [e.type, e.runId, e.actor])).toEqual([['granted', full.runId, late.actor]]);
    const [right] = await rightsOf(demo.gradyId, demo.lidiaId);
    expect(right).toMatchObject({ grantedBy: late.actor, grantedAt: made });
    // lastVerified moved on with the unchanged re-reads, which wrote no delegation row (lastConfirmed stayed).
    expect(right?.lastConfirmed).toBe(beforeRight?.lastConfirmed);
    expect(Date.parse(right?.lastVerified ?? '')).toBeGreaterThan(Date.parse(beforeRight?.lastVerified ?? ''));
  }, 90_000);

  it('applies a revocation it finds, attributed, and holds many per the hold rule', async () => {
    const t = app.sim.tenant;
    const demo = t.demo;
    const diego = mailboxOf(demo.diegoId);
    t.revokeFullAccess(demo.meganId, demo.diegoId);
    const removed = hint(demo.meganId, {
      operation: 'Remove-MailboxPermission',
      change: 'revoke',
      trustee: diego.displayName,
      actor: 'remover@contoso.com',
    });

    const run = await auditRun([{ mailboxId: demo.meganId, hints: [removed] }]);

    expect(run).toMatchObject({ status: 'succeeded', delegationsRemoved: 1, revocationsHeld: 0 });
    expect(await rightsOf(demo.meganId, demo.diegoId)).toEqual([]);
    const revoked = (await historyOf(demo.meganId)).find(
      (e) => e.type === 'revoked' && e.delegate.id.toLowerCase() === demo.diegoId.toLowerCase(),
    );
    expect(revoked).toMatchObject({ runId: run.runId, actor: removed.actor, observedBy: 'auditEvent' });

    // Twelve FullAccess grants on Joni's mailbox, stored by a full run; then eleven removed at once.
    const users = Array.from({ length: 12 }, (_, i) => t.addUser({ displayName: `Hold ${i}` }));
    for (const u of users) t.grantFullAccess(demo.joniId, u.id);
    const rerun = await app.api('POST', `tasks/${taskId}/run`);
    expect(await pollUntilClosed((rerun.json as { runId: string }).runId)).toMatchObject({ status: 'succeeded' });
    for (const u of users.slice(1)) t.revokeFullAccess(demo.joniId, u.id);

    const held = await auditRun([{ mailboxId: demo.joniId, hints: [] }]);

    expect(held).toMatchObject({ status: 'needsReview', revocationsHeld: 11, delegationsRemoved: 0 });
    for (const u of users) expect(await rightsOf(demo.joniId, u.id)).toHaveLength(1);
    for (const u of users.slice(1)) t.grantFullAccess(demo.joniId, u.id); // as it was, for the next full runs
  }, 120_000);

  it('does not take the task’s active-run pointer, and a full run’s older proposal is not applied over its newer \
observation (the mailbox’s latest sync wins)', async () => {
    const t = app.sim.tenant;
    const demo = t.demo;
    const { services } = app;
    // Alex holds SendOnBehalf for Lidia's mailbox, stored by a full run.
    t.grantSendOnBehalf(demo.lidiaId, demo.alexId);
    const rerun = await app.api('POST', `tasks/${taskId}/run`);
    expect(await pollUntilClosed((rerun.json as { runId: string }).runId)).toMatchObject({ status: 'succeeded' });
    expect(await rightsOf(demo.lidiaId, demo.alexId)).toEqual([expect.objectContaining({ right: 'SendOnBehalf' })]);

    // A full run F claims the task and reads Lidia's mailbox while the grant is gone: it proposes its revocation,
    // and stays open (its other mailboxes have not settled). Its messages are handed in here, not through the queue.
    t.revokeSendOnBehalf(demo.lidiaId, demo.alexId);
    const found = await services.repos.tasks.get(taskId);
    if (!found) throw new Error('task gone');
    const fullId = scheduledRunId(new Date(Date.UTC(2026, 0, 1, 2)));
    await services.repos.tasks.update(
      { ...found.value, activeRunId: fullId, activeSince: new Date().toISOString(), lastRunId: fullId },
      found.etag,
    );
    await services.repos.runs.create(queuedRun(found.value, fullId, 'schedule', new Date(), new Date()));
    const queued = await services.repos.runs.get(taskId, fullId);
    if (!queued) throw new Error('run not stored');
    const expanding = await services.repos.runs.transition(queued, 'expanding', new Date());
    await services.repos.runs.addItems(taskId, fullId, scope.map(mailboxOf));
    await services.repos.runs.transition(expanding, 'running', new Date(), { mailboxesTotal: scope.length });
    const message = (mailboxId: string): MailboxMessageBody => {
      const m = mailboxOf(mailboxId);
      return {
        taskId,
        runId: fullId,
        mailbox: { id: m.mailboxId, upn: m.upn, address: m.address, displayName: m.displayName },
        rights: found.value.rights,
        throttleRetries: 0,
      };
    };
    expect(await syncMailbox(services, message(demo.lidiaId))).toMatchObject({ proposedRevocations: 1 });

    // The grant comes back; the feed's audit run re-reads the mailbox while F is active.
    t.grantSendOnBehalf(demo.lidiaId, demo.alexId);
    const audit = await auditRun([
      { mailboxId: demo.lidiaId, hints: [hint(demo.lidiaId, { right: 'SendOnBehalf', change: 'set' })] },
    ]);
    expect(audit).toMatchObject({ status: 'succeeded', delegationsRemoved: 0 });
    expect((await services.repos.tasks.get(taskId))?.value.activeRunId).toBe(fullId);

    // F's other mailboxes settle and F closes: its proposal is older than the audit run's observation.
    for (const id of scope.filter((m) => m !== demo.lidiaId)) await syncMailbox(services, message(id));
    const closed = await pollUntilClosed(fullId);

    expect(closed).toMatchObject({ status: 'succeeded', delegationsRemoved: 0 });
    expect(await rightsOf(demo.lidiaId, demo.alexId)).toEqual([expect.objectContaining({ right: 'SendOnBehalf' })]);
    expect((await services.repos.tasks.get(taskId))?.value.activeRunId).toBeUndefined();
  }, 120_000);

  it('a redelivered audit message changes nothing, and a repeated poll re-creates nothing', async () => {
    const demo = app.sim.tenant.demo;
    const polledAt = '2026-12-06T14:00:00.000Z';
    const request = {
      taskId,
      polledAt,
      mailboxes: [{ mailbox: mailboxOf(demo.alexId), hints: [hint(demo.alexId, {})] }],
    };
    const started = await startAuditRun(app.services, request);
    if (!('runId' in started)) throw new Error('skipped');
    const run = await pollUntilClosed(started.runId);
    const history = await historyOf(demo.alexId);
    const rights = await app.api('GET', `mailboxes/${demo.alexId}/delegates`, { role: 'Reader' });

    expect(await startAuditRun(app.services, request)).toEqual({ runId: started.runId });
    const alex = mailboxOf(demo.alexId);
    const redelivered: MailboxMessageBody = {
      taskId,
      runId: started.runId,
      mailbox: { id: demo.alexId, upn: alex.upn, address: alex.address, displayName: alex.displayName },
      rights: ['FullAccess'],
      throttleRetries: 0,
      audit: { hints: request.mailboxes[0]?.hints ?? [] },
    };
    expect(await syncMailbox(app.services, redelivered)).toEqual({ outcome: 'alreadySettled' });

    expect(await pollUntilClosed(started.runId)).toEqual(run);
    expect(await historyOf(demo.alexId)).toEqual(history);
    expect((await app.api('GET', `mailboxes/${demo.alexId}/delegates`, { role: 'Reader' })).json).toEqual(rights.json);
    const runs = await app.api('GET', `tasks/${taskId}/runs?top=100`, { role: 'Reader' });
    expect((runs.json as { items: RunJson[] }).items.filter((r) => r.runId === started.runId)).toHaveLength(1);
  }, 60_000);

  it('a manual change records the admin who called the API as its actor and grantedBy (manual)', async () => {
    const demo = app.sim.tenant.demo;
    // The simulator signs the console's admin in as Alex unless told otherwise.
    const admin = mailboxOf(demo.alexId).upn;
    const token = await app.token('Admin', { preferredUsername: admin });
    const megan = mailboxOf(demo.meganId);

    const added = await app.api('POST', `users/${demo.gradyId}/delegate-mailboxes`, {
      token,
      body: { mailbox: megan.address, rights: ['SendAs'] },
    });
    const removed = await app.api('DELETE', `users/${demo.gradyId}/delegate-mailboxes/${demo.meganId}?right=SendAs`, {
      token,
    });

    expect(added.status).toBe(201);
    const right = (added.json as { rights: RightJson[] }).rights.find((r) => r.right === 'SendAs');
    expect(right).toMatchObject({ grantedBy: admin, lastVerified: null });
    expect(Date.parse(right?.grantedAt ?? '')).not.toBeNaN();
    expect(removed.status).toBe(204);
    const manual = (await historyOf(demo.meganId)).filter(
      (e) => e.delegate.id.toLowerCase() === demo.gradyId.toLowerCase() && e.right === 'SendAs',
    );
    expect(manual.map((e) => [e.type, e.actor, e.observedBy, e.runId])).toEqual([
      ['revoked', admin, 'manual', null],
      ['granted', admin, 'manual', null],
    ]);
  }, 60_000);
});
