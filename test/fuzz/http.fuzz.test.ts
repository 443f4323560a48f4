import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { registeredFunctions, type HttpFunctionDefinition } from '../../shared/host/registry.js';
import { createTask, startHarness, startRun, type Harness } from '../faults/harness.js';

/**
 * Bad input at the HTTP edge: whatever arrives, the API answers 4xx problem+json (or a normal 2xx/3xx), never a
 * 5xx, never a hang (each request is bounded), never a stack trace.
 */

let app: Harness;
let fixtures: { taskId: string; runId: string; scheduleId: string; userUpn: string; mailboxId: string };
const REQUEST_TIMEOUT_MS = 10_000;

beforeAll(async () => {
  app = await startHarness({ simulator: { seed: 21, mailboxes: 24 } });
  const taskId = await createTask(app);
  const runId = await startRun(app, taskId);
  await app.settle();
  const tasks = await app.api('GET', `tasks/${taskId}`);
  const demo = app.sim.tenant.demo;
  fixtures = {
    taskId,
    runId,
    scheduleId: (tasks.json as { scheduleId: string }).scheduleId,
    userUpn: app.sim.tenant.users.get(demo.alexId)!.userPrincipalName,
    mailboxId: demo.sharedMailboxId,
  };
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

function httpRoutes(): HttpFunctionDefinition[] {
  // The console's static files are a separate build; their route answers 503 when dist/console is absent.
  return registeredFunctions().filter(
    (f): f is HttpFunctionDefinition => f.kind === 'http' && !f.route.startsWith('console/{'),
  );
}

/** A raw request to the local host: nothing is encoded or added beyond what the case says. */
async function raw(
  method: string,
  pathAndQuery: string,
  init: { headers?: Record<string, string>; body?: Uint8Array | string } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`http://127.0.0.1:${app.host.port}${pathAndQuery}`, {
    method,
    headers: init.headers ?? {},
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The invariant every answer must keep. Returns a description of the violation, or null. */
function violation(res: { status: number; text: string; headers: Headers }): string | null {
  if (res.status >= 500) return `status ${res.status}: ${res.text.slice(0, 300)}`;
  if (/at .+\.(ts|js):\d+/.test(res.text) || /node_modules/.test(res.text))
    return `stack trace in body: ${res.text.slice(0, 300)}`;
  if (res.status >= 400) {
    if (!/^application\/problem\+json/.test(res.headers.get('content-type') ?? ''))
      return `error ${res.status} without problem+json (${res.headers.get('content-type')})`;
    let body: { status?: unknown; title?: unknown; detail?: unknown };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      return `error ${res.status} with a body that is not JSON`;
    }
    if (body.status !== res.status || typeof body.title !== 'string' || typeof body.detail !== 'string')
      return `problem body does not match: ${res.text.slice(0, 200)}`;
  }
  return null;
}

const segment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '..',
    '.',
    '%00',
    '%',
    '%2F',
    '%ZZ',
    '%E0%A4%A',
    "o'brien#ops",
    'a?b',
    'x'.repeat(600),
    ' ',
    '\u0000',
    '😀',
    'CON',
    '*',
    "' or 1 eq 1 or '",
  ),
  fc.uuid(),
);

const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('-1', '0', '1001', '1e309', 'NaN', 'csv', 'json', '2026-13-45', 'x'.repeat(5000), "' or 1 eq 1"),
  fc.integer().map(String),
);
const queryKey = fc.oneof(
  fc.constantFrom('top', 'continuationToken', 'status', 'format', 'since', 'mailbox', 'delegate', 'search', '$filter'),
  fc.string({ maxLength: 10 }),
);

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  '',
  'application/jsonx',
);

const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.object().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    'null',
    '""',
    '{"description":"x","type":"daily"}',
    '\uFEFF{}',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
  ),
  fc.constant(undefined),
);

const token = fc.oneof(
  { arbitrary: fc.constant<'Admin'>('Admin'), weight: 8 },
  {
    arbitrary: fc.constantFrom<'Reader' | 'none' | 'missing' | 'garbage'>('Reader', 'none', 'missing', 'garbage'),
    weight: 2,
  },
);

function fill(
  route: string,
  values: { id: string; runId: string; user: string; mailbox: string; path: string },
): string {
  return route
    .replace('{id}', values.id)
    .replace('{runId}', values.runId)
    .replace('{user}', values.user)
    .replace('{mailbox}', values.mailbox)
    .replace(/\{\*?path\}/, values.path);
}

describe('HTTP API under random input (fast-check)', () => {
  it('random routes × methods × path segments × queries × bodies × content types × tokens: ' +
    'never a 5xx or a hang', async () => {
    const routes = httpRoutes();
    const statuses = new Map<number, number>();
    const tokens = {
      Admin: await app.token('Admin'),
      Reader: await app.token('Reader'),
      none: await app.token('none'),
    };
    const arbitrary = fc.record({
      route: fc.constantFrom(...routes),
      method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), fc.constantFrom('PATCH', 'OPTIONS', 'HEAD')),
      useRouteMethod: fc.oneof(
        { arbitrary: fc.constant(true), weight: 5 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
      id: fc.oneof(fc.constant('task'), fc.constant('schedule'), segment),
      runId: fc.oneof(fc.constant('run'), segment),
      user: fc.oneof(fc.constant('upn'), segment),
      mailbox: fc.oneof(fc.constant('mailbox'), segment),
      encode: fc.boolean(),
      query: fc.oneof(
        fc.constant([] as Array<[string, string]>),
        fc.array(fc.tuple(queryKey, queryValue), { maxLength: 3 }),
      ),
      body,
      contentType,
      token,
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        const enc = (s: string) => (c.encode ? encodeURIComponent(s) : s.replace(/[?#\s]/g, encodeURIComponent));
        const path = fill(c.route.route, {
          id: c.id === 'task' ? fixtures.taskId : c.id === 'schedule' ? fixtures.scheduleId : enc(c.id),
          runId: c.runId === 'run' ? fixtures.runId : enc(c.runId),
          user: c.user === 'upn' ? encodeURIComponent(fixtures.userUpn) : enc(c.user),
          mailbox: c.mailbox === 'mailbox' ? fixtures.mailboxId : enc(c.mailbox),
          path: enc(c.id),
        });
        const query = c.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const method = c.useRouteMethod ? c.route.methods[0]! : c.method;
        // DELETE with the fixtures' own ids would only test deletion; random ids still do.
        if (method === 'DELETE' && (c.id === 'task' || c.id === 'schedule')) return;
        const headers: Record<string, string> = {};
        if (c.contentType !== undefined) headers['Content-Type'] = c.contentType;
        if (c.token === 'garbage') headers.Authorization = 'Bearer eyJ.eyJ.sig';
        else if (c.token !== 'missing') headers.Authorization = `Bearer ${tokens[c.token]}`;
        const sendsBody = c.body !== undefined && method !== 'GET' && method !== 'HEAD';
        const res = await raw(method, `/api/${path}${query ? `?${query}` : ''}`, {
          headers,
          ...(sendsBody ? { body: c.body } : {}),
        });
        if (method === 'HEAD' || res.status === 304) return void expect(res.status).toBeLessThan(500);
        const problem = violation(res);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(problem, `${method} /api/${path}?${query} (${c.contentType}, ${c.token})`).toBeNull();
      }),
      { numRuns: 600, seed: Number(process.env.FUZZ_SEED ?? 20261128), endOnFailure: true },
    );
    // The cases reached the handlers, not only the auth and routing layers.
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) + (statuses.get(404) ?? 0)).toBeGreaterThan(100);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
  }, 180_000);

  it('near-valid bodies (one field mutated at a time) for schedules, tasks and manual delegations: ' +
    '4xx or a created resource that reads back', async () => {
    const adminToken = await app.token('Admin');
    const weird = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      fc.constantFrom(
        '24:00',
        '02:60',
        '2:5',
        '23:59',
        '9999-12-31T23:59',
        '2026-02-30T10:00',
        'Mars/Olympus',
        'UTC',
        'Etc/GMT+14',
        '',
        'x'.repeat(3000),
        -1,
        0,
        1e9,
        ['mon', 'mon'],
        ['funday'],
        'CN=,OU=x',
        'CN=a\\',
        '@',
        'a@b',
        "o'brien#ops@contoso.com",
      ),
    );
    const schedule = {
      description: 'Fuzz',
      type: 'weekly',
      daysOfWeek: ['mon', 'fri'],
      mode: 'many',
      startTime: '08:00',
      endTime: '18:00',
      intervalMinutes: 60,
      timeZone: 'Europe/London',
      runAt: '2026-12-01T09:00',
    };
    const task = {
      description: 'Fuzz',
      scheduleId: fixtures.scheduleId,
      target: { kind: 'groupEmail', email: 'sales@contoso.com' },
      rights: ['FullAccess'],
      enabled: true,
    };
    const targets = fc.oneof(
      fc.record(
        {
          kind: fc.constantFrom('group', 'groupDn', 'groupEmail', 'mailboxes', 'other'),
          groupId: weird,
          dn: weird,
          email: weird,
          mailboxes: fc.oneof(fc.array(weird, { maxLength: 5 }), weird),
        },
        { requiredKeys: ['kind'] },
      ),
      weird,
    );
    const cases = fc.oneof(
      fc.record({
        path: fc.constant('schedules'),
        base: fc.constant<Record<string, unknown>>(schedule),
        field: fc.constantFrom(...Object.keys(schedule), 'extra'),
        value: weird,
      }),
      fc.record({
        path: fc.constant('tasks'),
        base: fc.constant<Record<string, unknown>>(task),
        field: fc.constantFrom(...Object.keys(task), 'extra'),
        value: fc.oneof(weird, targets),
      }),
      fc.record({
        path: fc.constant(`users/${encodeURIComponent(fixtures.userUpn)}/delegate-mailboxes`),
        base: fc.constant<Record<string, unknown>>({ mailbox: fixtures.mailboxId, rights: ['SendAs'] }),
        field: fc.constantFrom('mailbox', 'rights', 'extra'),
        value: weird,
      }),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(cases, fc.boolean(), async (c, drop) => {
        const payload: Record<string, unknown> = { ...c.base };
        if (drop) delete payload[c.field];
        else payload[c.field] = c.value;
        const res = await raw('POST', `/api/${c.path}`, {
          headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(payload),
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(violation(res), `POST ${c.path} ${JSON.stringify(payload).slice(0, 300)}`).toBeNull();
        if (res.status === 201 && c.path !== 'schedules' && c.path !== 'tasks') return;
        if (res.status === 201) {
          const id = (JSON.parse(res.text) as { id: string }).id;
          const back = await raw('GET', `/api/${c.path}/${id}`, { headers: { Authorization: `Bearer ${adminToken}` } });
          expect(back.status, `GET ${c.path}/${id} after creating it`).toBe(200);
        }
      }),
      { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 7), endOnFailure: true },
    );
    expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(201) ?? 0).toBeGreaterThan(10);
  }, 120_000);

  it('oversized payloads: 413 problem+json, also when the length is not declared up front', async () => {
    const tokenValue = await app.token('Admin');
    const big = JSON.stringify({
      description: 'x'.repeat(70 * 1024),
      type: 'daily',
      mode: 'once',
      startTime: '02:00',
      timeZone: 'UTC',
    });
    const declared = await raw('POST', '/api/schedules', {
      headers: { Authorization: `Bearer ${tokenValue}`, 'Content-Type': 'application/json' },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(violation(declared)).toBeNull();
    // Over the host's 1 MiB cap: refused while streaming.
    const huge = await raw('POST', '/api/tasks', {
      headers: { Authorization: `Bearer ${tokenValue}`, 'Content-Type': 'application/json' },
      body: new Uint8Array(3 * 1024 * 1024).fill(0x20),
    });
    expect(huge.status).toBe(413);
    expect(violation(huge)).toBeNull();
    // Chunked (no Content-Length): the edge counts what actually arrives.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 80; i++)
          controller.enqueue(new TextEncoder().encode(i === 0 ? '{"description":"' : 'y'.repeat(1024)));
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    const response = await fetch(`http://127.0.0.1:${app.host.port}/api/schedules`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokenValue}`, 'Content-Type': 'application/json' },
      body: chunks,
      duplex: 'half',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    } as RequestInit);
    const chunked = { status: response.status, text: await response.text(), headers: response.headers };
    expect(chunked.status).toBe(413);
    expect(violation(chunked)).toBeNull();
  });

  it.each([
    ['no content type', undefined, '{"description":"x"}', 415],
    ['text/plain', 'text/plain', '{"description":"x"}', 415],
    ['form', 'application/x-www-form-urlencoded', 'description=x', 415],
    ['truncated JSON', 'application/json', '{"description":', 400],
    ['empty body', 'application/json', '', 400],
    ['JSON null', 'application/json', 'null', 400],
    ['a JSON array', 'application/json', '[]', 400],
    ['prototype pollution attempt', 'application/json', '{"__proto__":{"isAdmin":true},"description":"x"}', 400],
  ])('POST /api/schedules with %s → %i problem+json', async (_name, type, payload, expected) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${await app.token('Admin')}` };
    if (type) headers['Content-Type'] = type;
    const res = await raw('POST', '/api/schedules', { headers, body: payload });
    expect(res.status).toBe(expected);
    expect(violation(res)).toBeNull();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it(
    'a slow client that never finishes its body does not hold the host: ' + 'other requests are answered meanwhile',
    async () => {
      const net = await import('node:net');
      const socket = net.connect(app.host.port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        'POST /api/schedules HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n' +
          `Authorization: Bearer ${await app.token('Admin')}\r\n\r\n{"desc`,
      );
      const meanwhile = await raw('GET', '/api/health');
      expect(meanwhile.status).toBe(200);
      socket.destroy();
    },
  );
});
