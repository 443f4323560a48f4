import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PermanentUpstreamError } from '../../shared/errors.js';
import {
  directoryObjectSchema,
  mailboxPermissionRowSchema,
  odataString,
  parseRows,
  queryString,
  splitAccessRights,
} from '../../shared/adapters/microsoft/index.js';

describe('splitAccessRights', () => {
  it.each([
    { input: ['FullAccess, ReadPermission'], expected: ['FullAccess', 'ReadPermission'] },
    { input: ['FullAccess'], expected: ['FullAccess'] },
    { input: ['FullAccess, DeleteItem, ReadPermission, ChangePermission, ChangeOwner'], expected: ['FullAccess', 'DeleteItem', 'ReadPermission', 'ChangePermission', 'ChangeOwner'] },
    { input: ['SendAs', ' SendAs ,', ''], expected: ['SendAs'] },
    { input: [], expected: [] },
  ])('$input → $expected', ({ input, expected }) => {
    expect(splitAccessRights(input)).toEqual(expected);
  });
});

describe('parseRows', () => {
  it('a row that breaks the contract is EXCHANGE.BAD_ROW naming the cmdlet and the field, not the values', () => {
    const rows = [{ Identity: 'a@contoso.com', User: 'secret-looking-value', AccessRights: 'FullAccess', IsInherited: 'no', Deny: false }];

    const error = (() => {
      try {
        parseRows(mailboxPermissionRowSchema, rows, { service: 'exchange', source: 'Get-MailboxPermission' });
        return undefined;
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(PermanentUpstreamError);
    expect((error as PermanentUpstreamError).code).toBe('EXCHANGE.BAD_ROW');
    expect((error as Error).message).toContain('Get-MailboxPermission');
    expect((error as Error).message).toContain('IsInherited');
    expect((error as Error).message).not.toContain('secret-looking-value');
  });

  it('a single AccessRights string is accepted as a one-element list', () => {
    const [row] = parseRows(mailboxPermissionRowSchema, [{ Identity: 'a', User: 'b', AccessRights: 'FullAccess', IsInherited: false, Deny: false }], {
      service: 'exchange',
      source: 'Get-MailboxPermission',
    });
    expect(row?.AccessRights).toEqual(['FullAccess']);
  });

  it.each([
    ['#microsoft.graph.user', 'user'],
    ['#microsoft.graph.group', 'group'],
    ['#microsoft.graph.device', 'device'],
    ['#microsoft.graph.orgContact', 'orgContact'],
    ['#microsoft.graph.servicePrincipal', 'other'],
    [undefined, 'other'],
  ])('directory object %s → %s', (odataType, kind) => {
    const parsed = directoryObjectSchema.parse({ ...(odataType ? { '@odata.type': odataType } : {}), id: 'x' });
    expect(parsed.kind).toBe(kind);
  });
});

/** Reads one OData string literal starting at `start`; returns its value and where it ends. */
function readLiteral(text: string, start: number): { value: string; end: number } {
  if (text[start] !== "'") throw new Error('not a literal');
  let value = '';
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 1;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += text[i];
  }
  throw new Error('unterminated literal');
}

describe('odataString', () => {
  it('an injection attempt stays inside one literal', () => {
    const attack = "x' or startswith(displayName,'') or mail eq 'y";
    const filter = `mail eq ${odataString(attack)}`;

    const literal = readLiteral(filter, 'mail eq '.length);

    expect(literal.end).toBe(filter.length);
    expect(literal.value).toBe(attack);
    expect(filter).toBe("mail eq 'x'' or startswith(displayName,'''') or mail eq ''y'");
  });

  it('round-trips any string as exactly one literal (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        const text = odataString(value);
        const literal = readLiteral(text, 0);
        return literal.value === value && literal.end === text.length;
      }),
    );
  });

  it('the query string percent-encodes #, &, + and quotes so the URL keeps the whole filter', () => {
    const query = queryString({ $filter: `mail eq ${odataString("o'brien#ops+x&y@contoso.com")}`, $top: 5, $skip: undefined });
    expect(query).toBe('?$filter=mail%20eq%20%27o%27%27brien%23ops%2Bx%26y%40contoso.com%27&$top=5');
    expect(new URL(`https://h/p${query}`).searchParams.get('$filter')).toBe("mail eq 'o''brien#ops+x&y@contoso.com'");
  });
});
