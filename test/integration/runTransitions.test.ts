import { describe, expect, it } from 'vitest';
import { IllegalRunTransitionError } from '../../shared/domain/runLifecycle.js';
import { PreconditionFailedError } from '../../shared/errors.js';
import { createSchedule } from '../../shared/usecases/schedules.js';
import { createTask } from '../../shared/usecases/tasks.js';
import { runTaskNow } from '../../shared/usecases/runs.js';
import { freshDeps } from '../support/deps.js';

const daily = {
  description: 'Daily',
  type: 'daily',
  mode: 'once',
  startTime: '03:00',
  timeZone: 'UTC',
};

/** A task with a claimed (queued) manual run: the task points at it and the active index lists it. */
async function claimed() {
  const deps = freshDeps('2026-03-02T10:00:00Z');
  const schedule = await createSchedule(deps, daily);
  const task = await createTask(deps, {
    description: 'Sales',
    scheduleId: schedule.id,
    target: { kind: 'groupEmail', email: 'sales@contoso.com' },
  });
  const { runId } = await runTaskNow(deps, task.id);
  const run = async () => (await deps.repos.runs.get(task.id, runId))!;
  const activeIds = async () => {
    const ids: string[] = [];
    for await (const entry of deps.repos.runs.active()) ids.push(entry.runId);
    return ids;
  };
  const pointer = async () => (await deps.repos.tasks.get(task.id))!.value.activeRunId;
  return { deps, taskId: task.id, runId, run, activeIds, pointer };
}

/** The same run, driven from queued to running as expansion does. */
async function running(c: Awaited<ReturnType<typeof claimed>>) {
  const expanding = await c.deps.repos.runs.transition(await c.run(), 'expanding', c.deps.now());
  return c.deps.repos.runs.transition(expanding, 'running', c.deps.now(), { mailboxesTotal: 3 });
}

describe('RunRepository.transition (Azurite)', () => {
  it('stores the next status with what the transition carries and answers the new ETag', async () => {
    const c = await claimed();
    const queued = await c.run();

    const expanding = await c.deps.repos.runs.transition(queued, 'expanding', c.deps.now());

    const stored = await c.run();
    expect(stored.value).toMatchObject({ status: 'expanding', startedAt: '2026-03-02T10:00:00.000Z' });
    expect(stored.etag).toBe(expanding.etag);
    expect(expanding.etag).not.toBe(queued.etag);
    expect(await c.activeIds()).toEqual([c.runId]);
    expect(await c.pointer()).toBe(c.runId);
  });

  it('refuses a stale ETag and changes nothing: a concurrent writer won', async () => {
    const c = await claimed();
    const stale = await c.run();
    await c.deps.repos.runs.transition(stale, 'expanding', c.deps.now());

    const late = c.deps.repos.runs.transition(stale, 'failed', c.deps.now(), { error: 'late' });

    await expect(late).rejects.toThrow(PreconditionFailedError);
    expect((await c.run()).value).toMatchObject({ status: 'expanding', error: null });
    expect(await c.activeIds()).toEqual([c.runId]);
    expect(await c.pointer()).toBe(c.runId);
  });

  it('refuses a transition the lifecycle forbids before writing anything', async () => {
    const c = await claimed();
    const queued = await c.run();

    const skipAhead = c.deps.repos.runs.transition(queued, 'succeeded', c.deps.now());

    await expect(skipAhead).rejects.toThrow(IllegalRunTransitionError);
    expect((await c.run()).etag).toBe(queued.etag);
  });

  it.each(['succeeded', 'needsReview', 'failed'] as const)(
    'closing as %s takes the run out of the active index and frees its task',
    async (to) => {
      const c = await claimed();
      const live = await running(c);
      c.deps.clock.advance(60_000);

      await c.deps.repos.runs.transition(live, to, c.deps.now());

      expect((await c.run()).value).toMatchObject({ status: to, finishedAt: '2026-03-02T10:01:00.000Z' });
      expect(await c.activeIds()).toEqual([]);
      expect(await c.pointer()).toBeUndefined();
      expect((await c.deps.repos.tasks.get(c.taskId))!.value.lastRunId).toBe(c.runId);
    },
  );

  it('closing leaves the task alone when its pointer already names a newer run', async () => {
    const c = await claimed();
    const live = await running(c);
    const task = (await c.deps.repos.tasks.get(c.taskId))!;
    await c.deps.repos.tasks.update({ ...task.value, activeRunId: 'newer-run' }, task.etag);

    await c.deps.repos.runs.transition(live, 'failed', c.deps.now(), { error: 'timed out' });

    expect(await c.pointer()).toBe('newer-run');
    expect(await c.activeIds()).toEqual([]);
  });

  it('a review (needsReview → succeeded) does not touch the task, which may run again meanwhile', async () => {
    const c = await claimed();
    await c.deps.repos.runs.transition(await running(c), 'needsReview', c.deps.now(), { revocationsHeld: 12 });
    const next = await runTaskNow(c.deps, c.taskId);

    await c.deps.repos.runs.transition(await c.run(), 'succeeded', c.deps.now(), { revocationsHeld: 0 });

    expect((await c.run()).value).toMatchObject({ status: 'succeeded', revocationsHeld: 0 });
    expect(await c.pointer()).toBe(next.runId);
    expect(await c.activeIds()).toEqual([next.runId]);
  });

  it('recordProgress keeps the status and is ETag-guarded', async () => {
    const c = await claimed();
    const live = await running(c);

    const recorded = await c.deps.repos.runs.recordProgress(live, {
      settled: 2,
      at: live.value.startedAt!,
      resends: 0,
    });

    expect((await c.run()).value).toMatchObject({ status: 'running', progress: { settled: 2, resends: 0 } });
    await expect(
      c.deps.repos.runs.recordProgress(live, { settled: 3, at: live.value.startedAt!, resends: 0 }),
    ).rejects.toThrow(PreconditionFailedError);
    expect((await c.run()).etag).toBe(recorded.etag);
  });

  it('release completes a release a crash interrupted, and a second one is a no-op', async () => {
    const c = await claimed();

    await c.deps.repos.runs.release(c.taskId, c.runId);
    await c.deps.repos.runs.release(c.taskId, c.runId);

    expect(await c.activeIds()).toEqual([]);
    expect(await c.pointer()).toBeUndefined();
  });
});
