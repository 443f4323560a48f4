import { z } from 'zod';
import type { DirectoryUser } from '../../../ports/directory.js';
import { nonEmpty, readEntity, text } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

/**
 * A user's entity in Directory (row key = lower-cased object id). `accountEnabled` is 'true', 'false', or '' when
 * the directory did not say; `hasMailbox` is written only by expansion, so a user it never met has none.
 */
const directoryUserEntity = z.object({
  rowKey: nonEmpty,
  upn: text,
  address: text,
  displayName: text,
  accountEnabled: z.enum(['true', 'false', '']),
  hasMailbox: z.boolean().optional(),
});

/** Maps a user to its entity (merged: an absent `hasMailbox` keeps the stored one). */
export function toDirectoryUserEntity(partitionKey: string, rowKey: string, u: DirectoryUser): Entity {
  return {
    partitionKey,
    rowKey,
    upn: u.upn,
    address: u.address,
    displayName: u.displayName,
    accountEnabled: u.accountEnabled === undefined ? '' : String(u.accountEnabled),
    ...(u.hasMailbox === undefined ? {} : { hasMailbox: u.hasMailbox }),
  };
}

/** Maps a user entity back; a missing or unreadable property is a CorruptEntityError. */
export function fromDirectoryUserEntity(e: Record<string, unknown>): DirectoryUser {
  const s = readEntity('Directory', directoryUserEntity, e);
  return {
    id: s.rowKey,
    upn: s.upn,
    address: s.address,
    displayName: s.displayName,
    ...(s.accountEnabled === '' ? {} : { accountEnabled: s.accountEnabled === 'true' }),
    // Only expansion marks mailboxes: a user it never marked is not known to have one.
    hasMailbox: s.hasMailbox === true,
  };
}

/** An address index entry in Directory: a lower-cased UPN or SMTP address (the row key) naming its holder's id. */
const addressKeyEntity = z.object({ id: nonEmpty });

/** Maps an address index entry to its entity. */
export function toAddressKeyEntity(partitionKey: string, rowKey: string, id: string): Entity {
  return { partitionKey, rowKey, id };
}

/** The object id an address index entry names; a missing id is a CorruptEntityError. */
export function fromAddressKeyEntity(e: Record<string, unknown>): string {
  return readEntity('Directory', addressKeyEntity, e).id;
}
