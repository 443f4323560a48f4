import { describe, expect, it } from 'vitest';
import { PermanentUpstreamError, type RetryableError, ThrottledError } from '../../shared/errors.js';
import { createMicrosoftClients, type MicrosoftClientsOptions } from '../../shared/adapters/microsoft/index.js';
import { fakeCredentials, fakeFetch, json, noSleep, sample, tenantSettings, type Route } from './fakes.js';

function clientsAnswering(route: Route, options: MicrosoftClientsOptions = {}) {
  const recorder = fakeFetch(route);
  const clients = createMicrosoftClients(tenantSettings(), {
    fetch: recorder.fetch,
    createCredential: fakeCredentials().create,
    sleep: noSleep,
    ...options,
  });
  return { clients, calls: recorder.calls };
}

describe('Exchange wire samples parse through the client', () => {
  it('Get-MailboxPermission: every row, rights kept raw (comma-joined)', async () => {
    const { clients } = clientsAnswering(() => json(sample('exo-get-mailboxpermission.json')));

    const rows = await clients.exchange.getMailboxPermission('alex.wilber@contoso.com');

    expect(rows).toHaveLength(9);
    expect(rows[0]).toEqual({
      Identity: 'alex.wilber@contoso.com',
      User: 'NT AUTHORITY\\SELF',
      UserSid: 'S-1-5-10',
      AccessRights: ['FullAccess, ReadPermission'],
      IsInherited: false,
      Deny: false,
      InheritanceType: 'All',
    });
    expect(rows.filter((r) => r.Deny && !r.IsInherited).map((r) => r.User)).toEqual(['joni.sherman@contoso.com']);
  });

  it('Get-RecipientPermission', async () => {
    const { clients } = clientsAnswering(() => json(sample('exo-get-recipientpermission.json')));

    const rows = await clients.exchange.getRecipientPermission('alex.wilber@contoso.com');

    expect(rows.map((r) => [r.Trustee, r.AccessControlType, r.AccessRights])).toEqual([
      ['NT AUTHORITY\\SELF', 'Allow', ['SendAs']],
      ['megan.bowen@contoso.com', 'Allow', ['SendAs']],
    ]);
  });

  it('Get-Recipient ignores unknown fields', async () => {
    const { clients } = clientsAnswering(() => json(sample('exo-get-recipient.json')));

    const rows = await clients.exchange.getRecipient('SalesSharedAccess');

    expect(rows).toEqual([
      {
        Identity: 'SalesSharedAccess',
        Name: 'SalesSharedAccess',
        DisplayName: 'Sales Shared Access',
        PrimarySmtpAddress: 'salessharedaccess@contoso.com',
        ExternalDirectoryObjectId: '9a8b7c6d-0000-4000-8000-000000000031',
        RecipientType: 'MailUniversalSecurityGroup',
        RecipientTypeDetails: 'MailUniversalSecurityGroup',
      },
    ]);
  });

  it('Get-Mailbox page: follows @odata.nextLink by POSTing the same body and headers', async () => {
    const lastPage = { '@adminapi.warnings': [], value: [] };
    const { clients, calls } = clientsAnswering((_call, index) =>
      json(index === 0 ? sample('exo-get-mailbox-page.json') : lastPage),
    );

    const pages = [];
    for await (const page of clients.exchange.listMailboxes([
      'ExternalDirectoryObjectId',
      'GrantSendOnBehalfTo',
      'RecipientTypeDetails',
    ]))
      pages.push(page);

    expect(pages.map((p) => p.length)).toEqual([3, 0]);
    expect(pages[0]?.[0]).toEqual({
      ExternalDirectoryObjectId: 'a1b2c3d4-0000-4000-8000-000000000001',
      GrantSendOnBehalfTo: ['5f6e7d8c-0000-4000-8000-000000000009'],
      RecipientTypeDetails: 'UserMailbox',
    });
    expect(calls).toHaveLength(2);
    expect(calls[1]?.url).toBe(
      'https://outlook.office365.com/adminapi/beta/6babcaad-604b-40ac-a9d7-9fd97c0b779f/InvokeCommand' +
        '?%24skiptoken=eyJQYWdlIjoxfQ',
    );
    expect(calls[1]?.method).toBe('POST');
    expect(calls[1]?.body).toBe(calls[0]?.body);
    expect(calls[1]?.headers).toEqual(calls[0]?.headers);
    expect(JSON.parse(calls[0]?.body ?? '')).toEqual({
      CmdletInput: { CmdletName: 'Get-Mailbox', Parameters: { ResultSize: 'Unlimited' } },
    });
  });

  it.each([
    ["today's form", 'exo-error-notfound.json', 404],
    ['the legacy form', 'exo-error-legacy.json', 400],
  ])('not-found in %s: the real sentence and EXCHANGE.NOT_FOUND', async (_form, file, status) => {
    const { clients } = clientsAnswering(() => json(sample(file), status));

    const error = await clients.exchange.getMailboxPermission('ghost@contoso.com').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentUpstreamError);
    expect((error as PermanentUpstreamError).code).toBe('EXCHANGE.NOT_FOUND');
    expect((error as Error).message).toContain(
      "The operation couldn't be performed because object 'ghost@contoso.com' couldn't be found on",
    );
    expect((error as Error).message).not.toMatch(/Invalid Operation|Exception of type|Error executing cmdlet/);
    expect(await clients.exchange.getMailbox('ghost@contoso.com')).toBeUndefined();
  });

  it('anyMailbox: a probe bounded to one row (ResultSize 1, three fields)', async () => {
    const page = sample('exo-get-mailbox-page.json') as { value: unknown[] };
    const onePage = { '@adminapi.warnings': [], value: page.value.slice(0, 1) };
    const { clients, calls } = clientsAnswering(() => json(onePage));

    const mailbox = await clients.exchange.anyMailbox();

    const alex = 'alex.wilber@contoso.com';
    expect(mailbox).toEqual({ Identity: 'alex.wilber', UserPrincipalName: alex, PrimarySmtpAddress: alex });
    expect(calls).toHaveLength(1);
    const cmdletInput = { CmdletName: 'Get-Mailbox', Parameters: { ResultSize: 1 } };
    expect(JSON.parse(calls[0]?.body ?? '')).toEqual({ CmdletInput: cmdletInput });
    expect(calls[0]?.url).toMatch(/\/InvokeCommand\?\$select=Identity%2CUserPrincipalName%2CPrimarySmtpAddress$/);
  });

  it('Get-MailboxPermission asks for the rows of deleted trustees (IncludeUnresolvedPermissions)', async () => {
    const { clients, calls } = clientsAnswering(() => json(sample('exo-get-mailboxpermission.json')));

    await clients.exchange.getMailboxPermission('alex.wilber@contoso.com');

    expect(JSON.parse(calls[0]?.body ?? '')).toEqual({
      CmdletInput: {
        CmdletName: 'Get-MailboxPermission',
        Parameters: { Identity: 'alex.wilber@contoso.com', IncludeUnresolvedPermissions: true },
      },
    });
  });

  // Regression: a 200 holding only warnings was read as MALFORMED_RESPONSE and retried.
  it('exo-warnings-no-value.json: an empty result whose warnings reach the caller, one call each', async () => {
    const { clients, calls } = clientsAnswering(() => json(sample('exo-warnings-no-value.json')));
    const expected = ["The recipient 'ghost' couldn't be found; no permissions were returned."];
    const seen = { fullAccess: [] as string[], sendAs: [] as string[], mailbox: [] as string[] };

    expect(await clients.exchange.getMailboxPermission('ghost', seen.fullAccess)).toEqual([]);
    expect(await clients.exchange.getRecipientPermission('ghost', seen.sendAs)).toEqual([]);
    expect(await clients.exchange.getMailbox('ghost', seen.mailbox)).toBeUndefined();

    expect(seen).toEqual({ fullAccess: expected, sendAs: expected, mailbox: expected });
    expect(calls).toHaveLength(3);
  });

  it('collects the warnings of every page', async () => {
    const next = 'https://outlook.office365.com/adminapi/beta/x/InvokeCommand?p=2';
    const pages = [
      { '@adminapi.warnings': ['first'], value: [], '@odata.nextLink': next },
      { '@adminapi.warnings': ['second'] },
    ];
    const { clients } = clientsAnswering((_call, index) => json(pages[index]));
    const warnings: string[] = [];

    await clients.exchange.getRecipientPermission('a@contoso.com', warnings);

    expect(warnings).toEqual(['first', 'second']);
  });

  it.each([
    ['a body that is not an object', ['not', 'an', 'object']],
    ['"value" that is not an array', { '@adminapi.warnings': ['w'], value: { Identity: 'x' } }],
    ['no "value" and no warnings', { '@adminapi.warnings': [] }],
  ])('%s is still a malformed response', async (_name, body) => {
    const { clients } = clientsAnswering(() => json(body), { retry: { maxAttempts: 1 } });

    const error = await clients.exchange.getMailboxPermission('a@contoso.com').catch((e: unknown) => e);

    expect((error as RetryableError).code).toBe('EXCHANGE.MALFORMED_RESPONSE');
  });

  it('$batch response: one item rows, the other a typed not-found', async () => {
    const { clients } = clientsAnswering((call) => {
      // Answer with the sample, keyed by the ids the client chose.
      const ids = (JSON.parse(call.body ?? '{}') as { requests: Array<{ id: string }> }).requests.map((r) => r.id);
      const body = sample('exo-batch-response.json') as { responses: Array<{ id: string }> };
      for (const [i, r] of body.responses.entries()) r.id = ids[i] ?? r.id;
      return json(body);
    });

    const results = await clients.exchange.batch([
      { cmdlet: 'Get-MailboxPermission', parameters: { Identity: 'megan.bowen@contoso.com' } },
      { cmdlet: 'Get-MailboxPermission', parameters: { Identity: 'ghost@contoso.com' } },
    ]);

    expect(results[0]).toEqual({
      ok: true,
      value: { rows: [expect.objectContaining({ User: 'NT AUTHORITY\\SELF' })], warnings: [] },
    });
    expect(results[1]?.ok).toBe(false);
    const failure = results[1] as { ok: false; error: PermanentUpstreamError };
    expect(failure.error.code).toBe('EXCHANGE.NOT_FOUND');
    expect(failure.error.message).toContain("'ghost@contoso.com' couldn't be found");
  });
});

describe('Graph wire samples parse through the client', () => {
  it('transitiveMembers page: kinds from @odata.type, follows nextLink', async () => {
    const { clients, calls } = clientsAnswering((_call, index) =>
      json(index === 0 ? sample('graph-transitivemembers-page.json') : { value: [] }),
    );

    const pages = [];
    for await (const page of clients.graph.transitiveMembers('02bd9fd6-8f93-4758-87c3-1fb73740a315')) pages.push(page);

    expect(pages[0]).toEqual([
      {
        kind: 'user',
        odataType: '#microsoft.graph.user',
        id: 'a1b2c3d4-0000-4000-8000-000000000001',
        displayName: 'Alex Wilber',
        userPrincipalName: 'alex.wilber@contoso.com',
        mail: 'alex.wilber@contoso.com',
        accountEnabled: true,
      },
      {
        kind: 'group',
        odataType: '#microsoft.graph.group',
        id: 'b2c3d4e5-0000-4000-8000-000000000041',
        displayName: 'Sales EMEA',
        userPrincipalName: null,
        mail: 'sales.emea@contoso.com',
        accountEnabled: null,
      },
    ]);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.url).toContain(
      '$skiptoken=RFNwdAIAAQAAACpHcm91cF8wMmJkOWZkNi04ZjkzLTQ3NTgtODdjMy0xZmI3Mzc0MGEzMTU',
    );
    expect(calls[0]?.url).toBe(
      'https://graph.microsoft.com/v1.0/groups/02bd9fd6-8f93-4758-87c3-1fb73740a315/transitiveMembers' +
        '?$select=id%2CdisplayName%2CuserPrincipalName%2Cmail%2CaccountEnabled&$top=999',
    );
  });

  it('calendarPermissions: the default entry has no address', async () => {
    const { clients } = clientsAnswering(() => json(sample('graph-calendarpermissions.json')));

    const entries = await clients.graph.calendarPermissions('a1b2c3d4-0000-4000-8000-000000000001');

    expect(entries.map((e) => [e.role, e.emailAddress?.address ?? null])).toEqual([
      ['freeBusyRead', null],
      ['delegateWithPrivateEventAccess', 'megan.bowen@contoso.com'],
      ['read', 'diego.siciliani@contoso.com'],
    ]);
  });

  it('throttled body with Retry-After: 7 → ThrottledError carrying 7000 ms', async () => {
    const { clients } = clientsAnswering(
      () => json(sample('graph-error-throttled.json'), 429, { 'Retry-After': '7' }),
      {
        retry: { maxAttempts: 1 },
      },
    );

    const error = await clients.graph.getGroup('g1').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBe(7000);
    expect((error as ThrottledError).code).toBe('GRAPH.THROTTLED');
    expect((error as Error).message).toContain('Too many requests');
  });
});
