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

/** Our copy of the directory objects lookups need, found by object id, UPN or SMTP address. */
export interface DirectoryRepository {
  /** Upserts users (merging: an absent `hasMailbox` keeps the stored one) and their address keys. */
  upsert(users: readonly DirectoryUser[]): Promise<void>;
  /** Rewrites the users whose UPN or address entry is missing or names another object; returns how many. */
  repairAddresses(users: readonly DirectoryUser[]): Promise<number>;
  /**
   * The object id a path segment names: an object id as it is (`known: false`), a UPN or SMTP address through
   * its index entry (`known: true`); undefined for an address nobody has.
   */
  resolveId(idOrAddress: string): Promise<{ id: string; known: boolean } | undefined>;
  /** A user by object id, UPN or SMTP address (case-insensitive), or undefined. */
  find(idOrAddress: string): Promise<DirectoryUser | undefined>;
}
