import { z } from 'zod';
import { RIGHTS } from '../../../domain/delegation/types.js';
import { pendingRunItem, type ItemOutcome, type RunItem, type RunItemMailbox } from '../../../ports/repositories.js';
import { assertKey } from '../keys.js';
import { instant, jsonOf, nonEmpty, nullable, readEntity, storedCount, text } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

/** Row-key prefix of a run's items (its shard partitions also hold counters and proposed revocations). */
export const ITEM_PREFIX = 'm_';

/** The row key of a mailbox's item. */
export function itemRowKey(mailboxId: string): string {
  return assertKey(`${ITEM_PREFIX}${mailboxId}`, 'mailbox id');
}

type Counts = NonNullable<RunItem['planned']>;

/** What expansion writes: the mailbox as shown. An item without a `status` property is pending, by design. */
const pendingItem = z.object({
  rowKey: z.string().startsWith(ITEM_PREFIX, 'is not an item key'),
  upn: text,
  address: text,
  displayName: text,
  // The counts a delivery planned before writing: the three are written together, or none is.
  plannedAdded: storedCount.optional(),
  plannedRemoved: storedCount.optional(),
  plannedUnresolved: storedCount.optional(),
});

/** What settling adds: the outcome and its counts, every property written at once. */
const settledItem = pendingItem.extend({
  status: z.enum(['done', 'failed']),
  error: nullable(nonEmpty),
  delegationsAdded: storedCount,
  delegationsRemoved: storedCount,
  trusteesUnresolved: storedCount,
  settledAt: instant,
  rightsNotRead: jsonOf(z.array(z.object({ right: z.enum(RIGHTS), reason: z.string() }))),
  warnings: jsonOf(z.array(z.string())),
  revocationsProposed: storedCount,
});

const PLANNED = ['plannedAdded', 'plannedRemoved', 'plannedUnresolved'] as const;

/** Maps an item entity back to a run item; a missing or unreadable property is a CorruptEntityError. */
export function fromItemEntity(e: Record<string, unknown>): RunItem {
  // A planned column written alone is corrupt: name the first missing one of the three.
  if (PLANNED.some((p) => e[p] !== undefined)) {
    readEntity(
      'RunItems',
      z.object({ plannedAdded: storedCount, plannedRemoved: storedCount, plannedUnresolved: storedCount }),
      e,
    );
  }
  const mailbox = (s: z.output<typeof pendingItem>) => ({
    mailboxId: s.rowKey.slice(ITEM_PREFIX.length),
    upn: s.upn,
    address: s.address,
    displayName: s.displayName,
    ...(s.plannedAdded !== undefined && s.plannedRemoved !== undefined && s.plannedUnresolved !== undefined
      ? {
          planned: {
            delegationsAdded: s.plannedAdded,
            delegationsRemoved: s.plannedRemoved,
            trusteesUnresolved: s.plannedUnresolved,
          },
        }
      : {}),
  });
  // An item that holds settled properties but no status lost its status: it is not pending again.
  if (e.status === undefined && e.settledAt === undefined) {
    return pendingRunItem(mailbox(readEntity('RunItems', pendingItem, e)));
  }
  const s = readEntity('RunItems', settledItem, e);
  return {
    ...mailbox(s),
    status: s.status,
    error: s.error,
    delegationsAdded: s.delegationsAdded,
    delegationsRemoved: s.delegationsRemoved,
    trusteesUnresolved: s.trusteesUnresolved,
    settledAt: s.settledAt,
    rightsNotRead: s.rightsNotRead,
    warnings: s.warnings,
    revocationsProposed: s.revocationsProposed,
  };
}

/** The pending item expansion merges in (no `status`: a redelivered expansion must not reset a settled item). */
export function toPendingItemEntity(partitionKey: string, item: RunItemMailbox): Entity {
  return {
    partitionKey,
    rowKey: itemRowKey(item.mailboxId),
    upn: item.upn,
    address: item.address,
    displayName: item.displayName,
  };
}

/** The planned counts a delivery merges into its item before writing its changes. */
export function toPlannedCountsEntity(partitionKey: string, mailboxId: string, counts: Counts): Entity {
  return {
    partitionKey,
    rowKey: itemRowKey(mailboxId),
    plannedAdded: counts.delegationsAdded,
    plannedRemoved: counts.delegationsRemoved,
    plannedUnresolved: counts.trusteesUnresolved,
  };
}

/** The settled properties merged into an item: its outcome and the counts the run is credited with. */
export function toSettledItemEntity(
  partitionKey: string,
  mailboxId: string,
  outcome: ItemOutcome,
  counts: Counts,
  revocationsProposed: number,
): Entity {
  return {
    partitionKey,
    rowKey: itemRowKey(mailboxId),
    status: outcome.status,
    error: outcome.error ?? '',
    delegationsAdded: counts.delegationsAdded,
    delegationsRemoved: counts.delegationsRemoved,
    trusteesUnresolved: counts.trusteesUnresolved,
    settledAt: outcome.at,
    rightsNotRead: JSON.stringify(outcome.rightsNotRead ?? []),
    warnings: JSON.stringify(outcome.warnings ?? []),
    revocationsProposed,
  };
}
