import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { encodeKey } from './keys.js';
import { bool, str } from './entityFields.js';
import type { TableFactoryLike, TableStore } from './tableStore.js';

/** A user or mailbox as our lookups know it (copied from the directory during sync). */
export interface DirectoryUser {
  id: string;
  upn: string;
  address: string;
  displayName: string;
  accountEnabled?: boolean;
  /** Set by expansion for mailboxes; delegates leave it as it is. */
  hasMailbox?: boolean;
}

const USER = 'u';
const KEY = 'k';
/**
 * Entries are spread over hashed partitions: one partition for every user made each write and read cost
 * grow with the tenant (Azurite scans the partition; Azure caps a partition at ~2,000 entities/s).
 */
const BUCKETS = 256;

function partitionOf(kind: typeof USER | typeof KEY, key: string): string {
  const bucket = createHash('sha1').update(key).digest().readUInt16BE(0) % BUCKETS;
  return `${kind}${bucket.toString(16).padStart(2, '0')}`;
}
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Our copy of the directory objects lookups need: users by object id, plus an index from lower-cased UPN and
 * SMTP address to the id, so `users/{user}` resolves without calling Microsoft.
 */
export class DirectoryTable {
  private readonly store: TableStore;

  constructor(tables: TableFactoryLike) {
    this.store = tables.store('Directory');
  }

  /** Upserts users and their address keys in batched transactions. */
  async upsert(users: readonly DirectoryUser[]): Promise<void> {
    const actions: TransactionAction[] = [];
    for (const u of users) {
      actions.push([
        'upsert',
        {
          partitionKey: partitionOf(USER, u.id.toLowerCase()),
          rowKey: encodeKey(u.id.toLowerCase(), 'object id'),
          upn: u.upn,
          address: u.address,
          displayName: u.displayName,
          accountEnabled: u.accountEnabled === undefined ? '' : String(u.accountEnabled),
          ...(u.hasMailbox === undefined ? {} : { hasMailbox: u.hasMailbox }),
        },
        'Merge',
      ]);
      for (const key of new Set([u.upn, u.address].filter(Boolean).map((k) => k.toLowerCase()))) {
        actions.push(['upsert', { partitionKey: partitionOf(KEY, key), rowKey: encodeKey(key, 'address'), id: u.id }, 'Replace']);
      }
    }
    await this.store.submit(actions);
  }

  /**
   * The object id a path segment names, with at most one read: an object id is taken as it is (`known: false`,
   * nothing was read), a UPN or SMTP address through its index entry (`known: true`). Undefined for an address
   * nobody has.
   */
  async resolveId(idOrAddress: string): Promise<{ id: string; known: boolean } | undefined> {
    const value = idOrAddress.trim().toLowerCase();
    if (value === '') return undefined;
    if (GUID.test(value)) return { id: value, known: false };
    const key = await this.store.get(partitionOf(KEY, value), encodeKey(value, 'address'));
    const id = key ? (str(key, 'id') ?? '').toLowerCase() : '';
    return id ? { id, known: true } : undefined;
  }

  /** A user by object id, UPN or SMTP address (case-insensitive), or undefined. */
  async find(idOrAddress: string): Promise<DirectoryUser | undefined> {
    const resolved = await this.resolveId(idOrAddress);
    if (!resolved) return undefined;
    const id = resolved.id;
    const e = await this.store.get(partitionOf(USER, id), encodeKey(id, 'object id'));
    if (!e) return undefined;
    const enabled = str(e, 'accountEnabled');
    return {
      id: (str(e, 'rowKey') ?? id),
      upn: str(e, 'upn') ?? '',
      address: str(e, 'address') ?? '',
      displayName: str(e, 'displayName') ?? '',
      ...(enabled === 'true' || enabled === 'false' ? { accountEnabled: enabled === 'true' } : {}),
      hasMailbox: bool(e, 'hasMailbox'),
    };
  }
}
