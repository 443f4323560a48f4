import { z } from 'zod';
import { RIGHTS, type Right } from '../../../domain/delegation/types.js';
import type { SyncState } from '../../../ports/delegations.js';
import { instant, nonEmpty, readEntity, text } from '../entityFields.js';

/**
 * A mailbox's sync state (MailboxSyncState): `digest` is '' while unknown; `pendingRun` is there only while a run's
 * proposed revocations are pending.
 */
const syncStateEntity = z.object({ digest: text, pendingRun: nonEmpty.optional() });

/** Maps a sync-state entity back, with its ETag; a missing digest is a CorruptEntityError. */
export function fromSyncStateEntity(e: Record<string, unknown> & { etag: string }): SyncState {
  const s = readEntity('MailboxSyncState', syncStateEntity, e);
  return { digest: s.digest, etag: e.etag, ...(s.pendingRun ? { pendingRun: s.pendingRun } : {}) };
}

/**
 * When each right of a mailbox was last verified (MailboxSyncState, row `verified` beside the state row): one
 * property per right, merged by each sync that read it. A right never verified has no property.
 */
const verifiedEntity = z.object(
  Object.fromEntries(RIGHTS.map((r) => [r, instant.optional()])) as Record<Right, z.ZodOptional<typeof instant>>,
);

/** The properties a sync merges into a mailbox's `verified` row: `at` for each right it verified. */
export function toVerifiedProperties(rights: readonly Right[], at: string): Record<string, string> {
  return Object.fromEntries(rights.map((r) => [r, at]));
}

/** Maps a `verified` row back: per right, when it was last verified; an unreadable time is a CorruptEntityError. */
export function fromVerifiedEntity(e: Record<string, unknown>): Partial<Record<Right, string>> {
  const s = readEntity('MailboxSyncState', verifiedEntity, e);
  const times: Partial<Record<Right, string>> = {};
  for (const right of RIGHTS) {
    const at = s[right];
    if (at !== undefined) times[right] = at;
  }
  return times;
}
