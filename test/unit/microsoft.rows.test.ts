import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PermanentUpstreamError } from '../../shared/errors.js';
import {
  directoryObjectSchema,
  mailboxPermissionRowSchema,
  odataString,
  parseRows,
  queryString,
  recipientPermissionRowSchema,
  splitAccessRights,
} from '../../shared/adapters/microsoft/index.js';

describe('splitAccessRights', () => {
  it.each([
    { input: ['FullAccess, ReadPermission'], expected: ['FullAccess', 'ReadPermission'] },
    { input: ['FullAccess'], expected: ['FullAccess'] },
    {
      input: ['FullAccess, DeleteItem, ReadPermission, ChangePermission, ChangeOwner'],
      expected: ['FullAccess', 'DeleteItem', 'ReadPermission', 'ChangePermission', 'ChangeOwner'],
    },
    { input: ['SendAs', ' SendAs ,', ''], expected: ['SendAs'] },
    { input: [], expected: [] },
  ])('$input → $expected', ({ input, expected }) => {
    expect(splitAccessRights(input)).toEqual(expected);
  });
});

describe('parseRows', () => {
  it('a row that breaks the contract is EXCHANGE.BAD_ROW naming the cmdlet and the field, not the values', () => {
    const rows = [
      {
        Identity: 'a@contoso.com',
        User: 'secret-looking-value',
        AccessRights: 'FullAccess',
        IsInherited: 'no',
        Deny: false,
      },
    ];

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
    const [row] = parseRows(
      mailboxPermissionRowSchema,
      [{ Identity: 'a', User: 'b', AccessRights: 'FullAccess', IsInherited: false, Deny: false }],
      {
        service: 'exchange',
        source: 'Get-MailboxPermission',
      },
    );
    expect(row?.AccessRights).toEqual(['FullAccess']);
  });

  describe('Deny / IsInherited in every form Exchange may send', () => {
    const permissionRow = (flags: object) => ({ Identity: 'a', User: 'b', AccessRights: ['x'], ...flags });
    const sendAsRow = (isInherited: unknown) => ({
      Identity: 'a',
      Trustee: 'b',
      AccessControlType: 'Allow',
      AccessRights: ['SendAs'],
      IsInherited: isInherited,
    });
    type Schema = typeof mailboxPermissionRowSchema | typeof recipientPermissionRowSchema;
    const parse = (row: unknown, schema: Schema = mailboxPermissionRowSchema) =>
      parseRows(schema, [row], { service: 'exchange', source: 'Get-MailboxPermission' })[0];

    it.each([
      { form: 'booleans', deny: true, inherited: false },
      { form: '"True"/"False"', deny: 'True', inherited: 'False' },
      { form: 'other case', deny: 'TRUE', inherited: 'false' },
      { form: 'switch objects', deny: { IsPresent: true }, inherited: { IsPresent: false } },
    ])('$form', ({ deny, inherited }) => {
      const row = parse(permissionRow({ Deny: deny, IsInherited: inherited, Unknown: { x: 1 } }));

      expect(row).toMatchObject({ Deny: true, IsInherited: false });
      expect(row).not.toHaveProperty('Unknown');
    });

    it.each([
      { field: 'Deny', value: 'yes' },
      { field: 'Deny', value: 1 },
      { field: 'Deny', value: null },
      { field: 'IsInherited', value: { IsPresent: 'True' } },
      { field: 'IsInherited', value: {} },
      { field: 'IsInherited', value: undefined },
    ])('$field = $value is a BAD_ROW naming $field, never a default', ({ field, value }) => {
      const row = { ...permissionRow({ Deny: false, IsInherited: false }), [field]: value };

      const error = (() => {
        try {
          parse(row);
          return undefined;
        } catch (e) {
          return e;
        }
      })();

      expect((error as PermanentUpstreamError | undefined)?.code).toBe('EXCHANGE.BAD_ROW');
      expect((error as Error).message).toContain(field);
    });

    it.each([
      { value: 'True', expected: true },
      { value: { IsPresent: true }, expected: true },
      { value: false, expected: false },
      { value: null, expected: false },
      { value: undefined, expected: false },
    ])('Get-RecipientPermission IsInherited $value → $expected', ({ value, expected }) => {
      expect(parse(sendAsRow(value), recipientPermissionRowSchema)?.IsInherited).toBe(expected);
    });

    it('Get-RecipientPermission IsInherited "maybe" is a BAD_ROW', () => {
      expect(() => parse(sendAsRow('maybe'), recipientPermissionRowSchema)).toThrow(/IsInherited/);
    });
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
    const query = queryString({
      $filter: `mail eq ${odataString("o'brien#ops+x&y@contoso.com")}`,
      $top: 5,
      $skip: undefined,
    });
    expect(query).toBe('?$filter=mail%20eq%20%27o%27%27brien%23ops%2Bx%26y%40contoso.com%27&$top=5');
    expect(new URL(`https://h/p${query}`).searchParams.get('$filter')).toBe("mail eq 'o''brien#ops+x&y@contoso.com'");
  });
});
