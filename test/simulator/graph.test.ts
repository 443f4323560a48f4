import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { readFileSync } from 'node:fs';
import { graphGet, json, request, shapeMismatch, tokenOrThrow } from './helpers.js';

let sim: RunningSimulator;
let token: string;

beforeAll(async () => {
  sim = await startSimulator({ mailboxes: 300 });
  token = await tokenOrThrow(sim, 'graph');
});
afterAll(async () => {
  await sim.stop();
});

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(`test/contract/fixtures/${name}`, 'utf8')) as unknown;

type Member = {
  '@odata.type': string;
  id: string;
  accountEnabled?: boolean;
  userPrincipalName?: string;
  mail?: string | null;
};
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
  it(
    'pages the whole flattened membership, each object once, nested groups, ' + 'devices and contacts included',
    async () => {
      const { demo } = sim.tenant;
      const { items, pages } = await allPages(
        `/v1.0/groups/${demo.targetGroupId}/transitiveMembers` +
          '?$select=id,displayName,userPrincipalName,mail,accountEnabled&$top=40',
      );
      const ids = items.map((m) => m.id);
      expect(pages).toBeGreaterThan(2);
      expect(new Set(ids).size).toBe(ids.length);
      const mailboxIds = sim.tenant.mailboxIds();
      expect(ids).toEqual(expect.arrayContaining([...mailboxIds]));
      const types = new Set(items.map((m) => m['@odata.type']));
      expect([...types].sort()).toEqual([
        '#microsoft.graph.device',
        '#microsoft.graph.group',
        '#microsoft.graph.orgContact',
        '#microsoft.graph.user',
      ]);
      // The cycle Engineering -> Engineering EMEA -> Engineering is listed once, not looped.
      expect(ids.filter((id) => id === demo.cycleGroupIds[0])).toHaveLength(1);
      const noMailbox = items.find((m) => m.id === demo.noMailboxUserId);
      expect(noMailbox).toMatchObject({ mail: null, accountEnabled: true });
      const group = items.find((m) => m['@odata.type'] === '#microsoft.graph.group');
      expect(group).not.toHaveProperty('userPrincipalName');
    },
  );

  it('defaults to pages of 100 and accepts 999 but answers 400 for $top=1000', async () => {
    const id = sim.tenant.demo.targetGroupId;
    expect(json<Page>(await graphGet(sim, token, `/groups/${id}/transitiveMembers`)).value).toHaveLength(100);
    expect((await graphGet(sim, token, `/groups/${id}/transitiveMembers?$top=999`)).status).toBe(200);
    const r = await graphGet(sim, token, `/groups/${id}/transitiveMembers?$top=1000`);
    expect(r.status).toBe(400);
    expect((json(r).error as { code: string }).code).toBe('Request_UnsupportedQuery');
  });

  it('returns accountEnabled only when selected', async () => {
    const r = json<Page>(
      await graphGet(sim, token, `/groups/${sim.tenant.demo.salesGroupId}/transitiveMembers?$select=id,mail`),
    );
    expect(r.value.every((m) => !('accountEnabled' in m) && !('displayName' in m))).toBe(true);
  });
});

describe('groups', () => {
  const filter = async (f: string) =>
    json<{ value: Array<{ id: string }> }>(
      await graphGet(sim, token, `/groups?$filter=${encodeURIComponent(f)}`),
    ).value.map((g) => g.id);

  it('finds a group by mail, by displayName and by prefix without the advanced query parameters', async () => {
    const { demo } = sim.tenant;
    expect(await filter("mail eq 'SALES@contoso.com'")).toEqual([demo.salesGroupId]);
    expect(await filter("displayName eq 'Project Phoenix'")).toHaveLength(2);
    expect((await filter("startswith(displayName,'Sales')")).length).toBeGreaterThanOrEqual(4);
    expect(await filter("mail eq 'nobody@contoso.com'")).toEqual([]);
  });

  it('finds a group by onPremisesSamAccountName in an advanced query, with @odata.count', async () => {
    const path = `/groups?$filter=${encodeURIComponent("onPremisesSamAccountName eq 'AllStaff'")}&$count=true`;

    const r = await graphGet(sim, token, path, { ConsistencyLevel: 'eventual' });

    expect(r.status).toBe(200);
    const body = json<{ value: Array<{ id: string }>; '@odata.count': number }>(r);
    expect(body.value.map((g) => g.id)).toEqual([sim.tenant.demo.targetGroupId]);
    expect(body['@odata.count']).toBe(1);
  });

  // docs/wire.md, "Advanced queries": these need ConsistencyLevel: eventual AND $count=true.
  describe.each([
    ['onPremisesSamAccountName', "onPremisesSamAccountName eq 'AllStaff'", "property 'onPremisesSamAccountName'"],
    [
      'onPremisesSecurityIdentifier',
      "onPremisesSecurityIdentifier eq 'S-1-5-21-1'",
      "property 'onPremisesSecurityIdentifier'",
    ],
    ['ne', "displayName ne 'All Staff'", "Operator 'ne'"],
    ['not', "not(displayName eq 'All Staff')", "Operator 'not'"],
    ['endsWith', "endsWith(mail,'@contoso.com')", "Operator 'endsWith'"],
  ])('%s', (_name, clause, named) => {
    const path = `/groups?$filter=${encodeURIComponent(clause)}`;
    const refused = async (r: Awaited<ReturnType<typeof graphGet>>) => {
      expect(r.status).toBe(400);
      const error = json<{ error: { code: string; message: string; innerError: Record<string, string> } }>(r).error;
      expect(error.code).toBe('Request_UnsupportedQuery');
      expect(error.message).toContain(named);
      expect(Object.keys(error.innerError).sort()).toEqual(['client-request-id', 'date', 'request-id']);
    };

    it('is refused without the header, without $count=true, and with neither', async () => {
      await refused(await graphGet(sim, token, `${path}&$count=true`));
      await refused(await graphGet(sim, token, path, { ConsistencyLevel: 'eventual' }));
      await refused(await graphGet(sim, token, path));
    });

    it('is answered with both', async () => {
      const r = await graphGet(sim, token, `${path}&$count=true`, { ConsistencyLevel: 'eventual' });
      expect(r.status).toBe(200);
      expect(json(r)).toHaveProperty('@odata.count');
    });
  });

  it('the refusal has the shape of the wire sample', async () => {
    const sample = fixture('graph-error-advanced-query.json');
    const clause = encodeURIComponent("onPremisesSamAccountName eq 'AllStaff'");
    const r = await graphGet(sim, token, `/groups?$filter=${clause}`);
    expect(shapeMismatch(sample, json(r))).toBeUndefined();
    const { code, message } = (sample as { error: { code: string; message: string } }).error;
    expect(json(r)).toMatchObject({ error: { code, message } });
  });

  it('ignores $count=true without the header (no @odata.count), as Graph does', async () => {
    const clause = encodeURIComponent("mail eq 'sales@contoso.com'");
    const r = await graphGet(sim, token, `/groups?$filter=${clause}&$count=true`);
    expect(r.status).toBe(200);
    expect(json(r)).not.toHaveProperty('@odata.count');
  });

  it('keeps the advanced query parameters on nextLink pages: a page without the header is refused', async () => {
    const base = `/groups?$filter=${encodeURIComponent("endsWith(mail,'@contoso.com')")}&$count=true&$top=2`;
    const firstPage = await graphGet(sim, token, base, { ConsistencyLevel: 'eventual' });
    const first = json<{ '@odata.nextLink': string }>(firstPage);
    const next = first['@odata.nextLink'].slice(sim.url.length);

    expect(new URL(first['@odata.nextLink']).searchParams.get('$count')).toBe('true');
    expect((await request(sim, { path: next, headers: { Authorization: `Bearer ${token}` } })).status).toBe(400);
    const headers = { Authorization: `Bearer ${token}`, ConsistencyLevel: 'eventual' };
    const withHeader = await request(sim, { path: next, headers });
    expect(withHeader.status).toBe(200);
  });

  it("reads OData-escaped quotes ('') in string literals", async () => {
    const r = await graphGet(
      sim,
      token,
      `/users?$filter=${encodeURIComponent("displayName eq 'Seán O''Brien (Ops)'")}`,
    );
    expect(json<{ value: Array<{ id: string }> }>(r).value.map((u) => u.id)).toEqual([sim.tenant.demo.quoteHashUserId]);
  });

  it('answers 400 for a malformed filter and 404 for an unknown or role group', async () => {
    expect((await graphGet(sim, token, `/groups?$filter=${encodeURIComponent("mail eq 'unterminated")}`)).status).toBe(
      400,
    );
    expect((await graphGet(sim, token, '/groups/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const role = await graphGet(sim, token, `/groups/${sim.tenant.demo.discoveryManagementGroupId}`);
    expect(role.status).toBe(404);
    expect((json(role).error as { code: string }).code).toBe('Request_ResourceNotFound');
  });

  it('groups by id carry the fields docs/wire.md lists', async () => {
    const g = json(await graphGet(sim, token, `/groups/${sim.tenant.demo.targetGroupId}`));
    expect(g).toMatchObject({
      displayName: 'All Staff',
      mail: 'allstaff@contoso.com',
      mailEnabled: true,
      securityEnabled: true,
      groupTypes: [],
      onPremisesSamAccountName: 'AllStaff',
      onPremisesSyncEnabled: true,
    });
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
    const byMail = json<{ value: Array<{ id: string }> }>(
      await graphGet(sim, token, `/users?$filter=${encodeURIComponent(`mail eq '${other?.mail ?? ''}'`)}`),
    );
    expect(byMail.value.map((u) => u.id)).toEqual([demo.smtpNotUpnUserId]);
    const byProxy = json<{ value: Array<{ id: string }> }>(
      await graphGet(
        sim,
        token,
        `/users?$filter=${encodeURIComponent(`proxyAddresses/any(p:p eq 'smtp:${demo.secondaryProxyAddress}')`)}`,
      ),
    );
    expect(byProxy.value.map((u) => u.id)).toEqual([demo.alexId]);
  });

  it('leaves accountEnabled out unless selected, and shows mail: null without a mailbox', async () => {
    const { demo } = sim.tenant;
    expect(json(await graphGet(sim, token, `/users/${demo.alexId}`))).not.toHaveProperty('accountEnabled');
    expect(
      json(await graphGet(sim, token, `/users/${demo.sharedMailboxId}?$select=id,accountEnabled,mail`)),
    ).toMatchObject({ accountEnabled: false, mail: 'sales.team@contoso.com' });
    expect(json(await graphGet(sim, token, `/users/${demo.noMailboxUserId}?$select=mail`))).toMatchObject({
      mail: null,
    });
  });

  it('answers 404 MailboxNotEnabledForRESTAPI for the calendar of a user without a mailbox', async () => {
    const r = await graphGet(sim, token, `/users/${sim.tenant.demo.noMailboxUserId}/calendar/calendarPermissions`);
    expect(r.status).toBe(404);
    expect((json(r).error as { code: string }).code).toBe('MailboxNotEnabledForRESTAPI');
  });
});

describe('calendar access scoping (docs/wire.md)', () => {
  const calendarOf = (id: string) => graphGet(sim, token, `/users/${id}/calendar/calendarPermissions`);

  it('the demo tenant denies one calendar with 403 ErrorAccessDenied, shaped like the wire sample', async () => {
    const sample = fixture('graph-error-calendar-denied.json');
    const { calendarDeniedMailboxId } = sim.tenant.demo;

    const r = await calendarOf(calendarDeniedMailboxId);

    expect(r.status).toBe(403);
    expect(shapeMismatch(sample, json(r))).toBeUndefined();
    const { code, message } = (sample as { error: { code: string; message: string } }).error;
    expect(json(r)).toMatchObject({ error: { code, message } });
  });

  it('the denied mailbox still has FullAccess and SendAs delegates that Exchange shows', async () => {
    const perms = sim.tenant.permissions.get(sim.tenant.demo.calendarDeniedMailboxId);
    expect(perms?.fullAccess.length).toBeGreaterThan(0);
    expect(perms?.sendAs.length).toBeGreaterThan(0);
  });

  it('the same answer inside $batch', async () => {
    const { calendarDeniedMailboxId, alexId } = sim.tenant.demo;
    const requests = [calendarDeniedMailboxId, alexId].map((id, i) => ({
      id: String(i),
      method: 'GET',
      url: `/users/${id}/calendar/calendarPermissions`,
    }));
    const r = await request(sim, {
      method: 'POST',
      path: '/v1.0/$batch',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ requests }),
    });
    const { responses } = json<{ responses: Array<{ id: string; status: number }> }>(r);
    const statuses = Object.fromEntries(responses.map((x) => [x.id, x.status]));
    expect(statuses).toEqual({ '0': 403, '1': 200 });
  });

  it('a mailbox set to restNotEnabled answers 404 MailboxNotEnabledForRESTAPI until made readable again', async () => {
    const { gradyId } = sim.tenant.demo;
    sim.tenant.setCalendarAccess(gradyId, 'restNotEnabled');
    try {
      const r = await calendarOf(gradyId);
      expect(r.status).toBe(404);
      expect(json<{ error: { code: string } }>(r).error.code).toBe('MailboxNotEnabledForRESTAPI');
    } finally {
      sim.tenant.setCalendarAccess(gradyId, null);
    }
    expect((await calendarOf(gradyId)).status).toBe(200);
  });
});

describe('$batch', () => {
  const post = (body: unknown) =>
    request(sim, {
      method: 'POST',
      path: '/v1.0/$batch',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers 200 with one response per id, sub-request failures inside', async () => {
    const r = await post({
      requests: [
        { id: 'a', method: 'GET', url: `/users/${sim.tenant.demo.alexId}?$select=id` },
        { id: 'b', method: 'GET', url: '/users/ghost@contoso.com' },
        { id: 'c', method: 'GET', url: `groups/${sim.tenant.demo.salesGroupId}` },
      ],
    });
    expect(r.status).toBe(200);
    const byId = new Map(
      json<{ responses: Array<{ id: string; status: number; body: Record<string, unknown> }> }>(r).responses.map(
        (x) => [x.id, x],
      ),
    );
    expect(byId.get('a')).toMatchObject({ status: 200, body: { id: sim.tenant.demo.alexId } });
    expect(byId.get('b')?.status).toBe(404);
    expect(byId.get('c')?.status).toBe(200);
  });

  it('refuses more than 20 requests', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i),
      method: 'GET',
      url: `/users/${sim.tenant.demo.alexId}`,
    }));
    expect((await post({ requests })).status).toBe(400);
  });

  it('still answers 200 when sub-requests are throttled, with 429 inside', async () => {
    sim.setKnobs({ rateLimits: { graph: 3 } });
    try {
      const requests = Array.from({ length: 12 }, (_, i) => ({
        id: String(i),
        method: 'GET',
        url: `/users/${sim.tenant.demo.alexId}`,
      }));
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
