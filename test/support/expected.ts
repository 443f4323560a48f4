import type { Tenant, SimAce, SimGroup, SimUser } from '../../dev/simulator/index.js';

/**
 * The delegations docs/design.md §6 says the tenant holds, computed straight from the simulator's model — by SID
 * and object id, not through the product's name resolution — so a test compares the product against an
 * independent answer. Key: `mailboxId|delegateId|right`, value: sorted vias (`direct` or the group id).
 */
export type Expected = Map<string, string[]>;

const DELEGATE_ROLES = new Set(['delegateWithPrivateEventAccess', 'delegateWithoutPrivateEventAccess']);

export function mailboxUsersOf(tenant: Tenant, groupId: string): SimUser[] {
  return tenant
    .transitiveMembers(groupId)
    .flatMap((o) =>
      o.type === 'user' &&
      o.user.mail &&
      (o.user.recipientTypeDetails === 'UserMailbox' || o.user.recipientTypeDetails === 'SharedMailbox')
        ? [o.user]
        : [],
    );
}

function transitiveUsers(tenant: Tenant, groupId: string): SimUser[] {
  return tenant.transitiveMembers(groupId).flatMap((o) => (o.type === 'user' ? [o.user] : []));
}

/** Recipients Exchange would find by this Name: more than one means the product must not guess. */
function recipientsNamed(tenant: Tenant, name: string): Array<SimUser | SimGroup> {
  return nameIndex(tenant).get(name.toLowerCase()) ?? [];
}

const nameIndexes = new WeakMap<Tenant, { version: number; index: Map<string, Array<SimUser | SimGroup>> }>();

/** Name, alias and id → recipients, built once per tenant version (a scan per lookup is quadratic at 100k). */
function nameIndex(tenant: Tenant): Map<string, Array<SimUser | SimGroup>> {
  const cached = nameIndexes.get(tenant);
  if (cached && cached.version === tenant.version) return cached.index;
  const index = new Map<string, Array<SimUser | SimGroup>>();
  const add = (key: string, r: SimUser | SimGroup) => {
    const list = index.get(key) ?? [];
    if (!list.includes(r)) list.push(r);
    index.set(key, list);
  };
  for (const u of tenant.users.values()) {
    if (!u.recipientTypeDetails) continue;
    for (const key of new Set([u.name.toLowerCase(), u.alias.toLowerCase(), u.id])) add(key, u);
  }
  for (const g of tenant.groups.values()) {
    if (!g.mailEnabled || g.isRoleGroup) continue;
    for (const key of new Set([g.name.toLowerCase(), g.id])) add(key, g);
  }
  nameIndexes.set(tenant, { version: tenant.version, index });
  return index;
}

type Trustee = { kind: 'user'; user: SimUser } | { kind: 'group'; group: SimGroup } | undefined;

function trusteeOfAce(tenant: Tenant, ace: SimAce): Trustee {
  if (ace.trusteeSid === 'S-1-5-10') return undefined;
  const obj = tenant.objectBySid(ace.trusteeSid);
  if (!obj) return undefined; // orphaned
  if ('userPrincipalName' in obj) return { kind: 'user', user: obj };
  if (obj.isRoleGroup) return undefined;
  // Groups appear by Name: an ambiguous Name cannot be resolved.
  if (recipientsNamed(tenant, obj.name).length !== 1) return undefined;
  return { kind: 'group', group: obj };
}

function trusteeByName(tenant: Tenant, name: string): Trustee {
  const found = recipientsNamed(tenant, name);
  if (found.length !== 1) return undefined;
  const obj = found[0]!;
  return 'userPrincipalName' in obj ? { kind: 'user', user: obj } : { kind: 'group', group: obj };
}

/** Expected delegations of every mailbox in the group (by object id), for the given rights. */
export function expectedDelegations(
  tenant: Tenant,
  targetGroupId: string,
  rights: readonly string[] = ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'],
): Expected {
  const out: Expected = new Map();
  for (const mailbox of mailboxUsersOf(tenant, targetGroupId)) {
    const perms = tenant.permissions.get(mailbox.id);
    if (!perms) continue;
    const grants: Array<{ right: string; trustee: Trustee; deny: boolean }> = [];
    const aces = (list: SimAce[], right: string) => {
      for (const ace of list) {
        if (ace.isInherited) continue;
        const rights = ace.rights.flatMap((r) => r.split(',').map((x) => x.trim()));
        if (!rights.includes(right)) continue;
        grants.push({ right, trustee: trusteeOfAce(tenant, ace), deny: ace.deny });
      }
    };
    if (rights.includes('FullAccess')) aces(perms.fullAccess, 'FullAccess');
    if (rights.includes('SendAs')) aces(perms.sendAs, 'SendAs');
    if (rights.includes('SendOnBehalf'))
      for (const name of perms.sendOnBehalf)
        grants.push({ right: 'SendOnBehalf', trustee: trusteeByName(tenant, name), deny: false });
    // A calendar Graph refuses to read is never observed (its stored rows stay as they were): nothing expected.
    if (rights.includes('CalendarDelegate') && !tenant.calendarRefusals.has(mailbox.id)) {
      for (const entry of perms.calendar) {
        if (!DELEGATE_ROLES.has(entry.role) || !entry.userId) continue;
        const user = tenant.users.get(entry.userId);
        if (user) grants.push({ right: 'CalendarDelegate', trustee: { kind: 'user', user }, deny: false });
      }
    }
    const denied = new Set<string>();
    const paths = new Map<string, Set<string>>();
    for (const g of grants) {
      if (!g.trustee) continue;
      const users = g.trustee.kind === 'user' ? [g.trustee.user] : transitiveUsers(tenant, g.trustee.group.id);
      for (const u of users) {
        const key = `${mailbox.id}|${u.id}|${g.right}`.toLowerCase();
        if (g.deny) denied.add(key);
        else {
          const set = paths.get(key) ?? new Set<string>();
          set.add(g.trustee.kind === 'user' ? 'direct' : g.trustee.group.id.toLowerCase());
          paths.set(key, set);
        }
      }
    }
    for (const [key, vias] of paths) {
      const [, delegateId] = key.split('|');
      if (delegateId === mailbox.id.toLowerCase() || denied.has(key)) continue;
      out.set(
        key,
        [...vias].sort((a, b) => (a === 'direct' ? -1 : b === 'direct' ? 1 : a.localeCompare(b))),
      );
    }
  }
  return out;
}
