import { createRng, flat, type Rng } from './rng.js';

export type MailboxKind = 'UserMailbox' | 'SharedMailbox';

export interface SimUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  accountEnabled: boolean;
  /** Exchange Name: the alias or, for recipients created lately, the object id GUID. */
  name: string;
  alias: string;
  proxyAddresses: string[];
  sid: string;
  /** null or undefined = no mailbox. */
  recipientTypeDetails?: MailboxKind | null;
  /**
   * A mail-enabled user without an Exchange Online mailbox, as Exchange lists it: `MailUser` (a mail user, or an
   * on-premises mailbox of a hybrid tenant) or `GuestMailUser`. A recipient for Get-Recipient, not a mailbox.
   */
  mailUser?: MailUserKind;
  /** Graph `userType`; absent = `Member`. */
  userType?: 'Member' | 'Guest';
}

export type MailUserKind = 'MailUser' | 'GuestMailUser';

export interface SimGroup {
  id: string;
  displayName: string;
  mail: string | null;
  mailEnabled: boolean;
  securityEnabled: boolean;
  groupTypes: string[];
  onPremisesSamAccountName: string | null;
  onPremisesSyncEnabled: boolean | null;
  name: string;
  sid: string;
  /** Exchange role group such as 'Discovery Management': visible in ACLs, absent from Graph and Get-Recipient. */
  isRoleGroup?: boolean;
  /** Direct member ids: users, groups, devices, contacts. */
  members: string[];
}

export interface SimDevice {
  id: string;
  displayName: string;
  accountEnabled: boolean;
  deviceId: string;
  operatingSystem: string;
}

export interface SimContact {
  id: string;
  displayName: string;
  mail: string;
  name: string;
  alias: string;
}

export interface SimAce {
  /** As Exchange shows it: UPN for users, Name for groups, bare SID for orphans, 'NT AUTHORITY\\SELF'. */
  trustee: string;
  trusteeSid: string;
  rights: string[];
  isInherited: boolean;
  deny: boolean;
}

export const CALENDAR_ROLES = [
  'none',
  'freeBusyRead',
  'limitedRead',
  'read',
  'write',
  'delegateWithoutPrivateEventAccess',
  'delegateWithPrivateEventAccess',
  'custom',
] as const;
export type CalendarRole = (typeof CALENDAR_ROLES)[number];

export interface SimCalendarEntry {
  /** The calendarPermission id Graph shows (base64 of the legacy DN). */
  id: string;
  name: string;
  address?: string;
  role: CalendarRole;
  /** Directory user behind the entry; absent for external addresses. */
  userId?: string;
}

export interface SimMailboxPermissions {
  /** Explicit Get-MailboxPermission ACEs; SELF and the inherited admin rows are added when rendered. */
  fullAccess: SimAce[];
  /** Explicit Get-RecipientPermission ACEs; the SELF row is added when rendered. */
  sendAs: SimAce[];
  /** GrantSendOnBehalfTo: recipient Names. */
  sendOnBehalf: string[];
  /** Explicit calendar entries; the "My Organization" default entry is added when rendered. */
  calendar: SimCalendarEntry[];
}

/**
 * Why Graph will not read a mailbox's calendar although the app holds a calendar permission: an application
 * access policy or RBAC for Applications scope that leaves it out (403 `ErrorAccessDenied`), or a mailbox
 * that REST cannot reach (404 `MailboxNotEnabledForRESTAPI`). See docs/wire.md.
 */
export type CalendarRefusal = 'accessDenied' | 'restNotEnabled';

export interface SimApp {
  clientId: string;
  clientSecret: string;
  /** PEM certificates registered for private_key_jwt client assertions. */
  certificates?: string[];
  servicePrincipalId: string;
  /** Application permissions granted (Graph roles + Exchange.ManageAsApp). */
  permissions: string[];
  /** Whether an Exchange RBAC role (e.g. View-Only Recipients) is assigned to the app. */
  hasExchangeRole: boolean;
}

/** Well-known objects of the generated tenant that tests rely on (see dev/simulator/README.md). */
export interface TenantDemo {
  targetGroupId: string;
  targetGroupMail: string;
  targetGroupDn: string;
  targetGroupSamAccountName: string;
  salesGroupId: string;
  salesGroupMail: string;
  salesSharedAccessGroupId: string;
  salesLeadsGroupId: string;
  cycleGroupIds: [string, string];
  ambiguousDn: string;
  discoveryManagementGroupId: string;
  alexId: string;
  meganId: string;
  gradyId: string;
  joniId: string;
  lidiaId: string;
  diegoId: string;
  quoteHashUserId: string;
  quoteHashUpn: string;
  timMcMichaelIds: [string, string];
  sharedMailboxId: string;
  disabledMailboxUserId: string;
  noMailboxUserId: string;
  /** Users with `mail` but no Exchange Online mailbox, all in the target group (see dev/simulator/README.md). */
  guestUserId: string;
  mailUserId: string;
  /** A hybrid on-premises mailbox (a MailUser in Exchange Online) holding FullAccess on `smtpNotUpnUserId`. */
  onPremMailboxUserId: string;
  smtpNotUpnUserId: string;
  secondaryProxyAddress: string;
  orphanedSid: string;
  deviceId: string;
  contactId: string;
  unicodeUserId: string;
  /** A mailbox with FullAccess and SendAs delegates whose calendar Graph refuses (403 ErrorAccessDenied). */
  calendarDeniedMailboxId: string;
  /** Alex has FullAccess through SalesSharedAccess; Joni is a member of it but has an explicit Deny. */
  denyViaGroup: { mailboxId: string; groupId: string; userId: string };
}

export type Recipient =
  | { kind: 'user'; user: SimUser }
  | { kind: 'group'; group: SimGroup }
  | { kind: 'contact'; contact: SimContact };

export type DirectoryObject =
  | { type: 'user'; user: SimUser }
  | { type: 'group'; group: SimGroup }
  | { type: 'device'; device: SimDevice }
  | { type: 'contact'; contact: SimContact };

export const SID_DOMAIN = 'S-1-5-21-3623811015-3361044348-30300820';
export const SELF_SID = 'S-1-5-10';

interface Indexes {
  upn: Map<string, SimUser>;
  userMail: Map<string, SimUser[]>;
  userProxy: Map<string, SimUser[]>;
  recipientAddress: Map<string, Recipient[]>;
  recipientName: Map<string, Recipient[]>;
  sid: Map<string, SimUser | SimGroup>;
}

const lc = (s: string): string => s.toLowerCase();

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (!list.includes(value)) list.push(value);
}

/** True when the user has an Exchange mailbox. */
export function hasMailbox(user: SimUser): boolean {
  return user.recipientTypeDetails === 'UserMailbox' || user.recipientTypeDetails === 'SharedMailbox';
}

/** True when Exchange Online knows the user as a recipient: a mailbox, a mail user or a guest mail user. */
export function isMailRecipient(user: SimUser): boolean {
  return hasMailbox(user) || (user.mailUser !== undefined && user.mail !== null);
}

/** Exchange RecipientTypeDetails of a mail-enabled group. */
export function groupRecipientType(group: SimGroup): string {
  if (group.groupTypes.includes('Unified')) return 'GroupMailbox';
  return group.securityEnabled ? 'MailUniversalSecurityGroup' : 'MailUniversalDistributionGroup';
}

/** The base64 legacy-DN id Exchange/Graph give a calendar permission entry. */
export function calendarPermissionId(alias: string): string {
  const dn = `/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${alias}`;
  return Buffer.from(dn, 'utf8').toString('base64');
}

/**
 * The live tenant model. Routes read it; tests mutate it through the methods below (which keep the
 * lookup indexes current) or edit objects directly and then call `touch()`.
 */
export class Tenant {
  readonly users = new Map<string, SimUser>();
  readonly groups = new Map<string, SimGroup>();
  readonly devices = new Map<string, SimDevice>();
  readonly contacts = new Map<string, SimContact>();
  readonly permissions = new Map<string, SimMailboxPermissions>();
  /** Mailboxes (by user id) whose calendar Graph refuses to read, and how; absent = readable. */
  readonly calendarRefusals = new Map<string, CalendarRefusal>();
  app: SimApp;
  demo!: TenantDemo;
  /** Bumped by every mutation; caches (indexes, transitive members, paging) key on it. */
  version = 0;
  private nextRid = 1100;
  private readonly idRng: Rng;
  private indexes: Indexes | undefined;
  private mailboxIdCache: { version: number; ids: string[] } | undefined;
  private readonly transitiveCache = new Map<string, { version: number; members: DirectoryObject[] }>();

  constructor(
    readonly tenantId: string,
    readonly domain: string,
    readonly initialDomain: string,
    app: SimApp,
    seed: number,
  ) {
    this.app = app;
    this.idRng = createRng((seed ^ 0x9e3779b9) >>> 0);
  }

  /** Marks the model changed: call after editing objects directly. */
  touch(): void {
    this.version++;
    this.indexes = undefined;
  }

  newId(): string {
    return this.idRng.guid();
  }

  allocateSid(): string {
    return flat(`${SID_DOMAIN}-${this.nextRid++}`);
  }

  // ---- lookups -------------------------------------------------------------------------------

  /** Ids of all users with a mailbox, in creation order (stable for paging). */
  mailboxIds(): readonly string[] {
    if (this.mailboxIdCache?.version !== this.version) {
      const ids: string[] = [];
      for (const user of this.users.values()) if (hasMailbox(user)) ids.push(user.id);
      this.mailboxIdCache = { version: this.version, ids };
    }
    return this.mailboxIdCache.ids;
  }

  /** Graph `/users/{id | userPrincipalName}`: an SMTP address that is not the UPN does not match. */
  userByIdOrUpn(key: string): SimUser | undefined {
    return this.users.get(key) ?? this.index().upn.get(lc(key));
  }

  usersByMail(address: string): SimUser[] {
    return this.index().userMail.get(lc(address)) ?? [];
  }

  /** Users whose proxyAddresses contain `proxy` (e.g. `smtp:a@b`), compared case-insensitively. */
  usersByProxyAddress(proxy: string): SimUser[] {
    return this.index().userProxy.get(lc(proxy)) ?? [];
  }

  objectBySid(sid: string): SimUser | SimGroup | undefined {
    return this.index().sid.get(sid);
  }

  /** Exchange identity resolution over recipients: object id, UPN, SMTP/proxy address, then Name or alias. */
  resolveRecipients(identity: string): Recipient[] {
    const key = identity.trim();
    const user = this.users.get(key);
    if (user !== undefined) return isMailRecipient(user) ? [{ kind: 'user', user }] : [];
    const group = this.groups.get(key);
    if (group !== undefined) return group.mailEnabled && group.isRoleGroup !== true ? [{ kind: 'group', group }] : [];
    const contact = this.contacts.get(key);
    if (contact !== undefined) return [{ kind: 'contact', contact }];
    const idx = this.index();
    const byUpn = idx.upn.get(lc(key));
    if (byUpn !== undefined && isMailRecipient(byUpn)) return [{ kind: 'user', user: byUpn }];
    const byAddress = idx.recipientAddress.get(lc(key.replace(/^smtp:/i, '')));
    if (byAddress !== undefined) return [...byAddress];
    return [...(idx.recipientName.get(lc(key)) ?? [])];
  }

  /** Like resolveRecipients, restricted to mailboxes (Get-Mailbox, Get-MailboxPermission, ...): no mail users. */
  resolveMailboxes(identity: string): SimUser[] {
    const out: SimUser[] = [];
    for (const r of this.resolveRecipients(identity)) if (r.kind === 'user' && hasMailbox(r.user)) out.push(r.user);
    return out;
  }

  /** How Exchange shows a trustee now: UPN for users, Name for groups, the bare SID once the object is gone. */
  trusteeDisplay(ace: SimAce): string {
    const obj = this.objectBySid(ace.trusteeSid);
    if (obj === undefined) return ace.trustee;
    return 'userPrincipalName' in obj ? obj.userPrincipalName : obj.name;
  }

  /** Graph transitiveMembers: every object reachable through nested groups, each once, cycle-safe. */
  transitiveMembers(groupId: string): DirectoryObject[] {
    const cached = this.transitiveCache.get(groupId);
    if (cached !== undefined && cached.version === this.version) return cached.members;
    const out: DirectoryObject[] = [];
    const seen = new Set<string>([groupId]);
    const queue: string[] = [groupId];
    for (let i = 0; i < queue.length; i++) {
      const group = this.groups.get(queue[i] as string);
      if (group === undefined) continue;
      for (const memberId of group.members) {
        if (seen.has(memberId)) continue;
        seen.add(memberId);
        const obj = this.directoryObject(memberId);
        if (obj === undefined) continue;
        out.push(obj);
        if (obj.type === 'group') queue.push(memberId);
      }
    }
    this.transitiveCache.set(groupId, { version: this.version, members: out });
    return out;
  }

  directoryObject(id: string): DirectoryObject | undefined {
    const user = this.users.get(id);
    if (user !== undefined) return { type: 'user', user };
    const group = this.groups.get(id);
    if (group !== undefined && group.isRoleGroup !== true) return { type: 'group', group };
    const device = this.devices.get(id);
    if (device !== undefined) return { type: 'device', device };
    const contact = this.contacts.get(id);
    if (contact !== undefined) return { type: 'contact', contact };
    return undefined;
  }

  // ---- mutations (all take ids; unknown ids throw) --------------------------------------------

  grantFullAccess(mailboxId: string, trusteeId: string, opts: { deny?: boolean } = {}): void {
    this.addAce(this.perms(mailboxId).fullAccess, trusteeId, ['FullAccess'], opts.deny === true);
  }

  /** Removes every explicit FullAccess ACE (allow and deny) of the trustee. */
  revokeFullAccess(mailboxId: string, trusteeId: string): void {
    this.removeAces(this.perms(mailboxId).fullAccess, trusteeId);
  }

  grantSendAs(mailboxId: string, trusteeId: string, opts: { deny?: boolean } = {}): void {
    this.addAce(this.perms(mailboxId).sendAs, trusteeId, ['SendAs'], opts.deny === true);
  }

  revokeSendAs(mailboxId: string, trusteeId: string): void {
    this.removeAces(this.perms(mailboxId).sendAs, trusteeId);
  }

  grantSendOnBehalf(mailboxId: string, trusteeId: string): void {
    const perms = this.perms(mailboxId);
    const name = this.recipientName(trusteeId);
    if (!perms.sendOnBehalf.includes(name)) perms.sendOnBehalf.push(name);
    this.touch();
  }

  revokeSendOnBehalf(mailboxId: string, trusteeId: string): void {
    const perms = this.perms(mailboxId);
    const name = this.recipientName(trusteeId);
    perms.sendOnBehalf = perms.sendOnBehalf.filter((n) => n !== name);
    this.touch();
  }

  /** Sets (or with null removes) the user's role on the mailbox's calendar. */
  setCalendarRole(mailboxId: string, userId: string, role: CalendarRole | null): void {
    const perms = this.perms(mailboxId);
    const user = this.requireUser(userId);
    perms.calendar = perms.calendar.filter((e) => e.userId !== userId);
    if (role !== null) {
      perms.calendar.push({
        id: calendarPermissionId(user.alias),
        name: user.displayName,
        address: user.mail ?? user.userPrincipalName,
        role,
        userId,
      });
    }
    this.touch();
  }

  /** Scopes the app's calendar access: a refusal for the mailbox, or null to make its calendar readable again. */
  setCalendarAccess(mailboxId: string, refusal: CalendarRefusal | null): void {
    this.perms(mailboxId);
    if (refusal === null) this.calendarRefusals.delete(mailboxId);
    else this.calendarRefusals.set(mailboxId, refusal);
    this.touch();
  }

  addMember(groupId: string, memberId: string): void {
    const group = this.requireGroup(groupId);
    if (this.directoryObject(memberId) === undefined) throw new Error(`unknown directory object ${memberId}`);
    if (!group.members.includes(memberId)) group.members.push(memberId);
    this.touch();
  }

  removeMember(groupId: string, memberId: string): void {
    const group = this.requireGroup(groupId);
    group.members = group.members.filter((m) => m !== memberId);
    this.touch();
  }

  /** Creates a user (by default with a UserMailbox) from the given fields; the rest is derived. */
  addUser(partial: Partial<SimUser> = {}): SimUser {
    const id = partial.id ?? this.newId();
    const displayName = partial.displayName ?? `New User ${this.users.size + 1}`;
    const alias =
      partial.alias ??
      (displayName
        .normalize('NFD')
        .replace(/[^A-Za-z0-9]+/g, '.')
        .replace(/^\.+|\.+$/g, '')
        .toLowerCase() ||
        `user${this.users.size + 1}`);
    const upn = partial.userPrincipalName ?? `${alias}@${this.domain}`;
    const kind = partial.recipientTypeDetails === undefined ? 'UserMailbox' : partial.recipientTypeDetails;
    const mail = partial.mail !== undefined ? partial.mail : kind === null ? null : upn;
    const user: SimUser = {
      id,
      displayName,
      userPrincipalName: upn,
      mail,
      accountEnabled: partial.accountEnabled ?? kind !== 'SharedMailbox',
      name: partial.name ?? id,
      alias,
      proxyAddresses:
        partial.proxyAddresses ?? (mail === null ? [] : [`SMTP:${mail}`, `smtp:${alias}@${this.initialDomain}`]),
      sid: partial.sid ?? this.allocateSid(),
      recipientTypeDetails: kind,
    };
    if (this.users.has(id)) throw new Error(`user ${id} exists`);
    this.users.set(id, user);
    if (hasMailbox(user)) this.permissions.set(id, { fullAccess: [], sendAs: [], sendOnBehalf: [], calendar: [] });
    this.touch();
    return user;
  }

  /** Creates a group from the given fields (not a member of anything). */
  addGroup(partial: Partial<SimGroup> & { displayName: string }): SimGroup {
    const id = partial.id ?? this.newId();
    const name = partial.name ?? partial.displayName.replace(/\s+/g, '');
    const group: SimGroup = {
      id,
      displayName: partial.displayName,
      mail: partial.mail ?? null,
      mailEnabled: partial.mailEnabled ?? (partial.mail ?? null) !== null,
      securityEnabled: partial.securityEnabled ?? true,
      groupTypes: partial.groupTypes ?? [],
      onPremisesSamAccountName: partial.onPremisesSamAccountName ?? null,
      onPremisesSyncEnabled: partial.onPremisesSyncEnabled ?? null,
      name,
      sid: partial.sid ?? this.allocateSid(),
      members: partial.members ?? [],
      ...(partial.isRoleGroup === true ? { isRoleGroup: true } : {}),
    };
    if (this.groups.has(id)) throw new Error(`group ${id} exists`);
    this.groups.set(id, group);
    this.touch();
    return group;
  }

  /** Deletes a user as Exchange would: its ACEs on other mailboxes stay behind as orphaned SIDs. */
  deleteUser(id: string): void {
    const user = this.requireUser(id);
    this.users.delete(id);
    this.permissions.delete(id);
    this.calendarRefusals.delete(id);
    for (const group of this.groups.values()) {
      if (group.members.includes(id)) group.members = group.members.filter((m) => m !== id);
    }
    const nameStillUsed = [...this.users.values()].some((u) => u.name === user.name);
    for (const perms of this.permissions.values()) {
      for (const ace of [...perms.fullAccess, ...perms.sendAs]) {
        if (ace.trusteeSid === user.sid) ace.trustee = user.sid;
      }
      // The GrantSendOnBehalfTo link goes with the object; a Name shared with another recipient stays.
      if (!nameStillUsed) perms.sendOnBehalf = perms.sendOnBehalf.filter((n) => n !== user.name);
      perms.calendar = perms.calendar.filter((e) => e.userId !== id);
    }
    this.touch();
  }

  /** Replaces the app registration's permissions (and whether it holds an Exchange role). */
  setAppPermissions(perms: string[], hasExchangeRole: boolean): void {
    this.app = { ...this.app, permissions: [...perms], hasExchangeRole };
    this.touch();
  }

  // ---- internals -----------------------------------------------------------------------------

  private perms(mailboxId: string): SimMailboxPermissions {
    const perms = this.permissions.get(mailboxId);
    if (perms === undefined) throw new Error(`no mailbox ${mailboxId}`);
    return perms;
  }

  private requireUser(id: string): SimUser {
    const user = this.users.get(id);
    if (user === undefined) throw new Error(`unknown user ${id}`);
    return user;
  }

  private requireGroup(id: string): SimGroup {
    const group = this.groups.get(id);
    if (group === undefined) throw new Error(`unknown group ${id}`);
    return group;
  }

  private recipientName(id: string): string {
    const obj = this.users.get(id) ?? this.groups.get(id);
    if (obj === undefined) throw new Error(`unknown user or group ${id}`);
    return obj.name;
  }

  private addAce(list: SimAce[], trusteeId: string, rights: string[], deny: boolean): void {
    const user = this.users.get(trusteeId);
    const group = this.groups.get(trusteeId);
    if (user === undefined && group === undefined) throw new Error(`unknown user or group ${trusteeId}`);
    const sid = user?.sid ?? (group as SimGroup).sid;
    const trustee = user?.userPrincipalName ?? (group as SimGroup).name;
    if (!list.some((a) => a.trusteeSid === sid && a.deny === deny && !a.isInherited)) {
      list.push({ trustee, trusteeSid: sid, rights, isInherited: false, deny });
    }
    this.touch();
  }

  private removeAces(list: SimAce[], trusteeId: string): void {
    const obj = this.users.get(trusteeId) ?? this.groups.get(trusteeId);
    if (obj === undefined) throw new Error(`unknown user or group ${trusteeId}`);
    for (let i = list.length - 1; i >= 0; i--) {
      const ace = list[i] as SimAce;
      if (ace.trusteeSid === obj.sid && !ace.isInherited) list.splice(i, 1);
    }
    this.touch();
  }

  private index(): Indexes {
    if (this.indexes !== undefined) return this.indexes;
    const idx: Indexes = {
      upn: new Map(),
      userMail: new Map(),
      userProxy: new Map(),
      recipientAddress: new Map(),
      recipientName: new Map(),
      sid: new Map(),
    };
    for (const user of this.users.values()) {
      idx.upn.set(lc(user.userPrincipalName), user);
      idx.sid.set(user.sid, user);
      if (user.mail !== null) pushTo(idx.userMail, lc(user.mail), user);
      for (const p of user.proxyAddresses) pushTo(idx.userProxy, lc(p), user);
      if (!isMailRecipient(user)) continue;
      const r: Recipient = { kind: 'user', user };
      if (user.mail !== null) pushTo(idx.recipientAddress, lc(user.mail), r);
      for (const p of user.proxyAddresses) {
        if (/^smtp:/i.test(p)) pushTo(idx.recipientAddress, lc(p.slice(5)), r);
      }
      pushTo(idx.recipientName, lc(user.name), r);
      if (lc(user.alias) !== lc(user.name)) pushTo(idx.recipientName, lc(user.alias), r);
    }
    for (const group of this.groups.values()) {
      idx.sid.set(group.sid, group);
      if (!group.mailEnabled || group.isRoleGroup === true) continue;
      const r: Recipient = { kind: 'group', group };
      if (group.mail !== null) pushTo(idx.recipientAddress, lc(group.mail), r);
      pushTo(idx.recipientName, lc(group.name), r);
    }
    for (const contact of this.contacts.values()) {
      const r: Recipient = { kind: 'contact', contact };
      pushTo(idx.recipientAddress, lc(contact.mail), r);
      pushTo(idx.recipientName, lc(contact.name), r);
    }
    this.indexes = idx;
    return idx;
  }
}
