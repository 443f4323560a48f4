import { createHash } from 'node:crypto';
import {
  describeTrusteeKey,
  type DelegateRef,
  type ResolvedTrustee,
  type TrusteeKey,
} from '../domain/delegation/index.js';
import type { DirectoryPort, ExchangePort, GraphUser, RecipientRow } from '../ports/microsoft.js';

const USER_TYPES = new Set([
  'UserMailbox',
  'SharedMailbox',
  'RoomMailbox',
  'EquipmentMailbox',
  'LinkedMailbox',
  'MailUser',
  'User',
  'SchedulingMailbox',
]);
const GROUP_TYPES = new Set([
  'MailUniversalSecurityGroup',
  'MailUniversalDistributionGroup',
  'MailNonUniversalGroup',
  'GroupMailbox',
  'UniversalSecurityGroup',
  'UniversalDistributionGroup',
  'DynamicDistributionGroup',
]);

function toDelegate(u: GraphUser): DelegateRef {
  return {
    id: u.id.toLowerCase(),
    upn: u.userPrincipalName,
    address: u.mail ?? u.userPrincipalName,
    displayName: u.displayName ?? u.userPrincipalName,
    ...(typeof u.accountEnabled === 'boolean' ? { accountEnabled: u.accountEnabled } : {}),
  };
}

function userTrustee(u: GraphUser): ResolvedTrustee {
  return { kind: 'user', ...toDelegate(u) };
}

/**
 * The tenant's users as one listing saw them, by object id and by address: an address maps to the user whose
 * UPN it is, else to the one user whose `mail` it is (the order `getUser` then `findUserByMail` answer in). A
 * `mail` two users share maps to null, and proxy addresses are left out (they would double the snapshot's
 * memory for keys rarely seen): such keys are resolved as before, never guessed.
 */
interface DirectorySnapshot {
  byId: Map<string, DelegateRef>;
  byAddress: Map<string, DelegateRef | null>;
}

/** Builds the snapshot page by page: ~31 MB for 100,000 users, one DelegateRef and two map entries each. */
async function loadSnapshot(graph: DirectoryPort): Promise<DirectorySnapshot> {
  const snapshot: DirectorySnapshot = { byId: new Map(), byAddress: new Map() };
  const upns = new Set<string>();
  for await (const page of graph.listUsers()) {
    for (const u of page) {
      const user = toDelegate(u);
      snapshot.byId.set(user.id, user);
      const upn = u.userPrincipalName.toLowerCase();
      upns.add(upn);
      snapshot.byAddress.set(upn, user);
      const mail = u.mail?.toLowerCase();
      if (!mail || upns.has(mail)) continue;
      const had = snapshot.byAddress.get(mail);
      snapshot.byAddress.set(mail, had === undefined || had?.id === user.id ? user : null);
    }
  }
  return snapshot;
}

/**
 * Resolves trustee keys and expands group trustees, caching both for one run (concurrent lookups of the same
 * key share one request). Names are resolved only when exactly one recipient has them: never guessed. A large
 * run resolves users from a directory snapshot (one listing per run and process) instead of a Graph call per key;
 * a key the snapshot does not answer (a group, an unknown or shared address) takes the per-key path.
 */
export class TrusteeResolver {
  private readonly trustees = new Map<TrusteeKey, Promise<ResolvedTrustee>>();
  private readonly members = new Map<string, Promise<DelegateRef[]>>();
  /** Delegates this run already copied into the directory table (by id and display data). */
  private readonly written = new Set<string>();
  private snapshot: Promise<DirectorySnapshot> | undefined;
  private snapshotWanted = false;

  constructor(
    private readonly graph: DirectoryPort,
    private readonly exchange: ExchangePort,
  ) {}

  /** Resolves users from a snapshot of the directory from now on (a large run: cheaper than calls per key). */
  useDirectorySnapshot(): void {
    this.snapshotWanted = true;
  }

  /** Resolves many keys; failures (throttling, outages) reject so the caller can retry the mailbox. */
  async resolveAll(keys: readonly TrusteeKey[]): Promise<Map<TrusteeKey, ResolvedTrustee>> {
    const entries = await Promise.all(keys.map(async (key) => [key, await this.resolve(key)] as const));
    return new Map(entries);
  }

  /** Transitive user members of each group. */
  async membersOf(groupIds: readonly string[]): Promise<Map<string, DelegateRef[]>> {
    const entries = await Promise.all(groupIds.map(async (id) => [id, await this.groupMembers(id)] as const));
    return new Map(entries);
  }

  /**
   * The delegates not yet copied into the directory during this run, by this process: a delegate of many
   * mailboxes is written once, and not at all when the run's expansion already wrote the same entry.
   */
  unwritten<T extends DelegateRef>(delegates: readonly T[]): T[] {
    return delegates.filter((d) => !this.written.has(writtenKey(d)));
  }

  /** Records directory entries as written (call after the write succeeded). */
  markWritten(delegates: readonly DelegateRef[]): void {
    for (const d of delegates) this.written.add(writtenKey(d));
  }

  resolve(key: TrusteeKey): Promise<ResolvedTrustee> {
    let pending = this.trustees.get(key);
    if (!pending) {
      pending = this.lookup(key);
      this.trustees.set(key, pending);
      pending.catch(() => this.trustees.delete(key)); // a failed lookup is retried next time, not cached
    }
    return pending;
  }

  private groupMembers(groupId: string): Promise<DelegateRef[]> {
    let pending = this.members.get(groupId);
    if (!pending) {
      pending = (async () => {
        const users: DelegateRef[] = [];
        for await (const page of this.graph.transitiveMembers(groupId)) {
          for (const m of page) {
            if (m.kind === 'user' && m.userPrincipalName) {
              users.push(
                toDelegate({
                  id: m.id,
                  userPrincipalName: m.userPrincipalName,
                  displayName: m.displayName ?? null,
                  mail: m.mail ?? null,
                  accountEnabled: m.accountEnabled ?? null,
                } as GraphUser),
              );
            }
          }
        }
        return users;
      })();
      this.members.set(groupId, pending);
      pending.catch(() => this.members.delete(groupId));
    }
    return pending;
  }

  /** The run's snapshot, listed once; a failed listing (throttled, an outage) is listed again next time. */
  private directory(): Promise<DirectorySnapshot> | undefined {
    if (!this.snapshotWanted) return undefined;
    if (!this.snapshot) {
      const pending = loadSnapshot(this.graph);
      this.snapshot = pending;
      pending.catch(() => {
        if (this.snapshot === pending) this.snapshot = undefined;
      });
    }
    return this.snapshot;
  }

  /** The user a snapshot knows for this object id, if the run uses one. */
  private async snapshotUser(id: string): Promise<ResolvedTrustee | undefined> {
    const user = (await this.directory())?.byId.get(id.toLowerCase());
    return user ? { kind: 'user', ...user } : undefined;
  }

  private async lookup(key: TrusteeKey): Promise<ResolvedTrustee> {
    const kind = describeTrusteeKey(key);
    const snapshot = await this.directory();
    if (snapshot && kind.kind === 'address') {
      const user = snapshot.byAddress.get(kind.address.toLowerCase());
      if (user) return { kind: 'user', ...user };
    }
    if (snapshot && kind.kind === 'objectId') {
      const user = snapshot.byId.get(kind.id.toLowerCase());
      if (user) return { kind: 'user', ...user };
    }
    if (kind.kind === 'address') {
      const user = (await this.graph.getUser(kind.address)) ?? (await this.graph.findUserByMail(kind.address));
      if (user) return userTrustee(user);
      return this.fromRecipients(key, await this.exchange.getRecipient(kind.address));
    }
    if (kind.kind === 'objectId') {
      const user = await this.graph.getUser(kind.id);
      if (user) return userTrustee(user);
      const group = await this.graph.getGroup(kind.id);
      if (group)
        return { kind: 'group', id: group.id.toLowerCase(), displayName: group.displayName ?? group.mail ?? group.id };
      return this.fromRecipients(key, await this.exchange.getRecipient(kind.id));
    }
    return this.fromRecipients(key, await this.exchange.getRecipient(kind.name));
  }

  private async fromRecipients(key: TrusteeKey, rows: RecipientRow[]): Promise<ResolvedTrustee> {
    const [row, ...others] = rows;
    if (!row) return { kind: 'unresolved', reason: 'notFound', detail: `no recipient named '${key}'` };
    if (others.length > 0) {
      const names = rows.map((r) => r.PrimarySmtpAddress ?? r.Identity).join(', ');
      const detail = `'${key}' matches ${rows.length} recipients: ${names}`;
      return { kind: 'unresolved', reason: 'ambiguous', detail };
    }
    const type = row.RecipientTypeDetails;
    if (type === 'RoleGroup') return { kind: 'roleGroup', name: row.Name };
    const id = row.ExternalDirectoryObjectId?.toLowerCase();
    if (USER_TYPES.has(type) && id) {
      const known = await this.snapshotUser(id);
      if (known) return known;
      const user = await this.graph.getUser(id);
      if (user) return userTrustee(user);
      return { kind: 'unresolved', reason: 'notFound', detail: `recipient '${key}' (${id}) is not in the directory` };
    }
    if (GROUP_TYPES.has(type) && id) return { kind: 'group', id, displayName: row.DisplayName ?? row.Name };
    return { kind: 'unresolved', reason: 'notAUserOrGroup', detail: `'${key}' is a ${type}` };
  }
}

/** A directory entry's identity and display data, hashed (a 100,000-mailbox run remembers every one). */
function writtenKey(d: DelegateRef): string {
  return createHash('sha1')
    .update([d.id.toLowerCase(), d.upn, d.address, d.displayName, String(d.accountEnabled)].join('\n'))
    .digest('base64');
}

/** One resolver per run, kept for the few most recent runs of this process (run-scoped cache, bounded). */
export class ResolverCache {
  private readonly byRun = new Map<string, TrusteeResolver>();

  constructor(private readonly maxRuns = 4) {}

  /** The resolver of a run (`runKey`), created over these Microsoft ports on first use. */
  forRun(runKey: string, microsoft: { graph: DirectoryPort; exchange: ExchangePort }): TrusteeResolver {
    let resolver = this.byRun.get(runKey);
    if (resolver) {
      this.byRun.delete(runKey);
      this.byRun.set(runKey, resolver);
      return resolver;
    }
    resolver = new TrusteeResolver(microsoft.graph, microsoft.exchange);
    this.byRun.set(runKey, resolver);
    while (this.byRun.size > this.maxRuns) this.byRun.delete(this.byRun.keys().next().value as string);
    return resolver;
  }
}
