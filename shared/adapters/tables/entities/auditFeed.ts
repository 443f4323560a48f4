import { z } from 'zod';
import {
  type AuditFeedCounts,
  type AuditFeedState,
  IGNORED_REASONS,
  type IgnoredReason,
} from '../../../ports/auditFeedState.js';
import { assertKey } from '../keys.js';
import { instant, jsonOf, nullable, readEntity, storedCount, text } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

/** The logical table of the change feed's state, counters and seen blobs. */
export const AUDIT_FEED_TABLE = 'AuditFeed';

const OUTCOMES = ['succeeded', 'throttled', 'failed'] as const;

/** The feed's state row: partition = tenant id, row = content type. Nulls are stored as ''. */
const stateEntity = z.object({
  checkpoint: nullable(instant),
  subscriptionStatus: z.enum(['enabled', 'unknown']),
  subscriptionConfirmedAt: nullable(instant),
  lastPollAt: nullable(instant),
  lastPollOutcome: z.union([z.literal('').transform(() => null), z.enum(OUTCOMES)]),
  lastPollError: text,
  newestRecordAt: nullable(instant),
  gaps: jsonOf(z.array(z.object({ from: instant, to: instant, detectedAt: instant }).strict())),
  checkpointLostAt: nullable(instant),
});

/** The partition of a tenant's feed state rows. */
export function statePartition(tenantId: string): string {
  return assertKey(tenantId, 'tenant id');
}

/** Maps the feed state to its entity. */
export function toAuditFeedStateEntity(tenantId: string, contentType: string, state: AuditFeedState): Entity {
  return {
    partitionKey: statePartition(tenantId),
    rowKey: assertKey(contentType, 'content type'),
    checkpoint: state.checkpoint ?? '',
    subscriptionStatus: state.subscription.status,
    subscriptionConfirmedAt: state.subscription.confirmedAt ?? '',
    lastPollAt: state.lastPoll?.at ?? '',
    lastPollOutcome: state.lastPoll?.outcome ?? '',
    lastPollError: state.lastPoll?.error ?? '',
    newestRecordAt: state.newestRecordAt ?? '',
    gaps: JSON.stringify(state.gaps),
    checkpointLostAt: state.checkpointLostAt ?? '',
  };
}

/** Maps an entity back to the feed state; a missing or unreadable property is a CorruptEntityError. */
export function fromAuditFeedStateEntity(e: Record<string, unknown>): AuditFeedState {
  const s = readEntity(AUDIT_FEED_TABLE, stateEntity, e);
  const lastPoll =
    s.lastPollAt === null
      ? null
      : {
          at: s.lastPollAt,
          outcome: pollOutcome(s.lastPollOutcome, e),
          error: s.lastPollError === '' ? null : s.lastPollError,
        };
  return {
    checkpoint: s.checkpoint,
    subscription: { status: s.subscriptionStatus, confirmedAt: s.subscriptionConfirmedAt },
    lastPoll,
    newestRecordAt: s.newestRecordAt,
    gaps: s.gaps,
    checkpointLostAt: s.checkpointLostAt,
  };
}

/** A poll time without its outcome is a corrupt row, never a guessed outcome. */
function pollOutcome(outcome: (typeof OUTCOMES)[number] | null, e: Record<string, unknown>) {
  if (outcome !== null) return outcome;
  return readEntity(AUDIT_FEED_TABLE, z.object({ lastPollOutcome: z.enum(OUTCOMES) }), e).lastPollOutcome;
}

const ignoredField = (reason: IgnoredReason) => `ignored${reason[0]?.toUpperCase()}${reason.slice(1)}`;

const countsEntity = z.object({
  recordsRead: storedCount,
  permissionHints: storedCount,
  ignoredNotPermissionChange: storedCount,
  ignoredSystemActor: storedCount,
  ignoredFailedOperation: storedCount,
  unreadableRecords: storedCount,
  unresolvedMailboxes: storedCount,
  outsideScope: storedCount,
  mailboxesQueued: storedCount,
  throttledPolls: storedCount,
  failedPolls: storedCount,
});

/** The partition of a tenant's hourly counters of one content type; rows are `YYYY-MM-DDTHH` (UTC). */
export function countsPartition(tenantId: string, contentType: string): string {
  return assertKey(`${tenantId}|${contentType}|hours`, 'counter partition');
}

/** The row of the hour `at` falls in: sorts by time, so old buckets are a range. */
export function hourKey(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/** Maps one hour's counts to its entity. */
export function toCountsEntity(partitionKey: string, rowKey: string, c: AuditFeedCounts): Entity {
  const ignored = Object.fromEntries(IGNORED_REASONS.map((r) => [ignoredField(r), c.ignored[r]]));
  return {
    partitionKey,
    rowKey,
    recordsRead: c.recordsRead,
    permissionHints: c.permissionHints,
    ...ignored,
    unreadableRecords: c.unreadableRecords,
    unresolvedMailboxes: c.unresolvedMailboxes,
    outsideScope: c.outsideScope,
    mailboxesQueued: c.mailboxesQueued,
    throttledPolls: c.throttledPolls,
    failedPolls: c.failedPolls,
  };
}

/** Maps an hourly counter entity back to counts; a missing count is a CorruptEntityError, never 0. */
export function fromCountsEntity(e: Record<string, unknown>): AuditFeedCounts {
  const s = readEntity(AUDIT_FEED_TABLE, countsEntity, e);
  return {
    recordsRead: s.recordsRead,
    permissionHints: s.permissionHints,
    ignored: {
      notPermissionChange: s.ignoredNotPermissionChange,
      systemActor: s.ignoredSystemActor,
      failedOperation: s.ignoredFailedOperation,
    },
    unreadableRecords: s.unreadableRecords,
    unresolvedMailboxes: s.unresolvedMailboxes,
    outsideScope: s.outsideScope,
    mailboxesQueued: s.mailboxesQueued,
    throttledPolls: s.throttledPolls,
    failedPolls: s.failedPolls,
  };
}

/** The partition of the blobs a tenant's feed processed; rows are `<contentCreated ISO>|<encoded content id>`. */
export function seenPartition(tenantId: string, contentType: string): string {
  return assertKey(`${tenantId}|${contentType}|seen`, 'seen partition');
}
