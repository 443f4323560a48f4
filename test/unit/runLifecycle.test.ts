import { describe, expect, it } from 'vitest';
import {
  IllegalRunTransitionError,
  canTransition,
  isFinalStatus,
  queuedRun,
  releasesTask,
  skippedRun,
  transitionRun,
} from '../../shared/domain/runLifecycle.js';
import { RUN_STATUSES, isActiveStatus, type Run, type RunStatus, type Task } from '../../shared/domain/task.js';

const CLAIMED = new Date('2026-03-02T10:00:00Z');
const LATER = new Date('2026-03-02T10:05:00Z');

function task(overrides: Partial<Task> = {}): Task {
  return {
    id: 'task-1',
    description: 'Sales',
    type: 'mailboxPermissionSync',
    scheduleId: 'hourly',
    target: { kind: 'groupEmail', email: 'sales@contoso.com' },
    rights: ['FullAccess', 'SendAs'],
    enabled: true,
    createdAt: '2026-03-01T00:00:00.000Z',
    updatedAt: '2026-03-01T00:00:00.000Z',
    evaluatedThrough: '2026-03-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A run in any status, as the lifecycle would have left it there. */
function runIn(status: RunStatus, overrides: Partial<Run> = {}): Run {
  const started = status === 'queued' ? null : CLAIMED.toISOString();
  const finished = isActiveStatus(status) ? null : CLAIMED.toISOString();
  return {
    ...queuedRun(task(), 'run-1', 'manual', CLAIMED, null),
    status,
    startedAt: started,
    finishedAt: finished,
    ...overrides,
  };
}

const LEGAL: ReadonlyArray<readonly [RunStatus, RunStatus]> = [
  ['queued', 'expanding'],
  ['queued', 'failed'],
  ['expanding', 'running'],
  ['expanding', 'failed'],
  ['running', 'succeeded'],
  ['running', 'completedWithErrors'],
  ['running', 'needsReview'],
  ['running', 'failed'],
  ['needsReview', 'succeeded'],
  ['needsReview', 'completedWithErrors'],
];
const isLegal = (from: RunStatus, to: RunStatus) => LEGAL.some(([f, t]) => f === from && t === to);
const ILLEGAL = RUN_STATUSES.flatMap((from) =>
  RUN_STATUSES.filter((to) => !isLegal(from, to)).map((to) => [from, to] as const),
);

describe('run lifecycle', () => {
  describe.each(LEGAL)('%s → %s is allowed', (from, to) => {
    it('moves the run and keeps what the transition does not carry', () => {
      const run = runIn(from, { warnings: ['kept'] });

      const next = transitionRun(run, to, LATER, { error: 'why' });

      expect(canTransition(from, to)).toBe(true);
      expect(next).toMatchObject({ status: to, error: 'why', warnings: ['kept'], runId: 'run-1', taskId: 'task-1' });
      expect(run.status).toBe(from); // the input is not changed
    });
  });

  describe.each(ILLEGAL)('%s → %s is refused', (from, to) => {
    it('throws IllegalRunTransitionError naming the run and both statuses', () => {
      const run = runIn(from);

      const attempt = () => transitionRun(run, to, LATER);

      expect(canTransition(from, to)).toBe(false);
      expect(attempt).toThrow(IllegalRunTransitionError);
      expect(attempt).toThrow(`Run 'run-1' of task 'task-1' cannot go from ${from} to ${to}`);
    });
  });

  it('has no transition out of a final status, and needsReview is closed but not final', () => {
    const finals = RUN_STATUSES.filter(isFinalStatus);

    expect(finals).toEqual(['succeeded', 'completedWithErrors', 'failed', 'skipped']);
    for (const from of finals) expect(RUN_STATUSES.filter((to) => canTransition(from, to))).toEqual([]);
    expect(isActiveStatus('needsReview')).toBe(false);
    expect(isFinalStatus('needsReview')).toBe(false);
  });

  it('queued, expanding and running hold the task; every other status leaves it free', () => {
    expect(RUN_STATUSES.filter(isActiveStatus)).toEqual(['queued', 'expanding', 'running']);
  });

  describe('times', () => {
    it('startedAt is when the run left queued, and a redelivered expansion does not move it', () => {
      const expanding = transitionRun(runIn('queued'), 'expanding', LATER);

      const running = transitionRun(expanding, 'running', new Date('2026-03-02T10:09:00Z'));

      expect(expanding).toMatchObject({ startedAt: LATER.toISOString(), finishedAt: null });
      expect(running).toMatchObject({ startedAt: LATER.toISOString(), finishedAt: null });
    });

    it('a run failed before its expansion began gets both times from the failure', () => {
      const failed = transitionRun(runIn('queued'), 'failed', LATER, { error: 'not expanded in time' });

      expect(failed).toMatchObject({ startedAt: LATER.toISOString(), finishedAt: LATER.toISOString() });
    });

    it.each(['succeeded', 'completedWithErrors', 'needsReview', 'failed'] as const)(
      'closing as %s sets finishedAt and ends the progress bookkeeping',
      (to) => {
        const run = runIn('running', { progress: { settled: 3, at: CLAIMED.toISOString(), resends: 1 } });

        const closed = transitionRun(run, to, LATER);

        expect(closed.finishedAt).toBe(LATER.toISOString());
        expect(closed).not.toHaveProperty('progress');
      },
    );

    it('a review keeps the finishedAt of the close', () => {
      const held = runIn('needsReview', { finishedAt: CLAIMED.toISOString(), revocationsHeld: 12 });

      const reviewed = transitionRun(held, 'succeeded', LATER, { revocationsHeld: 0 });

      expect(reviewed).toMatchObject({ status: 'succeeded', finishedAt: CLAIMED.toISOString(), revocationsHeld: 0 });
    });
  });

  describe.each([
    ['queued', 'expanding', false],
    ['expanding', 'running', false],
    ['queued', 'failed', true],
    ['expanding', 'failed', true],
    ['running', 'needsReview', true],
    ['running', 'succeeded', true],
    ['needsReview', 'succeeded', false],
  ] as const)('%s → %s', (from, to, releases) => {
    it(`${releases ? 'releases' : 'keeps'} the task`, () => {
      expect(releasesTask(from, to)).toBe(releases);
    });
  });

  describe('new runs', () => {
    it('a claimed run is queued, with the task target and rights as a snapshot and no times but its creation', () => {
      const run = queuedRun(task(), 'run-1', 'schedule', CLAIMED, new Date('2026-03-02T10:00:00Z'));

      expect(run).toMatchObject({
        status: 'queued',
        trigger: 'schedule',
        scheduledFor: '2026-03-02T10:00:00.000Z',
        createdAt: CLAIMED.toISOString(),
        startedAt: null,
        finishedAt: null,
        target: { kind: 'groupEmail', email: 'sales@contoso.com' },
        rights: ['FullAccess', 'SendAs'],
        mailboxesTotal: 0,
      });
    });

    it('a skipped slot is born final with its reason', () => {
      const run = skippedRun(task(), 'run-2', CLAIMED, CLAIMED, 'Previous run run-1 is still running');

      expect(run).toMatchObject({ status: 'skipped', finishedAt: CLAIMED.toISOString(), error: /still running/ });
      expect(isFinalStatus(run.status)).toBe(true);
    });
  });
});
