import { z } from 'zod';
import { RIGHTS } from '../../../domain/delegation/types.js';
import type { ProposedRevocation } from '../../../ports/repositories.js';
import { assertKey } from '../keys.js';
import { delegateRef, mailboxRef, SOURCES, via } from './delegation.js';
import { instant, jsonOf, readEntity } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

/** Row-key prefix of a run's proposed revocations (beside its items in the shard partitions). */
export const REVOCATION_PREFIX = 'r_';

const REASONS = ['notObserved', 'readEmpty', 'leftScope'] as const satisfies ReadonlyArray<
  ProposedRevocation['reason']
>;

/**
 * The proposal is stored whole, as JSON: it is written and read back as one value, never queried by column. Who
 * granted and who removed it came with attribution (issue 22): a proposal stored before has none of them, which
 * reads as not known (null).
 */
const revocationEntity = z.object({
  row: jsonOf(
    z.object({
      mailboxId: z.string().min(1),
      mailbox: mailboxRef,
      delegate: delegateRef,
      right: z.enum(RIGHTS),
      via: z.array(via),
      source: z.enum(SOURCES),
      firstSeen: instant,
      lastConfirmed: instant,
      reason: z.enum(REASONS),
      grantedBy: z.string().min(1).nullable().optional(),
      grantedAt: instant.nullable().optional(),
      actor: z.string().min(1).nullable().optional(),
    }),
  ),
});

/** The row key of a proposal: one per (mailbox, delegate, right, source), so a redelivery rewrites it. */
function revocationRowKey(row: ProposedRevocation): string {
  const key = [row.mailbox.id, row.delegate.id, row.right, row.source].map((k) => k.toLowerCase()).join('_');
  return assertKey(`${REVOCATION_PREFIX}${key}`, 'revocation key');
}

/** Maps a proposed revocation to its entity in `partitionKey` (its mailbox's shard partition). */
export function toRevocationEntity(partitionKey: string, row: ProposedRevocation): Entity {
  return { partitionKey, rowKey: revocationRowKey(row), reason: row.reason, row: JSON.stringify(row) };
}

/** Maps a proposed-revocation entity back; a missing or unreadable row is a CorruptEntityError. */
export function fromRevocationEntity(e: Record<string, unknown>): ProposedRevocation {
  const row = readEntity('RunItems', revocationEntity, e).row;
  return { ...row, grantedBy: row.grantedBy ?? null, grantedAt: row.grantedAt ?? null, actor: row.actor ?? null };
}
