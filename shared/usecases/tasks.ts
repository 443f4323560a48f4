import { randomUUID } from 'node:crypto';
import type { Repositories } from '../ports/services.js';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../errors.js';
import { describeSchedule, nextDueAfter, toLocalIso } from '../domain/schedule.js';
import { isActiveStatus, taskInputSchema, type Run, type Task } from '../domain/task.js';
import type { Page, PageRequest, StoredSchedule } from '../ports/repositories.js';
import { parseOrThrow } from '../domain/validation.js';

export interface TaskDeps {
  repos: Repositories;
  now: () => Date;
}

export interface RunSummary {
  runId: string;
  status: Run['status'];
  trigger: Run['trigger'];
  startedAt: string | null;
  finishedAt: string | null;
  mailboxesTotal: number;
  mailboxesDone: number;
  mailboxesFailed: number;
  delegationsAdded: number;
  delegationsRemoved: number;
  error: string | null;
}

export interface TaskView {
  id: string;
  description: string;
  type: Task['type'];
  scheduleId: string;
  schedule: { summary: string; timeZone: string } | null;
  target: Task['target'];
  rights: Task['rights'];
  enabled: boolean;
  nextDueAt: string | null;
  nextDueAtLocal: string | null;
  lastRun: RunSummary | null;
  createdAt: string;
  updatedAt: string;
}

function parseTaskInput(body: unknown): ReturnType<typeof taskInputSchema.parse> {
  return parseOrThrow(taskInputSchema, body, 'TASK.INVALID', 'task');
}

async function requireSchedule(deps: TaskDeps, scheduleId: string): Promise<StoredSchedule> {
  const schedule = await deps.repos.schedules.get(scheduleId);
  if (!schedule) {
    throw new ValidationError('TASK.SCHEDULE_NOT_FOUND', `Schedule '${scheduleId}' does not exist`, [
      { path: 'scheduleId', message: `schedule '${scheduleId}' does not exist` },
    ]);
  }
  return schedule;
}

async function toTaskView(
  deps: TaskDeps,
  task: Task,
  schedules: Map<string, StoredSchedule | undefined>,
): Promise<TaskView> {
  if (!schedules.has(task.scheduleId)) schedules.set(task.scheduleId, await deps.repos.schedules.get(task.scheduleId));
  const schedule = schedules.get(task.scheduleId);
  const next = schedule && task.enabled ? nextDueAfter(schedule.definition, deps.now()) : undefined;
  let lastRun: RunSummary | null = null;
  if (task.lastRunId) {
    const found = await deps.repos.runs.get(task.id, task.lastRunId);
    if (found) {
      const r = isActiveStatus(found.value.status)
        ? { ...found.value, ...(await deps.repos.runs.counters(task.id, task.lastRunId)) }
        : found.value;
      lastRun = {
        runId: r.runId,
        status: r.status,
        trigger: r.trigger,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        mailboxesTotal: r.mailboxesTotal,
        mailboxesDone: r.mailboxesDone,
        mailboxesFailed: r.mailboxesFailed,
        delegationsAdded: r.delegationsAdded,
        delegationsRemoved: r.delegationsRemoved,
        error: r.error,
      };
    }
  }
  return {
    id: task.id,
    description: task.description,
    type: task.type,
    scheduleId: task.scheduleId,
    schedule: schedule
      ? { summary: describeSchedule(schedule.definition), timeZone: schedule.definition.timeZone }
      : null,
    target: task.target,
    rights: task.rights,
    enabled: task.enabled,
    nextDueAt: next ? next.toISOString().replace('.000Z', 'Z') : null,
    nextDueAtLocal: next && schedule ? toLocalIso(next, schedule.definition.timeZone) : null,
    lastRun,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

/** Validates and stores a task; its schedule must exist (400 naming scheduleId otherwise). */
export async function createTask(deps: TaskDeps, body: unknown): Promise<TaskView> {
  const input = parseTaskInput(body);
  await requireSchedule(deps, input.scheduleId);
  const at = deps.now().toISOString();
  // evaluatedThrough = now: a new task runs at its next slot, not at slots that passed before it existed.
  const task: Task = { ...input, id: randomUUID(), createdAt: at, updatedAt: at, evaluatedThrough: at };
  await deps.repos.tasks.create(task);
  return toTaskView(deps, task, new Map());
}

/** One task with its schedule summary, next due time and last run. */
export async function getTask(deps: TaskDeps, id: string): Promise<TaskView> {
  const found = await deps.repos.tasks.get(id);
  if (!found) throw new NotFoundError('TASK.NOT_FOUND', `Task '${id}' does not exist`);
  return toTaskView(deps, found.value, new Map());
}

/** A page of tasks, each with schedule summary, next due time and last run. */
export async function listTasks(deps: TaskDeps, page: PageRequest): Promise<Page<TaskView>> {
  const result = await deps.repos.tasks.list(page);
  const schedules = new Map<string, StoredSchedule | undefined>();
  const items: TaskView[] = [];
  for (const task of result.items) items.push(await toTaskView(deps, task, schedules));
  return { items, continuationToken: result.continuationToken };
}

/** Replaces a task's settings; an active run keeps the target and rights it started with. */
export async function updateTask(deps: TaskDeps, id: string, body: unknown): Promise<TaskView> {
  const input = parseTaskInput(body);
  await requireSchedule(deps, input.scheduleId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = await deps.repos.tasks.get(id);
    if (!found) throw new NotFoundError('TASK.NOT_FOUND', `Task '${id}' does not exist`);
    const updated: Task = { ...found.value, ...input, updatedAt: deps.now().toISOString() };
    try {
      await deps.repos.tasks.update(updated, found.etag);
      return toTaskView(deps, updated, new Map());
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
  throw new ConflictError('TASK.CONTENTION', `Task '${id}' kept changing; try again`);
}

/** Deletes a task unless a run is active (its stored delegations stay until the scope cleanup removes them). */
export async function deleteTask(deps: TaskDeps, id: string): Promise<void> {
  const found = await deps.repos.tasks.get(id);
  if (!found) throw new NotFoundError('TASK.NOT_FOUND', `Task '${id}' does not exist`);
  if (found.value.activeRunId) {
    const active = await deps.repos.runs.get(id, found.value.activeRunId);
    if (active && isActiveStatus(active.value.status)) {
      throw new ConflictError(
        'TASK.RUN_ACTIVE',
        `Task '${id}' has an active run (${found.value.activeRunId}); delete it once the run has finished`,
      );
    }
  }
  await deps.repos.tasks.delete(id);
}
