import type { RawAce, RawCalendarPermission } from '../../domain/delegation/types.js';
import type { CalendarPermission, MailboxPermissionRow, RecipientPermissionRow } from './rows.js';

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
