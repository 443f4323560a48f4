import { z } from 'zod';
import { RIGHTS } from '../../../domain/delegation/types.js';
import { targetSchema, type Task } from '../../../domain/task.js';
import { assertKey } from '../keys.js';
import { instant, jsonOf, nonEmpty, nullable, readEntity, text } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

export const TASK_PARTITION = 'task';

/** A task's entity; the run pointers are stored as '' while unset so a lost property still reads as corrupt. */
const taskEntity = z.object({
  rowKey: nonEmpty,
  description: text,
  type: z.literal('mailboxPermissionSync'),
  scheduleId: nonEmpty,
  target: jsonOf(targetSchema),
  rights: jsonOf(z.array(z.enum(RIGHTS)).min(1, 'names no right')),
  enabled: z.boolean(),
  createdAt: instant,
  updatedAt: instant,
  evaluatedThrough: instant,
  activeRunId: nullable(nonEmpty),
  activeSince: nullable(instant),
  lastRunId: nullable(nonEmpty),
});

/** Maps a task to its entity. */
export function toTaskEntity(t: Task): Entity {
  return {
    partitionKey: TASK_PARTITION,
    rowKey: assertKey(t.id, 'task id'),
    description: t.description,
    type: t.type,
    scheduleId: t.scheduleId,
    target: JSON.stringify(t.target),
    rights: JSON.stringify(t.rights),
    enabled: t.enabled,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    evaluatedThrough: t.evaluatedThrough,
    activeRunId: t.activeRunId ?? '',
    activeSince: t.activeSince ?? '',
    lastRunId: t.lastRunId ?? '',
  };
}

/** Maps an entity back to a task; a missing or unreadable property is a CorruptEntityError. */
export function fromTaskEntity(e: Record<string, unknown>): Task {
  const s = readEntity('Tasks', taskEntity, e);
  return {
    id: s.rowKey,
    description: s.description,
    type: s.type,
    scheduleId: s.scheduleId,
    target: s.target,
    rights: s.rights,
    enabled: s.enabled,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    evaluatedThrough: s.evaluatedThrough,
    // The claim time means nothing without the run it claimed for.
    ...(s.activeRunId ? { activeRunId: s.activeRunId } : {}),
    ...(s.activeRunId && s.activeSince ? { activeSince: s.activeSince } : {}),
    ...(s.lastRunId ? { lastRunId: s.lastRunId } : {}),
  };
}
