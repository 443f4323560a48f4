import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { graphGet, json, request, tokenOrThrow } from './helpers.js';

let sim: RunningSimulator;
let token: string;

beforeAll(async () => {
  sim = await startSimulator({ mailboxes: 300 });
  token = await tokenOrThrow(sim, 'graph');
});
afterAll(async () => {
  await sim.stop();
});

type Member = { '@odata.type': string; id: string; accountEnabled?: boolean; userPrincipalName?: string; mail?: string | null };
type Page = { value: Member[]; '@odata.nextLink'?: string };

async function allPages(path: string): Promise<{ items: Member[]; pages: number }> {
  const items: Member[] = [];
  let pages = 0;
  let next: string | undefined = path;
  while (next !== undefined) {
    const r = await request(sim, { path: next, headers: { Authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    const body = json<Page>(r);
    items.push(...body.value);
    pages++;
    next = body['@odata.nextLink'];
    if (next !== undefined) {
      expect(next.startsWith(`${sim.url}/v1.0/`)).toBe(true);
      next = next.slice(sim.url.length);
    }
  }
  return { items, pages };
}

describe('transitiveMembers', () => {
  it('pages the whole flattened membership, each object once, nested groups, devices and contacts included', async () => {
    const { demo } = sim.tenant;
    const { items, pages } = await allPages(`/v1.0/groups/${demo.targetGroupId}/transitiveMembers?$select=id,displayName,userPrincipalName,mail,accountEnabled&$top=40`);
    const ids = items.map((m) => m.id);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(ids).size).toBe(ids.length);
    const mailboxIds = sim.tenant.mailboxIds();
    expect(ids).toEqual(expect.arrayContaining([...mailboxIds]));
    const types = new Set(items.map((m) => m['@odata.type']));
    expect([...types].sort()).toEqual(['#microsoft.graph.device', '#microsoft.graph.group', '#microsoft.graph.orgContact', '#microsoft.graph.user']);
    // The cycle Engineering -> Engineering EMEA -> Engineering is listed once, not looped.
    expect(ids.filter((id) => id === demo.cycleGroupIds[0])).toHaveLength(1);
    const noMailbox = items.find((m) => m.id === demo.noMailboxUserId);
    expect(noMailbox).toMatchObject({ mail: null, accountEnabled: true });
    const group = items.find((m) => m['@odata.type'] === '#microsoft.graph.group');
    expect(group).not.toHaveProperty('userPrincipalName');
  });

  it('defaults to pages of 100 and accepts 999 but answers 400 for $top=1000', async () => {
    const id = sim.tenant.demo.targetGroupId;
    expect(json<Page>(await graphGet(sim, token, `/groups/${id}/transitiveMembers`)).value).toHaveLength(100);
    expect((await graphGet(sim, token, `/groups/${id}/transitiveMembers?$top=999`)).status).toBe(200);
    const r = await graphGet(sim, token, `/groups/${id}/transitiveMembers?$top=1000`);
    expect(r.status).toBe(400);
    expect((json(r).error as { code: string }).code).toBe('Request_UnsupportedQuery');
  });

  it('returns accountEnabled only when selected', async () => {
    const r = json<Page>(await graphGet(sim, token, `/groups/${sim.tenant.demo.salesGroupId}/transitiveMembers?$select=id,mail`));
    expect(r.value.every((m) => !('accountEnabled' in m) && !('displayName' in m))).toBe(true);
  });
});

describe('groups', () => {
  const filter = async (f: string) => json<{ value: Array<{ id: string }> }>(await graphGet(sim, token, `/groups?$filter=${encodeURIComponent(f)}`)).value.map((g) => g.id);

  it('finds a group by mail, by onPremisesSamAccountName, by displayName and by prefix', async () => {
    const { demo } = sim.tenant;
    expect(await filter("mail eq 'SALES@contoso.com'")).toEqual([demo.salesGroupId]);
    expect(await filter("onPremisesSamAccountName eq 'AllStaff'")).toEqual([demo.targetGroupId]);
    expect(await filter("displayName eq 'Project Phoenix'")).toHaveLength(2);
    expect((await filter("startswith(displayName,'Sales')")).length).toBeGreaterThanOrEqual(4);
    expect(await filter("mail eq 'nobody@contoso.com'")).toEqual([]);
  });

  it("reads OData-escaped quotes ('') in string literals", async () => {
    const r = await graphGet(sim, token, `/users?$filter=${encodeURIComponent("displayName eq 'Seán O''Brien (Ops)'")}`);
    expect(json<{ value: Array<{ id: string }> }>(r).value.map((u) => u.id)).toEqual([sim.tenant.demo.quoteHashUserId]);
  });

  it('answers 400 for a malformed filter and 404 for an unknown or role group', async () => {
    expect((await graphGet(sim, token, `/groups?$filter=${encodeURIComponent("mail eq 'unterminated")}`)).status).toBe(400);
    expect((await graphGet(sim, token, '/groups/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const role = await graphGet(sim, token, `/groups/${sim.tenant.demo.discoveryManagementGroupId}`);
    expect(role.status).toBe(404);
    expect((json(role).error as { code: string }).code).toBe('Request_ResourceNotFound');
  });

  it('groups by id carry the fields WIRE.md lists', async () => {
    const g = json(await graphGet(sim, token, `/groups/${sim.tenant.demo.targetGroupId}`));
    expect(g).toMatchObject({ displayName: 'All Staff', mail: 'allstaff@contoso.com', mailEnabled: true, securityEnabled: true, groupTypes: [], onPremisesSamAccountName: 'AllStaff', onPremisesSyncEnabled: true });
  });
});

describe('users', () => {
  it("takes an id or a URL-encoded UPN with ' and #, but not an SMTP address that differs from the UPN", async () => {
    const { demo } = sim.tenant;
    const byUpn = await graphGet(sim, token, `/users/${encodeURIComponent(demo.quoteHashUpn)}?$select=id`);
    expect(json(byUpn)).toMatchObject({ id: demo.quoteHashUserId });
    const other = sim.tenant.users.get(demo.smtpNotUpnUserId);
    expect(other?.mail).not.toBe(other?.userPrincipalName);
    expect((await graphGet(sim, token, `/users/${other?.mail ?? ''}`)).status).toBe(404);
    const byMail = json<{ value: Array<{ id: string }> }>(await graphGet(sim, token, `/users?$filter=${encodeURIComponent(`mail eq '${other?.mail ?? ''}'`)}`));
    expect(byMail.value.map((u) => u.id)).toEqual([demo.smtpNotUpnUserId]);
    const byProxy = json<{ value: Array<{ id: string }> }>(await graphGet(sim, token, `/users?$filter=${encodeURIComponent(`proxyAddresses/any(p:p eq 'smtp:${demo.secondaryProxyAddress}')`)}`));
    expect(byProxy.value.map((u) => u.id)).toEqual([demo.alexId]);
  });

  it('leaves accountEnabled out unless selected, and shows mail: null without a mailbox', async () => {
    const { demo } = sim.tenant;
    expect(json(await graphGet(sim, token, `/users/${demo.alexId}`))).not.toHaveProperty('accountEnabled');
    expect(json(await graphGet(sim, token, `/users/${demo.sharedMailboxId}?$select=id,accountEnabled,mail`))).toMatchObject({ accountEnabled: false, mail: 'sales.team@contoso.com' });
    expect(json(await graphGet(sim, token, `/users/${demo.noMailboxUserId}?$select=mail`))).toMatchObject({ mail: null });
  });

  it('answers 404 MailboxNotEnabledForRESTAPI for the calendar of a user without a mailbox', async () => {
    const r = await graphGet(sim, token, `/users/${sim.tenant.demo.noMailboxUserId}/calendar/calendarPermissions`);
    expect(r.status).toBe(404);
    expect((json(r).error as { code: string }).code).toBe('MailboxNotEnabledForRESTAPI');
  });
});

describe('$batch', () => {
  const post = (body: unknown) =>
    request(sim, { method: 'POST', path: '/v1.0/$batch', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('answers 200 with one response per id, sub-request failures inside', async () => {
    const r = await post({
      requests: [
        { id: 'a', method: 'GET', url: `/users/${sim.tenant.demo.alexId}?$select=id` },
        { id: 'b', method: 'GET', url: '/users/ghost@contoso.com' },
        { id: 'c', method: 'GET', url: `groups/${sim.tenant.demo.salesGroupId}` },
      ],
    });
    expect(r.status).toBe(200);
    const byId = new Map(json<{ responses: Array<{ id: string; status: number; body: Record<string, unknown> }> }>(r).responses.map((x) => [x.id, x]));
    expect(byId.get('a')).toMatchObject({ status: 200, body: { id: sim.tenant.demo.alexId } });
    expect(byId.get('b')?.status).toBe(404);
    expect(byId.get('c')?.status).toBe(200);
  });

  it('refuses more than 20 requests', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: `/users/${sim.tenant.demo.alexId}` }));
    expect((await post({ requests })).status).toBe(400);
  });

  it('still answers 200 when sub-requests are throttled, with 429 inside', async () => {
    sim.setKnobs({ rateLimits: { graph: 3 } });
    try {
      const requests = Array.from({ length: 12 }, (_, i) => ({ id: String(i), method: 'GET', url: `/users/${sim.tenant.demo.alexId}` }));
      const r = await post({ requests });
      expect(r.status).toBe(200);
      const statuses = json<{ responses: Array<{ status: number }> }>(r).responses.map((x) => x.status);
      expect(statuses).toContain(429);
      expect(statuses).toContain(200);
    } finally {
      sim.setKnobs({ rateLimits: {} });
    }
  });
});
