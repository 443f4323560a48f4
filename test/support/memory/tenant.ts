import type {
  CalendarPermission,
  DirectoryObject,
  GraphGroup,
  GraphUser,
  MailboxPermissionRow,
  MailboxRow,
  MicrosoftPorts,
  RecipientPermissionRow,
} from '../../../shared/ports/microsoft.js';
import { fakeMicrosoftPorts } from '../../contract/fakes.js';

/** A user of the tenant: a Graph user, with an Exchange Online mailbox unless `mailbox` is false. */
export interface TenantUser {
  id: string;
  upn: string;
  displayName: string;
  /** Graph `mail`; null for a user without one. */
  mail: string | null;
  mailbox: boolean;
  /** Recipient Names Exchange lists in GrantSendOnBehalfTo. */
  sendOnBehalfTo: string[];
}

/**
 * A small Microsoft 365 tenant in memory, seen through the Graph and Exchange ports (no network): users with or
 * without an Exchange mailbox, groups with members, FullAccess and SendAs rows and calendar delegates per
 * mailbox. A calendar set to an Error throws it, as Graph does for a mailbox it will not open.
 */
export class MemoryTenant {
  readonly users = new Map<string, TenantUser>();
  readonly groups = new Map<string, { group: GraphGroup; memberIds: string[] }>();
  /** Mailbox object id → Get-MailboxPermission rows. */
  readonly fullAccess = new Map<string, MailboxPermissionRow[]>();
  /** Mailbox object id → Get-RecipientPermission rows. */
  readonly sendAs = new Map<string, RecipientPermissionRow[]>();
  /** Mailbox object id → calendar permissions, or the error Graph answers. */
  readonly calendars = new Map<string, CalendarPermission[] | Error>();

  /** Adds a user; the defaults make a user mailbox at `<name>@contoso.com`. */
  addUser(id: string, name: string, overrides: Partial<Omit<TenantUser, 'id'>> = {}): TenantUser {
    const upn = `${name}@contoso.com`;
    const user: TenantUser = {
      id: id.toLowerCase(),
      upn,
      displayName: name[0]?.toUpperCase() + name.slice(1),
      mail: upn,
      mailbox: true,
      sendOnBehalfTo: [],
      ...overrides,
    };
    this.users.set(user.id, user);
    return user;
  }

  /** Adds a group whose transitive members are `memberIds` (users or groups). */
  addGroup(id: string, displayName: string, memberIds: readonly string[], mail: string | null = null): GraphGroup {
    const group: GraphGroup = { id, displayName, mail, groupTypes: [], securityEnabled: true, mailEnabled: !!mail };
    this.groups.set(id.toLowerCase(), { group, memberIds: [...memberIds] });
    return group;
  }

  /** Grants `delegate` FullAccess on `mailbox` as Get-MailboxPermission lists it (the trustee by UPN). */
  grantFullAccess(mailbox: TenantUser, delegate: Pick<TenantUser, 'upn'>): void {
    const rows = this.fullAccess.get(mailbox.id) ?? [];
    rows.push({
      Identity: mailbox.upn,
      User: delegate.upn,
      AccessRights: ['FullAccess'],
      IsInherited: false,
      Deny: false,
    });
    this.fullAccess.set(mailbox.id, rows);
  }

  /** Takes every FullAccess row of `delegate` off `mailbox`. */
  revokeFullAccess(mailbox: TenantUser, delegate: Pick<TenantUser, 'upn'>): void {
    const rows = this.fullAccess.get(mailbox.id) ?? [];
    this.fullAccess.set(
      mailbox.id,
      rows.filter((row) => row.User.toLowerCase() !== delegate.upn.toLowerCase()),
    );
  }

  /** The tenant through the ports; `overrides` replace single methods (to fail them, or count calls). */
  ports(overrides: Parameters<typeof fakeMicrosoftPorts>[0] = {}): MicrosoftPorts {
    const user = (idOrUpn: string) =>
      this.users.get(idOrUpn.toLowerCase()) ??
      [...this.users.values()].find((u) => u.upn.toLowerCase() === idOrUpn.toLowerCase());
    const mailboxOf = (identity: string) => {
      const found = user(identity);
      return found?.mailbox ? toMailboxRow(found) : undefined;
    };
    return fakeMicrosoftPorts({
      graph: {
        getGroup: async (id) => this.groups.get(id.toLowerCase())?.group,
        findGroupsByMail: async (mail) =>
          [...this.groups.values()]
            .filter((g) => g.group.mail?.toLowerCase() === mail.toLowerCase())
            .map((g) => g.group),
        transitiveMembers: (groupId) => this.members(groupId),
        getUser: async (idOrUpn) => {
          const found = user(idOrUpn);
          return found && toGraphUser(found);
        },
        findUserByMail: async (address) => {
          const found = [...this.users.values()].find((u) => u.mail?.toLowerCase() === address.toLowerCase());
          return found && toGraphUser(found);
        },
        calendarPermissions: async (userId) => {
          const entries = this.calendars.get(userId.toLowerCase()) ?? [];
          if (entries instanceof Error) throw entries;
          return structuredClone(entries);
        },
        ...overrides.graph,
      },
      exchange: {
        getMailboxPermission: async (identity) => structuredClone(this.rowsOf(this.fullAccess, user(identity))),
        getRecipientPermission: async (identity) => structuredClone(this.rowsOf(this.sendAs, user(identity))),
        getMailbox: async (identity) => mailboxOf(identity),
        getMailboxes: async (identities) => identities.map(mailboxOf),
        ...overrides.exchange,
      },
    });
  }

  private rowsOf<T>(rows: Map<string, T[]>, mailbox: TenantUser | undefined): T[] {
    return mailbox ? (rows.get(mailbox.id) ?? []) : [];
  }

  /** A group's members flattened, the nested groups listed too (Graph `transitiveMembers`), in one page. */
  private async *members(groupId: string): AsyncIterable<DirectoryObject[]> {
    const page: DirectoryObject[] = [];
    const seen = new Set<string>();
    const visit = (id: string) => {
      for (const memberId of this.groups.get(id.toLowerCase())?.memberIds ?? []) {
        if (seen.has(memberId)) continue;
        seen.add(memberId);
        const nested = this.groups.get(memberId.toLowerCase());
        if (nested) {
          page.push(directoryObject('group', nested.group.id, nested.group.displayName ?? null));
          visit(memberId);
          continue;
        }
        const member = this.users.get(memberId.toLowerCase());
        if (!member) throw new Error(`group ${id} lists ${memberId}, which the tenant does not have`);
        page.push({
          ...directoryObject('user', member.id, member.displayName),
          userPrincipalName: member.upn,
          mail: member.mail,
          accountEnabled: true,
        });
      }
    };
    visit(groupId);
    yield page;
  }
}

function directoryObject(kind: 'user' | 'group', id: string, displayName: string | null): DirectoryObject {
  return {
    kind,
    odataType: `#microsoft.graph.${kind}`,
    id,
    displayName,
    userPrincipalName: null,
    mail: null,
    accountEnabled: null,
  };
}

function toGraphUser(u: TenantUser): GraphUser {
  return { id: u.id, displayName: u.displayName, userPrincipalName: u.upn, mail: u.mail, accountEnabled: true };
}

function toMailboxRow(u: TenantUser): MailboxRow {
  return {
    Identity: u.upn,
    Name: u.upn.split('@')[0] ?? u.upn,
    DisplayName: u.displayName,
    UserPrincipalName: u.upn,
    PrimarySmtpAddress: u.mail ?? u.upn,
    ExternalDirectoryObjectId: u.id,
    RecipientTypeDetails: 'UserMailbox',
    GrantSendOnBehalfTo: [...u.sendOnBehalfTo],
  };
}
