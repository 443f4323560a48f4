import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { LRUCache } from 'lru-cache';
import { encodeKey } from './keys.js';
import {
  fromAddressKeyEntity,
  fromDirectoryUserEntity,
  toAddressKeyEntity,
  toDirectoryUserEntity,
} from './entities/directoryUser.js';
import type { TableFactoryLike, TableStore } from './tableStore.js';
import type { DirectoryRepository, DirectoryUser } from '../../ports/directory.js';

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

export interface AddressCacheOptions {
  /** Addresses kept; the least recently used go first. */
  max: number;
  /** How long an address is trusted before it is read again, for what another process may have changed. */
  ttlMs: number;
  /** Milliseconds clock for the TTL (tests move it). */
  now?: () => number;
}

/** ~3 MB at most; a portal's working set of users fits, a whole tenant need not. */
const ADDRESS_CACHE: AddressCacheOptions = { max: 10_000, ttlMs: 5 * 60_000 };

/**
 * Our copy of the directory objects lookups need: users by object id, plus an index from lower-cased UPN and
 * SMTP address to the id, so `users/{user}` resolves without calling Microsoft.
 */
export class DirectoryTable implements DirectoryRepository {
  private readonly store: TableStore;
  /**
   * Address → object id of the addresses lookups resolved. A UPN lookup is otherwise two storage requests, and
   * the address read is the one whose answer hardly ever changes (a rename). Writes through this process drop
   * the addresses they touch; what another instance writes is seen once the entry's TTL has passed.
   */
  private readonly ids: LRUCache<string, string>;

  constructor(tables: TableFactoryLike, addressCache: AddressCacheOptions = ADDRESS_CACHE) {
    this.store = tables.store('Directory');
    this.ids = new LRUCache<string, string>({
      max: addressCache.max,
      ttl: addressCache.ttlMs,
      ttlResolution: 0, // read the clock on every get: exact expiry, and a moved test clock is seen at once
      ...(addressCache.now ? { perf: { now: addressCache.now } } : {}),
    });
  }

  /** Upserts users and their address keys in batched transactions. */
  async upsert(users: readonly DirectoryUser[]): Promise<void> {
    const actions: TransactionAction[] = [];
    const keys: string[] = [];
    for (const u of users) {
      actions.push([
        'upsert',
        toDirectoryUserEntity(partitionOf(USER, u.id.toLowerCase()), encodeKey(u.id.toLowerCase(), 'object id'), u),
        'Merge',
      ]);
      for (const key of new Set([u.upn, u.address].filter(Boolean).map((k) => k.toLowerCase()))) {
        actions.push(['upsert', toAddressKeyEntity(partitionOf(KEY, key), encodeKey(key, 'address'), u.id), 'Replace']);
        keys.push(key);
      }
    }
    await this.store.submit(actions);
    // After the write: a lookup that read the old entry meanwhile must not keep it.
    for (const key of keys) this.ids.delete(key);
  }

  /**
   * Rewrites the users whose UPN or address index entry is missing or names another object (an address that
   * passed to a new holder: a rehire, a re-created account), and returns how many. Reads the index itself,
   * never the cache, and writes nothing for users whose entries already point at them.
   */
  async repairAddresses(users: readonly DirectoryUser[]): Promise<number> {
    const stale: DirectoryUser[] = [];
    for (const u of users) {
      const keys = [...new Set([u.upn, u.address].filter(Boolean).map((k) => k.toLowerCase()))];
      const owners = await Promise.all(keys.map((k) => this.store.get(partitionOf(KEY, k), encodeKey(k, 'address'))));
      // A missing entry names nobody: the user is stale as surely as when it names another object.
      if (owners.some((e) => !e || fromAddressKeyEntity(e).toLowerCase() !== u.id.toLowerCase())) stale.push(u);
    }
    if (stale.length > 0) await this.upsert(stale);
    return stale.length;
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
    const cached = this.ids.get(value);
    if (cached) return { id: cached, known: true };
    const key = await this.store.get(partitionOf(KEY, value), encodeKey(value, 'address'));
    if (!key) return undefined; // not cached: a user synced a moment later is found at once
    const id = fromAddressKeyEntity(key).toLowerCase();
    this.ids.set(value, id);
    return { id, known: true };
  }

  /** A user by object id, UPN or SMTP address (case-insensitive), or undefined. */
  async find(idOrAddress: string): Promise<DirectoryUser | undefined> {
    const resolved = await this.resolveId(idOrAddress);
    if (!resolved) return undefined;
    const id = resolved.id;
    const e = await this.store.get(partitionOf(USER, id), encodeKey(id, 'object id'));
    return e ? fromDirectoryUserEntity(e) : undefined;
  }
}
