import { createRng, flat } from './rng.js';
import {
  SID_DOMAIN,
  Tenant,
  calendarPermissionId,
  type CalendarRole,
  type SimAce,
  type SimGroup,
  type SimMailboxPermissions,
  type MailUserKind,
  type SimUser,
} from './tenant.js';
import {
  SIM_APP_PERMISSIONS,
  SIM_CLIENT_ID,
  SIM_CLIENT_SECRET,
  SIM_SERVICE_PRINCIPAL_ID,
  SIM_TENANT_ID,
} from './identity.js';

export interface GenerateOptions {
  /** Default 42. */
  seed?: number;
  /** Mailboxes (user + shared) to create; default 200, at least 16. */
  mailboxes?: number;
  /** Mean explicit delegations per generic mailbox; default 2. */
  delegationsPerMailbox?: number;
  /** Share (0..1) of FullAccess/SendAs delegations whose trustee is a mail-enabled security group; default 0.15. */
  groupTrusteeShare?: number;
}

const DOMAIN = 'contoso.com';
const INITIAL_DOMAIN = 'contoso.onmicrosoft.com';
const MIN_MAILBOXES = 16;

const DEPARTMENTS = ['Sales', 'Marketing', 'Engineering', 'Finance', 'Operations', 'Legal', 'HR', 'Support'] as const;

const FIRST_NAMES = [
  'Adele',
  'Allan',
  'Ben',
  'Christie',
  'Debra',
  'Emily',
  'Enrico',
  'Henrietta',
  'Irvin',
  'Isaiah',
  'Johanna',
  'Lee',
  'Lynne',
  'Miriam',
  'Nestor',
  'Patti',
  'Pradeep',
  'Raul',
  'Zoë',
  'José',
  'Łukasz',
  'Søren',
  'Chloé',
  'Mårten',
  'Dmitrij',
  'Ngozi',
  'Aiko',
  'Björn',
  'François',
  'Anaïs',
  'Çağla',
  'Đorđe',
] as const;
const LAST_NAMES = [
  'Vance',
  'Deyoung',
  'Walters',
  'Cline',
  'Berg',
  'Braun',
  'Callimaci',
  'Gonzalez',
  'Sink',
  'Wilkins',
  'Lauer',
  'Gu',
  'Robbins',
  'Bowen',
  'Wilson',
  'Fernandez',
  'Gupta',
  'Müller',
  'Østergård',
  'Núñez',
  'Kowalczyk',
  'Dvořák',
  'Nakamura',
  'Okafor',
  'Łęcki',
  'Öztürk',
  'Ibáñez',
] as const;

const NON_DELEGATE_ROLES: CalendarRole[] = ['freeBusyRead', 'limitedRead', 'read', 'write'];
const DELEGATE_ROLES: CalendarRole[] = ['delegateWithPrivateEventAccess', 'delegateWithoutPrivateEventAccess'];

function asciiAlias(text: string): string {
  return text
    .normalize('NFD')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .replace(/ø/g, 'o')
    .replace(/Ø/g, 'O')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^A-Za-z0-9 ]+/g, '')
    .trim()
    .replace(/\s+/g, '.')
    .toLowerCase();
}

function emptyPerms(): SimMailboxPermissions {
  return { fullAccess: [], sendAs: [], sendOnBehalf: [], calendar: [] };
}

/**
 * Builds the demo tenant deterministically: the same seed and size always produce the same objects,
 * ids and permissions. Scales to 100,000 mailboxes in a few seconds.
 */
export function generateTenant(options: GenerateOptions = {}): Tenant {
  const seed = options.seed ?? 42;
  const mailboxCount = Math.max(MIN_MAILBOXES, Math.floor(options.mailboxes ?? 200));
  const delegationsPerMailbox = Math.max(0, options.delegationsPerMailbox ?? 2);
  const groupTrusteeShare = Math.min(1, Math.max(0, options.groupTrusteeShare ?? 0.15));
  const rng = createRng(seed);

  const tenant = new Tenant(
    SIM_TENANT_ID,
    DOMAIN,
    INITIAL_DOMAIN,
    {
      clientId: SIM_CLIENT_ID,
      clientSecret: SIM_CLIENT_SECRET,
      servicePrincipalId: SIM_SERVICE_PRINCIPAL_ID,
      permissions: [...SIM_APP_PERMISSIONS],
      hasExchangeRole: true,
    },
    seed,
  );
  const usedAliases = new Set<string>();
  const nextSuffix = new Map<string, number>();
  const uniqueAlias = (base: string): string => {
    const clean = base === '' ? 'user' : base;
    let alias = clean;
    let n = nextSuffix.get(clean) ?? 2;
    while (usedAliases.has(alias)) alias = `${clean}${n++}`;
    nextSuffix.set(clean, n);
    usedAliases.add(alias);
    return alias;
  };

  const makeUser = (
    displayName: string,
    opts: {
      alias?: string;
      kind?: 'UserMailbox' | 'SharedMailbox' | null;
      enabled?: boolean;
      nameIsId?: boolean;
      name?: string;
      upnDomain?: string;
      upn?: string;
    } = {},
  ): SimUser => {
    const id = rng.guid();
    const alias = flat(uniqueAlias(opts.alias ?? asciiAlias(displayName)));
    const kind = opts.kind === undefined ? 'UserMailbox' : opts.kind;
    const upn = flat(opts.upn ?? `${alias}@${opts.upnDomain ?? DOMAIN}`);
    const mail = kind === null ? null : opts.upnDomain === INITIAL_DOMAIN ? flat(`${alias}@${DOMAIN}`) : upn;
    const user: SimUser = {
      id,
      displayName: flat(displayName),
      userPrincipalName: upn,
      mail,
      accountEnabled: opts.enabled ?? kind !== 'SharedMailbox',
      name: opts.name ?? (opts.nameIsId === true ? id : alias),
      alias,
      proxyAddresses: mail === null ? [] : [flat(`SMTP:${mail}`), flat(`smtp:${alias}@${INITIAL_DOMAIN}`)],
      sid: tenant.allocateSid(),
      recipientTypeDetails: kind,
    };
    tenant.users.set(id, user);
    if (kind !== null) tenant.permissions.set(id, emptyPerms());
    return user;
  };

  const makeGroup = (g: Omit<SimGroup, 'id' | 'sid' | 'members'> & { members?: string[] }): SimGroup => {
    const group: SimGroup = { ...g, id: rng.guid(), sid: tenant.allocateSid(), members: g.members ?? [] };
    tenant.groups.set(group.id, group);
    return group;
  };

  // ---- groups --------------------------------------------------------------------------------
  const allStaff = makeGroup({
    displayName: 'All Staff',
    mail: `allstaff@${DOMAIN}`,
    mailEnabled: true,
    securityEnabled: true,
    groupTypes: [],
    onPremisesSamAccountName: 'AllStaff',
    onPremisesSyncEnabled: true,
    name: 'AllStaff',
  });
  const departments = DEPARTMENTS.map((dept) => {
    const alias = dept.toLowerCase();
    const top = makeGroup({
      displayName: dept,
      mail: `${alias}@${DOMAIN}`,
      mailEnabled: true,
      securityEnabled: false,
      groupTypes: [],
      onPremisesSamAccountName: dept,
      onPremisesSyncEnabled: true,
      name: dept,
    });
    const subs = ['EMEA', 'Americas'].map((region) =>
      makeGroup({
        displayName: `${dept} ${region}`,
        mail: null,
        mailEnabled: false,
        securityEnabled: true,
        groupTypes: [],
        onPremisesSamAccountName: null,
        onPremisesSyncEnabled: null,
        name: `${dept} ${region}`,
      }),
    );
    const sharedAccess = makeGroup({
      displayName: `${dept} Shared Access`,
      mail: `${alias}sharedaccess@${DOMAIN}`,
      mailEnabled: true,
      securityEnabled: true,
      groupTypes: [],
      onPremisesSamAccountName: `${dept}SharedAccess`,
      onPremisesSyncEnabled: true,
      name: `${dept}SharedAccess`,
    });
    top.members.push(...subs.map((s) => s.id));
    allStaff.members.push(top.id);
    return { dept, top, subs, sharedAccess };
  });
  const sales = departments[0]!;
  const engineering = departments[2]!;
  const salesLeads = makeGroup({
    displayName: 'Sales Leads',
    mail: null,
    mailEnabled: false,
    securityEnabled: true,
    groupTypes: [],
    onPremisesSamAccountName: null,
    onPremisesSyncEnabled: null,
    name: 'Sales Leads',
  });
  // Trustee-group nesting with a cycle: SalesSharedAccess -> Sales Leads -> SalesSharedAccess.
  sales.sharedAccess.members.push(salesLeads.id);
  salesLeads.members.push(sales.sharedAccess.id);
  // Target-group cycle: Engineering -> Engineering EMEA -> Engineering.
  const engineeringEmea = engineering.subs[0]!;
  engineeringEmea.members.push(engineering.top.id);
  const phoenixUnified = makeGroup({
    displayName: 'Project Phoenix',
    mail: `phoenix@${DOMAIN}`,
    mailEnabled: true,
    securityEnabled: false,
    groupTypes: ['Unified'],
    onPremisesSamAccountName: null,
    onPremisesSyncEnabled: null,
    name: 'Project Phoenix_3f1a',
  });
  makeGroup({
    displayName: 'Project Phoenix',
    mail: null,
    mailEnabled: false,
    securityEnabled: true,
    groupTypes: [],
    onPremisesSamAccountName: null,
    onPremisesSyncEnabled: null,
    name: 'Project Phoenix',
  });
  const discovery = makeGroup({
    displayName: 'Discovery Management',
    mail: null,
    mailEnabled: false,
    securityEnabled: true,
    groupTypes: [],
    onPremisesSamAccountName: null,
    onPremisesSyncEnabled: null,
    name: 'Discovery Management',
    isRoleGroup: true,
  });

  const device = {
    id: rng.guid(),
    displayName: 'KIOSK-LOBBY-01',
    accountEnabled: true,
    deviceId: rng.guid(),
    operatingSystem: 'Windows',
  };
  tenant.devices.set(device.id, device);
  const device2 = {
    id: rng.guid(),
    displayName: 'SURFACE-HUB-07',
    accountEnabled: false,
    deviceId: rng.guid(),
    operatingSystem: 'Windows',
  };
  tenant.devices.set(device2.id, device2);
  const contact = {
    id: rng.guid(),
    displayName: 'Partner Liaison (Fabrikam)',
    mail: 'liaison@fabrikam.com',
    name: 'Partner Liaison',
    alias: 'partnerliaison',
  };
  tenant.contacts.set(contact.id, contact);
  allStaff.members.push(device.id, contact.id);
  engineering.top.members.push(device2.id);

  // ---- named users (permissions below are fixed, so tests can assert exact sets) -------------
  const alex = makeUser('Alex Wilber', { alias: 'alex.wilber' });
  const megan = makeUser('Megan Bowen', { alias: 'megan.bowen' });
  const grady = makeUser('Grady Archie', { alias: 'grady.archie' });
  const joni = makeUser('Joni Sherman', { alias: 'joni.sherman' });
  const lidia = makeUser('Lidia Holloway', { alias: 'lidia.holloway', nameIsId: true });
  const diego = makeUser('Diego Siciliani', { alias: 'diego.siciliani' });
  const quoteHash = makeUser("Seán O'Brien (Ops)", { alias: 'obrien.ops', upn: `o'brien#ops@${DOMAIN}` });
  const tim1 = makeUser('Tim McMichael', { alias: 'tim.mcmichael', name: 'Tim McMichael' });
  const tim2 = makeUser('Tim McMichael', { alias: 'tim.mcmichael2', name: 'Tim McMichael', kind: 'SharedMailbox' });
  const salesTeam = makeUser('Sales Team', { alias: 'sales.team', kind: 'SharedMailbox', upnDomain: INITIAL_DOMAIN });
  const leaver = makeUser('Pat Leaver', { alias: 'pat.leaver', enabled: false });
  const smtpNotUpn = makeUser('Jordan Ng', { alias: 'jordan.ng', upnDomain: INITIAL_DOMAIN });
  const unicodeUser = makeUser('Zoë Łęcka-Øster 李', { alias: 'zoe.lecka' });
  const noMailbox = makeUser('Nora Nomail', { alias: 'nora.nomail', kind: null });
  // An extra secondary address, only findable through proxyAddresses.
  const secondaryProxyAddress = `alex.w@${DOMAIN}`;
  alex.proxyAddresses.push(`smtp:${secondaryProxyAddress}`);

  sales.subs[0]!.members.push(alex.id, megan.id, salesTeam.id);
  sales.subs[1]!.members.push(grady.id, tim1.id);
  sales.top.members.push(joni.id, tim2.id);
  departments[1]!.subs[0]!.members.push(lidia.id, unicodeUser.id);
  engineeringEmea.members.push(diego.id, quoteHash.id);
  departments[3]!.top.members.push(leaver.id, smtpNotUpn.id, noMailbox.id);
  sales.sharedAccess.members.push(grady.id, joni.id);
  salesLeads.members.push(megan.id);
  discovery.members.push(diego.id);
  phoenixUnified.members.push(alex.id, diego.id);

  const orphanedSid = `${SID_DOMAIN}-${900000 + rng.int(90000)}`;
  // ACE rights are never mutated in place, so ACEs share one array per right.
  const rightsArrays = new Map<string, string[]>();
  const ace = (trustee: string, trusteeSid: string, right: string, deny = false): SimAce => ({
    trustee,
    trusteeSid,
    rights: rightsArrays.get(right) ?? (rightsArrays.set(right, [right]).get(right) as string[]),
    isInherited: false,
    deny,
  });
  const userAce = (u: SimUser, right: string, deny = false): SimAce => ace(u.userPrincipalName, u.sid, right, deny);
  const groupAce = (g: SimGroup, right: string): SimAce => ace(g.name, g.sid, right);
  const calendarEntry = (u: SimUser, role: CalendarRole) => ({
    id: calendarPermissionId(u.alias),
    name: u.displayName,
    address: u.mail ?? u.userPrincipalName,
    role,
    userId: u.id,
  });
  const permsOf = (u: SimUser): SimMailboxPermissions => tenant.permissions.get(u.id)!;

  Object.assign(permsOf(alex), {
    fullAccess: [
      userAce(grady, 'FullAccess'),
      groupAce(sales.sharedAccess, 'FullAccess'),
      userAce(joni, 'FullAccess', true),
      ace(orphanedSid, orphanedSid, 'FullAccess'),
      groupAce(discovery, 'FullAccess'),
    ],
    sendAs: [userAce(megan, 'SendAs')],
    sendOnBehalf: [lidia.name],
    calendar: [
      calendarEntry(megan, 'delegateWithPrivateEventAccess'),
      calendarEntry(diego, 'read'),
      {
        id: calendarPermissionId('liaison'),
        name: 'Partner Liaison',
        address: 'liaison@fabrikam.com',
        role: 'freeBusyRead',
      },
    ],
  } satisfies SimMailboxPermissions);
  Object.assign(permsOf(megan), { sendOnBehalf: ['Tim McMichael'], calendar: [calendarEntry(alex, 'write')] });
  Object.assign(permsOf(diego), { calendar: [calendarEntry(alex, 'delegateWithoutPrivateEventAccess')] });
  Object.assign(permsOf(salesTeam), {
    fullAccess: [groupAce(sales.sharedAccess, 'FullAccess'), userAce(megan, 'FullAccess')],
    sendAs: [groupAce(sales.sharedAccess, 'SendAs')],
    sendOnBehalf: [alex.name],
  });
  Object.assign(permsOf(tim2), { fullAccess: [userAce(tim1, 'FullAccess')] });
  Object.assign(permsOf(leaver), { fullAccess: [userAce(grady, 'FullAccess')], sendOnBehalf: [unicodeUser.name] });
  Object.assign(permsOf(quoteHash), {
    fullAccess: [userAce(unicodeUser, 'FullAccess')],
    sendAs: [userAce(unicodeUser, 'SendAs')],
  });
  // An application access policy that leaves this mailbox out: its calendar answers 403, its other rights still read.
  tenant.calendarRefusals.set(quoteHash.id, 'accessDenied');

  const namedCount = [...tenant.users.values()].filter((u) => u.recipientTypeDetails != null).length;

  // ---- generic users ------------------------------------------------------------------------
  const genericCount = mailboxCount - namedCount;
  const sharedCount = Math.max(3, Math.round(mailboxCount * 0.05));
  const generic: SimUser[] = [];
  for (let i = 0; i < genericCount; i++) {
    const isShared = i < sharedCount;
    const deptIdx = i % departments.length;
    const dept = departments[deptIdx]!;
    let user: SimUser;
    if (isShared) {
      const name = `${dept.dept} Desk ${Math.floor(i / departments.length) + 1}`;
      user = makeUser(name, { kind: 'SharedMailbox', upnDomain: INITIAL_DOMAIN });
      dept.top.members.push(user.id);
    } else {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      user = makeUser(`${first} ${last}`, {
        enabled: !rng.chance(0.03),
        nameIsId: rng.chance(0.25),
        ...(rng.chance(0.03) ? { upnDomain: INITIAL_DOMAIN } : {}),
      });
      const r = rng.next();
      if (r < 0.1) dept.top.members.push(user.id);
      else dept.subs[r < 0.55 ? 0 : 1]!.members.push(user.id);
    }
    generic.push(user);
  }
  // Users without a mailbox (about 5%), placed in groups like everyone else.
  const noMailboxCount = Math.max(3, Math.round(mailboxCount * 0.05));
  for (let i = 0; i < noMailboxCount; i++) {
    const user = makeUser(`${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`, { kind: null });
    departments[i % departments.length]!.subs[1]!.members.push(user.id);
  }
  // A few generic members in each shared-access group so group trustees expand to someone.
  const regularGeneric = generic.filter((u) => u.recipientTypeDetails === 'UserMailbox');
  for (const d of departments) {
    if (d === sales || regularGeneric.length === 0) continue;
    for (let k = 0; k < 3; k++) {
      const u = rng.pick(regularGeneric);
      if (!d.sharedAccess.members.includes(u.id)) d.sharedAccess.members.push(u.id);
    }
  }

  // ---- generic permissions ------------------------------------------------------------------
  const sharedAccessGroups = departments.filter((d) => d !== sales).map((d) => d.sharedAccess);
  const pickTrustee = (self: SimUser): SimUser | undefined => {
    if (regularGeneric.length < 2) return undefined;
    for (;;) {
      const u = rng.pick(regularGeneric);
      if (u !== self) return u;
    }
  };
  for (let i = 0; i < generic.length; i++) {
    const mailbox = generic[i]!;
    const perms = permsOf(mailbox);
    if (mailbox.recipientTypeDetails === 'SharedMailbox') {
      const g = sharedAccessGroups[i % sharedAccessGroups.length]!;
      perms.fullAccess.push(groupAce(g, 'FullAccess'));
      perms.sendAs.push(groupAce(g, 'SendAs'));
      const u = pickTrustee(mailbox);
      if (u !== undefined) perms.fullAccess.push(userAce(u, 'FullAccess'));
      continue;
    }
    const n = rng.int(2 * delegationsPerMailbox + 1);
    for (let k = 0; k < n; k++) {
      const r = rng.next();
      const useGroup = rng.chance(groupTrusteeShare);
      const trusteeUser = pickTrustee(mailbox);
      if (trusteeUser === undefined) break;
      if (r < 0.4 || r < 0.65) {
        const right = r < 0.4 ? 'FullAccess' : 'SendAs';
        const list = right === 'FullAccess' ? perms.fullAccess : perms.sendAs;
        const newAce = useGroup ? groupAce(rng.pick(sharedAccessGroups), right) : userAce(trusteeUser, right);
        if (!list.some((a) => a.trusteeSid === newAce.trusteeSid)) list.push(newAce);
      } else if (r < 0.8) {
        if (!perms.sendOnBehalf.includes(trusteeUser.name)) perms.sendOnBehalf.push(trusteeUser.name);
      } else if (!perms.calendar.some((e) => e.userId === trusteeUser.id)) {
        perms.calendar.push(calendarEntry(trusteeUser, rng.pick(DELEGATE_ROLES)));
      }
    }
    if (rng.chance(0.2)) {
      const u = pickTrustee(mailbox);
      if (u !== undefined && !perms.calendar.some((e) => e.userId === u.id)) {
        perms.calendar.push(calendarEntry(u, rng.pick(NON_DELEGATE_ROLES)));
      }
    }
    if (rng.chance(0.02)) {
      const u = pickTrustee(mailbox);
      if (u !== undefined && !perms.fullAccess.some((a) => a.trusteeSid === u.sid))
        perms.fullAccess.push(userAce(u, 'FullAccess', true));
    }
    if (rng.chance(0.01)) {
      const sid = `${SID_DOMAIN}-${900000 + rng.int(90000)}`;
      if (rng.chance(0.5)) perms.fullAccess.push(ace(sid, sid, 'FullAccess'));
      else perms.sendAs.push(ace(sid, sid, 'SendAs'));
    }
    if (rng.chance(0.01)) perms.fullAccess.push(groupAce(discovery, 'FullAccess'));
  }

  // ---- users with mail but no Exchange Online mailbox ------------------------------------------
  // Made last so that every id drawn above stays what it was. Exchange answers not-found for them on the
  // mailbox cmdlets; Get-Recipient lists them as MailUser / GuestMailUser; Graph shows them as users with mail.
  const makeMailUser = (displayName: string, o: { alias: string; upn: string; mail: string; kind: MailUserKind }) => {
    const id = rng.guid();
    const alias = flat(uniqueAlias(o.alias));
    const guest = o.kind === 'GuestMailUser';
    const user: SimUser = {
      id,
      displayName: flat(displayName),
      userPrincipalName: flat(o.upn),
      mail: flat(o.mail),
      accountEnabled: true,
      name: alias,
      alias,
      proxyAddresses: [flat(`SMTP:${o.mail}`), ...(guest ? [] : [flat(`smtp:${alias}@${INITIAL_DOMAIN}`)])],
      sid: tenant.allocateSid(),
      recipientTypeDetails: null,
      mailUser: o.kind,
      ...(guest ? { userType: 'Guest' as const } : {}),
    };
    tenant.users.set(id, user);
    return user;
  };
  const guest = makeMailUser('Ext User (Fabrikam)', {
    alias: 'ext.user_fabrikam.com#EXT#',
    upn: `ext.user_fabrikam.com#EXT#@${INITIAL_DOMAIN}`,
    mail: 'ext.user@fabrikam.com',
    kind: 'GuestMailUser',
  });
  const mailUser = makeMailUser('Morgan Reyes (Contractor)', {
    alias: 'morgan.reyes',
    upn: `morgan.reyes@${DOMAIN}`,
    mail: `morgan.reyes@${DOMAIN}`,
    kind: 'MailUser',
  });
  // A mailbox still on the on-premises Exchange of a hybrid tenant: a MailUser in Exchange Online.
  const onPrem = makeMailUser('Harper Hollis (on-premises)', {
    alias: 'harper.hollis',
    upn: `harper.hollis@${DOMAIN}`,
    mail: `harper.hollis@${DOMAIN}`,
    kind: 'MailUser',
  });
  allStaff.members.push(guest.id, mailUser.id, onPrem.id);
  // A cross-premises delegation: the on-premises user holds FullAccess on a cloud mailbox.
  permsOf(smtpNotUpn).fullAccess.push(userAce(onPrem, 'FullAccess'));

  tenant.demo = {
    targetGroupId: allStaff.id,
    targetGroupMail: allStaff.mail!,
    targetGroupDn: 'CN=AllStaff,OU=Groups,DC=contoso,DC=com',
    targetGroupSamAccountName: 'AllStaff',
    salesGroupId: sales.top.id,
    salesGroupMail: sales.top.mail!,
    salesSharedAccessGroupId: sales.sharedAccess.id,
    salesLeadsGroupId: salesLeads.id,
    cycleGroupIds: [engineering.top.id, engineeringEmea.id],
    ambiguousDn: 'CN=Project Phoenix,OU=Groups,DC=contoso,DC=com',
    discoveryManagementGroupId: discovery.id,
    alexId: alex.id,
    meganId: megan.id,
    gradyId: grady.id,
    joniId: joni.id,
    lidiaId: lidia.id,
    diegoId: diego.id,
    quoteHashUserId: quoteHash.id,
    quoteHashUpn: quoteHash.userPrincipalName,
    timMcMichaelIds: [tim1.id, tim2.id],
    sharedMailboxId: salesTeam.id,
    disabledMailboxUserId: leaver.id,
    noMailboxUserId: noMailbox.id,
    guestUserId: guest.id,
    mailUserId: mailUser.id,
    onPremMailboxUserId: onPrem.id,
    smtpNotUpnUserId: smtpNotUpn.id,
    secondaryProxyAddress,
    orphanedSid,
    deviceId: device.id,
    contactId: contact.id,
    unicodeUserId: unicodeUser.id,
    calendarDeniedMailboxId: quoteHash.id,
    denyViaGroup: { mailboxId: alex.id, groupId: sales.sharedAccess.id, userId: joni.id },
  };
  tenant.touch();
  return tenant;
}
