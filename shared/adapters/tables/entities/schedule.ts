import { z } from 'zod';
import { scheduleInputSchema } from '../../../domain/schedule/model.js';
import type { StoredSchedule } from '../../../ports/repositories.js';
import { assertKey } from '../keys.js';
import { instant, jsonOf, nonEmpty, readEntity } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

export const SCHEDULE_PARTITION = 'schedule';

/** A schedule's entity: the definition is JSON (its shape varies by type) and reads through the API's schema. */
const scheduleEntity = z.object({
  rowKey: nonEmpty,
  definition: jsonOf(scheduleInputSchema),
  createdAt: instant,
  updatedAt: instant,
});

/** Maps a schedule to its entity. */
export function toScheduleEntity(s: StoredSchedule): Entity {
  return {
    partitionKey: SCHEDULE_PARTITION,
    rowKey: assertKey(s.id, 'schedule id'),
    definition: JSON.stringify(s.definition),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** Maps an entity back to a schedule; a missing or unreadable property is a CorruptEntityError. */
export function fromScheduleEntity(e: Record<string, unknown>): StoredSchedule {
  const stored = readEntity('Schedules', scheduleEntity, e);
  return { id: stored.rowKey, definition: stored.definition, createdAt: stored.createdAt, updatedAt: stored.updatedAt };
}
