import { z } from 'zod';
import { nonEmpty, readEntity } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

/** The one partition of the active-run index: the finalizer reads it whole every minute. */
export const ACTIVE_PARTITION = 'active';

const activeRunEntity = z.object({ taskId: nonEmpty, runId: nonEmpty });

/** Maps an active run to its index entity under `rowKey` (the run's partition key). */
export function toActiveRunEntity(rowKey: string, run: { taskId: string; runId: string }): Entity {
  return { partitionKey: ACTIVE_PARTITION, rowKey, taskId: run.taskId, runId: run.runId };
}

/** Maps an index entity back to the run it names; a missing id is a CorruptEntityError. */
export function fromActiveRunEntity(e: Record<string, unknown>): { taskId: string; runId: string } {
  return readEntity('ActiveRuns', activeRunEntity, e);
}
