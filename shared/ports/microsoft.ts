import type { RawAce, RawCalendarPermission } from '../domain/delegation/types.js';

// The rows below are what the adapters hand over after validating the wire (adapters/microsoft/rows.ts); a
// compile-time check there keeps each schema's output equal to the type declared here.

/** A Get-MailboxPermission row (FullAccess and friends). */
export interface MailboxPermissionRow {
  Identity: string;
  User: string;
  UserSid?: string | null | undefined;
  /** Raw, possibly comma-joined (`"FullAccess, ReadPermission"`): see domain `splitAccessRights`. */
  AccessRights: string[];
  IsInherited: boolean;
  Deny: boolean;
  InheritanceType?: string | null | undefined;
}

/** A Get-RecipientPermission row (SendAs). */
export interface RecipientPermissionRow {
  Identity: string;
  Trustee: string;
  TrusteeSidString?: string | null | undefined;
  /** `Allow` or `Deny`. */
  AccessControlType: string;
  AccessRights: string[];
  IsInherited: boolean;
  InheritanceType?: string | null | undefined;
}

/** A Get-Mailbox row. */
export interface MailboxRow {
  Identity: string;
  Name: string;
  DisplayName: string;
  UserPrincipalName?: string | null | undefined;
  PrimarySmtpAddress: string;
  ExternalDirectoryObjectId?: string | null | undefined;
  RecipientTypeDetails: string;
  /** Recipient Names (often the object-id GUID), not addresses. */
  GrantSendOnBehalfTo: string[];
}

export type MailboxField = keyof MailboxRow;

/** A Get-Recipient row. */
export interface RecipientRow {
  Identity: string;
  Name: string;
  DisplayName?: string | null | undefined;
  PrimarySmtpAddress?: string | null | undefined;
  ExternalDirectoryObjectId?: string | null | undefined;
  RecipientType?: string | null | undefined;
  RecipientTypeDetails: string;
}

/** A Graph calendarPermission of a user's primary calendar. */
export interface CalendarPermission {
  id: string;
  role: string;
  emailAddress?: { name?: string | null | undefined; address?: string | null | undefined } | null | undefined;
  isInsideOrganization?: boolean | null | undefined;
  isRemovable?: boolean | null | undefined;
  allowedRoles: string[];
}

/** A Graph group. */
export interface GraphGroup {
  id: string;
  displayName?: string | null | undefined;
  mail?: string | null | undefined;
  mailEnabled?: boolean | null | undefined;
  securityEnabled?: boolean | null | undefined;
  groupTypes: string[];
  onPremisesSamAccountName?: string | null | undefined;
  onPremisesSyncEnabled?: boolean | null | undefined;
}

/** A Graph user. */
export interface GraphUser {
  id: string;
  displayName?: string | null | undefined;
  userPrincipalName: string;
  /** null for a user without a mailbox. */
  mail?: string | null | undefined;
  /** Present only when selected (Graph does not return it by default). */
  accountEnabled?: boolean | null | undefined;
}

export type DirectoryObjectKind = 'user' | 'group' | 'device' | 'orgContact' | 'other';

/** A member of a group as Graph lists it (`transitiveMembers`), its kind taken from `@odata.type`. */
export interface DirectoryObject {
  kind: DirectoryObjectKind;
  odataType: string | null;
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  accountEnabled: boolean | null;
}

/** What the use cases need from Microsoft Graph. */
export interface DirectoryPort {
  /** Obtains an app-only token for Graph: proves the credential works (diagnostics). */
  acquireToken(): Promise<void>;
  /** One group by object id, or undefined when it does not exist. */
  getGroup(id: string): Promise<GraphGroup | undefined>;
  /** Groups whose primary address is `mail` (0 or 1). */
  findGroupsByMail(mail: string): Promise<GraphGroup[]>;
  /** Groups synced from AD with this sAMAccountName (how a DN's CN is resolved). */
  findGroupsBySamAccountName(name: string): Promise<GraphGroup[]>;
  /** Groups with exactly this display name. */
  findGroupsByDisplayName(name: string): Promise<GraphGroup[]>;
  /** Up to `top` groups whose display name starts with `prefix` (the group picker). */
  searchGroups(prefix: string, top?: number): Promise<GraphGroup[]>;
  /** All members of a group, nested groups flattened (the nested groups are listed too), one array per page. */
  transitiveMembers(groupId: string): AsyncIterable<DirectoryObject[]>;
  /** A user by object id or UPN, or undefined. */
  getUser(idOrUpn: string): Promise<GraphUser | undefined>;
  /** A user by any of its SMTP addresses: primary `mail` first, then proxyAddresses. */
  findUserByMail(address: string): Promise<GraphUser | undefined>;
  /** Every user of the tenant, one array per page (a run's directory snapshot). */
  listUsers(): AsyncIterable<GraphUser[]>;
  /** Calendar sharing entries of a user's primary calendar (delegates included). */
  calendarPermissions(userId: string): Promise<CalendarPermission[]>;
}

/** What the use cases need from the Exchange Online admin API. */
export interface ExchangePort {
  /** Obtains an app-only token for Exchange Online: proves the credential works (diagnostics). */
  acquireToken(): Promise<void>;
  /** Get-MailboxPermission of one mailbox; page warnings are pushed into `warnings` when given. */
  getMailboxPermission(identity: string, warnings?: string[]): Promise<MailboxPermissionRow[]>;
  /** Get-RecipientPermission of one mailbox (SendAs); page warnings are pushed into `warnings` when given. */
  getRecipientPermission(identity: string, warnings?: string[]): Promise<RecipientPermissionRow[]>;
  /** Every SendAs grant of the tenant, page by page. */
  getRecipientPermissionsTenantWide(): AsyncIterable<RecipientPermissionRow[]>;
  /** One mailbox, or undefined when Exchange does not know it. */
  getMailbox(identity: string, warnings?: string[]): Promise<MailboxRow | undefined>;
  /** The Exchange Online mailbox of each identity, in input order: undefined where Exchange has none. */
  getMailboxes(identities: readonly string[]): Promise<Array<MailboxRow | undefined>>;
  /** One mailbox of the tenant, if any: a bounded probe, whatever the tenant's size. */
  anyMailbox(): Promise<Pick<MailboxRow, 'Identity' | 'UserPrincipalName' | 'PrimarySmtpAddress'> | undefined>;
  /** Every mailbox of the tenant, page by page, with only the `select`ed fields. */
  listMailboxes<K extends MailboxField>(select: readonly K[]): AsyncIterable<Array<Pick<MailboxRow, K>>>;
  /** Recipients matching an identity; a Name shared by several recipients yields several rows. */
  getRecipient(identity: string): Promise<RecipientRow[]>;
}

/** Graph and Exchange Online, as the use cases see them. */
export interface MicrosoftPorts {
  graph: DirectoryPort;
  exchange: ExchangePort;
}

/** Get-MailboxPermission row → domain ACE. */
export function fromMailboxPermissionRow(row: MailboxPermissionRow): RawAce {
  return {
    trustee: row.User,
    ...(row.UserSid ? { trusteeSid: row.UserSid } : {}),
    accessRights: [...row.AccessRights],
    isInherited: row.IsInherited,
    deny: row.Deny,
  };
}

/** Get-RecipientPermission row → domain ACE (AccessControlType Deny → deny). */
export function fromRecipientPermissionRow(row: RecipientPermissionRow): RawAce {
  return {
    trustee: row.Trustee,
    ...(row.TrusteeSidString ? { trusteeSid: row.TrusteeSidString } : {}),
    accessRights: [...row.AccessRights],
    isInherited: row.IsInherited === true,
    deny: row.AccessControlType.toLowerCase() === 'deny',
  };
}

/** Graph calendarPermission → domain entry. */
export function fromCalendarPermission(p: CalendarPermission): RawCalendarPermission {
  const address = p.emailAddress?.address ?? undefined;
  const name = p.emailAddress?.name ?? undefined;
  return {
    id: p.id,
    role: p.role,
    ...(address || name ? { emailAddress: { ...(name ? { name } : {}), ...(address ? { address } : {}) } } : {}),
  };
}
