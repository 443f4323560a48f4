import { z } from 'zod';
import { RIGHTS, type DelegationRow, type Source } from '../../../domain/delegation/types.js';
import { instant, jsonOf, nonEmpty, nullable, readEntity, text } from '../entityFields.js';

export const SOURCES = ['MailboxPermissionSync', 'Manual'] as const satisfies readonly Source[];

/** One path to a delegation, as stored in the JSON `via` column. */
export const via = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('direct') }),
  z.object({ kind: z.literal('group'), id: z.string().min(1), displayName: z.string() }),
]);

/** The mailbox as a stored delegation or proposal shows it. */
export const mailboxRef = z.object({ id: z.string().min(1), address: z.string(), displayName: z.string() });

/** The delegate as a stored delegation or proposal shows it. */
export const delegateRef = z.object({
  id: z.string().min(1),
  upn: z.string(),
  address: z.string(),
  displayName: z.string(),
  accountEnabled: z.boolean().optional(),
});

/**
 * Who granted a delegation and when ('' = not known). Rows written before attribution existed have neither
 * property: that reads as not known (null) too, which is what those rows know; a value present must be readable.
 */
export const grantedBy = nullable(nonEmpty).optional();
export const grantedAt = nullable(instant).optional();

/**
 * A delegation entity, the same in both indexes (DelegationsByMailbox, DelegationsByDelegate): only the keys
 * differ. `delegateAccountEnabled` is 'true', 'false', or '' when the directory did not say.
 */
const delegationEntity = z.object({
  mailboxId: nonEmpty,
  mailboxAddress: text,
  mailboxDisplayName: text,
  delegateId: nonEmpty,
  delegateUpn: text,
  delegateAddress: text,
  delegateDisplayName: text,
  delegateAccountEnabled: z.enum(['true', 'false', '']),
  right: z.enum(RIGHTS),
  source: z.enum(SOURCES),
  via: jsonOf(z.array(via)),
  firstSeen: instant,
  lastConfirmed: instant,
  grantedBy,
  grantedAt,
});

/** The properties of a delegation's entity besides its keys (each index keys it its own way). */
export function toDelegationProperties(d: DelegationRow): Record<string, string> {
  return {
    mailboxId: d.mailbox.id,
    mailboxAddress: d.mailbox.address,
    mailboxDisplayName: d.mailbox.displayName,
    delegateId: d.delegate.id,
    delegateUpn: d.delegate.upn,
    delegateAddress: d.delegate.address,
    delegateDisplayName: d.delegate.displayName,
    delegateAccountEnabled: d.delegate.accountEnabled === undefined ? '' : String(d.delegate.accountEnabled),
    right: d.right,
    source: d.source,
    via: JSON.stringify(d.via),
    firstSeen: d.firstSeen,
    lastConfirmed: d.lastConfirmed,
    grantedBy: d.grantedBy ?? '',
    grantedAt: d.grantedAt ?? '',
  };
}

/** The two indexes of the stored delegations; their entities differ only in their keys. */
export type DelegationIndex = 'DelegationsByMailbox' | 'DelegationsByDelegate';

/** Maps an entity of either index back to a row; a missing or unreadable property is a CorruptEntityError. */
export function fromDelegationEntity(e: Record<string, unknown>, table: DelegationIndex): DelegationRow {
  const s = readEntity(table, delegationEntity, e);
  return {
    mailboxId: s.mailboxId,
    mailbox: { id: s.mailboxId, address: s.mailboxAddress, displayName: s.mailboxDisplayName },
    delegate: {
      id: s.delegateId,
      upn: s.delegateUpn,
      address: s.delegateAddress,
      displayName: s.delegateDisplayName,
      ...(s.delegateAccountEnabled === '' ? {} : { accountEnabled: s.delegateAccountEnabled === 'true' }),
    },
    right: s.right,
    source: s.source,
    via: s.via,
    firstSeen: s.firstSeen,
    lastConfirmed: s.lastConfirmed,
    grantedBy: s.grantedBy ?? null,
    grantedAt: s.grantedAt ?? null,
  };
}
