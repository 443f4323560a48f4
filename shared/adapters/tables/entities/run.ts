import { z } from 'zod';
import { RIGHTS } from '../../../domain/delegation/types.js';
import { RUN_STATUSES, RUN_TRIGGERS, targetSchema, type Run } from '../../../domain/task.js';
import { assertKey } from '../keys.js';
import { instant, jsonOf, nonEmpty, nullable, readEntity, storedCount, text } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

const rights = z.array(z.enum(RIGHTS));

const progress = z.object({
  settled: storedCount,
  at: instant,
  resends: storedCount,
  closingSince: instant.optional(),
});

const review = z.object({
  decision: z.enum(['applied', 'dismissed']),
  by: text,
  at: instant,
  applied: storedCount,
  skipped: storedCount,
});

/**
 * A run's entity (partition = task, row = run id). The nullable times, the error, the progress and the review are
 * stored as '' while unset, so a lost property still reads as corrupt.
 */
const runEntity = z.object({
  partitionKey: nonEmpty,
  rowKey: nonEmpty,
  status: z.enum(RUN_STATUSES),
  trigger: z.enum(RUN_TRIGGERS),
  scheduledFor: nullable(instant),
  createdAt: instant,
  startedAt: nullable(instant),
  finishedAt: nullable(instant),
  error: nullable(nonEmpty),
  skippedByReason: jsonOf(z.record(z.string(), storedCount)),
  target: jsonOf(targetSchema),
  rights: jsonOf(rights),
  progress: nullable(jsonOf(progress)),
  mailboxesTotal: storedCount,
  mailboxesDone: storedCount,
  mailboxesFailed: storedCount,
  mailboxesSkipped: storedCount,
  delegationsAdded: storedCount,
  delegationsRemoved: storedCount,
  trusteesUnresolved: storedCount,
  rightsNotRead: storedCount,
  revocationsHeld: storedCount,
  warnings: jsonOf(z.array(z.string())),
  heldRights: jsonOf(rights),
  suspectRights: jsonOf(rights),
  review: nullable(jsonOf(review)),
});

/** Maps a run to its entity. */
export function toRunEntity(r: Run): Entity {
  return {
    partitionKey: assertKey(r.taskId, 'task id'),
    rowKey: assertKey(r.runId, 'run id'),
    status: r.status,
    trigger: r.trigger,
    scheduledFor: r.scheduledFor ?? '',
    createdAt: r.createdAt,
    startedAt: r.startedAt ?? '',
    finishedAt: r.finishedAt ?? '',
    error: r.error ?? '',
    skippedByReason: JSON.stringify(r.skippedByReason),
    target: JSON.stringify(r.target),
    rights: JSON.stringify(r.rights),
    progress: r.progress ? JSON.stringify(r.progress) : '',
    mailboxesTotal: r.mailboxesTotal,
    mailboxesDone: r.mailboxesDone,
    mailboxesFailed: r.mailboxesFailed,
    mailboxesSkipped: r.mailboxesSkipped,
    delegationsAdded: r.delegationsAdded,
    delegationsRemoved: r.delegationsRemoved,
    trusteesUnresolved: r.trusteesUnresolved,
    rightsNotRead: r.rightsNotRead,
    revocationsHeld: r.revocationsHeld,
    warnings: JSON.stringify(r.warnings),
    heldRights: JSON.stringify(r.heldRights),
    suspectRights: JSON.stringify(r.suspectRights),
    review: r.review ? JSON.stringify(r.review) : '',
  };
}

/** Maps an entity back to a run; a missing or unreadable property is a CorruptEntityError. */
export function fromRunEntity(e: Record<string, unknown>): Run {
  const { partitionKey, rowKey, progress: stored, ...rest } = readEntity('Runs', runEntity, e);
  return { ...rest, taskId: partitionKey, runId: rowKey, ...(stored ? { progress: stored } : {}) };
}
