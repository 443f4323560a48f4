import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { ANCHOR, graphGet, invokeCommand, json, request, shapeMismatch, tokenOrThrow, type HttpResult } from './helpers.js';

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
    const r = await invokeCommand(sim, exo, 'Get-MailboxPermission', { Identity: 'alex.wilber@contoso.com' });
    expect(r.status).toBe(200);
    const rows = expectShape('exo-get-mailboxpermission.json', r).value as Array<Record<string, unknown>>;
    const users = rows.map((row) => row.User);
    expect(users).toEqual(expect.arrayContaining(['NT AUTHORITY\\SELF', 'grady.archie@contoso.com', 'SalesSharedAccess', 'Discovery Management', sim.tenant.demo.orphanedSid, 'NT AUTHORITY\\SYSTEM']));
    expect(rows.find((row) => row.User === 'NT AUTHORITY\\SELF')).toMatchObject({ UserSid: 'S-1-5-10', AccessRights: ['FullAccess, ReadPermission'], IsInherited: false });
    expect(rows.find((row) => row.User === 'joni.sherman@contoso.com')).toMatchObject({ Deny: true, IsInherited: false });
    expect(rows.filter((row) => row.IsInherited === true && row.Deny === true).length).toBeGreaterThanOrEqual(2);
  });

  it('exo-get-recipientpermission.json', async () => {
    const r = await invokeCommand(sim, exo, 'Get-RecipientPermission', { Identity: 'alex.wilber@contoso.com' });
    expect(r.status).toBe(200);
    const rows = expectShape('exo-get-recipientpermission.json', r).value as Array<Record<string, unknown>>;
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
      const r = await invokeCommand(sim, exo, 'Get-Mailbox', { ResultSize: 'Unlimited' }, { url: next.slice(sim.url.length), headers });
      const page = json(r);
      seen.push(...(page.value as Array<{ ExternalDirectoryObjectId: string }>).map((m) => m.ExternalDirectoryObjectId));
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
    expect(rows[0]).toMatchObject({ RecipientTypeDetails: 'MailUniversalSecurityGroup', ExternalDirectoryObjectId: sim.tenant.demo.salesSharedAccessGroupId });
  });

  it('exo-error-notfound.json: HTTP 400 for a mailbox that does not exist', async () => {
    const r = await invokeCommand(sim, exo, 'Get-MailboxPermission', { Identity: 'ghost@contoso.com' });
    expect(r.status).toBe(400);
    const body = expectShape('exo-error-notfound.json', r) as { error: { innererror: { internalexception: { type: string; message: string } } } };
    expect(body.error.innererror.internalexception.type).toBe('Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException');
    expect(body.error.innererror.internalexception.message).toContain("'ghost@contoso.com'");
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
      headers: { Authorization: `Bearer ${exo}`, 'Content-Type': 'application/json', 'X-AnchorMailbox': ANCHOR(sim.tenantId) },
      body: JSON.stringify({ requests: [item('1', 'megan.bowen@contoso.com'), item('2', 'ghost@contoso.com')] }),
    });
    expect(r.status).toBe(200);
    const body = expectShape('exo-batch-response.json', r) as { responses: Array<{ id: string; status: number }> };
    expect(body.responses.map((x) => [x.id, x.status])).toEqual([
      ['1', 200],
      ['2', 400],
    ]);
  });

  it('graph-transitivemembers-page.json: a page holding users and nested groups, with a nextLink', async () => {
    const select = '$select=id,displayName,userPrincipalName,mail,accountEnabled';
    const r = await graphGet(sim, graph, `/groups/${sim.tenant.demo.salesGroupId}/transitiveMembers?${select}&$top=4`);
    expect(r.status).toBe(200);
    const body = expectShape('graph-transitivemembers-page.json', r);
    expect(String(body['@odata.nextLink'])).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/groups\/.+\/transitiveMembers\?.*\$skiptoken=/);
  });

  it('graph-calendarpermissions.json', async () => {
    const r = await graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}/calendar/calendarPermissions`);
    expect(r.status).toBe(200);
    const entries = expectShape('graph-calendarpermissions.json', r).value as Array<{ id: string; role: string; emailAddress: { address?: string } }>;
    expect(entries[0]).toMatchObject({ id: 'RGVmYXVsdA==', emailAddress: { name: 'My Organization' } });
    expect(entries.find((e) => e.emailAddress.address === 'megan.bowen@contoso.com')?.role).toBe('delegateWithPrivateEventAccess');
  });

  it('graph-error-throttled.json: 429 body once over the rate limit', async () => {
    sim.setKnobs({ rateLimits: { graph: 2 } });
    try {
      const results = await Promise.all(Array.from({ length: 8 }, () => graphGet(sim, graph, `/groups/${sim.tenant.demo.salesGroupId}`)));
      const throttled = results.filter((r) => r.status === 429);
      expect(throttled.length).toBeGreaterThan(0);
      for (const r of throttled) expectShape('graph-error-throttled.json', r);
    } finally {
      sim.setKnobs({ rateLimits: {} });
    }
  });
});
