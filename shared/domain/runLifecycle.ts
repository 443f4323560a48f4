import { AppError } from '../errors.js';
import { ACTIVE_STATUSES, ZERO_COUNTS, type Run, type RunStatus, type Task } from './task.js';

/**
 * The run lifecycle (docs/design.md §8.6): the only place that decides which status may follow which.
 *
 *   queued → expanding → running → succeeded | completedWithErrors | needsReview | failed
 *   queued, expanding → failed (the target could not be expanded, or not in time)
 *   needsReview → succeeded | completedWithErrors (an administrator decided about the held revocations)
 *   skipped is born final: the slot came while the task's previous run was still active.
 */
const NEXT: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['expanding', 'failed'],
  expanding: ['running', 'failed'],
  running: ['succeeded', 'completedWithErrors', 'needsReview', 'failed'],
  needsReview: ['succeeded', 'completedWithErrors'],
  succeeded: [],
  completedWithErrors: [],
  failed: [],
  skipped: [],
};

/** A transition the lifecycle forbids: a bug in the caller, never an outage (it is not retried). */
export class IllegalRunTransitionError extends AppError {
  override name = 'IllegalRunTransitionError';
  constructor(
    readonly from: RunStatus,
    readonly to: RunStatus,
    run: Pick<Run, 'taskId' | 'runId'>,
  ) {
    super('RUN.ILLEGAL_TRANSITION', `Run '${run.runId}' of task '${run.taskId}' cannot go from ${from} to ${to}`);
  }
}

/** The statuses a run may move to from `from`. */
export function nextStatuses(from: RunStatus): readonly RunStatus[] {
  return NEXT[from];
}

/** True when the lifecycle allows `from → to`. */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return NEXT[from].includes(to);
}

/** True for a status nothing follows (needsReview is closed but not final: a review still closes it). */
export function isFinalStatus(status: RunStatus): boolean {
  return NEXT[status].length === 0;
}

/**
 * What a transition may carry besides the status: expansion's totals, the close's counts, error, warnings and
 * review. The lifecycle alone sets the status and the times, and the identity and snapshot never change.
 */
export type RunChanges = Partial<
  Omit<
    Run,
    'runId' | 'taskId' | 'status' | 'trigger' | 'scheduledFor' | 'createdAt' | 'startedAt' | 'finishedAt' | 'target'
  >
>;

function isActive(status: RunStatus): boolean {
  return (ACTIVE_STATUSES as readonly RunStatus[]).includes(status);
}

/**
 * The run after `run.status → to` at `at`, with `changes` applied. `startedAt` is when the run left `queued`;
 * `finishedAt` is when it left the active statuses (a review keeps it), and the finalizer's progress
 * bookkeeping ends there. Throws IllegalRunTransitionError for a move the lifecycle forbids.
 */
export function transitionRun(run: Run, to: RunStatus, at: Date, changes: RunChanges = {}): Run {
  if (!canTransition(run.status, to)) throw new IllegalRunTransitionError(run.status, to, run);
  const next: Run = { ...run, ...changes, status: to, startedAt: run.startedAt ?? at.toISOString() };
  if (isActive(run.status) && !isActive(to)) {
    next.finishedAt = at.toISOString();
    delete next.progress;
  }
  return next;
}

/** True when moving to `to` takes the run out of the active statuses: its task may start another run. */
export function releasesTask(from: RunStatus, to: RunStatus): boolean {
  return isActive(from) && !isActive(to);
}

/** The fields of a new run: counts at zero, the task's target and rights as a snapshot. */
function newRun(task: Task, runId: string, trigger: Run['trigger'], at: Date, slot: Date | null) {
  return {
    ...ZERO_COUNTS,
    runId,
    taskId: task.id,
    trigger,
    scheduledFor: slot ? slot.toISOString() : null,
    createdAt: at.toISOString(),
    startedAt: null,
    finishedAt: null,
    error: null,
    skippedByReason: {},
    target: task.target,
    rights: task.rights,
    warnings: [],
    heldRights: [],
    suspectRights: [],
    review: null,
  } satisfies Omit<Run, 'status'>;
}

/** A claimed run, waiting for its expansion. */
export function queuedRun(task: Task, runId: string, trigger: Run['trigger'], at: Date, slot: Date | null): Run {
  return { ...newRun(task, runId, trigger, at, slot), status: 'queued' };
}

/** A scheduled slot that came while the task's previous run was active: final from the start, with the reason. */
export function skippedRun(task: Task, runId: string, at: Date, slot: Date, reason: string): Run {
  return {
    ...newRun(task, runId, 'schedule', at, slot),
    status: 'skipped',
    finishedAt: at.toISOString(),
    error: reason,
  };
}
