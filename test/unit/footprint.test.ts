import { describe, expect, it } from 'vitest';
import { type Footprint, footprintCsv } from '../../shared/usecases/footprint.js';

const mailbox = { id: 'm-1', address: 'shared@contoso.com', displayName: '=HYPERLINK("http://x","pay")' };
const group = { kind: 'group' as const, id: 'g-1', displayName: '+Assistants, "all"' };
const right = {
  source: 'MailboxPermissionSync' as const,
  firstSeen: '2026-03-01T00:00:00Z',
  lastConfirmed: '',
  grantedBy: null,
  grantedAt: null,
  lastVerified: null,
};

describe('footprint CSV', () => {
  it('is one table whose section column names each line’s list, every cell made safe for a spreadsheet', () => {
    const footprint: Footprint = {
      user: { id: 'u-1', upn: 'pat@contoso.com', address: 'pat@contoso.com', displayName: '@Pat' },
      canOpen: [{ mailbox, rights: [{ ...right, right: 'FullAccess', via: [group] }] }],
      onOwnMailbox: [
        {
          delegate: {
            id: 'd-1',
            upn: 'lee@contoso.com',
            address: 'lee@contoso.com',
            displayName: '-Lee',
            accountEnabled: null,
          },
          rights: [{ ...right, right: 'SendAs', via: [{ kind: 'direct' }] }],
        },
      ],
      throughGroups: [
        {
          group: { id: 'g-1', displayName: group.displayName },
          mailboxes: [{ mailbox, rights: [{ right: 'FullAccess', source: 'MailboxPermissionSync' }] }],
        },
      ],
    };

    const lines = footprintCsv(footprint).split('\r\n');

    expect(lines[0]).toBe(
      'section,mailboxId,mailboxAddress,mailboxDisplayName,delegateId,delegateAddress,delegateDisplayName,groupId,' +
        'groupDisplayName,right,source,via,firstSeen,lastConfirmed',
    );
    expect(lines.slice(1, -1).map((l) => l.split(',')[0])).toEqual(['canOpen', 'onOwnMailbox', 'throughGroups']);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://x"",""pay"")"`);
    expect(lines[1]).toContain(`"'@Pat"`);
    expect(lines[2]).toContain(`"'-Lee"`);
    expect(lines[3]).toContain(`"'+Assistants, ""all"""`);
    expect(lines.at(-1)).toBe('');
  });
});
