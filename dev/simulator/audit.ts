import type { Mutation } from './control.js';
import type { SimContext } from './http.js';
import { adminRecord, mailboxRecord, type AuditActor, type WireAuditRecord } from './management.js';
import type { CalendarRole, SimUser, Tenant } from './tenant.js';

/**
 * The audit records a control-API mutation leaves, in the shapes docs/wire.md documents: the cmdlet an admin
 * would have run (Add-/Remove-MailboxPermission, Add-/Remove-RecipientPermission, Set-Mailbox
 * -GrantSendOnBehalfTo with the remaining list, Add-/Set-/Remove-MailboxFolderPermission on `:\Calendar`), or
 * the owner's UpdateCalendarDelegation when the calendar change is made `via: "owner"`.
 */

/** The seeded admin every control mutation is attributed to unless it names an actor. */
export function defaultAdmin(tenant: Tenant): string {
  return `admin@${tenant.initialDomain}`;
}

/** The Exchange object name an admin record's ObjectId carries: a directory path, not an address. */
function objectPath(tenant: Tenant, name: string): string {
  return `SIMPR01A001.prod.outlook.com/Microsoft Exchange Hosted Organizations/${tenant.initialDomain}/${name}`;
}

function address(user: SimUser): string {
  return user.mail ?? user.userPrincipalName;
}

/** How an admin names a trustee: a user's address, a group's name. */
function trusteeName(tenant: Tenant, id: string): string {
  const user = tenant.users.get(id);
  if (user !== undefined) return address(user);
  const group = tenant.groups.get(id);
  if (group !== undefined) return group.mail ?? group.name;
  throw new Error(`unknown user or group ${id}`);
}

// Graph calendar roles as Exchange folder permissions (docs/wire.md: delegates are Editor + SharingPermissionFlags).
function folderRights(role: CalendarRole): Record<string, string> {
  switch (role) {
    case 'delegateWithoutPrivateEventAccess':
      return { AccessRights: 'Editor', SharingPermissionFlags: 'Delegate' };
    case 'delegateWithPrivateEventAccess':
      return { AccessRights: 'Editor', SharingPermissionFlags: 'Delegate, CanViewPrivateItems' };
    case 'freeBusyRead':
      return { AccessRights: 'AvailabilityOnly' };
    case 'limitedRead':
      return { AccessRights: 'LimitedDetails' };
    case 'read':
      return { AccessRights: 'Reviewer' };
    case 'write':
      return { AccessRights: 'Editor' };
    default:
      return { AccessRights: 'None' };
  }
}

/** Extra fields of a permission mutation: who made it (default the seeded admin) and, for calendars, how. */
export interface MutationAudit {
  actor?: string | undefined;
  /** UserType of the actor (default 2, Admin; 3/4 are system accounts). */
  actorType?: number | undefined;
  /** setCalendarRole only: `admin` (a *-MailboxFolderPermission cmdlet, default) or `owner` (Outlook). */
  via?: 'admin' | 'owner' | undefined;
}

/**
 * Logs the audit record of a permission mutation just applied (`calendarBefore`: the user's calendar role before a
 * setCalendarRole). Other mutations (membership, users, app settings) leave no Exchange audit record here.
 */
export function auditMutation(
  ctx: SimContext,
  m: Mutation,
  audit: MutationAudit,
  calendarBefore: CalendarRole | undefined,
): WireAuditRecord | undefined {
  const t = ctx.tenant;
  if (!('mailboxId' in m)) return undefined;
  if (m.op === 'setCalendarAccess') return undefined;
  const mailbox = t.users.get(m.mailboxId);
  if (mailbox === undefined) return undefined;
  const at = ctx.audit.clock();
  const org = t.initialDomain;
  const explicit = audit.actor !== undefined;
  const actor: AuditActor = {
    userId: audit.actor ?? defaultAdmin(t),
    userType: audit.actorType ?? (explicit ? 0 : 2),
  };
  const admin = (operation: string, parameters: Record<string, string>): WireAuditRecord =>
    adminRecord(t.tenantId, org, at, actor, operation, objectPath(t, mailbox.name), {
      Identity: address(mailbox),
      ...parameters,
    });
  let record: WireAuditRecord;
  switch (m.op) {
    case 'grantFullAccess':
      record = admin('Add-MailboxPermission', {
        User: trusteeName(t, m.trusteeId),
        AccessRights: 'FullAccess',
        InheritanceType: 'All',
        ...(m.deny === true ? { Deny: 'True' } : {}),
      });
      break;
    case 'revokeFullAccess':
      record = admin('Remove-MailboxPermission', {
        User: trusteeName(t, m.trusteeId),
        AccessRights: 'FullAccess',
        InheritanceType: 'All',
        Confirm: 'False',
      });
      break;
    case 'grantSendAs':
    case 'revokeSendAs':
      record = admin(m.op === 'grantSendAs' ? 'Add-RecipientPermission' : 'Remove-RecipientPermission', {
        Trustee: trusteeName(t, m.trusteeId),
        AccessRights: 'SendAs',
        Confirm: 'False',
      });
      break;
    case 'grantSendOnBehalf':
    case 'revokeSendOnBehalf':
      // The EAC writes the whole remaining list: a removal names who is left (docs/wire.md).
      record = admin('Set-Mailbox', {
        GrantSendOnBehalfTo: (t.permissions.get(mailbox.id)?.sendOnBehalf ?? []).join(','),
      });
      break;
    case 'setCalendarRole': {
      const user = t.users.get(m.userId);
      if (user === undefined) return undefined;
      if (audit.via === 'owner') {
        record = mailboxRecord(
          t.tenantId,
          org,
          at,
          { userId: audit.actor ?? mailbox.userPrincipalName, userType: audit.actorType ?? 0 },
          'UpdateCalendarDelegation',
          { guid: mailbox.id, ownerUpn: mailbox.userPrincipalName, ownerSid: mailbox.sid },
        );
        break;
      }
      const identity = `${address(mailbox)}:\\Calendar`;
      const operation =
        m.role === null
          ? 'Remove-MailboxFolderPermission'
          : calendarBefore === undefined
            ? 'Add-MailboxFolderPermission'
            : 'Set-MailboxFolderPermission';
      record = adminRecord(t.tenantId, org, at, actor, operation, `${objectPath(t, mailbox.name)}\\Calendar`, {
        Identity: identity,
        User: address(user),
        ...(m.role === null ? { Confirm: 'False' } : folderRights(m.role)),
      });
      break;
    }
    default:
      return undefined;
  }
  ctx.audit.append(record, at);
  return record;
}

/**
 * Noise the demo tenant's log starts with (docs/wire.md): a system account granting FullAccess on the discovery
 * mailbox, a Set-Mailbox that is no delegation, an inbox rule, and a failed Remove-MailboxPermission.
 */
export function seedAuditNoise(ctx: SimContext): void {
  const t = ctx.tenant;
  const org = t.initialDomain;
  const at = ctx.audit.clock();
  const system: AuditActor = { userId: 'NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)', userType: 3 };
  const admin: AuditActor = { userId: defaultAdmin(t), userType: 2 };
  const alex = t.users.get(t.demo.alexId);
  const name = alex?.name ?? 'alex';
  const who = alex ? address(alex) : `alex@${org}`;
  const discovery = 'DiscoverySearchMailbox{D919BA05-46A6-415f-80AD-7E09334BB852}';
  const records = [
    adminRecord(t.tenantId, org, at, system, 'Add-MailboxPermission', objectPath(t, discovery), {
      Identity: objectPath(t, discovery),
      User: 'Discovery Management',
      AccessRights: 'FullAccess',
      InheritanceType: 'All',
    }),
    adminRecord(t.tenantId, org, at, system, 'Set-Mailbox', objectPath(t, name), {
      Identity: who,
      RetainDeletedItemsFor: '30.00:00:00',
    }),
    adminRecord(t.tenantId, org, at, admin, 'New-InboxRule', `${objectPath(t, name)}\\Move newsletters`, {
      Mailbox: who,
      Name: 'Move newsletters',
      MoveToFolder: `${who}:\\Newsletters`,
    }),
    adminRecord(
      t.tenantId,
      org,
      at,
      admin,
      'Remove-MailboxPermission',
      objectPath(t, name),
      { Identity: who, User: 'nobody@example.invalid', AccessRights: 'FullAccess', Confirm: 'False' },
      'False',
    ),
  ];
  for (const record of records) ctx.audit.append(record, at);
}
