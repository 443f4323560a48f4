import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersLegacyErrors } from '../../dev/simulator/exchange.js';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { ANCHOR, invokeCommand, json, request, tokenOrThrow } from './helpers.js';

let sim: RunningSimulator;
let token: string;

beforeAll(async () => {
  sim = await startSimulator({ mailboxes: 1100 });
  token = await tokenOrThrow(sim, 'exchange');
});
afterAll(async () => {
  await sim.stop();
});

type Rows = { value: Array<Record<string, unknown>>; '@adminapi.warnings': string[]; '@odata.nextLink'?: string };
type ExoError = {
  error: { innererror: { internalexception: { type: string; message: string } }; details: Array<{ message: string }> };
};
const NOT_FOUND_TYPE = 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException';
/** Not-found is 404 in today's error form and 400 in the legacy one, chosen per identity. */
const notFoundStatus = (identity: string): number => (answersLegacyErrors(identity) ? 400 : 404);
/** The exception type of a cmdlet failure, as every form carries it: `<code>|<Type>|<text>` in details. */
const failureType = (body: unknown): string | undefined => (body as ExoError).error.details[0]?.message.split('|')[1];
const run = async (
  cmdlet: string,
  params: Record<string, unknown>,
  opts: { url?: string; headers?: Record<string, string> } = {},
) => {
  const r = await invokeCommand(sim, token, cmdlet, params, opts);
  return { status: r.status, body: json(r) as unknown };
};

describe('identity resolution', () => {
  it.each([
    ['UPN', 'alex.wilber@contoso.com'],
    ['primary SMTP in other case', 'Alex.Wilber@Contoso.com'],
    ['secondary proxy address', 'alex.w@contoso.com'],
    ['alias / Name', 'alex.wilber'],
  ])('finds a mailbox by %s', async (_kind, identity) => {
    const { status, body } = await run('Get-Mailbox', { Identity: identity });
    expect(status).toBe(200);
    expect((body as Rows).value.map((m) => m.ExternalDirectoryObjectId)).toEqual([sim.tenant.demo.alexId]);
  });

  it('finds a mailbox by ExternalDirectoryObjectId, and shows GUID Names in GrantSendOnBehalfTo', async () => {
    const { demo } = sim.tenant;
    const lidia = (await run('Get-Mailbox', { Identity: demo.lidiaId })).body as Rows;
    expect(lidia.value[0]).toMatchObject({ Name: demo.lidiaId, Identity: demo.lidiaId });
    const alex = (await run('Get-Mailbox', { Identity: demo.alexId })).body as Rows;
    expect(alex.value[0]?.GrantSendOnBehalfTo).toEqual([demo.lidiaId]);
  });

  it('Get-Recipient returns two rows for a shared Name; Get-Mailbox calls that ambiguous', async () => {
    const recipients = (await run('Get-Recipient', { Identity: 'Tim McMichael' })).body as Rows;
    expect(recipients.value.map((r) => r.ExternalDirectoryObjectId).sort()).toEqual(
      [...sim.tenant.demo.timMcMichaelIds].sort(),
    );
    const { status, body } = await run('Get-Mailbox', { Identity: 'Tim McMichael' });
    expect(status).toBe(400);
    expect(failureType(body)).toBe('Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException');
  });

  it('does not resolve role groups or users without a mailbox', async () => {
    for (const identity of ['Discovery Management', 'nora.nomail@contoso.com']) {
      const { status, body } = await run('Get-Recipient', { Identity: identity });
      expect(status).toBe(notFoundStatus(identity));
      expect(failureType(body)).toBe(NOT_FOUND_TYPE);
    }
  });

  describe('users with mail but no Exchange Online mailbox', () => {
    const cases = () => {
      const { demo } = sim.tenant;
      return [
        { who: 'guest', id: demo.guestUserId, details: 'GuestMailUser' },
        { who: 'mail user', id: demo.mailUserId, details: 'MailUser' },
        { who: 'on-premises mailbox', id: demo.onPremMailboxUserId, details: 'MailUser' },
      ];
    };

    it('the mailbox cmdlets answer ManagementObjectNotFoundException by id, UPN and address', async () => {
      for (const { id } of cases()) {
        const user = sim.tenant.users.get(id);
        for (const identity of [id, user?.userPrincipalName ?? '', user?.mail ?? '']) {
          for (const cmdlet of ['Get-Mailbox', 'Get-MailboxPermission', 'Get-RecipientPermission']) {
            const { status, body } = await run(cmdlet, { Identity: identity });
            expect(status, `${cmdlet} ${identity}`).toBe(notFoundStatus(identity));
            expect(failureType(body)).toBe(NOT_FOUND_TYPE);
          }
        }
      }
    });

    it('Get-Recipient lists them with their RecipientTypeDetails', async () => {
      for (const { id, details } of cases()) {
        const user = sim.tenant.users.get(id);
        for (const identity of [id, user?.mail ?? '']) {
          const { status, body } = await run('Get-Recipient', { Identity: identity });
          expect(status).toBe(200);
          expect((body as Rows).value).toEqual([
            expect.objectContaining({
              ExternalDirectoryObjectId: id,
              RecipientTypeDetails: details,
              PrimarySmtpAddress: user?.mail,
            }),
          ]);
        }
      }
    });

    it('the guest is a Graph guest with the external address as mail', () => {
      const guest = sim.tenant.users.get(sim.tenant.demo.guestUserId);
      expect(guest).toMatchObject({
        userType: 'Guest',
        userPrincipalName: 'ext.user_fabrikam.com#EXT#@contoso.onmicrosoft.com',
        mail: 'ext.user@fabrikam.com',
      });
    });
  });
});

describe('cmdlet errors', () => {
  it('answers an unknown cmdlet with a CommandNotFoundException', async () => {
    const { status, body } = await run('Get-MailboxFolderStatistics', {});
    expect(status).toBe(400);
    expect(failureType(body)).toBe('System.Management.Automation.CommandNotFoundException');
  });

  it('answers an unknown parameter, a missing Identity and Parameters: null with 400', async () => {
    expect((await run('Get-MailboxPermission', { Identity: 'alex.wilber', Bogus: 1 })).status).toBe(400);
    expect((await run('Get-MailboxPermission', {})).status).toBe(400);
    const notASwitch = { Identity: 'alex.wilber', IncludeUnresolvedPermissions: 'no' };
    const badSwitch = await run('Get-MailboxPermission', notASwitch);
    expect(failureType(badSwitch.body)).toBe('System.Management.Automation.ParameterBindingException');
    const r = await request(sim, {
      method: 'POST',
      path: `/adminapi/beta/${sim.tenantId}/InvokeCommand`,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        'X-AnchorMailbox': ANCHOR(sim.tenantId),
      },
      body: JSON.stringify({ CmdletInput: { CmdletName: 'Get-Mailbox', Parameters: null } }),
    });
    expect(r.status).toBe(400);
  });
});

describe('whole-tenant cmdlets', () => {
  it('Get-Mailbox without ResultSize stops at 1000 and warns; with Unlimited it pages through all', async () => {
    const capped = (await run('Get-Mailbox', {})).body as Rows;
    expect(capped.value).toHaveLength(1000);
    expect(capped['@odata.nextLink']).toBeUndefined();
    expect(capped['@adminapi.warnings'][0]).toMatch(/ResultSize/);
    const all = (await run('Get-Mailbox', { ResultSize: 'Unlimited' })).body as Rows;
    expect(all.value).toHaveLength(1000);
    expect(all['@adminapi.warnings']).toEqual([]);
    const next = all['@odata.nextLink'] ?? '';
    const rest = (await run('Get-Mailbox', { ResultSize: 'Unlimited' }, { url: next.slice(sim.url.length) }))
      .body as Rows;
    expect(rest.value).toHaveLength(100);
    expect(rest['@odata.nextLink']).toBeUndefined();
  });

  it('honours ?$select= on the URL, kept across pages', async () => {
    const path = `/adminapi/beta/${sim.tenantId}/InvokeCommand?$select=ExternalDirectoryObjectId,GrantSendOnBehalfTo`;
    const first = (
      await run('Get-Mailbox', { ResultSize: 'Unlimited' }, { url: path, headers: { Prefer: 'odata.maxpagesize=600' } })
    ).body as Rows;
    expect(first.value).toHaveLength(600);
    expect(Object.keys(first.value[0] ?? {}).sort()).toEqual(['ExternalDirectoryObjectId', 'GrantSendOnBehalfTo']);
    const second = (
      await run(
        'Get-Mailbox',
        { ResultSize: 'Unlimited' },
        { url: (first['@odata.nextLink'] ?? '').slice(sim.url.length), headers: { Prefer: 'odata.maxpagesize=600' } },
      )
    ).body as Rows;
    expect(Object.keys(second.value[0] ?? {}).sort()).toEqual(['ExternalDirectoryObjectId', 'GrantSendOnBehalfTo']);
  });

  it('Get-RecipientPermission -ResultSize Unlimited -AccessRights SendAs pages every mailbox row', async () => {
    const rows: Array<Record<string, unknown>> = [];
    let url: string | undefined;
    do {
      const page = (
        await run(
          'Get-RecipientPermission',
          { ResultSize: 'Unlimited', AccessRights: 'SendAs' },
          url === undefined ? {} : { url },
        )
      ).body as Rows;
      rows.push(...page.value);
      url = page['@odata.nextLink']?.slice(sim.url.length);
    } while (url !== undefined);
    const explicit = [...sim.tenant.permissions.values()].reduce((n, p) => n + p.sendAs.length, 0);
    expect(rows).toHaveLength(sim.tenant.mailboxIds().length + explicit);
    expect(rows.filter((r) => r.Trustee === 'NT AUTHORITY\\SELF')).toHaveLength(sim.tenant.mailboxIds().length);
  });
});

describe('the live model', () => {
  it('shows a grant at once and turns a deleted trustee into an orphaned SID', async () => {
    const { demo } = sim.tenant;
    const diego = sim.tenant.users.get(demo.diegoId);
    sim.tenant.grantFullAccess(demo.meganId, demo.diegoId);
    const before = ((await run('Get-MailboxPermission', { Identity: demo.meganId })).body as Rows).value;
    expect(before.find((r) => r.User === 'diego.siciliani@contoso.com')).toMatchObject({
      UserSid: diego?.sid,
      Deny: false,
      IsInherited: false,
    });
    sim.tenant.deleteUser(demo.diegoId);
    const params = { Identity: demo.meganId, IncludeUnresolvedPermissions: true };
    const after = ((await run('Get-MailboxPermission', params)).body as Rows).value;
    expect(after.find((r) => r.UserSid === diego?.sid)?.User).toBe(diego?.sid);
    const hidden = ((await run('Get-MailboxPermission', { Identity: demo.meganId })).body as Rows).value;
    expect(hidden.some((r) => r.UserSid === diego?.sid)).toBe(false);
    expect((await run('Get-Mailbox', { Identity: demo.diegoId })).status).toBe(notFoundStatus(demo.diegoId));
  });
});

describe('$batch', () => {
  const item = (id: string, identity: string) => ({
    id,
    method: 'POST',
    url: `${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand`,
    body: { CmdletInput: { CmdletName: 'Get-RecipientPermission', Parameters: { Identity: identity } } },
  });
  const post = (requests: unknown[]) =>
    request(sim, {
      method: 'POST',
      path: `/adminapi/beta/${sim.tenantId}/$batch`,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        'X-AnchorMailbox': ANCHOR(sim.tenantId),
      },
      body: JSON.stringify({ requests }),
    });

  it('the warningsOnly knob: a cmdlet answers 200 with warnings and no value, in a batch as well', async () => {
    sim.setKnobs({ warningsOnly: { cmdlets: ['get-recipientpermission'] } });
    try {
      const r = await post([item('1', 'alex.wilber@contoso.com')]);
      const answer = json<{ responses: Array<{ status: number; body: Record<string, unknown> }> }>(r).responses[0];
      expect(answer?.status).toBe(200);
      expect(answer?.body).not.toHaveProperty('value');
      expect(answer?.body['@adminapi.warnings']).toHaveLength(1);
      expect(((await run('Get-Mailbox', { Identity: 'alex.wilber@contoso.com' })).body as Rows).value).toHaveLength(1);
    } finally {
      sim.setKnobs({ warningsOnly: {} });
    }
    const after = await post([item('1', 'alex.wilber@contoso.com')]);
    const afterBody = json<{ responses: Array<{ body: Record<string, unknown> }> }>(after).responses[0]?.body;
    expect(afterBody).toHaveProperty('value');
  });

  it('takes up to 10 items and refuses 11', async () => {
    const ten = await post(Array.from({ length: 10 }, (_, i) => item(String(i), 'alex.wilber@contoso.com')));
    expect(ten.status).toBe(200);
    expect(json<{ responses: Array<{ status: number }> }>(ten).responses.map((r) => r.status)).toEqual(
      Array(10).fill(200),
    );
    expect((await post(Array.from({ length: 11 }, (_, i) => item(String(i), 'alex.wilber@contoso.com')))).status).toBe(
      400,
    );
  });
});
