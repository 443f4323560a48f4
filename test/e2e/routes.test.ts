import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { holdQueue, setClock } from '../support/control.js';
import { QUEUES } from '../../shared/ports/queue.js';
import { SIM_API_CALLER_APP_ID } from '../../dev/simulator/identity.js';
import type { SimUser } from '../../dev/simulator/tenant.js';

// Issue 4: every schedules/tasks/runs route through the local host's HTTP API, with valid and invalid bodies.

let app: TestApp;

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  errors?: Array<{ path: string; message: string }>;
}

type Response = Awaited<ReturnType<TestApp['api']>>;

/** Asserts an RFC 9457 problem with the status (and code), and returns it. */
function problemOf(response: Response, status: number, code?: string): Problem {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = response.json as Problem;
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  if (code) expect(body.code).toBe(code);
  expect(response.text).not.toMatch(/\.ts:\d+|at async /);
  return body;
}

function paths(problem: Problem): string[] {
  return (problem.errors ?? []).map((e) => e.path);
}

const daily = { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'Europe/London' };
const weekly = {
  description: 'Office hours',
  type: 'weekly',
  daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'],
  mode: 'many',
  startTime: '08:00',
  endTime: '18:00',
  intervalMinutes: 60,
  timeZone: 'America/New_York',
};
const oneOff = { description: 'Once', type: 'oneOff', runAt: '2030-12-01T09:00', timeZone: 'UTC' };

async function createSchedule(body: Record<string, unknown> = daily): Promise<string> {
  const created = await app.api('POST', 'schedules', { body });
  expect(created.status, created.text).toBe(201);
  return (created.json as { id: string }).id;
}

async function createTask(body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>> {
  const created = await app.api('POST', 'tasks', { body });
  expect(created.status, created.text).toBe(201);
  return created.json as { id: string } & Record<string, unknown>;
}

/** Follows continuation tokens with the given page size; returns every page's items. */
async function allPages(path: string, top: number): Promise<Array<Array<Record<string, unknown>>>> {
  const pages: Array<Array<Record<string, unknown>>> = [];
  let token: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await app.api(
      'GET',
      `${path}${sep}top=${top}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
      { role: 'Reader' },
    );
    expect(page.status, page.text).toBe(200);
    const body = page.json as { items: Array<Record<string, unknown>>; continuationToken: string | null };
    pages.push(body.items);
    token = body.continuationToken;
    expect(pages.length).toBeLessThan(100);
  } while (token);
  return pages;
}

beforeAll(async () => {
  app = await startTestApp();
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

describe('schedules', () => {
  it.each([
    ['daily once', daily],
    ['weekly many', weekly],
    ['one-off', oneOff],
  ])('creates a %s schedule (201) and reads it back with a summary', async (_name, body) => {
    const created = await app.api('POST', 'schedules', { body });
    expect(created.status).toBe(201);
    const schedule = created.json as Record<string, unknown>;
    expect(schedule).toMatchObject({ ...body, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(schedule.summary).toEqual(expect.any(String));
    expect(String(schedule.summary).length).toBeGreaterThan(5);
    expect(schedule.createdAt).toBe(schedule.updatedAt);
    const read = await app.api('GET', `schedules/${String(schedule.id)}`, { role: 'Reader' });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(schedule);
  });

  it.each([
    ['an hour past 23', { ...daily, startTime: '25:00' }, ['startTime']],
    ['an unknown time zone', { ...daily, timeZone: 'Mars/Olympus_Mons' }, ['timeZone']],
    ['an empty description', { ...daily, description: '  ' }, ['description']],
    ['an unknown type', { ...daily, type: 'hourly' }, ['type']],
    ['an unknown mode', { ...daily, mode: 'sometimes' }, ['mode']],
    ['many without interval and end', { ...daily, mode: 'many' }, ['endTime', 'intervalMinutes']],
    ['interval on a once schedule', { ...daily, intervalMinutes: 5 }, ['intervalMinutes']],
    ['weekly without days', { ...weekly, daysOfWeek: undefined }, ['daysOfWeek']],
    ['a repeated day', { ...weekly, daysOfWeek: ['mon', 'mon'] }, ['daysOfWeek']],
    ['an impossible date', { ...oneOff, runAt: '2030-02-30T09:00' }, ['runAt']],
    ['an unknown field', { ...daily, colour: 'blue' }, ['colour']],
  ])('answers 400 SCHEDULE.INVALID naming the field for %s', async (_name, body, fields) => {
    const problem = problemOf(await app.api('POST', 'schedules', { body }), 400, 'SCHEDULE.INVALID');
    expect(paths(problem).sort()).toEqual([...fields].sort());
    for (const field of fields) expect(problem.detail).toContain(field);
    for (const e of problem.errors ?? []) expect(e.message.length).toBeGreaterThan(3);
  });

  it('a body that is not an object is a 400 problem, not a 500', async () => {
    for (const body of ['[]', '"daily"', '42', 'null']) {
      const problem = problemOf(await app.api('POST', 'schedules', { body }), 400);
      expect(problem.code).toBe('SCHEDULE.INVALID');
    }
  });

  it('PUT replaces the definition (even its type); an invalid PUT changes nothing', async () => {
    const id = await createSchedule();
    const before = (await app.api('GET', `schedules/${id}`)).json as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 5)); // updatedAt must move
    const replaced = await app.api('PUT', `schedules/${id}`, { body: weekly });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ ...weekly, id, createdAt: before.createdAt });
    expect((replaced.json as { updatedAt: string }).updatedAt > String(before.updatedAt)).toBe(true);
    expect(replaced.json).not.toHaveProperty('runAt');

    const bad = problemOf(
      await app.api('PUT', `schedules/${id}`, { body: { ...weekly, intervalMinutes: 0 } }),
      400,
      'SCHEDULE.INVALID',
    );
    expect(paths(bad)).toEqual(['intervalMinutes']);
    expect((await app.api('GET', `schedules/${id}`)).json).toEqual(replaced.json);
  });

  it('GET, PUT and DELETE of an unknown schedule answer 404; a malformed id answers 400', async () => {
    const unknown = '6f1c1d7e-0000-4000-8000-000000000000';
    problemOf(await app.api('GET', `schedules/${unknown}`), 404, 'SCHEDULE.NOT_FOUND');
    problemOf(await app.api('PUT', `schedules/${unknown}`, { body: daily }), 404, 'SCHEDULE.NOT_FOUND');
    problemOf(await app.api('DELETE', `schedules/${unknown}`), 404, 'SCHEDULE.NOT_FOUND');
    const malformed = problemOf(await app.api('GET', `schedules/${encodeURIComponent("a'b c")}`), 400);
    expect(paths(malformed)).toEqual(['id']);
  });

  it('DELETE removes an unused schedule (204, then 404)', async () => {
    const id = await createSchedule(oneOff);
    const deleted = await app.api('DELETE', `schedules/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    problemOf(await app.api('GET', `schedules/${id}`), 404);
  });

  it('DELETE of a schedule used by a task answers 409 naming the task; it works once the task is gone', async () => {
    const id = await createSchedule();
    const task = await createTask({
      description: 'Keeps the schedule busy',
      scheduleId: id,
      target: { kind: 'group', groupId: app.sim.tenant.demo.salesGroupId },
    });
    const conflict = problemOf(await app.api('DELETE', `schedules/${id}`), 409, 'SCHEDULE.IN_USE');
    expect(conflict.detail).toContain(task.id);
    expect(conflict.detail).toContain('Keeps the schedule busy');
    expect((await app.api('GET', `schedules/${id}`, { role: 'Reader' })).status).toBe(200);
    expect((await app.api('DELETE', `tasks/${task.id}`)).status).toBe(204);
    expect((await app.api('DELETE', `schedules/${id}`)).status).toBe(204);
  });

  it('pages the list with top + continuationToken: every schedule exactly once', async () => {
    for (let i = 0; i < 7; i++) await createSchedule({ ...oneOff, description: `Paging ${i}` });
    const everything = await app.api('GET', 'schedules?top=1000', { role: 'Reader' });
    const all = everything.json as { items: Array<{ id: string }>; continuationToken: string | null };
    expect(all.continuationToken).toBeNull();
    expect(all.items.length).toBeGreaterThanOrEqual(7);
    const pages = await allPages('schedules', 3);
    expect(pages.length).toBe(Math.ceil(all.items.length / 3));
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(3);
    const ids = pages.flat().map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(all.items.map((s) => s.id));
  });

  it.each([
    ['top=0', 'top'],
    ['top=1001', 'top'],
    ['top=abc', 'top'],
    ['top=2.5', 'top'],
    ['continuationToken=not-ours', 'continuationToken'],
    ['colour=blue', 'colour'],
  ])('answers 400 naming the parameter for ?%s', async (query, field) => {
    const problem = problemOf(await app.api('GET', `schedules?${query}`, { role: 'Reader' }), 400);
    expect(paths(problem).some((p) => p === field || p.endsWith(field)) || problem.detail.includes(field)).toBe(true);
  });
});

describe('tasks', () => {
  let scheduleId: string;

  beforeAll(async () => {
    scheduleId = await createSchedule();
  });

  it('creates a task for each target kind, with defaults, next due time and no last run', async () => {
    const demo = app.sim.tenant.demo;
    const targets = [
      { kind: 'group', groupId: demo.salesGroupId },
      { kind: 'groupDn', dn: demo.targetGroupDn },
      { kind: 'groupEmail', email: demo.salesGroupMail },
      { kind: 'mailboxes', mailboxes: ['alex.wilber@contoso.com', demo.meganId] },
    ];
    for (const target of targets) {
      const task = await createTask({ description: `Target ${target.kind}`, scheduleId, target });
      expect(task).toMatchObject({
        description: `Target ${target.kind}`,
        type: 'mailboxPermissionSync',
        scheduleId,
        target,
        rights: ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'],
        enabled: true,
        lastRun: null,
        schedule: { timeZone: 'Europe/London', summary: expect.any(String) },
      });
      expect(task.nextDueAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(String(task.nextDueAt))).toBeGreaterThan(Date.now());
      expect(task.nextDueAtLocal).toMatch(/T02:00/);
      expect((await app.api('GET', `tasks/${task.id}`, { role: 'Reader' })).json).toEqual(task);
    }
    const disabled = await createTask({
      description: 'Off',
      scheduleId,
      target: targets[0],
      rights: ['SendAs'],
      enabled: false,
    });
    expect(disabled).toMatchObject({ rights: ['SendAs'], enabled: false, nextDueAt: null });
  });

  it.each([
    ['a group id that is not a GUID', { kind: 'group', groupId: 'sales' }, 'target.groupId'],
    ['a DN without CN=', { kind: 'groupDn', dn: 'OU=Groups,DC=contoso,DC=com' }, 'target.dn'],
    ['an e-mail without @', { kind: 'groupEmail', email: 'sales.contoso.com' }, 'target.email'],
    ['an empty mailbox list', { kind: 'mailboxes', mailboxes: [] }, 'target.mailboxes'],
    [
      'a mailbox listed twice',
      { kind: 'mailboxes', mailboxes: ['a@contoso.com', 'A@contoso.com'] },
      'target.mailboxes',
    ],
    [
      'a mailbox that is neither address nor id',
      { kind: 'mailboxes', mailboxes: ['a@contoso.com', 'alex'] },
      'target.mailboxes.1',
    ],
    ['an unknown kind', { kind: 'ou', ou: 'Sales' }, 'target.kind'],
    [
      'a field of another kind',
      { kind: 'group', groupId: '6f1c1d7e-0000-4000-8000-000000000000', email: 'x@contoso.com' },
      'target',
    ],
  ])('answers 400 TASK.INVALID naming %s', async (_name, target, field) => {
    const problem = problemOf(
      await app.api('POST', 'tasks', { body: { description: 'Bad', scheduleId, target } }),
      400,
      'TASK.INVALID',
    );
    expect(paths(problem)).toContain(field);
  });

  it('names every bad field at once', async () => {
    const problem = problemOf(
      await app.api('POST', 'tasks', {
        body: {
          description: '',
          scheduleId,
          target: { kind: 'group', groupId: 'x' },
          rights: ['FullAccess', 'ReadMind'],
          enabled: 'yes',
          extra: 1,
        },
      }),
      400,
      'TASK.INVALID',
    );
    expect(paths(problem)).toEqual(expect.arrayContaining(['description', 'target.groupId', 'rights.1', 'enabled']));
    expect(paths(problem).length).toBeGreaterThanOrEqual(5); // and the unknown field
    expect(
      problemOf(await app.api('POST', 'tasks', { body: { description: 'No target', scheduleId } }), 400).errors,
    ).toContainEqual(expect.objectContaining({ path: 'target' }));
  });

  it('an unknown scheduleId answers 400 naming scheduleId (create and update)', async () => {
    const unknown = '6f1c1d7e-0000-4000-8000-000000000001';
    const created = problemOf(
      await app.api('POST', 'tasks', {
        body: {
          description: 'Orphan',
          scheduleId: unknown,
          target: { kind: 'group', groupId: app.sim.tenant.demo.salesGroupId },
        },
      }),
      400,
      'TASK.SCHEDULE_NOT_FOUND',
    );
    expect(created.errors).toEqual([{ path: 'scheduleId', message: expect.stringContaining(unknown) }]);
    const task = await createTask({
      description: 'Real',
      scheduleId,
      target: { kind: 'group', groupId: app.sim.tenant.demo.salesGroupId },
    });
    const updated = problemOf(
      await app.api('PUT', `tasks/${task.id}`, {
        body: { description: 'Real', scheduleId: unknown, target: task.target },
      }),
      400,
      'TASK.SCHEDULE_NOT_FOUND',
    );
    expect(paths(updated)).toEqual(['scheduleId']);
    expect((await app.api('GET', `tasks/${task.id}`)).json).toMatchObject({ scheduleId });
  });

  it('PUT replaces the settings; GET/PUT/DELETE of an unknown task answer 404', async () => {
    const task = await createTask({
      description: 'Before',
      scheduleId,
      target: { kind: 'group', groupId: app.sim.tenant.demo.salesGroupId },
    });
    const other = await createSchedule(weekly);
    const replaced = await app.api('PUT', `tasks/${task.id}`, {
      body: {
        description: 'After',
        scheduleId: other,
        target: { kind: 'groupEmail', email: 'sales@contoso.com' },
        rights: ['SendAs', 'FullAccess'],
        enabled: true,
      },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      id: task.id,
      description: 'After',
      scheduleId: other,
      target: { kind: 'groupEmail', email: 'sales@contoso.com' },
      rights: ['SendAs', 'FullAccess'],
      createdAt: task.createdAt,
      schedule: { timeZone: 'America/New_York' },
    });
    problemOf(
      await app.api('PUT', `tasks/${task.id}`, { body: { description: 'After', scheduleId: other } }),
      400,
      'TASK.INVALID',
    );

    const unknown = '6f1c1d7e-0000-4000-8000-000000000002';
    problemOf(await app.api('GET', `tasks/${unknown}`, { role: 'Reader' }), 404, 'TASK.NOT_FOUND');
    problemOf(
      await app.api('PUT', `tasks/${unknown}`, {
        body: { description: 'x', scheduleId, target: { kind: 'group', groupId: app.sim.tenant.demo.salesGroupId } },
      }),
      404,
      'TASK.NOT_FOUND',
    );
    problemOf(await app.api('DELETE', `tasks/${unknown}`), 404, 'TASK.NOT_FOUND');
    problemOf(await app.api('POST', `tasks/${unknown}/run`), 404, 'TASK.NOT_FOUND');
    problemOf(await app.api('GET', `tasks/${unknown}/runs`, { role: 'Reader' }), 404, 'TASK.NOT_FOUND');

    expect((await app.api('DELETE', `tasks/${task.id}`)).status).toBe(204);
    problemOf(await app.api('GET', `tasks/${task.id}`), 404);
  });

  it('pages the task list without gaps or repeats', async () => {
    const all = ((await app.api('GET', 'tasks?top=1000', { role: 'Reader' })).json as { items: Array<{ id: string }> })
      .items;
    expect(all.length).toBeGreaterThanOrEqual(5);
    const pages = await allPages('tasks', 2);
    expect(pages.flat().map((t) => t.id)).toEqual(all.map((t) => t.id));
    expect(pages.length).toBe(Math.ceil(all.length / 2));
  });
});

describe('runs', () => {
  let scheduleId: string;

  beforeAll(async () => {
    scheduleId = await createSchedule();
  });

  it(
    'run now answers 202 {runId}, 409 while that run is active (also for DELETE), ' + 'and 202 again once it finished',
    async () => {
      const task = await createTask({
        description: 'Run now',
        scheduleId,
        target: { kind: 'mailboxes', mailboxes: ['alex.wilber@contoso.com'] },
      });
      const first = await app.api('POST', `tasks/${task.id}/run`);
      expect(first.status).toBe(202);
      expect(Object.keys(first.json as object)).toEqual(['runId']);
      const { runId } = first.json as { runId: string };
      // Without the finalizer timer the run stays active even once its only mailbox is done.
      const again = problemOf(await app.api('POST', `tasks/${task.id}/run`), 409, 'RUN.ACTIVE');
      expect(again.detail).toMatch(new RegExp(`${runId} is still (queued|expanding|running)`));
      problemOf(await app.api('DELETE', `tasks/${task.id}`), 409, 'TASK.RUN_ACTIVE');
      const during = (await app.api('GET', `tasks/${task.id}`, { role: 'Reader' })).json as {
        lastRun: { runId: string; status: string };
      };
      expect(during.lastRun.runId).toBe(runId);
      expect(['queued', 'expanding', 'running']).toContain(during.lastRun.status);

      await app.settle();
      const run = await app.api('GET', `tasks/${task.id}/runs/${runId}`, { role: 'Reader' });
      expect(run.json).toMatchObject({
        runId,
        taskId: task.id,
        status: 'succeeded',
        trigger: 'manual',
        scheduledFor: null,
        mailboxesTotal: 1,
        mailboxesDone: 1,
        mailboxesFailed: 0,
        error: null,
      });
      expect(Date.parse(String((run.json as { finishedAt: string }).finishedAt))).toBeGreaterThanOrEqual(
        Date.parse(String((run.json as { startedAt: string }).startedAt)),
      );
      expect((await app.api('GET', `tasks/${task.id}`, { role: 'Reader' })).json).toMatchObject({
        lastRun: { runId, status: 'succeeded', mailboxesDone: 1 },
      });
      const next = await app.api('POST', `tasks/${task.id}/run`);
      expect(next.status).toBe(202);
      expect((next.json as { runId: string }).runId).not.toBe(runId);
      await app.settle();
    },
  );

  it('lists the run history newest first, also across pages', async () => {
    const task = await createTask({
      description: 'History',
      scheduleId,
      target: { kind: 'mailboxes', mailboxes: ['megan.bowen@contoso.com'] },
    });
    const started: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await app.api('POST', `tasks/${task.id}/run`);
      expect(response.status).toBe(202);
      started.push((response.json as { runId: string }).runId);
      await app.settle();
    }
    const history = (await app.api('GET', `tasks/${task.id}/runs`, { role: 'Reader' })).json as {
      items: Array<{ runId: string; createdAt: string; status: string }>;
      continuationToken: string | null;
    };
    expect(history.items.map((r) => r.runId)).toEqual([...started].reverse());
    expect(history.items.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const createdAt = history.items.map((r) => r.createdAt);
    expect([...createdAt].sort().reverse()).toEqual(createdAt);
    expect((await allPages(`tasks/${task.id}/runs`, 1)).flat().map((r) => r.runId)).toEqual([...started].reverse());
  });

  it('lists a run’s mailboxes by status: ?status=failed gives the failed ones with a readable reason', async () => {
    // A mailbox deleted between expansion and its sync: Get-MailboxPermission fails for good. An address without an
    // Exchange Online mailbox behind it is not scanned at all (docs/design.md §8.2: noExchangeMailbox).
    const ghost = app.sim.tenant.addUser({ displayName: 'Ghost Mailbox', mail: 'ghost.mailbox@contoso.com' });
    const mailUser = app.sim.tenant.addUser({
      displayName: 'Mail Only',
      mail: 'mail.only@contoso.com',
      recipientTypeDetails: null,
    });
    const mailboxes = ['alex.wilber@contoso.com', ghost.mail!, app.sim.tenant.demo.meganId, mailUser.mail!];
    const task = await createTask({ description: 'Some fail', scheduleId, target: { kind: 'mailboxes', mailboxes } });
    const held = holdQueue(app, QUEUES.mailbox);
    let runId: string;
    try {
      runId = ((await app.api('POST', `tasks/${task.id}/run`)).json as { runId: string }).runId;
      await expect.poll(() => held.messages.length).toBe(3);
      app.sim.tenant.deleteUser(ghost.id);
    } finally {
      await held.release();
    }
    await app.settle();
    const run = (await app.api('GET', `tasks/${task.id}/runs/${runId}`, { role: 'Reader' })).json as Record<
      string,
      unknown
    >;
    expect(run).toMatchObject({
      status: 'completedWithErrors',
      mailboxesTotal: 3,
      mailboxesDone: 2,
      mailboxesFailed: 1,
      mailboxesSkipped: 1,
      skippedByReason: { noExchangeMailbox: 1 },
    });

    const failed = (await app.api('GET', `tasks/${task.id}/runs/${runId}/mailboxes?status=failed`, { role: 'Reader' }))
      .json as { items: Array<Record<string, unknown>> };
    expect(failed.items).toHaveLength(1);
    expect(failed.items[0]).toMatchObject({
      mailboxId: ghost.id.toLowerCase(),
      address: ghost.mail,
      displayName: 'Ghost Mailbox',
      status: 'failed',
      settledAt: expect.any(String),
    });
    expect(String(failed.items[0]!.error)).toMatch(/ghost\.mailbox@contoso\.com.*no longer exists/);
    expect(String(failed.items[0]!.error)).not.toMatch(/\{|at .*\.ts/);

    const done = (await app.api('GET', `tasks/${task.id}/runs/${runId}/mailboxes?status=done`, { role: 'Reader' }))
      .json as { items: Array<{ mailboxId: string; error: string | null }> };
    expect(done.items.map((i) => i.mailboxId).sort()).toEqual(
      [app.sim.tenant.demo.alexId, app.sim.tenant.demo.meganId].map((id) => id.toLowerCase()).sort(),
    );
    expect(done.items.every((i) => i.error === null)).toBe(true);
    const everything = (await app.api('GET', `tasks/${task.id}/runs/${runId}/mailboxes`, { role: 'Reader' })).json as {
      items: unknown[];
    };
    expect(everything.items).toHaveLength(3);
    expect((await allPages(`tasks/${task.id}/runs/${runId}/mailboxes`, 1)).flat()).toEqual(everything.items);
    expect(
      (
        (await app.api('GET', `tasks/${task.id}/runs/${runId}/mailboxes?status=pending`, { role: 'Reader' })).json as {
          items: unknown[];
        }
      ).items,
    ).toEqual([]);

    expect(
      paths(
        problemOf(
          await app.api('GET', `tasks/${task.id}/runs/${runId}/mailboxes?status=broken`, { role: 'Reader' }),
          400,
        ),
      ),
    ).toEqual(['status']);
    problemOf(
      await app.api('GET', `tasks/${task.id}/runs/8638000000000000-mffffffff`, { role: 'Reader' }),
      404,
      'RUN.NOT_FOUND',
    );
    problemOf(
      await app.api('GET', `tasks/${task.id}/runs/8638000000000000-mffffffff/mailboxes?status=failed`, {
        role: 'Reader',
      }),
      404,
      'RUN.NOT_FOUND',
    );
  });

  it('a run keeps the target and rights it started with when the task is edited while it is queued', async () => {
    const demo = app.sim.tenant.demo;
    const task = await createTask({
      description: 'Snapshot',
      scheduleId,
      target: { kind: 'mailboxes', mailboxes: [demo.disabledMailboxUserId] },
      rights: ['FullAccess'],
    });
    const held = holdQueue(app, QUEUES.expand);
    let runId: string;
    try {
      runId = ((await app.api('POST', `tasks/${task.id}/run`)).json as { runId: string }).runId;
      expect(held.messages).toHaveLength(1);
      const edited = await app.api('PUT', `tasks/${task.id}`, {
        body: {
          description: 'Snapshot',
          scheduleId,
          target: { kind: 'mailboxes', mailboxes: [demo.sharedMailboxId, demo.gradyId] },
          rights: ['SendAs', 'SendOnBehalf'],
        },
      });
      expect(edited.status).toBe(200);
      const queued = (await app.api('GET', `tasks/${task.id}/runs/${runId}`, { role: 'Reader' })).json as Record<
        string,
        unknown
      >;
      expect(queued).toMatchObject({
        status: 'queued',
        target: { kind: 'mailboxes', mailboxes: [demo.disabledMailboxUserId] },
        rights: ['FullAccess'],
      });
    } finally {
      await held.release();
    }
    await app.settle();
    const run = (await app.api('GET', `tasks/${task.id}/runs/${runId}`, { role: 'Reader' })).json as Record<
      string,
      unknown
    >;
    expect(run).toMatchObject({
      status: 'succeeded',
      mailboxesTotal: 1,
      target: { kind: 'mailboxes', mailboxes: [demo.disabledMailboxUserId] },
      rights: ['FullAccess'],
    });
    const items = (await app.api('GET', `tasks/${task.id}/runs/${runId}/mailboxes`, { role: 'Reader' })).json as {
      items: Array<{ mailboxId: string }>;
    };
    expect(items.items.map((i) => i.mailboxId)).toEqual([demo.disabledMailboxUserId.toLowerCase()]);
    // Only FullAccess was read: the leaver's FullAccess (Grady) is indexed, its SendOnBehalf (the unicode user) is not.
    const leaver = (await app.api('GET', `mailboxes/${demo.disabledMailboxUserId}/delegates`, { role: 'Reader' }))
      .json as { items: Array<{ delegate: { id: string }; rights: Array<{ right: string }> }> };
    expect(leaver.items.map((i) => [i.delegate.id, i.rights.map((r) => r.right)])).toEqual([
      [demo.gradyId.toLowerCase(), ['FullAccess']],
    ]);

    // The next run uses the edited task.
    const nextRunId = ((await app.api('POST', `tasks/${task.id}/run`)).json as { runId: string }).runId;
    await app.settle();
    const next = (await app.api('GET', `tasks/${task.id}/runs/${nextRunId}`, { role: 'Reader' })).json as Record<
      string,
      unknown
    >;
    expect(next).toMatchObject({ status: 'succeeded', mailboxesTotal: 2, rights: ['SendAs', 'SendOnBehalf'] });
  });
});

describe('revocation hold (held-revocations routes)', () => {
  let scheduleId: string;
  let scenarios = 0;

  interface Held {
    mailbox: { id: string; address: string };
    delegate: { id: string; address: string };
    right: string;
    via: unknown[];
    source: string;
    reason: string;
  }
  interface HoldScenario {
    taskId: string;
    syncedRunId: string;
    runId: string;
    mailbox: SimUser;
    delegates: SimUser[];
  }

  const heldPath = (taskId: string, runId: string) => `tasks/${taskId}/runs/${runId}/held-revocations`;
  const getRun = async (taskId: string, runId: string) =>
    (await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' })).json as Record<string, unknown>;
  const delegatesOf = async (mailbox: SimUser) => {
    const response = await app.api('GET', `mailboxes/${mailbox.id}/delegates`, { role: 'Reader' });
    return (response.json as { items: Array<{ delegate: { id: string } }> }).items;
  };

  async function runNow(taskId: string): Promise<string> {
    const started = await app.api('POST', `tasks/${taskId}/run`);
    expect(started.status, started.text).toBe(202);
    await app.settle();
    return (started.json as { runId: string }).runId;
  }

  /** A mailbox with `count` FullAccess delegates, synced once; then Exchange loses them all and a run holds them. */
  async function holdScenario(count = 12): Promise<HoldScenario> {
    const tenant = app.sim.tenant;
    const tag = `Hold ${++scenarios}`;
    const mailbox = tenant.addUser({ displayName: `${tag} Mailbox` });
    const delegates = Array.from({ length: count }, (_, i) => tenant.addUser({ displayName: `${tag} Delegate ${i}` }));
    for (const d of delegates) tenant.grantFullAccess(mailbox.id, d.id);
    const target = { kind: 'mailboxes', mailboxes: [mailbox.mail!] };
    const task = await createTask({ description: tag, scheduleId, target, rights: ['FullAccess'] });
    const syncedRunId = await runNow(task.id);
    const synced = await getRun(task.id, syncedRunId);
    const failed = await app.api('GET', `tasks/${task.id}/runs/${syncedRunId}/mailboxes?status=failed`);
    expect(synced, failed.text).toMatchObject({ status: 'succeeded', delegationsAdded: count });
    for (const d of delegates) tenant.revokeFullAccess(mailbox.id, d.id);
    const runId = await runNow(task.id);
    return { taskId: task.id, syncedRunId, runId, mailbox, delegates };
  }

  beforeAll(async () => {
    scheduleId = await createSchedule();
  });

  it('a run revoking all FullAccess holds it: needsReview, listed (Reader, paged), still in lookups', async () => {
    const { taskId, runId, mailbox, delegates } = await holdScenario();
    const run = await getRun(taskId, runId);
    expect(run).toMatchObject({
      status: 'needsReview',
      revocationsHeld: 12,
      heldRights: ['FullAccess'],
      delegationsRemoved: 0,
      review: null,
      rightsNotRead: 0,
      mailboxesSkipped: 0,
      skippedByReason: {},
    });
    // The mailbox also reads empty while it held 12 (reason readEmpty); the share rule already names the right.
    expect(run.warnings).toEqual([expect.stringMatching(/revoke 12 of 12 stored FullAccess delegations.*20 %/)]);

    const listed = await app.api('GET', `${heldPath(taskId, runId)}?top=1000`, { role: 'Reader' });
    expect(listed.status, listed.text).toBe(200);
    const page = listed.json as { items: Held[]; continuationToken: string | null };
    expect(page.continuationToken).toBeNull();
    expect(page.items.map((h) => h.delegate.id).sort()).toEqual(delegates.map((d) => d.id.toLowerCase()).sort());
    for (const held of page.items) {
      expect(held).toMatchObject({
        mailbox: { id: mailbox.id.toLowerCase(), address: mailbox.mail },
        right: 'FullAccess',
        via: [{ kind: 'direct' }],
        source: 'MailboxPermissionSync',
        reason: 'readEmpty',
        firstSeen: expect.any(String),
        lastConfirmed: expect.any(String),
      });
    }
    const pages = await allPages(heldPath(taskId, runId), 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual(page.items);
    // Held rows stay in lookups until applied.
    expect(await delegatesOf(mailbox)).toHaveLength(12);
  });

  it('apply (Admin) revokes them, records who decided and closes the review; a second decision is a 409', async () => {
    const { taskId, runId, mailbox } = await holdScenario();
    problemOf(await app.api('POST', `${heldPath(taskId, runId)}/apply`, { role: 'Reader' }), 403);
    problemOf(await app.api('POST', `${heldPath(taskId, runId)}/dismiss`, { role: 'Reader' }), 403);
    expect((await getRun(taskId, runId)).status).toBe('needsReview');

    const applied = await app.api('POST', `${heldPath(taskId, runId)}/apply`);
    expect(applied.status, applied.text).toBe(200);
    const by = 'alex.wilber@contoso.com';
    const review = { decision: 'applied', by, at: expect.any(String), applied: 12, skipped: 0 };
    expect(applied.json).toMatchObject({
      applied: 12,
      skipped: 0,
      run: { runId, status: 'succeeded', revocationsHeld: 0, delegationsRemoved: 12, review },
    });
    expect(await getRun(taskId, runId)).toMatchObject({ status: 'succeeded', review });
    expect(await delegatesOf(mailbox)).toEqual([]);
    const listed = (await app.api('GET', heldPath(taskId, runId), { role: 'Reader' })).json as { items: unknown[] };
    expect(listed.items).toEqual([]);
    const changes = (await app.api('GET', `delegation-changes?mailbox=${mailbox.id}`, { role: 'Reader' })).json as {
      items: Array<{ type: string; runId: string }>;
    };
    expect(changes.items.filter((c) => c.type === 'revoked').map((c) => c.runId)).toEqual(Array(12).fill(runId));

    const again = problemOf(await app.api('POST', `${heldPath(taskId, runId)}/apply`), 409, 'RUN.NOT_IN_REVIEW');
    expect(again.detail).toContain(runId);
    problemOf(await app.api('POST', `${heldPath(taskId, runId)}/dismiss`), 409, 'RUN.NOT_IN_REVIEW');
  });

  it("dismiss keeps the delegations; an app's decision is recorded under its client id", async () => {
    const { taskId, runId, mailbox } = await holdScenario();
    const appToken = await app.token('Admin', { appOnly: true });
    const dismissed = await app.api('POST', `${heldPath(taskId, runId)}/dismiss`, { token: appToken });
    expect(dismissed.status, dismissed.text).toBe(200);
    const review = { decision: 'dismissed', by: SIM_API_CALLER_APP_ID, at: expect.any(String) };
    const run = { runId, status: 'succeeded', revocationsHeld: 0, review };
    expect(dismissed.json).toMatchObject({ dismissed: 12, run });
    expect(await getRun(taskId, runId)).toMatchObject({ status: 'succeeded', delegationsRemoved: 0, review });
    expect(await delegatesOf(mailbox)).toHaveLength(12);
    expect(((await app.api('GET', heldPath(taskId, runId))).json as { items: unknown[] }).items).toEqual([]);
  });

  it('apply re-checks the stored state: revocations a later sync re-proposed are skipped', async () => {
    const { taskId, runId: older, mailbox, delegates } = await holdScenario();
    // Exchange has one delegate back; the next run re-reads the mailbox and holds the other 11 itself.
    app.sim.tenant.grantFullAccess(mailbox.id, delegates[0]!.id);
    const newer = await runNow(taskId);
    expect(await getRun(taskId, newer)).toMatchObject({ status: 'needsReview', revocationsHeld: 11 });

    const stale = await app.api('POST', `${heldPath(taskId, older)}/apply`);
    expect(stale.status, stale.text).toBe(200);
    expect(stale.json).toMatchObject({ applied: 0, skipped: 12, run: { review: { applied: 0, skipped: 12 } } });
    expect(await delegatesOf(mailbox)).toHaveLength(12);

    const current = await app.api('POST', `${heldPath(taskId, newer)}/apply`);
    expect(current.json).toMatchObject({ applied: 11, skipped: 0 });
    const left = await delegatesOf(mailbox);
    expect(left.map((d) => d.delegate.id)).toEqual([delegates[0]!.id.toLowerCase()]);
  });

  it('are documented in OpenAPI with their roles, responses and the run fields of a review', async () => {
    type Operation = { summary: string; 'x-required-role': string; responses: Record<string, { content?: object }> };
    const doc = (await app.api('GET', 'openapi.json', { token: null })).json as {
      paths: Record<string, Record<string, Operation>>;
    };
    const base = '/api/tasks/{id}/runs/{runId}/held-revocations';
    const list = doc.paths[base]!.get!;
    expect(list['x-required-role']).toBe('reader');
    expect(JSON.stringify(list.responses['200'])).toContain('"reason"');
    for (const [action, field] of [
      ['apply', 'skipped'],
      ['dismiss', 'dismissed'],
    ] as const) {
      const op = doc.paths[`${base}/${action}`]!.post!;
      expect(op['x-required-role']).toBe('admin');
      expect(op.summary.length).toBeGreaterThan(20);
      expect(JSON.stringify(op.responses['200'])).toContain(`"${field}"`);
      expect(op.responses['409']?.content).toHaveProperty(['application/problem+json']);
    }
    const run = JSON.stringify(doc.paths['/api/tasks/{id}/runs/{runId}']!.get!.responses['200']);
    for (const field of ['needsReview', 'revocationsHeld', 'warnings', 'rightsNotRead', 'heldRights', 'review']) {
      expect(run).toContain(field);
    }
    const items = JSON.stringify(doc.paths['/api/tasks/{id}/runs/{runId}/mailboxes']!.get!.responses['200']);
    for (const field of ['rightsNotRead', 'warnings', 'revocationsProposed']) expect(items).toContain(field);
  });

  it('answers 404 RUN.NOT_FOUND for an unknown run, 409 for a run that is not in review', async () => {
    const { taskId, syncedRunId } = await holdScenario(10);
    const unknown = '8638000000000000-mffffffff';
    problemOf(await app.api('GET', heldPath(taskId, unknown), { role: 'Reader' }), 404, 'RUN.NOT_FOUND');
    problemOf(await app.api('POST', `${heldPath(taskId, unknown)}/apply`), 404, 'RUN.NOT_FOUND');
    problemOf(await app.api('POST', `${heldPath(taskId, unknown)}/dismiss`), 404, 'RUN.NOT_FOUND');
    const none = (await app.api('GET', heldPath(taskId, syncedRunId), { role: 'Reader' })).json;
    expect(none).toEqual({ items: [], continuationToken: null });
    const apply = await app.api('POST', `${heldPath(taskId, syncedRunId)}/apply`);
    const conflict = problemOf(apply, 409, 'RUN.NOT_IN_REVIEW');
    expect(conflict.detail).toMatch(/succeeded/);
    problemOf(await app.api('POST', `${heldPath(taskId, syncedRunId)}/dismiss`), 409, 'RUN.NOT_IN_REVIEW');
    expect(paths(problemOf(await app.api('GET', `${heldPath(taskId, syncedRunId)}?top=0`), 400))).toEqual(['top']);
  });
});

describe('request bodies', () => {
  const validTask = () => ({
    description: 'x',
    scheduleId: 'none',
    target: { kind: 'group', groupId: app.sim.tenant.demo.salesGroupId },
  });

  it.each([
    ['POST', 'schedules'],
    ['PUT', 'schedules/6f1c1d7e-0000-4000-8000-000000000000'],
    ['POST', 'tasks'],
    ['PUT', 'tasks/6f1c1d7e-0000-4000-8000-000000000000'],
  ])(
    '%s %s: wrong content type → 415, invalid JSON → 400, empty → 400, oversized → 413, all problem+json',
    async (method, path) => {
      const json = JSON.stringify(path.startsWith('tasks') ? validTask() : daily);
      problemOf(
        await app.api(method, path, { body: json, headers: { 'Content-Type': 'text/plain' } }),
        415,
        'REQUEST.UNSUPPORTED_MEDIA_TYPE',
      );
      problemOf(
        await app.api(method, path, { body: json, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
        415,
      );
      problemOf(
        await app.api(method, path, {
          body: '{"description": "Nightly",',
          headers: { 'Content-Type': 'application/json' },
        }),
        400,
        'REQUEST.INVALID_JSON',
      );
      problemOf(await app.api(method, path, { body: '', headers: { 'Content-Type': 'application/json' } }), 400);
      const oversized = JSON.stringify({ ...daily, description: 'x'.repeat(70 * 1024) });
      const tooLarge = problemOf(await app.api(method, path, { body: oversized }), 413, 'REQUEST.TOO_LARGE');
      expect(tooLarge.detail).toMatch(/larger than/);
    },
  );

  it('accepts application/json with a charset and vendor +json types', async () => {
    const response = await app.api('POST', 'schedules', {
      body: JSON.stringify(daily),
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    });
    expect(response.status).toBe(201);
    const vendor = await app.api('POST', 'schedules', {
      body: JSON.stringify(daily),
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(vendor.status).toBe(201);
  });

  it('a body just under the limit is read (and then validated)', async () => {
    const almost = JSON.stringify({ ...daily, description: 'x'.repeat(60 * 1024) });
    const problem = problemOf(await app.api('POST', 'schedules', { body: almost }), 400, 'SCHEDULE.INVALID');
    expect(paths(problem)).toEqual(['description']);
  });

  it('an unsupported method on a known route is a 405 problem', async () => {
    const response = await app.api('PATCH', 'schedules', { body: daily });
    problemOf(response, 405);
  });
});

describe('an edited schedule takes effect at the next evaluation', () => {
  let clockApp: TestApp;

  beforeAll(async () => {
    clockApp = await startTestApp({ simulator: { mailboxes: 16 } });
  }, 60_000);

  afterAll(async () => {
    await clockApp?.stop();
  });

  it('moves the next due time and the timer runs the task at the new slot, not the old one', async () => {
    const clock = setClock(clockApp, new Date('2030-01-07T00:00:00Z')); // a Monday
    const call = (method: string, path: string, body?: unknown) =>
      clockApp.api(method, path, body === undefined ? {} : { body });
    const scheduleId = (
      (await call('POST', 'schedules', { ...daily, timeZone: 'UTC', startTime: '03:00' })).json as { id: string }
    ).id;
    const taskId = (
      (
        await call('POST', 'tasks', {
          description: 'Clocked',
          scheduleId,
          target: { kind: 'mailboxes', mailboxes: [clockApp.sim.tenant.demo.alexId] },
        })
      ).json as { id: string }
    ).id;
    expect((await call('GET', `tasks/${taskId}`)).json).toMatchObject({ nextDueAt: '2030-01-07T03:00:00Z' });

    const edited = await call('PUT', `schedules/${scheduleId}`, { ...daily, timeZone: 'UTC', startTime: '01:00' });
    expect(edited.status).toBe(200);
    expect((await call('GET', `tasks/${taskId}`)).json).toMatchObject({ nextDueAt: '2030-01-07T01:00:00Z' });

    clock.set(new Date('2030-01-07T00:59:00Z'));
    await clockApp.host.fireTimer('evaluateSchedules');
    expect(((await call('GET', `tasks/${taskId}/runs`)).json as { items: unknown[] }).items).toEqual([]);

    clock.set(new Date('2030-01-07T01:00:30Z'));
    await clockApp.host.fireTimer('evaluateSchedules');
    await clockApp.host.fireTimer('evaluateSchedules'); // a duplicate firing makes no second run
    await clockApp.settle();
    const runs = ((await call('GET', `tasks/${taskId}/runs`)).json as { items: Array<Record<string, unknown>> }).items;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      trigger: 'schedule',
      scheduledFor: '2030-01-07T01:00:00.000Z',
      status: 'succeeded',
    });

    // The old slot (03:00) no longer exists: nothing runs then; the next run is tomorrow at 01:00.
    clock.set(new Date('2030-01-07T03:00:30Z'));
    await clockApp.host.fireTimer('evaluateSchedules');
    expect(((await call('GET', `tasks/${taskId}/runs`)).json as { items: unknown[] }).items).toHaveLength(1);
    expect((await call('GET', `tasks/${taskId}`)).json).toMatchObject({ nextDueAt: '2030-01-08T01:00:00Z' });
  });
});
