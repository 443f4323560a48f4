import { z } from 'zod';
import type { SyncState } from '../../../ports/delegations.js';
import { nonEmpty, readEntity, text } from '../entityFields.js';

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
