import { describe, expect, it } from 'vitest';
import { parseAuditRecord } from '../../shared/adapters/microsoft/auditRecords.js';
import {
  auditRecordMailboxIdentity,
  interpretAuditRecord,
  isSystemActor,
  type AuditRecord,
} from '../../shared/domain/auditHints.js';
import { sample } from '../contract/fakes.js';

type Raw = Record<string, unknown> & {
  Id: string;
  Operation: string;
  Parameters?: Array<{ Name: string; Value: string }>;
};

const BLOB = sample('mgmt-content-blob.json') as Raw[];

/** The blob's record with this Id (the samples' real shapes), changed by `patch`. */
function raw(id: string, patch: (r: Raw) => Raw = (r) => r): Raw {
  const found = BLOB.find((r) => r.Id === id);
  if (!found) throw new Error(`no record ${id} in mgmt-content-blob.json`);
  return patch(structuredClone(found));
}

function read(r: Raw): AuditRecord {
  const parsed = parseAuditRecord(r, 0);
  if (parsed.kind !== 'record') throw new Error(`unreadable: ${parsed.reason}`);
  return parsed.record;
}

function withParams(r: Raw, params: Record<string, string>): Raw {
  return { ...r, Parameters: Object.entries(params).map(([Name, Value]) => ({ Name, Value })) };
}

const FULL_ACCESS = '9c2d7e14-5a3b-4f60-8e21-6b4c3d2a1f02';
const SEND_AS = '3b1f6a52-8f0e-4d2a-9c61-0a7e5b2c4d11';
const SEND_ON_BEHALF = '5e8a1c33-2b7d-4e94-a0f5-3c9d8e7b6a03';
const CALENDAR_FOLDER = '7d6c5b4a-3e2f-4a1b-9c8d-7e6f5a4b3c04';
const SYSTEM = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c05';
const FAILED = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e06';
const NOISE = '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a707';
const CAL_DELEGATION = '6a7b8c9d-0e1f-4a2b-b3c4-d5e6f7a8b908';

describe('interpretAuditRecord: each delegation operation of the samples', () => {
  const rename = (op: string) => (r: Raw) => ({ ...r, Operation: op });
  describe.each([
    {
      name: 'Add-MailboxPermission FullAccess',
      record: raw(FULL_ACCESS),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'FullAccess', trustee: 'grady.archie@contoso.com' },
      change: 'grant',
    },
    {
      name: 'Remove-MailboxPermission FullAccess',
      record: raw(FULL_ACCESS, rename('Remove-MailboxPermission')),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'FullAccess', trustee: 'grady.archie@contoso.com' },
      change: 'revoke',
    },
    {
      name: 'Add-MailboxPermission with several rights, one FullAccess',
      record: raw(FULL_ACCESS, (r) =>
        withParams(r, { Identity: 'Sales', User: 'Sales Team', AccessRights: 'ReadPermission, FullAccess' }),
      ),
      hint: { mailbox: 'Sales', right: 'FullAccess', trustee: 'Sales Team' },
      change: 'grant',
    },
    {
      name: 'Add-RecipientPermission SendAs',
      record: raw(SEND_AS),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'SendAs', trustee: 'megan.bowen@contoso.com' },
      change: 'grant',
    },
    {
      name: 'Remove-RecipientPermission SendAs',
      record: raw(SEND_AS, rename('Remove-RecipientPermission')),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'SendAs', trustee: 'megan.bowen@contoso.com' },
      change: 'revoke',
    },
    {
      name: 'Set-Mailbox GrantSendOnBehalfTo, the remaining list (no trustee: it does not say who changed)',
      record: raw(SEND_ON_BEHALF),
      hint: { mailbox: '4f3e2d1c-0000-4000-8000-000000000021', right: 'SendOnBehalf', trustee: null },
      change: 'set',
    },
    {
      name: 'Set-Mailbox GrantSendOnBehalfTo emptied',
      record: raw(SEND_ON_BEHALF, (r) =>
        withParams(r, { Identity: 'alex.wilber@contoso.com', GrantSendOnBehalfTo: '' }),
      ),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'SendOnBehalf', trustee: null },
      change: 'set',
    },
    {
      name: 'Set-Mailbox GrantSendOnBehalfTo @{Add=…}',
      record: raw(SEND_ON_BEHALF, (r) =>
        withParams(r, { Identity: 'alex.wilber@contoso.com', GrantSendOnBehalfTo: '@{Add="kim@contoso.com"}' }),
      ),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'SendOnBehalf', trustee: 'kim@contoso.com' },
      change: 'grant',
    },
    {
      name: 'Set-Mailbox GrantSendOnBehalfTo @{Remove=…}',
      record: raw(SEND_ON_BEHALF, (r) =>
        withParams(r, { Identity: 'alex.wilber@contoso.com', GrantSendOnBehalfTo: '@{remove=kim@contoso.com}' }),
      ),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'SendOnBehalf', trustee: 'kim@contoso.com' },
      change: 'revoke',
    },
    {
      name: 'Set-Mailbox GrantSendOnBehalfTo @{Add=a,b}: several, no single trustee',
      record: raw(SEND_ON_BEHALF, (r) =>
        withParams(r, {
          Identity: 'alex.wilber@contoso.com',
          GrantSendOnBehalfTo: '@{Add=a@contoso.com,b@contoso.com}',
        }),
      ),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'SendOnBehalf', trustee: null },
      change: 'grant',
    },
    {
      name: 'Add-MailboxFolderPermission on :\\Calendar',
      record: raw(CALENDAR_FOLDER),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'CalendarDelegate', trustee: 'joni.sherman@contoso.com' },
      change: 'grant',
    },
    {
      name: 'Set-MailboxFolderPermission on a localized calendar (:\\Kalender)',
      record: raw(CALENDAR_FOLDER, (r) =>
        withParams(
          { ...r, Operation: 'Set-MailboxFolderPermission' },
          { Identity: 'anna@contoso.de:\\Kalender', User: 'ben@contoso.de', AccessRights: 'Reviewer' },
        ),
      ),
      hint: { mailbox: 'anna@contoso.de', right: 'CalendarDelegate', trustee: 'ben@contoso.de' },
      change: 'set',
    },
    {
      name: 'Remove-MailboxFolderPermission on :\\Calendar',
      record: raw(CALENDAR_FOLDER, rename('Remove-MailboxFolderPermission')),
      hint: { mailbox: 'alex.wilber@contoso.com', right: 'CalendarDelegate', trustee: 'joni.sherman@contoso.com' },
      change: 'revoke',
    },
    {
      name: 'folder permission on an unknown folder name: re-read, no right guessed',
      record: raw(CALENDAR_FOLDER, (r) =>
        withParams(r, { Identity: 'yuki@contoso.jp:\\カレンダー2', User: 'ken@contoso.jp', AccessRights: 'Editor' }),
      ),
      hint: { mailbox: 'yuki@contoso.jp', right: null, trustee: 'ken@contoso.jp' },
      change: 'grant',
    },
    {
      name: 'UpdateCalendarDelegation (mailbox audit): mailbox from MailboxOwnerUPN, no trustee',
      record: raw(CAL_DELEGATION),
      hint: { mailbox: 'patti.fernandez@contoso.com', right: 'CalendarDelegate', trustee: null },
      change: 'set',
    },
    {
      name: 'Add-MailboxPermission without AccessRights: re-read, no right guessed',
      record: raw(FULL_ACCESS, (r) => withParams(r, { Identity: 'alex.wilber@contoso.com', User: 'x@contoso.com' })),
      hint: { mailbox: 'alex.wilber@contoso.com', right: null, trustee: 'x@contoso.com' },
      change: 'grant',
    },
  ])('$name', ({ record, hint, change }) => {
    it('is a permission change naming the mailbox, right, trustee and actor', () => {
      const r = read(record);
      expect(interpretAuditRecord(r)).toEqual({
        kind: 'permissionChange',
        recordId: r.id,
        at: r.creationTime,
        operation: r.operation,
        actor: r.userId,
        mailboxIdentity: hint.mailbox,
        right: hint.right,
        trustee: hint.trustee,
        change,
      });
    });
  });
});

describe('interpretAuditRecord: every reason to ignore a record', () => {
  describe.each([
    {
      name: 'a system actor (NT AUTHORITY\\SYSTEM, UserType 3) granting FullAccess',
      record: raw(SYSTEM),
      reason: 'systemActor',
    },
    {
      name: 'UserType 4 (System) with a plain UserId',
      record: raw(FULL_ACCESS, (r) => ({ ...r, UserType: 4 })),
      reason: 'systemActor',
    },
    {
      name: 'the LocalSystem SID as actor',
      record: raw(FULL_ACCESS, (r) => ({ ...r, UserId: 'S-1-5-18', UserType: 0 })),
      reason: 'systemActor',
    },
    { name: 'a failed Remove-MailboxPermission (ResultStatus False)', record: raw(FAILED), reason: 'failedOperation' },
    {
      name: 'a mailbox audit action that Failed',
      record: raw(CAL_DELEGATION, (r) => ({ ...r, ResultStatus: 'Failed' })),
      reason: 'failedOperation',
    },
    { name: 'Set-Mailbox without GrantSendOnBehalfTo', record: raw(NOISE), reason: 'notPermissionChange' },
    {
      name: 'Add-MailboxPermission of other rights than FullAccess',
      record: raw(FULL_ACCESS, (r) =>
        withParams(r, { Identity: 'alex.wilber@contoso.com', User: 'x@contoso.com', AccessRights: 'ReadPermission' }),
      ),
      reason: 'notPermissionChange',
    },
    {
      name: 'a folder permission on the Inbox',
      record: raw(CALENDAR_FOLDER, (r) =>
        withParams(r, { Identity: 'alex.wilber@contoso.com:\\Inbox', User: 'x@contoso.com', AccessRights: 'Reviewer' }),
      ),
      reason: 'notPermissionChange',
    },
    {
      name: 'an operation the feed does not read',
      record: raw(NOISE, (r) => ({ ...r, Operation: 'New-InboxRule' })),
      reason: 'notPermissionChange',
    },
  ])('$name', ({ record, reason }) => {
    it(`is ignored: ${reason}`, () => {
      const r = read(record);
      expect(interpretAuditRecord(r)).toEqual({ kind: 'ignored', recordId: r.id, reason });
    });
  });

  it('an app acting app-only (UserType 5 / 6) is an actor, not a system account', () => {
    for (const userType of [5, 6]) {
      const r = read(raw(FULL_ACCESS, (x) => ({ ...x, UserType: userType, UserId: 'app@contoso.onmicrosoft.com' })));
      expect(isSystemActor(r)).toBe(false);
      expect(interpretAuditRecord(r)).toMatchObject({ kind: 'permissionChange', actor: 'app@contoso.onmicrosoft.com' });
    }
  });

  it('a not-a-delegation record is ignored as such even when a system account made it', () => {
    const r = read(raw(NOISE, (x) => ({ ...x, UserType: 3, UserId: 'NT AUTHORITY\\SYSTEM (w3wp)' })));
    expect(interpretAuditRecord(r)).toMatchObject({ reason: 'notPermissionChange' });
  });
});

describe('the mailbox a record names', () => {
  it('falls back from the Identity parameter to ObjectId, then the mailbox owner fields', () => {
    const noIdentity = read(
      raw(FULL_ACCESS, (r) => withParams(r, { User: 'x@contoso.com', AccessRights: 'FullAccess' })),
    );
    expect(auditRecordMailboxIdentity(noIdentity)).toBe(noIdentity.objectId);
    const ownerOnly = read(raw(CAL_DELEGATION, (r) => ({ ...r, MailboxOwnerUPN: null })));
    expect(auditRecordMailboxIdentity(ownerOnly)).toBe('8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d21');
  });

  it('a delegation record naming no mailbox throws (the client reads it as unreadable first)', () => {
    const r = read(raw(FULL_ACCESS));
    const bare: AuditRecord = { ...r, parameters: [{ name: 'AccessRights', value: 'FullAccess' }], objectId: null };
    expect(() => interpretAuditRecord(bare)).toThrow(/names no mailbox/);
  });
});
