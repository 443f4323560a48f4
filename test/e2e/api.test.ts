import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { startTestApp, type TestApp } from '../support/app.js';
import { badTokens } from '../support/badTokens.js';
import { expectedDelegations, mailboxUsersOf } from '../support/expected.js';
import { registeredFunctions, type HttpFunctionDefinition } from '../../shared/host/registry.js';

let app: TestApp;
let taskId: string;
let runId: string;
let scheduleId: string;

const ANONYMOUS_ROUTES = new Set(['health', 'openapi.json', 'console/{*path}', 'console/config']);

function httpRoutes(): HttpFunctionDefinition[] {
  return registeredFunctions().filter((f): f is HttpFunctionDefinition => f.kind === 'http');
}

function concretePath(route: string): string {
  const demo = app.sim.tenant.demo;
  const alex = app.sim.tenant.users.get(demo.alexId)!;
  return route
    .replace('{id}', route.startsWith('schedules') ? scheduleId : taskId)
    .replace('{runId}', runId)
    .replace('{user}', encodeURIComponent(alex.userPrincipalName))
    .replace('{mailbox}', encodeURIComponent(app.sim.tenant.users.get(demo.sharedMailboxId)!.mail!))
    .replace('{*path}', 'index.html');
}

beforeAll(async () => {
  app = await startTestApp();
  const schedule = await app.api('POST', 'schedules', {
    body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
  });
  scheduleId = (schedule.json as { id: string }).id;
  const task = await app.api('POST', 'tasks', {
    body: { description: 'All', scheduleId, target: { kind: 'group', groupId: app.sim.tenant.demo.targetGroupId } },
  });
  taskId = (task.json as { id: string }).id;
  const run = await app.api('POST', `tasks/${taskId}/run`);
  runId = (run.json as { runId: string }).runId;
  await app.settle();
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

describe('authorization', () => {
  it('every registered route declares its role, and only the public ones are anonymous', () => {
    const routes = httpRoutes();
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      expect(['anonymous', 'anyUser', 'reader', 'admin']).toContain(route.role);
      if (route.role === 'anonymous')
        expect(ANONYMOUS_ROUTES.has(route.route), `${route.name} (${route.route}) is anonymous`).toBe(true);
    }
  });

  it('answers every route × token variant with the right status', async () => {
    const bad = await badTokens(app);
    const good = {
      admin: await app.token('Admin'),
      reader: await app.token('Reader'),
      user: await app.token('none', { oid: app.sim.tenant.demo.alexId }),
    };
    const failures: string[] = [];
    for (const route of httpRoutes()) {
      for (const method of route.methods) {
        // Avoid destroying the fixtures: mutating calls still go through auth;
        // bodies are empty so they stop at validation.
        const path = concretePath(route.route);
        const call = async (token: string | null) =>
          (await app.api(method, path, { token, ...(method === 'POST' || method === 'PUT' ? { body: {} } : {}) }))
            .status;
        const unauthenticatedExpected = route.role === 'anonymous' ? null : 401;
        for (const [name, token] of [['none', null], ...Object.entries(bad)] as Array<[string, string | null]>) {
          const status = await call(token);
          if (unauthenticatedExpected !== null && status !== 401)
            failures.push(`${method} ${route.route} with ${name}: ${status}`);
          if (unauthenticatedExpected === null && (status === 401 || status === 403))
            failures.push(`${method} ${route.route} (anonymous) with ${name}: ${status}`);
        }
        const allowed = {
          admin: true,
          reader: route.role !== 'admin',
          user: route.role === 'anyUser' || route.role === 'anonymous',
        };
        for (const [name, token] of Object.entries(good) as Array<[keyof typeof good, string]>) {
          if (method === 'DELETE' && allowed[name]) continue; // exercised in the manual-delegation tests
          const status = await call(token);
          // (anonymous routes may answer 503 here: the console's assets are built separately)
          if (allowed[name] && (status === 401 || status === 403 || (status >= 500 && route.role !== 'anonymous')))
            failures.push(`${method} ${route.route} as ${name}: ${status}`);
          if (!allowed[name] && status !== 403)
            failures.push(`${method} ${route.route} as ${name}: ${status} (expected 403)`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('401 carries WWW-Authenticate: Bearer and a problem body without internals', async () => {
    const response = await app.api('GET', 'tasks', { token: null });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(response.json).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(response.text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('delegate lookups', () => {
  it('a user’s delegate mailboxes by UPN, SMTP address and object id agree, with source and via', async () => {
    const demo = app.sim.tenant.demo;
    const joni = app.sim.tenant.users.get(demo.alexId)!;
    const byUpn = await app.api('GET', `users/${encodeURIComponent(joni.userPrincipalName)}/delegate-mailboxes`, {
      role: 'Reader',
    });
    const byId = await app.api('GET', `users/${joni.id}/delegate-mailboxes`, { role: 'Reader' });
    const byMail = await app.api('GET', `users/${encodeURIComponent(joni.mail!.toUpperCase())}/delegate-mailboxes`, {
      role: 'Reader',
    });
    expect(byUpn.status).toBe(200);
    expect(byId.json).toEqual(byUpn.json);
    expect(byMail.json).toEqual(byUpn.json);
    const items = (
      byUpn.json as { items: Array<{ mailbox: { id: string }; rights: Array<{ source: string; via: unknown[] }> }> }
    ).items;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) for (const right of item.rights) expect(right.via.length).toBeGreaterThan(0);
  });

  it('answers 404 for an unknown user and 200 with [] for a known user with nothing', async () => {
    expect((await app.api('GET', 'users/nobody%40contoso.com/delegate-mailboxes', { role: 'Reader' })).status).toBe(
      404,
    );
    const loner = [...app.sim.tenant.users.values()].find(
      (u) => u.mail && u.recipientTypeDetails === 'UserMailbox' && u.id !== app.sim.tenant.demo.alexId,
    );
    const mailboxDelegates = await app.api('GET', `mailboxes/${loner!.id}/delegates`, { role: 'Reader' });
    expect(mailboxDelegates.status).toBe(200);
    // An object id is looked up without a directory read while it has rows; without rows the directory decides.
    const strangerId = '0badc0de-0000-4000-8000-000000000001';
    expect((await app.api('GET', `users/${strangerId}/delegate-mailboxes`, { role: 'Reader' })).status).toBe(404);
    expect((await app.api('GET', `mailboxes/${strangerId}/delegates`, { role: 'Reader' })).status).toBe(404);
    const delegates = new Set(
      [...expectedDelegations(app.sim.tenant, app.sim.tenant.demo.targetGroupId).keys()].map((k) => k.split('|')[1]),
    );
    const idle = mailboxUsersOf(app.sim.tenant, app.sim.tenant.demo.targetGroupId).find(
      (u) => !delegates.has(u.id.toLowerCase()),
    );
    const nothing = await app.api('GET', `users/${idle!.id.toUpperCase()}/delegate-mailboxes`, { role: 'Reader' });
    expect(nothing.status).toBe(200);
    expect(nothing.json).toEqual({ items: [], continuationToken: null });
  });

  it('ETag / If-None-Match answers 304 while nothing changed', async () => {
    const path = `mailboxes/${app.sim.tenant.demo.sharedMailboxId}/delegates`;
    const first = await app.api('GET', path, { role: 'Reader' });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const second = await app.api('GET', path, { role: 'Reader', headers: { 'If-None-Match': etag! } });
    expect(second.status).toBe(304);
    expect(second.text).toBe('');
  });

  it('exports CSV that a real parser reads back, with formula cells neutralized', async () => {
    const demo = app.sim.tenant.demo;
    const response = await app.api('GET', `mailboxes/${demo.sharedMailboxId}/delegates?format=csv`, { role: 'Reader' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parse(response.text, { columns: true }) as Array<Record<string, string>>;
    const json = await app.api('GET', `mailboxes/${demo.sharedMailboxId}/delegates`, { role: 'Reader' });
    const expectedRows = (json.json as { items: Array<{ rights: unknown[] }> }).items.reduce(
      (n, i) => n + i.rights.length,
      0,
    );
    expect(rows).toHaveLength(expectedRows);
    for (const row of rows) expect(Object.values(row).every((cell) => !/^[=+\-@]/.test(cell))).toBe(true);
  });

  it('/me returns only the caller’s own delegations, never 404', async () => {
    const demo = app.sim.tenant.demo;
    const mine = await app.api('GET', 'me/delegate-mailboxes', {
      token: await app.token('none', { oid: demo.alexId }),
    });
    const adminView = await app.api('GET', `users/${demo.alexId}/delegate-mailboxes`);
    expect(mine.status).toBe(200);
    expect(mine.json).toEqual(adminView.json);
    const stranger = await app.api('GET', 'me/delegate-mailboxes', {
      token: await app.token('none', { oid: '99999999-9999-4999-8999-999999999999' }),
    });
    expect(stranger.status).toBe(200);
    expect(stranger.json).toEqual({ items: [], continuationToken: null });
  });

  it('odd path segments never produce a 500', async () => {
    const segments = [
      "o'brien%23ops%40contoso.com",
      '%2F..%2F..',
      '..',
      '%27%20or%20PartitionKey%20ne%20%27',
      encodeURIComponent('Zoë Åström'),
      'x'.repeat(2048),
      '%E2%80%AE',
      '%00',
      '%ZZ',
    ];
    for (const segment of segments) {
      for (const path of [
        `users/${segment}/delegate-mailboxes`,
        `mailboxes/${segment}/delegates`,
        `tasks/${segment}`,
        `tasks/${taskId}/runs/${segment}`,
      ]) {
        const status = (await app.api('GET', path, { role: 'Admin' })).status;
        expect(status, path).toBeLessThan(500);
      }
    }
  });

  it('OData filter injection through parameters is impossible', async () => {
    const injected = await app.api(
      'GET',
      `users/${encodeURIComponent("x' or PartitionKey ne 'x")}/delegate-mailboxes`,
      { role: 'Reader' },
    );
    expect(injected.status).toBe(404);
    const changes = await app.api('GET', `delegation-changes?mailbox=${encodeURIComponent("a' or true or '")}`, {
      role: 'Reader',
    });
    expect(changes.status).toBe(404);
  });
});

describe('manual delegations and history', () => {
  it('adds and removes a Manual delegation with history; a synced one answers 409 with the reason', async () => {
    const t = app.sim.tenant;
    const demo = t.demo;
    const lidia = t.users.get(demo.lidiaId)!;
    const shared = t.users.get(demo.sharedMailboxId)!;
    const added = await app.api('POST', `users/${encodeURIComponent(lidia.userPrincipalName)}/delegate-mailboxes`, {
      body: { mailbox: shared.mail, rights: ['SendAs'] },
    });
    expect(added.status).toBe(201);
    expect((added.json as { rights: Array<{ right: string; source: string }> }).rights).toContainEqual(
      expect.objectContaining({ right: 'SendAs', source: 'Manual' }),
    );
    const removed = await app.api('DELETE', `users/${lidia.id}/delegate-mailboxes/${shared.id}?right=SendAs`);
    expect(removed.status).toBe(204);
    const changes = await app.api('GET', `delegation-changes?delegate=${lidia.id}&mailbox=${shared.id}`, {
      role: 'Reader',
    });
    const events = (changes.json as { items: Array<{ type: string; source: string; right: string }> }).items.filter(
      (e) => e.source === 'Manual',
    );
    expect(events.map((e) => `${e.type}:${e.right}`)).toEqual(['revoked:SendAs', 'granted:SendAs']);

    const synced = await app.api('GET', `mailboxes/${shared.id}/delegates`, { role: 'Reader' });
    const someone = (
      synced.json as { items: Array<{ delegate: { id: string }; rights: Array<{ source: string }> }> }
    ).items.find((i) => i.rights.every((r) => r.source === 'MailboxPermissionSync'));
    expect(someone).toBeDefined();
    const conflict = await app.api('DELETE', `users/${someone!.delegate.id}/delegate-mailboxes/${shared.id}`);
    expect(conflict.status).toBe(409);
    expect((conflict.json as { detail: string }).detail).toMatch(
      /comes from Exchange Online and will return on the next sync/,
    );
  });

  it('pages the history with continuation tokens without gaps', async () => {
    const all = await app.api('GET', 'delegation-changes?top=1000', { role: 'Reader' });
    const total = (all.json as { items: unknown[] }).items.length;
    expect(total).toBeGreaterThan(10);
    const seen: unknown[] = [];
    let token: string | null = null;
    do {
      const page = await app.api(
        'GET',
        `delegation-changes?top=7${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
        { role: 'Reader' },
      );
      const body = page.json as { items: unknown[]; continuationToken: string | null };
      seen.push(...body.items);
      token = body.continuationToken;
    } while (token);
    expect(seen).toEqual((all.json as { items: unknown[] }).items);
  });
});

describe('directory, diagnostics, OpenAPI', () => {
  it('the group picker finds groups by prefix with their source', async () => {
    const response = await app.api('GET', 'directory/groups?search=Sa');
    expect(response.status).toBe(200);
    const items = (response.json as { items: Array<{ displayName: string; source: string }> }).items;
    expect(items.length).toBeGreaterThan(0);
    for (const g of items) expect(g.displayName.toLowerCase().startsWith('sa')).toBe(true);
  });

  it('diagnostics pass against the simulator and name the fix when Exchange permission is missing', async () => {
    const ok = await app.api('GET', 'diagnostics');
    expect(ok.json).toMatchObject({ status: 'pass' });
    const perms = [...app.sim.tenant.app.permissions];
    app.sim.tenant.setAppPermissions(perms, false);
    try {
      const failing = await app.api('GET', 'diagnostics');
      const check = (failing.json as { checks: Array<{ name: string; status: string; fix?: string }> }).checks.find(
        (c) => c.name === 'exchangeGetMailboxPermission',
      );
      expect(check).toMatchObject({ status: 'fail' });
      expect(check!.fix).toMatch(/View-Only Recipients/);
    } finally {
      app.sim.tenant.setAppPermissions(perms, true);
    }
  });

  it('serves an OpenAPI 3.1 document listing every route with its responses and security', async () => {
    const response = await app.api('GET', 'openapi.json', { token: null });
    expect(response.status).toBe(200);
    const doc = response.json as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of httpRoutes()) {
      const path = `/api/${route.route.replace(/\{\*?([A-Za-z_]+)[^}]*\}/g, '{$1}')}`;
      for (const method of route.methods) {
        const op = doc.paths[path]?.[method.toLowerCase()];
        expect(op, `${method} ${path}`).toBeDefined();
        expect(Object.keys(op!.responses).length).toBeGreaterThan(0);
        if (route.role !== 'anonymous') expect(op!.responses['401']).toBeDefined();
      }
    }
  });
});
