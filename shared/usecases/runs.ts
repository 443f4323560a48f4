import { randomBytes } from 'node:crypto';
import type { Repositories } from '../ports/services.js';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../errors.js';
import type { Logger } from '../logging.js';
import { QUEUES, type QueueSender } from '../ports/queue.js';
import type { ItemStatus, Page, PageRequest, RunItem } from '../ports/repositories.js';
import { isActiveStatus, manualRunId, scheduledRunId, type Run, type Task } from '../domain/task.js';
import { queuedRun, skippedRun } from '../domain/runLifecycle.js';

export interface RunDeps {
  repos: Repositories;
  queue: QueueSender;
  now: () => Date;
  logger?: Logger;
}

/** Body of an `mps-expand` message. */
export interface ExpandMessage {
  taskId: string;
  runId: string;
}

/** The run's id across tasks: message ids and run-item partitions use it. */
export function runKey(taskId: string, runId: string): string {
  return `${taskId}_${runId}`;
}

const CLAIM_GRACE_MS = 2 * 60_000;

export type ClaimOutcome =
  | { outcome: 'created'; run: Run }
  | { outcome: 'skipped'; run: Run }
  | { outcome: 'alreadyClaimed'; runId: string };

/** Sends (or re-sends) a run's expansion message; the message id makes a re-send a no-op inside the window. */
export async function sendExpandMessage(queue: QueueSender, taskId: string, runId: string): Promise<void> {
  const body: ExpandMessage = { taskId, runId };
  await queue.send(QUEUES.expand, { body, messageId: runKey(taskId, runId) });
}

/**
 * Claims a run for a task: the task entity's ETag guards "one active run per task", the run's id is derived
 * from the slot (scheduled) so duplicate timer firings and racing instances make one run, and a run found
 * still active turns a scheduled slot into a `skipped` run (manual: 409).
 */
export async function claimRun(
  deps: RunDeps,
  taskId: string,
  request: { trigger: 'schedule'; slot: Date } | { trigger: 'manual' },
): Promise<ClaimOutcome> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const now = deps.now();
    const versioned = await deps.repos.tasks.get(taskId);
    if (!versioned) throw new NotFoundError('TASK.NOT_FOUND', `Task '${taskId}' does not exist`);
    const { value: task, etag } = versioned;
    const slot = request.trigger === 'schedule' ? request.slot : null;
    const runId = slot ? scheduledRunId(slot) : manualRunId(now, randomBytes(4).toString('hex'));
    const advanced = slot && slot.toISOString() > task.evaluatedThrough ? now.toISOString() : task.evaluatedThrough;

    if (slot && (task.activeRunId === runId || (await deps.repos.runs.get(taskId, runId)))) {
      return { outcome: 'alreadyClaimed', runId };
    }

    if (task.activeRunId) {
      const active = await deps.repos.runs.get(taskId, task.activeRunId);
      // A claim writes the task first and the run right after: a pointer without its run is a claim in
      // progress for a short while, and an abandoned one (crash) after that.
      const claimInProgress =
        !active && task.activeSince !== undefined && now.getTime() - Date.parse(task.activeSince) < CLAIM_GRACE_MS;
      if (claimInProgress || (active && isActiveStatus(active.value.status))) {
        const reason = `Previous run ${task.activeRunId} is still ${active?.value.status ?? 'queued'}`;
        if (!slot) throw new ConflictError('RUN.ACTIVE', `${reason}; wait for it to finish`);
        const skipped = skippedRun(task, runId, now, slot, reason);
        try {
          await deps.repos.runs.create(skipped);
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          return { outcome: 'alreadyClaimed', runId };
        }
        await updateQuietly(deps, { ...task, evaluatedThrough: advanced }, etag);
        return { outcome: 'skipped', run: skipped };
      }
    }

    try {
      await deps.repos.tasks.update(
        { ...task, activeRunId: runId, activeSince: now.toISOString(), lastRunId: runId, evaluatedThrough: advanced },
        etag,
      );
    } catch (error) {
      if (error instanceof PreconditionFailedError) continue; // someone else changed the task: look again
      throw error;
    }
    const run = queuedRun(task, runId, request.trigger, now, slot);
    try {
      await deps.repos.runs.create(run);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    await sendExpandMessage(deps.queue, taskId, runId);
    deps.logger?.info({ taskId, runId, trigger: request.trigger }, 'run claimed');
    return { outcome: 'created', run };
  }
  throw new ConflictError(
    'RUN.CLAIM_CONTENTION',
    `Task '${taskId}' kept changing while a run was being claimed; try again`,
  );
}

async function updateQuietly(deps: RunDeps, task: Task, etag: string): Promise<void> {
  try {
    await deps.repos.tasks.update(task, etag);
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
  }
}

/** `POST /tasks/{id}/run`: a manual run now, or RUN.ACTIVE (409) while one is active. */
export async function runTaskNow(deps: RunDeps, taskId: string): Promise<{ runId: string }> {
  const outcome = await claimRun(deps, taskId, { trigger: 'manual' });
  if (outcome.outcome !== 'created') throw new ConflictError('RUN.ACTIVE', 'A run is already active for this task');
  return { runId: outcome.run.runId };
}

/** A run with live counters while it is active (the stored totals once it has finished). */
export async function getRun(deps: Pick<RunDeps, 'repos'>, taskId: string, runId: string): Promise<Run> {
  const found = await deps.repos.runs.get(taskId, runId);
  if (!found) throw new NotFoundError('RUN.NOT_FOUND', `Run '${runId}' of task '${taskId}' does not exist`);
  const run = found.value;
  if (!isActiveStatus(run.status)) return run;
  return { ...run, ...(await deps.repos.runs.counters(taskId, runId)) };
}

/** Run history of a task, newest first. */
export async function listRuns(deps: Pick<RunDeps, 'repos'>, taskId: string, page: PageRequest): Promise<Page<Run>> {
  if (!(await deps.repos.tasks.get(taskId)))
    throw new NotFoundError('TASK.NOT_FOUND', `Task '${taskId}' does not exist`);
  const result = await deps.repos.runs.list(taskId, page);
  const items = await Promise.all(
    result.items.map(async (r) =>
      isActiveStatus(r.status) ? { ...r, ...(await deps.repos.runs.counters(taskId, r.runId)) } : r,
    ),
  );
  return { items, continuationToken: result.continuationToken };
}

/** Per-mailbox outcomes of a run, optionally only one status (e.g. the failed ones with their reasons). */
export async function listRunMailboxes(
  deps: Pick<RunDeps, 'repos'>,
  taskId: string,
  runId: string,
  status: ItemStatus | undefined,
  page: PageRequest,
): Promise<Page<RunItem>> {
  if (!(await deps.repos.runs.get(taskId, runId)))
    throw new NotFoundError('RUN.NOT_FOUND', `Run '${runId}' of task '${taskId}' does not exist`);
  return deps.repos.runs.items(taskId, runId, status ? { status } : {}, page);
}
