import type { DirectoryRepository, DirectoryUser } from '../../../shared/ports/directory.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The directory copy in memory, merging as the table does: an absent `hasMailbox` keeps the stored one, an absent
 * `accountEnabled` reads as unknown, and every lower-cased UPN and address points at its latest writer.
 */
export class MemoryDirectory implements DirectoryRepository {
  /** Lower-cased object id → user as stored. */
  readonly users = new Map<string, DirectoryUser>();
  /** Lower-cased UPN or address → object id. */
  readonly addresses = new Map<string, string>();

  async upsert(users: readonly DirectoryUser[]): Promise<void> {
    for (const u of users) {
      const id = u.id.toLowerCase();
      const { accountEnabled, hasMailbox, ...identity } = u;
      const kept = hasMailbox ?? this.users.get(id)?.hasMailbox;
      this.users.set(id, {
        ...identity,
        id,
        ...(accountEnabled === undefined ? {} : { accountEnabled }),
        ...(kept === undefined ? {} : { hasMailbox: kept }),
      });
      for (const key of addressKeys(u)) this.addresses.set(key, u.id);
    }
  }

  async repairAddresses(users: readonly DirectoryUser[]): Promise<number> {
    const stale = users.filter((u) =>
      addressKeys(u).some((key) => this.addresses.get(key)?.toLowerCase() !== u.id.toLowerCase()),
    );
    if (stale.length > 0) await this.upsert(stale);
    return stale.length;
  }

  async resolveId(idOrAddress: string): Promise<{ id: string; known: boolean } | undefined> {
    const value = idOrAddress.trim().toLowerCase();
    if (value === '') return undefined;
    if (GUID.test(value)) return { id: value, known: false };
    const id = this.addresses.get(value);
    return id === undefined ? undefined : { id: id.toLowerCase(), known: true };
  }

  async find(idOrAddress: string): Promise<DirectoryUser | undefined> {
    const resolved = await this.resolveId(idOrAddress);
    const user = resolved && this.users.get(resolved.id);
    // Only expansion marks mailboxes: a user it never marked is not known to have one (as the table reads it).
    return user && { ...user, hasMailbox: user.hasMailbox === true };
  }
}

function addressKeys(u: DirectoryUser): string[] {
  return [...new Set([u.upn, u.address].filter(Boolean).map((k) => k.toLowerCase()))];
}
