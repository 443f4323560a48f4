import type { Right } from './delegation/types.js';

/** An audit record as the feed keeps it (the fields the change feed reads; the wire has many more). */
export interface AuditRecord {
  /** The record's `Id` (a GUID): one change, whichever blob carries it. */
  id: string;
  /** `CreationTime` as ISO 8601 UTC (the wire omits the `Z`). */
  creationTime: string;
  /** `Operation`, e.g. `Add-MailboxPermission`. */
  operation: string;
  /** `RecordType` (1 ExchangeAdmin, 2 ExchangeItem, …). */
  recordType: number;
  workload: string | null;
  /** `UserId`: who made the change (a UPN, or a system account such as `NT AUTHORITY\SYSTEM (…)`). */
  userId: string;
  /** `UserType` (0 Regular, 2 Admin, 3 DcAdmin, 4 System, 5 Application, 6 ServicePrincipal, …), when sent. */
  userType: number | null;
  /** `ObjectId`: the object the cmdlet changed, as Exchange names it. */
  objectId: string | null;
  /** `Parameters` of an admin cmdlet: `[{Name, Value}]`. */
  parameters: Array<{ name: string; value: string }>;
  /** `ResultStatus` (`True`/`Succeeded`, `False`/`Failed`, …) when sent. */
  resultStatus: string | null;
  /** Mailbox audit records (`UpdateCalendarDelegation`, folder permissions): the mailbox owner's object id. */
  mailboxGuid: string | null;
  mailboxOwnerUpn: string | null;
}

/** One entry of a content blob: a record, or why it could not be read (counted and logged, never dropped quietly). */
export type AuditRecordRead = { kind: 'record'; record: AuditRecord } | { kind: 'unreadable'; reason: string };

/**
 * What an audit record says about mailbox delegation (see `interpretAuditRecord`): a hint that one mailbox's
 * rights changed, to be re-read from Exchange; or why the feed ignores the record.
 */
export type AuditHint =
  | {
      kind: 'permissionChange';
      recordId: string;
      /** ISO 8601 UTC. */
      at: string;
      operation: string;
      /** Who made the change (the record's UserId). */
      actor: string;
      /** How the record names the changed mailbox: an object id, address, UPN or name (resolve it). */
      mailboxIdentity: string;
      /** The right the record is about, when it says. */
      right: Right | null;
      /** The trustee the record names (granted or removed), when it names one; a removal may not. */
      trustee: string | null;
      change: 'grant' | 'revoke' | 'set';
    }
  | { kind: 'ignored'; recordId: string; reason: 'notPermissionChange' | 'systemActor' | 'failedOperation' };

/** A hint that names a mailbox delegation change (see AuditHint). */
export type PermissionChangeHint = Extract<AuditHint, { kind: 'permissionChange' }>;

/**
 * What an Office 365 audit record says about mailbox delegation (docs/wire.md, "Office 365 Management Activity API").
 * Pure: the record is a hint that names a mailbox to re-read; Exchange stays the truth, so every doubt resolves to
 * "re-read" (a hint with less detail), never to a guessed right or trustee.
 */

// The primary calendar's folder name in the languages Exchange localizes it to (docs/wire.md: folder names are
// localized; an unknown name is not ignored, it becomes a hint without a right).
const CALENDAR_FOLDER_NAMES: ReadonlySet<string> = new Set(
  [
    'calendar',
    'kalender',
    'calendrier',
    'calendario',
    'calendário',
    'agenda',
    'kalenteri',
    'naptár',
    'kalendarz',
    'kalendář',
    'takvim',
    'ημερολόγιο',
    'календарь',
    '予定表',
    '日历',
    '行事曆',
    '일정',
  ].map((name) => name.normalize('NFC')),
);

// English default folders that are not the calendar: a permission change there is not a delegation we track.
const OTHER_DEFAULT_FOLDERS: ReadonlySet<string> = new Set([
  'inbox',
  'contacts',
  'tasks',
  'notes',
  'journal',
  'drafts',
  'sent items',
  'deleted items',
  'junk email',
  'outbox',
  'archive',
]);

// UserType 3 (DCAdmin: a datacenter admin or datacenter system account) and 4 (System: server-side logic). 5
// (Application) and 6 (ServicePrincipal) are apps someone in the tenant runs: they are actors, not system.
const SYSTEM_USER_TYPES: ReadonlySet<number> = new Set([3, 4]);
const LOCAL_SYSTEM_SID = 'S-1-5-18';

type Change = PermissionChangeHint['change'];

/** The record's parameter `name` (case-insensitive), or undefined when the cmdlet was not given it. */
export function auditParameter(record: AuditRecord, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return record.parameters.find((p) => p.name.toLowerCase() === wanted)?.value;
}

/** True when a system account made the change (UserType DCAdmin/System, `NT AUTHORITY\…`, the LocalSystem SID). */
export function isSystemActor(record: Pick<AuditRecord, 'userId' | 'userType'>): boolean {
  if (record.userType !== null && SYSTEM_USER_TYPES.has(record.userType)) return true;
  const user = record.userId.trim();
  return /^NT AUTHORITY\\/i.test(user) || user.toUpperCase() === LOCAL_SYSTEM_SID;
}

/** True when the cmdlet or action failed (`ResultStatus` False / Failed); a missing status counts as done. */
export function isFailedOperation(record: Pick<AuditRecord, 'resultStatus'>): boolean {
  const status = record.resultStatus?.trim().toLowerCase();
  return status === 'false' || status === 'failed';
}

/** `<mailbox>:\<folder path>` split in two; `folder` is null when the identity names no folder. */
export function splitFolderIdentity(identity: string): { mailbox: string; folder: string | null } {
  const at = identity.indexOf(':\\');
  if (at < 0) return { mailbox: identity.trim(), folder: null };
  return { mailbox: identity.slice(0, at).trim(), folder: identity.slice(at + 2).trim() };
}

/**
 * How the record names the changed mailbox: the `Identity` parameter (without a `:\folder` part), else `ObjectId`,
 * else the mailbox audit fields `MailboxOwnerUPN` / `MailboxGuid`; null when it names none.
 */
export function auditRecordMailboxIdentity(record: AuditRecord): string | null {
  const identity = auditParameter(record, 'Identity');
  if (identity !== undefined && identity.trim() !== '') {
    const { mailbox } = splitFolderIdentity(identity);
    if (mailbox !== '') return mailbox;
  }
  for (const candidate of [record.objectId, record.mailboxOwnerUpn, record.mailboxGuid]) {
    if (candidate !== null && candidate.trim() !== '') return candidate.trim();
  }
  return null;
}

/** What the operation is about, before the actor and the outcome are looked at. */
type Reading = { right: Right | null; trustee: string | null; change: Change } | 'notPermissionChange';

function accessRights(record: AuditRecord): string[] | undefined {
  const raw = auditParameter(record, 'AccessRights');
  if (raw === undefined) return undefined;
  return raw
    .split(/[\s,;]+/)
    .map((r) => r.trim().toLowerCase())
    .filter((r) => r !== '');
}

function named(value: string | undefined): string | null {
  const clean = value?.trim().replace(/^["']|["']$/g, '');
  return clean === undefined || clean === '' ? null : clean;
}

function addOrRemove(operation: string): Change {
  return operation.toLowerCase().startsWith('remove-') ? 'revoke' : 'grant';
}

function mailboxPermission(record: AuditRecord): Reading {
  const rights = accessRights(record);
  const trustee = named(auditParameter(record, 'User'));
  const change = addOrRemove(record.operation);
  // Without AccessRights the record cannot say which right changed: re-read rather than guess.
  if (rights === undefined || rights.length === 0) return { right: null, trustee, change };
  return rights.includes('fullaccess') ? { right: 'FullAccess', trustee, change } : 'notPermissionChange';
}

function recipientPermission(record: AuditRecord): Reading {
  const rights = accessRights(record);
  const trustee = named(auditParameter(record, 'Trustee'));
  const change = addOrRemove(record.operation);
  if (rights === undefined || rights.length === 0) return { right: null, trustee, change };
  return rights.includes('sendas') ? { right: 'SendAs', trustee, change } : 'notPermissionChange';
}

// `@{Add=…}` / `@{Remove=…}` (or the same without `@{}`), one or more quoted or bare values.
const MULTI_VALUED = /^@?\{?\s*(add|remove)\s*=\s*(.*?)\s*\}?$/is;

function sendOnBehalf(record: AuditRecord): Reading {
  const value = auditParameter(record, 'GrantSendOnBehalfTo');
  if (value === undefined) return 'notPermissionChange';
  const form = MULTI_VALUED.exec(value.trim());
  if (form) {
    const values = (form[2] ?? '')
      .split(',')
      .map((v) => named(v))
      .filter((v): v is string => v !== null);
    const change: Change = (form[1] ?? '').toLowerCase() === 'add' ? 'grant' : 'revoke';
    return { right: 'SendOnBehalf', trustee: values.length === 1 ? (values[0] as string) : null, change };
  }
  // A whole list replaces the stored one: it names who is left, not who was added or removed (docs/wire.md).
  return { right: 'SendOnBehalf', trustee: null, change: 'set' };
}

function folderPermission(record: AuditRecord): Reading {
  const operation = record.operation.toLowerCase();
  const change: Change = operation.startsWith('add-') ? 'grant' : operation.startsWith('remove-') ? 'revoke' : 'set';
  const trustee = named(auditParameter(record, 'User'));
  const identity = auditParameter(record, 'Identity');
  const folder = identity === undefined ? null : splitFolderIdentity(identity).folder;
  if (folder === null) return { right: null, trustee, change };
  const path = folder
    .replace(/^\\+|\\+$/g, '')
    .normalize('NFC')
    .toLowerCase();
  if (CALENDAR_FOLDER_NAMES.has(path)) return { right: 'CalendarDelegate', trustee, change };
  const top = path.split('\\')[0] ?? '';
  if (OTHER_DEFAULT_FOLDERS.has(top)) return 'notPermissionChange';
  // A localized name we do not know, a calendar subfolder or a folder id: fail safe, re-read the mailbox.
  return { right: null, trustee, change };
}

function read(record: AuditRecord): Reading {
  switch (record.operation.toLowerCase()) {
    case 'add-mailboxpermission':
    case 'remove-mailboxpermission':
      return mailboxPermission(record);
    case 'add-recipientpermission':
    case 'remove-recipientpermission':
      return recipientPermission(record);
    case 'set-mailbox':
      return sendOnBehalf(record);
    case 'add-mailboxfolderpermission':
    case 'set-mailboxfolderpermission':
    case 'remove-mailboxfolderpermission':
      return folderPermission(record);
    case 'updatecalendardelegation':
      // A mailbox audit action: the public schema does not say where it names the delegate (docs/wire.md).
      return { right: 'CalendarDelegate', trustee: null, change: 'set' };
    default:
      return 'notPermissionChange';
  }
}

/**
 * What one audit record hints (docs/design.md §8.4): a delegation change on a mailbox to re-read, or why the feed
 * ignores it (not a delegation operation, a failed one, or one a system account made). Throws a RangeError for a
 * delegation record that names no mailbox: the client reads such a record as unreadable before it gets here.
 */
export function interpretAuditRecord(record: AuditRecord): AuditHint {
  const reading = read(record);
  if (reading === 'notPermissionChange') {
    return { kind: 'ignored', recordId: record.id, reason: 'notPermissionChange' };
  }
  if (isFailedOperation(record)) return { kind: 'ignored', recordId: record.id, reason: 'failedOperation' };
  if (isSystemActor(record)) return { kind: 'ignored', recordId: record.id, reason: 'systemActor' };
  const mailboxIdentity = auditRecordMailboxIdentity(record);
  if (mailboxIdentity === null) {
    throw new RangeError(`audit record ${record.id} (${record.operation}) names no mailbox`);
  }
  return {
    kind: 'permissionChange',
    recordId: record.id,
    at: record.creationTime,
    operation: record.operation,
    actor: record.userId,
    mailboxIdentity,
    right: reading.right,
    trustee: reading.trustee,
    change: reading.change,
  };
}

/** True when the record is about a delegation we track (it must then name a mailbox; the client checks that). */
export function namesDelegationChange(record: AuditRecord): boolean {
  return read(record) !== 'notPermissionChange';
}
