import { randomUUID } from 'node:crypto';
import type { Repositories } from '../ports/services.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { describeSchedule, parseScheduleInput } from '../domain/schedule.js';
import type { Page, PageRequest, StoredSchedule } from '../ports/repositories.js';

export interface ScheduleDeps {
  repos: Repositories;
  now: () => Date;
}

export interface ScheduleView extends Record<string, unknown> {
  id: string;
  summary: string;
  createdAt: string;
  updatedAt: string;
}

/** The API shape: the definition's fields flattened, plus id, a human summary and timestamps. */
export function toScheduleView(s: StoredSchedule): ScheduleView {
  return {
    id: s.id,
    ...s.definition,
    summary: describeSchedule(s.definition),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** Validates and stores a new schedule. */
export async function createSchedule(deps: ScheduleDeps, body: unknown): Promise<ScheduleView> {
  const definition = parseScheduleInput(body);
  const at = deps.now().toISOString();
  const schedule: StoredSchedule = { id: randomUUID(), definition, createdAt: at, updatedAt: at };
  await deps.repos.schedules.create(schedule);
  return toScheduleView(schedule);
}

/** One schedule, or SCHEDULE.NOT_FOUND. */
export async function getSchedule(deps: ScheduleDeps, id: string): Promise<ScheduleView> {
  const schedule = await deps.repos.schedules.get(id);
  if (!schedule) throw new NotFoundError('SCHEDULE.NOT_FOUND', `Schedule '${id}' does not exist`);
  return toScheduleView(schedule);
}

/** A page of schedules. */
export async function listSchedules(deps: ScheduleDeps, page: PageRequest): Promise<Page<ScheduleView>> {
  const result = await deps.repos.schedules.list(page);
  return { items: result.items.map(toScheduleView), continuationToken: result.continuationToken };
}

/** Replaces a schedule's definition; tasks pick it up at their next evaluation (runs in flight keep theirs). */
export async function updateSchedule(deps: ScheduleDeps, id: string, body: unknown): Promise<ScheduleView> {
  const existing = await deps.repos.schedules.get(id);
  if (!existing) throw new NotFoundError('SCHEDULE.NOT_FOUND', `Schedule '${id}' does not exist`);
  const updated: StoredSchedule = {
    ...existing,
    definition: parseScheduleInput(body),
    updatedAt: deps.now().toISOString(),
  };
  await deps.repos.schedules.replace(updated);
  return toScheduleView(updated);
}

/** Deletes a schedule unless a task uses it (409 naming the tasks). */
export async function deleteSchedule(deps: ScheduleDeps, id: string): Promise<void> {
  const existing = await deps.repos.schedules.get(id);
  if (!existing) throw new NotFoundError('SCHEDULE.NOT_FOUND', `Schedule '${id}' does not exist`);
  const users: string[] = [];
  for await (const task of deps.repos.tasks.all()) {
    if (task.scheduleId === id) users.push(`'${task.description}' (${task.id})`);
  }
  if (users.length > 0) {
    throw new ConflictError(
      'SCHEDULE.IN_USE',
      `Schedule '${id}' is used by ${users.length === 1 ? 'task' : 'tasks'} ${users.join(', ')}; ` +
        `change or delete ${users.length === 1 ? 'it' : 'them'} first`,
    );
  }
  await deps.repos.schedules.delete(id);
}
