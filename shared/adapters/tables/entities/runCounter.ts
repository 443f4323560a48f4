import { z } from 'zod';
import { RIGHTS, type Right } from '../../../domain/delegation/types.js';
import { readEntity, storedCount } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

/** Row-key prefix of a shard's live counter row. */
export const COUNTER_PREFIX = 'c_';

/** One shard's running totals of a run's settled items, and how many items expansion stored in the shard. */
export interface RunCounter {
  /** Items stored in the shard: a settle that brings done + failed to it may be the run's last. */
  total: number;
  done: number;
  failed: number;
  added: number;
  removed: number;
  unresolved: number;
  notRead: number;
  /** Per right: revocations proposed, and synced delegations stored (the revocation hold's base). */
  proposed: Record<Right, number>;
  stored: Record<Right, number>;
}

/** The counter before its shard's first settled item. */
export const EMPTY_COUNTER: RunCounter = {
  total: 0,
  done: 0,
  failed: 0,
  added: 0,
  removed: 0,
  unresolved: 0,
  notRead: 0,
  proposed: { FullAccess: 0, SendAs: 0, SendOnBehalf: 0, CalendarDelegate: 0 },
  stored: { FullAccess: 0, SendAs: 0, SendOnBehalf: 0, CalendarDelegate: 0 },
};

const perRight = (prefix: string) =>
  Object.fromEntries(RIGHTS.map((right) => [`${prefix}${right}`, storedCount.optional()])) as Record<
    `${string}${Right}`,
    z.ZodOptional<typeof storedCount>
  >;

/** The seven totals are always written; a per-right column is written only once it is not zero (wide rows cost). */
const counterEntity = z.object({
  rowKey: z.string().startsWith(COUNTER_PREFIX, 'is not a counter key'),
  total: storedCount,
  done: storedCount,
  failed: storedCount,
  added: storedCount,
  removed: storedCount,
  unresolved: storedCount,
  notRead: storedCount,
  ...perRight('proposed'),
  ...perRight('stored'),
});

/** Maps a counter entity back; a missing or unreadable total is a CorruptEntityError. */
export function fromCounterEntity(e: Record<string, unknown>): RunCounter {
  const s = readEntity('RunItems', counterEntity, e) as z.output<typeof counterEntity> &
    Record<string, number | undefined>;
  // An absent per-right column is a zero by design (see counterEntity).
  const column = (name: string) => s[name] ?? 0;
  return {
    total: s.total,
    done: s.done,
    failed: s.failed,
    added: s.added,
    removed: s.removed,
    unresolved: s.unresolved,
    notRead: s.notRead,
    proposed: Object.fromEntries(RIGHTS.map((r) => [r, column(`proposed${r}`)])) as Record<Right, number>,
    stored: Object.fromEntries(RIGHTS.map((r) => [r, column(`stored${r}`)])) as Record<Right, number>,
  };
}

/** Maps a shard's counter to its entity (Replace: every column it should hold is written). */
export function toCounterEntity(partitionKey: string, rowKey: string, c: RunCounter): Entity {
  const tally: Record<string, number> = {};
  for (const right of RIGHTS) {
    if (c.proposed[right] !== 0) tally[`proposed${right}`] = c.proposed[right];
    if (c.stored[right] !== 0) tally[`stored${right}`] = c.stored[right];
  }
  return {
    partitionKey,
    rowKey,
    total: c.total,
    done: c.done,
    failed: c.failed,
    added: c.added,
    removed: c.removed,
    unresolved: c.unresolved,
    notRead: c.notRead,
    ...tally,
  };
}
