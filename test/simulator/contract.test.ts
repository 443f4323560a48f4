import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersLegacyErrors, flagForm } from '../../dev/simulator/exchange.js';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import {
  ANCHOR,
  graphGet,
  invokeCommand,
  json,
  request,
  shapeMismatch,
  tokenOrThrow,
  type HttpResult,
} from './helpers.js';

const samplesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wire-samples');
const sample = (name: string): unknown => JSON.parse(readFileSync(path.join(samplesDir, name), 'utf8')) as unknown;

let sim: RunningSimulator;
let graph: string;
let exo: string;

beforeAll(async () => {
  sim = await startSimulator({ mailboxes: 200 });
  graph = await tokenOrThrow(sim, 'graph');
  exo = await tokenOrThrow(sim, 'exchange');
});
afterAll(async () => {
  await sim.stop();
});

function expectShape(name: string, r: HttpResult): Record<string, unknown> {
  const body = json(r);
  expect(shapeMismatch(sample(name), body), name).toBeUndefined();
  return body;
}

type Row = Record<string, unknown>;
type ExoErrorBody = {
  code: string;
  message: string;
  details: Array<{ message: string }>;
  innererror: { internalexception: { type: string; message: string } };
};
const NOT_FOUND_TYPE = 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException';

/**
 * The rows with `Deny` / `IsInherited` read back as booleans, after checking each is written in the form the
 * simulator chose for its mailbox (the samples show booleans; `"True"` and `{"IsPresent": …}` occur too).
 */
function flagsAsBooleans(rows: Row[], mailboxId: string): Row[] {
  const form = flagForm(mailboxId);
  return rows.map((row) => {
    const out = { ...row };
    for (const key of ['Deny', 'IsInherited'].filter((k) => k in row)) {
      const raw = row[key];
      if (form === 'boolean') expect(typeof raw, key).toBe('boolean');
      if (form === 'string') expect(raw, key).toMatch(/^(True|False)$/);
      if (form === 'switch') expect(raw, key).toEqual({ IsPresent: expect.any(Boolean) });
      out[key] = raw === true || raw === 'True' || (raw as { IsPresent?: unknown }).IsPresent === true;
    }
    return out;
  });
}

/** A made-up identity whose errors come back in the wanted form. */
function ghostAnswering(form: 'today' | 'legacy'): string {
  for (let i = 0; ; i++) {
    const identity = `ghost${i}@contoso.com`;
    if (answersLegacyErrors(identity) === (form === 'legacy')) return identity;
  }
}

describe('the simulator answers in the shapes of wire-samples/', () => {
  it('entra-openid-configuration.json, with URLs pointing at the simulator', async () => {
    const r = await request(sim, { path: `/${sim.tenantId}/v2.0/.well-known/openid-configuration` });
    expect(r.status).toBe(200);
    const body = expectShape('entra-openid-configuration.json', r);
    expect(body.issuer).toBe(`${sim.url}/${sim.tenantId}/v2.0`);
    expect(body.token_endpoint).toBe(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`);
    expect(body.jwks_uri).toBe(sim.api.jwksUri);
  });

  it('exo-get-mailboxpermission.json, with SELF, deny, orphan, role-group and inherited rows', async () => {
    const params = { Identity: 'alex.wilber@contoso.com', IncludeUnresolvedPermissions: true };
    const r = await invokeCommand(sim, exo, 'Get-MailboxPermission', params);
    expect(r.status).toBe(200);
    const body = json(r);
    const rows = flagsAsBooleans(body.value as Row[], sim.tenant.demo.alexId);
    expect(shapeMismatch(sample('exo-get-mailboxpermission.json'), { ...body, value: rows })).toBeUndefined();
    const users = rows.map((row) => row.User);
    expect(users).toEqual(
      expect.arrayContaining([
        'NT AUTHORITY\\SELF',
        'grady.archie@contoso.com',
        'SalesSharedAccess',
        'Discovery Management',
        sim.tenant.demo.orphanedSid,
        'NT AUTHORITY\\SYSTEM',
      ]),
    );
    expect(rows.find((row) => row.User === 'NT AUTHORITY\\SELF')).toMatchObject({
      UserSid: 'S-1-5-10',
      AccessRights: ['FullAccess, ReadPermission'],
      IsInherited: false,
    });
    expect(rows.find((row) => row.User === 'joni.sherman@contoso.com')).toMatchObject({
      Deny: true,
      IsInherited: false,
    });
    expect(rows.filter((row) => row.IsInherited === true && row.Deny === true).length).toBeGreaterThanOrEqual(2);
  });

  it('without IncludeUnresolvedPermissions the rows of deleted trustees are hidden', async () => {
    const r = await invokeCommand(sim, exo, 'Get-MailboxPermission', { Identity: 'alex.wilber@contoso.com' });
    const users = (json(r).value as Row[]).map((row) => row.User);
    expect(users).toContain('grady.archie@contoso.com');
    expect(users).not.toContain(sim.tenant.demo.orphanedSid);
    const asString = await invokeCommand(sim, exo, 'Get-MailboxPermission', {
      Identity: 'alex.wilber@contoso.com',
      IncludeUnresolvedPermissions: 'True',
    });
    expect((json(asString).value as Row[]).map((row) => row.User)).toContain(sim.tenant.demo.orphanedSid);
  });

  it('Deny / IsInherited come as booleans, "True" / "False" and {IsPresent}, one form per mailbox', async () => {
    const ids = sim.tenant.mailboxIds().slice(0, 24);
    const forms = new Set(ids.map(flagForm));
    expect([...forms].sort()).toEqual(['boolean', 'string', 'switch']);
    for (const id of ids) {
      const params = { Identity: id, IncludeUnresolvedPermissions: true };
      const r = await invokeCommand(sim, exo, 'Get-MailboxPermission', params);
      const rows = flagsAsBooleans(json(r).value as Row[], id);
      expect(rows.some((row) => row.IsInherited === true && row.Deny === true)).toBe(true);
      const sendAs = await invokeCommand(sim, exo, 'Get-RecipientPermission', { Identity: id });
      flagsAsBooleans(json(sendAs).value as Row[], id);
    }
  });

  it('exo-get-recipientpermission.json', async () => {
    const r = await invokeCommand(sim, exo, 'Get-RecipientPermission', { Identity: 'alex.wilber@contoso.com' });
    expect(r.status).toBe(200);
    const body = json(r);
    const rows = flagsAsBooleans(body.value as Row[], sim.tenant.demo.alexId);
    expect(shapeMismatch(sample('exo-get-recipientpermission.json'), { ...body, value: rows })).toBeUndefined();
    expect(rows.map((row) => row.Trustee)).toEqual(['NT AUTHORITY\\SELF', 'megan.bowen@contoso.com']);
  });

  it('exo-get-mailbox-page.json: first page of several, nextLink followed by POSTing the same body', async () => {
    const headers = { Prefer: 'odata.maxpagesize=50' };
    const first = await invokeCommand(sim, exo, 'Get-Mailbox', { ResultSize: 'Unlimited' }, { headers });
    expect(first.status).toBe(200);
    const body = expectShape('exo-get-mailbox-page.json', first);
    const seen = (body.value as Array<{ ExternalDirectoryObjectId: string }>).map((m) => m.ExternalDirectoryObjectId);
    let next = body['@odata.nextLink'] as string | undefined;
    while (next !== undefined) {
      expect(next.startsWith(`${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand?`)).toBe(true);
      const r = await invokeCommand(
        sim,
        exo,
        'Get-Mailbox',
        { ResultSize: 'Unlimited' },
        { url: next.slice(sim.url.length), headers },
      );
      const page = json(r);
      seen.push(
        ...(page.value as Array<{ ExternalDirectoryObjectId: string }>).map((m) => m.ExternalDirectoryObjectId),
      );
      next = page['@odata.nextLink'] as string | undefined;
    }
    expect(seen).toHaveLength(200);
    expect(new Set(seen).size).toBe(200);
  });

  it('exo-get-recipient.json', async () => {
    const r = await invokeCommand(sim, exo, 'Get-Recipient', { Identity: 'SalesSharedAccess' });
    expect(r.status).toBe(200);
    const rows = expectShape('exo-get-recipient.json', r).value as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      RecipientTypeDetails: 'MailUniversalSecurityGroup',
      ExternalDirectoryObjectId: sim.tenant.demo.salesSharedAccessGroupId,
    });
  });

  it("exo-error-notfound.json: today's form, HTTP 404, the real type and text only in details", async () => {
    const ghost = ghostAnswering('today');
    const r = await invokeCommand(sim, exo, 'Get-MailboxPermission', { Identity: ghost });
    expect(r.status).toBe(404);
    const body = expectShape('exo-error-notfound.json', r) as { error: ExoErrorBody };
    expect(body.error).toMatchObject({ code: 'NotFound', message: 'Error executing cmdlet' });
    expect(body.error.details[0]?.message).toBe(
      `Ex6F9304|${NOT_FOUND_TYPE}|The operation couldn't be performed because object '${ghost}' couldn't be ` +
        "found on 'AM6PR04A08DC001.EURPR04A008.PROD.OUTLOOK.COM'.",
    );
    const wrapper = (sample('exo-error-notfound.json') as { error: ExoErrorBody }).error.innererror;
    expect(body.error.innererror).toEqual(wrapper);
  });

  it('exo-error-legacy.json: the older form for some identities, the real text also in innererror', async () => {
    const ghost = ghostAnswering('legacy');
    const r = await invokeCommand(sim, exo, 'Get-Mailbox', { Identity: ghost });
    expect(r.status).toBe(400);
    const body = expectShape('exo-error-legacy.json', r) as { error: ExoErrorBody };
    expect(body.error).toMatchObject({ code: 'BadRequest', message: 'Invalid Operation' });
    expect(body.error.details[0]?.message.startsWith(`|${NOT_FOUND_TYPE}|`)).toBe(true);
    expect(body.error.innererror.internalexception).toMatchObject({ type: NOT_FOUND_TYPE });
    expect(body.error.innererror.internalexception.message).toContain(`'${ghost}'`);
  });

  it('exo-warnings-no-value.json: a 200 with warnings and no value, where the knob asks for it', async () => {
    sim.setKnobs({ warningsOnly: { identities: ['Megan.Bowen@contoso.com'] } });
    try {
      const r = await invokeCommand(sim, exo, 'Get-RecipientPermission', { Identity: 'megan.bowen@contoso.com' });
      expect(r.status).toBe(200);
      const body = expectShape('exo-warnings-no-value.json', r);
      expect(body).not.toHaveProperty('value');
      expect(body['@adminapi.warnings']).toEqual([expect.stringContaining("'megan.bowen@contoso.com'")]);
      const other = await invokeCommand(sim, exo, 'Get-RecipientPermission', { Identity: 'alex.wilber@contoso.com' });
      expect(json(other)).toHaveProperty('value');
    } finally {
      sim.setKnobs({ warningsOnly: {} });
    }
  });

  it('exo-batch-response.json: two items, one failed', async () => {
    const invokeUrl = `${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand`;
    const item = (id: string, identity: string) => ({
      id,
      method: 'POST',
      url: invokeUrl,
      headers: { 'Content-Type': 'application/json' },
      body: { CmdletInput: { CmdletName: 'Get-MailboxPermission', Parameters: { Identity: identity } } },
    });
    const r = await request(sim, {
      method: 'POST',
      path: `/adminapi/beta/${sim.tenantId}/$batch`,
      headers: {
        Authorization: `Bearer ${exo}`,
        'Content-Type': 'application/json',
        'X-AnchorMailbox': ANCHOR(sim.tenantId),
      },
      body: JSON.stringify({ requests: [item('1', 'megan.bowen@contoso.com'), item('2', ghostAnswering('today'))] }),
    });
    expect(r.status).toBe(200);
    const body = json(r) as { responses: Array<{ id: string; status: number; body: { value?: Row[] } }> };
    const first = body.responses[0]?.body;
    const firstRows = flagsAsBooleans(first?.value ?? [], sim.tenant.demo.meganId);
    const responses = body.responses.map((x, i) => (i === 0 ? { ...x, body: { ...first, value: firstRows } } : x));
    const asSample = { responses };
    expect(shapeMismatch(sample('exo-batch-response.json'), asSample)).toBeUndefined();
    expect(body.responses.map((x) => [x.id, x.status])).toEqual([
      ['1', 200],
      ['2', 404],
    ]);
  });

  it('graph-transitivemembers-page.json: a page holding users and nested groups, with a nextLink', async () => {
    const select = '$select=id,displayName,userPrincipalName,mail,accountEnabled';
    const r = await graphGet(sim, graph, `/groups/${sim.tenant.demo.salesGroupId}/transitiveMembers?${select}&$top=4`);
    expect(r.status).toBe(200);
    const body = expectShape('graph-transitivemembers-page.json', r);
    expect(String(body['@odata.nextLink'])).toMatch(
      /^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/groups\/.+\/transitiveMembers\?.*\$skiptoken=/,
    );
  });

  it('graph-calendarpermissions.json', async () => {
    const r = await graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}/calendar/calendarPermissions`);
    expect(r.status).toBe(200);
    const entries = expectShape('graph-calendarpermissions.json', r).value as Array<{
      id: string;
      role: string;
      emailAddress: { address?: string };
    }>;
    expect(entries[0]).toMatchObject({ id: 'RGVmYXVsdA==', emailAddress: { name: 'My Organization' } });
    expect(entries.find((e) => e.emailAddress.address === 'megan.bowen@contoso.com')?.role).toBe(
      'delegateWithPrivateEventAccess',
    );
  });

  it('graph-error-throttled.json: 429 body once over the rate limit', async () => {
    sim.setKnobs({ rateLimits: { graph: 2 } });
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, () => graphGet(sim, graph, `/groups/${sim.tenant.demo.salesGroupId}`)),
      );
      const throttled = results.filter((r) => r.status === 429);
      expect(throttled.length).toBeGreaterThan(0);
      for (const r of throttled) expectShape('graph-error-throttled.json', r);
    } finally {
      sim.setKnobs({ rateLimits: {} });
    }
  });
});
