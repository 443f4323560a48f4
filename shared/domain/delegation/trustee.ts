import type { MailboxIdentity, TrusteeKey } from './types.js';

/** Splits `["FullAccess, ReadPermission", "SendAs"]` into single rights, trimmed, first occurrence kept. */
export function splitAccessRights(values: readonly string[]): string[] {
  const rights = new Set<string>();
  for (const value of values) {
    for (const part of value.split(',')) {
      const right = part.trim();
      if (right !== '') rights.add(right);
    }
  }
  return [...rights];
}

export type TrusteeClass = 'self' | 'system' | 'orphanedSid' | { key: TrusteeKey };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SID = /^S-1-\d+(-\d+)*$/i;
/**
 * SIDs of real directory objects: on-premises/Exchange domain accounts (S-1-5-21-…) and Entra
 * cloud objects (S-1-12-1-…). Every other SID (S-1-1-0 Everyone, S-1-5-18 SYSTEM, S-1-5-32-* BUILTIN,
 * S-1-5-80-* services, …) is a well-known system principal.
 */
const DIRECTORY_SID = /^S-1-(5-21|12-1)-/i;
const SELF_SID = 'S-1-5-10';
/** Local machine/system namespaces; a domain-prefixed name such as `CONTOSO\jdoe` is not one of them. */
const SYSTEM_PREFIXES = ['nt authority\\', 'builtin\\', 'nt service\\'];

function isSid(value: string): boolean {
  return SID.test(value);
}

function isSystemSid(sid: string): boolean {
  return isSid(sid) && !DIRECTORY_SID.test(sid) && sid.toUpperCase() !== SELF_SID;
}

function isOwnPrincipal(trustee: string, mailbox: MailboxIdentity): boolean {
  const t = trustee.toLowerCase();
  return [mailbox.id, mailbox.upn, mailbox.primarySmtp, mailbox.name]
    .filter((own) => own !== '')
    .some((own) => own.toLowerCase() === t);
}

/**
 * Decides what a trustee of an Exchange row is: the mailbox itself, a system principal, a deleted
 * object (bare SID), or a principal to resolve under its `TrusteeKey`.
 */
export function classifyTrustee(trustee: string, sid: string | undefined, mailbox: MailboxIdentity): TrusteeClass {
  const name = trustee.trim();
  const lower = name.toLowerCase();
  const trusteeSid = sid?.trim() ?? '';

  if (lower === 'nt authority\\self' || trusteeSid.toUpperCase() === SELF_SID || name.toUpperCase() === SELF_SID) {
    return 'self';
  }
  if (isOwnPrincipal(name, mailbox)) return 'self';
  // Nothing to look up: an empty trustee cannot be a delegate.
  if (name === '') return 'system';
  if (SYSTEM_PREFIXES.some((prefix) => lower.startsWith(prefix))) return 'system';
  if (isSystemSid(trusteeSid)) return 'system';
  if (isSid(name)) return DIRECTORY_SID.test(name) ? 'orphanedSid' : 'system';
  // `DOMAIN\Name` stays whole: Get-Recipient accepts it as an identity, and it keeps two forests' Names apart.
  return { key: lower };
}

export type TrusteeKeyKind =
  | { kind: 'address'; address: string }
  | { kind: 'objectId'; id: string }
  | { kind: 'name'; name: string };

/** Tells a resolver which lookup a `TrusteeKey` needs, most exact first (docs/wire.md "Names are not identities"). */
export function describeTrusteeKey(key: TrusteeKey): TrusteeKeyKind {
  if (key.includes('@')) return { kind: 'address', address: key };
  if (GUID.test(key)) return { kind: 'objectId', id: key };
  return { kind: 'name', name: key };
}
