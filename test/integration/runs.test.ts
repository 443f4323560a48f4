import { describe, expect, it } from 'vitest';
import { createSchedule } from '../../shared/usecases/schedules.js';
import { createTask, getTask } from '../../shared/usecases/tasks.js';
import { evaluateSchedules } from '../../shared/usecases/evaluateSchedules.js';
import { claimRun, getRun, listRuns, runTaskNow } from '../../shared/usecases/runs.js';
import { ConflictError } from '../../shared/errors.js';
import { QUEUES } from '../../shared/ports/queue.js';
import { freshDeps } from '../support/deps.js';

const hourly = {
  description: 'Hourly',
  type: 'daily',
  mode: 'many',
  startTime: '00:00',
  endTime: '23:00',
  intervalMinutes: 60,
  timeZone: 'UTC',
};
const target = { kind: 'groupEmail', email: 'sales@contoso.com' };

async function setup(schedule: object = hourly) {
  const deps = freshDeps('2026-03-02T10:00:30Z');
  const s = await createSchedule(deps, schedule);
  const task = await createTask(deps, { description: 'Sales', scheduleId: s.id, target });
  return { deps, task };
}

async function allRuns(deps: ReturnType<typeof freshDeps>, taskId: string) {
  return (await listRuns(deps, taskId, { top: 1000 })).items;
}

describe('runs and the schedule timer (Azurite)', () => {
  it('creates exactly one run per due slot, with an expansion message whose id is the run key', async () => {
    const { deps, task } = await setup();
    deps.clock.set('2026-03-02T10:59:59Z');
    expect((await evaluateSchedules(deps)).runsCreated).toBe(0);
    deps.clock.set('2026-03-02T11:00:05Z');
    expect((await evaluateSchedules(deps)).runsCreated).toBe(1);
    expect((await evaluateSchedules(deps)).runsCreated).toBe(0); // same minute again
    const runs = await allRuns(deps, task.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: 'queued',
      trigger: 'schedule',
      scheduledFor: '2026-03-02T11:00:00.000Z',
      target,
      rights: ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'],
    });
    expect(deps.queue.depth(QUEUES.expand).pending).toBe(1);
  });

  it('two evaluations racing on the same slot claim one run', async () => {
    const { deps, task } = await setup();
    deps.clock.set('2026-03-02T11:00:05Z');
    const reports = await Promise.all([evaluateSchedules(deps), evaluateSchedules(deps), evaluateSchedules(deps)]);
    expect(reports.reduce((n, r) => n + r.runsCreated, 0)).toBe(1);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(await allRuns(deps, task.id)).toHaveLength(1);
    expect(deps.queue.depth(QUEUES.expand).pending).toBe(1);
  });

  it('after a 3-hour gap makes one catch-up run for the latest missed slot', async () => {
    const { deps, task } = await setup();
    deps.clock.set('2026-03-02T13:30:00Z');
    const report = await evaluateSchedules(deps);
    expect(report.runsCreated).toBe(1);
    const runs = await allRuns(deps, task.id);
    expect(runs.map((r) => r.scheduledFor)).toEqual(['2026-03-02T13:00:00.000Z']);
  });

  it('records a skipped run when the previous run is still active, and run-now answers 409', async () => {
    const { deps, task } = await setup();
    deps.clock.set('2026-03-02T11:00:05Z');
    await evaluateSchedules(deps);
    await expect(runTaskNow(deps, task.id)).rejects.toBeInstanceOf(ConflictError);
    deps.clock.set('2026-03-02T12:00:05Z');
    const report = await evaluateSchedules(deps);
    expect(report).toMatchObject({ runsCreated: 0, runsSkipped: 1 });
    const runs = await allRuns(deps, task.id);
    expect(runs.map((r) => r.status)).toEqual(['skipped', 'queued']); // newest first
    expect(runs[0]!.error).toMatch(/still queued/);
  });

  it('run now returns a run id whose status is readable; a second run-now conflicts', async () => {
    const { deps, task } = await setup();
    const { runId } = await runTaskNow(deps, task.id);
    const run = await getRun(deps, task.id, runId);
    expect(run).toMatchObject({ runId, taskId: task.id, status: 'queued', trigger: 'manual', mailboxesTotal: 0 });
    await expect(runTaskNow(deps, task.id)).rejects.toThrow(/still queued/);
    const view = await getTask(deps, task.id);
    expect(view.lastRun).toMatchObject({ runId, status: 'queued' });
  });

  it('a concurrent manual and scheduled claim never make two active runs', async () => {
    const { deps, task } = await setup();
    deps.clock.set('2026-03-02T11:00:05Z');
    const results = await Promise.allSettled([
      runTaskNow(deps, task.id),
      claimRun(deps, task.id, { trigger: 'schedule', slot: new Date('2026-03-02T11:00:00Z') }),
    ]);
    const runs = await allRuns(deps, task.id);
    expect(runs.filter((r) => r.status === 'queued')).toHaveLength(1);
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('a disabled task makes no runs; the task view shows the next due time in UTC and local time', async () => {
    const deps = freshDeps('2026-03-02T10:00:30Z');
    const s = await createSchedule(deps, {
      description: 'Nightly',
      type: 'daily',
      mode: 'once',
      startTime: '02:00',
      timeZone: 'America/New_York',
    });
    const task = await createTask(deps, { description: 'Off', scheduleId: s.id, target, enabled: false });
    const on = await createTask(deps, { description: 'On', scheduleId: s.id, target });
    expect(on.nextDueAt).toBe('2026-03-03T07:00:00Z');
    expect(on.nextDueAtLocal).toMatch(/^2026-03-03T02:00(:00)?(\.000)?-05:00$/);
    expect(on.schedule?.summary).toMatch(/02:00/);
    deps.clock.set('2026-03-03T07:00:30Z');
    const report = await evaluateSchedules(deps);
    expect(report.runsCreated).toBe(1);
    expect(await allRuns(deps, task.id)).toHaveLength(0);
  });
});
