import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredFunctions, type HttpFunctionDefinition } from '../../shared/host/registry.js';
import { createTask, startHarness, startRun, type Harness } from '../faults/harness.js';

/** Security headers on every answer of the API: success, client errors, and the host's own 404/405/413/400. */

let app: Harness;
let ids: { taskId: string; runId: string; scheduleId: string; user: string; mailbox: string };

beforeAll(async () => {
  app = await startHarness({ simulator: { seed: 61, mailboxes: 16 } });
  const taskId = await createTask(app);
  const runId = await startRun(app, taskId);
  await app.settle();
  const task = await app.api('GET', `tasks/${taskId}`);
  const demo = app.sim.tenant.demo;
  ids = {
    taskId,
    runId,
    scheduleId: (task.json as { scheduleId: string }).scheduleId,
    user: encodeURIComponent(app.sim.tenant.users.get(demo.alexId)!.userPrincipalName),
    mailbox: demo.sharedMailboxId,
  };
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

function routes(): HttpFunctionDefinition[] {
  return registeredFunctions().filter((f): f is HttpFunctionDefinition => f.kind === 'http');
}

function concrete(route: string): string {
  return route
    .replace('{id}', route.startsWith('schedules') ? ids.scheduleId : ids.taskId)
    .replace('{runId}', ids.runId)
    .replace('{user}', ids.user)
    .replace('{mailbox}', ids.mailbox)
    .replace('{*path}', 'index.html');
}

/** What every API answer carries (the console's static files have their own, stricter-for-a-page CSP). */
function missing(headers: Headers, route: string): string[] {
  const out: string[] = [];
  const want: Array<[string, RegExp]> = [
    ['x-content-type-options', /^nosniff$/],
    [
      'content-security-policy',
      route.startsWith('console/{') ? /frame-ancestors 'none'/ : /default-src 'none'.*frame-ancestors 'none'/,
    ],
    ['x-frame-options', /^DENY$/],
    ['referrer-policy', /^no-referrer$/],
    ['strict-transport-security', /max-age=\d{7,}/],
  ];
  for (const [name, pattern] of want)
    if (!pattern.test(headers.get(name) ?? '')) out.push(`${name}=${headers.get(name)}`);
  // The OpenAPI document holds no tenant data and may be cached; the console's assets have their own policy.
  if (
    !route.startsWith('console/{') &&
    route !== 'openapi.json' &&
    !/no-store/.test(headers.get('cache-control') ?? '')
  )
    out.push(`cache-control=${headers.get('cache-control')}`);
  if (headers.get('access-control-allow-origin') === '*') out.push('access-control-allow-origin=*');
  if (headers.has('x-powered-by')) out.push('x-powered-by');
  return out;
}

describe('security headers', () => {
  it('on every route’s answer, for callers with and without the role, and for bad input', async () => {
    const failures: string[] = [];
    for (const route of routes()) {
      for (const method of route.methods) {
        if (method === 'DELETE') continue; // keep the fixtures; DELETE answers come from the same edge
        const path = concrete(route.route);
        const variants: Array<[string, Parameters<Harness['api']>[2]]> = [
          ['admin', { role: 'Admin', ...(method === 'POST' || method === 'PUT' ? { body: {} } : {}) }],
          ['no token', { token: null }],
          ['plain user', { role: 'none' }],
        ];
        for (const [who, options] of variants) {
          const res = await app.api(method, path, options);
          if (res.status === 503 && route.route.startsWith('console/{')) continue; // console not built here
          const gaps = missing(res.headers, route.route);
          if (gaps.length) failures.push(`${method} ${route.route} as ${who} (${res.status}): ${gaps.join(', ')}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it(
    'on the answers the host gives itself: unknown route 404, wrong method 405, oversized 413, ' +
      'bad percent-encoding 400',
    async () => {
      const base = `http://127.0.0.1:${app.host.port}`;
      const cases: Array<[string, RequestInit & { path: string }]> = [
        ['404', { path: '/api/no/such/route', method: 'GET' }],
        ['404 outside /api', { path: '/etc/passwd', method: 'GET' }],
        ['405', { path: '/api/health', method: 'DELETE' }],
        [
          '413',
          {
            path: '/api/schedules',
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: new Uint8Array(2 * 1024 * 1024),
          },
        ],
        ['400', { path: '/api/users/%E0%A4%A/delegate-mailboxes', method: 'GET' }],
      ];
      const failures: string[] = [];
      for (const [name, { path, ...init }] of cases) {
        const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
        await res.text();
        expect(res.status, name).toBeGreaterThanOrEqual(400);
        expect(res.headers.get('content-type'), name).toMatch(/problem\+json/);
        const gaps = missing(res.headers, 'host');
        if (gaps.length) failures.push(`${name} (${res.status}): ${gaps.join(', ')}`);
      }
      expect(failures).toEqual([]);
    },
  );

  it('CORS: no route lets another origin read answers with credentials', async () => {
    const res = await app.api('GET', 'tasks', { headers: { Origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const preflight = await fetch(`http://127.0.0.1:${app.host.port}/api/tasks`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    await preflight.text();
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('error bodies carry no internals: no stack, no table or SDK names, no file paths', async () => {
    const answers = [
      await app.api('GET', 'tasks/does-not-exist'),
      await app.api('GET', `tasks/${ids.taskId}/runs/nope`),
      await app.api('GET', 'users/%27%20or%201%20eq%201%20or%20%27/delegate-mailboxes', { role: 'Reader' }),
      await app.api('GET', 'tasks?continuationToken=forged'),
      await app.api('POST', 'tasks', { body: '{"a":' }),
    ];
    for (const res of answers) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(/at .+\.(ts|js):\d+|node_modules|RestError|TableClient|devstoreaccount1|\/work\//);
    }
  });
});
