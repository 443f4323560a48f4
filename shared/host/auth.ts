import type { Principal } from '../ports/auth.js';

/** The role a route requires; declared with the route in code (never in a comment). */
export type RequiredRole = 'anonymous' | 'anyUser' | 'reader' | 'admin';

export const APP_ROLES = {
  admin: 'MailboxPermissionSync.Admin',
  reader: 'MailboxPermissionSync.Reader',
} as const;

/** True when the principal holds the role a route requires (Admin implies Reader). */
export function hasRole(principal: Principal, role: RequiredRole): boolean {
  if (role === 'anonymous') return true;
  if (principal.kind === 'anonymous') return false;
  if (role === 'anyUser') return true;
  if (role === 'admin') return principal.roles.includes(APP_ROLES.admin);
  return principal.roles.includes(APP_ROLES.reader) || principal.roles.includes(APP_ROLES.admin);
}

/** Who made a change, as recorded on it: a user's sign-in name (else object id), an app's client id (else oid). */
export function actorOf(principal: Principal): string {
  if (principal.kind === 'anonymous') return 'anonymous';
  if (principal.kind === 'app') return principal.appId ?? principal.oid;
  return principal.username ?? principal.oid;
}
