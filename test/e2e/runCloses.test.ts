import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

// DESIGN §8.3: a run closes when its last mailbox settles. Before, only the finalizer timer closed runs, so a
// 2-mailbox run reported `succeeded` up to a minute after its work ended. The test app runs no timers, and these
// tests never fire the finalizer: a terminal status can only come from the settle path.

let app: TestApp;
let scheduleId: string;

const ACTIVE = new Set(['queued', 'expanding', 'running']);

/** Polls the run as a client would, until it leaves the active statuses or `deadlineMs` passes. */
async function pollUntilClosed(taskId: string, runId: string, deadlineMs: number): Promise<Record<string, unknown>> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const run = await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' });
    expect(run.status).toBe(200);
    const body = run.json as Record<string, unknown>;
    if (!ACTIVE.has(String(body.status)) || Date.now() > until) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startRun(target: unknown): Promise<{ taskId: string; runId: string; startedAt: number }> {
  const task = await app.api('POST', 'tasks', { body: { description: 'Small', scheduleId, target } });
  expect(task.status).toBe(201);
  const taskId = (task.json as { id: string }).id;
  const startedAt = Date.now();
  const started = await app.api('POST', `tasks/${taskId}/run`);
  expect(started.status).toBe(202);
  return { taskId, runId: (started.json as { runId: string }).runId, startedAt };
}

describe('a run closes when its last mailbox settles (local host, no finalizer)', () => {
  beforeAll(async () => {
    app = await startTestApp();
    const schedule = await app.api('POST', 'schedules', {
      body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
    });
    expect(schedule.status).toBe(201);
    scheduleId = (schedule.json as { id: string }).id;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('a 2-mailbox run is succeeded seconds after "run now", with its task released', async () => {
    const demo = app.sim.tenant.demo;
    const { taskId, runId, startedAt } = await startRun({ kind: 'mailboxes', mailboxes: [demo.alexId, demo.meganId] });

    // Well inside the finalizer's one-minute cadence, which does not run here at all.
    const run = await pollUntilClosed(taskId, runId, 20_000);
    const seconds = (Date.now() - startedAt) / 1000;

    expect(run).toMatchObject({ status: 'succeeded', mailboxesTotal: 2, mailboxesDone: 2, mailboxesFailed: 0 });
    expect(seconds).toBeLessThan(20);
    const again = await app.api('POST', `tasks/${taskId}/run`);
    expect(again.status).toBe(202); // not 409: the close released the task
  }, 60_000);

  it('the close it triggers applies the revocations of the run, as the finalizer did', async () => {
    const t = app.sim.tenant;
    const demo = t.demo;
    t.grantFullAccess(demo.meganId, demo.diegoId);
    const first = await startRun({ kind: 'mailboxes', mailboxes: [demo.alexId, demo.meganId] });
    expect(await pollUntilClosed(first.taskId, first.runId, 20_000)).toMatchObject({ status: 'succeeded' });
    t.revokeFullAccess(demo.meganId, demo.diegoId);

    const rerun = await app.api('POST', `tasks/${first.taskId}/run`);
    expect(rerun.status).toBe(202);
    const run = await pollUntilClosed(first.taskId, (rerun.json as { runId: string }).runId, 20_000);

    expect(run).toMatchObject({ status: 'succeeded', delegationsRemoved: 1, revocationsHeld: 0 });
    const delegates = await app.api('GET', `mailboxes/${demo.meganId}/delegates`, { role: 'Reader' });
    expect(JSON.stringify(delegates.json).toLowerCase()).not.toContain(demo.diegoId.toLowerCase());
  }, 60_000);
});
