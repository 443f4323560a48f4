import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import {
  createMicrosoftClients,
  type MicrosoftClients,
  type TenantSettings,
} from '../../shared/adapters/microsoft/index.js';
import { interpretAuditRecord, type AuditHint, type AuditRecord } from '../../shared/domain/auditHints.js';
import { ThrottledError } from '../../shared/errors.js';
import type { AuditContentRef } from '../../shared/ports/auditFeed.js';
import { json, request, shapeMismatch, tokenOrThrow, type HttpResult } from './helpers.js';

const samplesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wire-samples');
const sample = (name: string): unknown => JSON.parse(readFileSync(path.join(samplesDir, name), 'utf8')) as unknown;

let sim: RunningSimulator;
let token: string;
let clients: MicrosoftClients;
let feedRoot: string;
let tenant: TenantSettings;

beforeAll(async () => {
  sim = await startSimulator({ mailboxes: 40, auditDelayMs: 300, auditPageSize: 2 });
  token = await tokenOrThrow(sim, 'management');
  feedRoot = `/api/v1.0/${sim.tenantId}/activity/feed`;
  tenant = {
    tenantId: sim.tenantId,
    credential: {
      kind: 'clientSecret',
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
    },
    authorityHost: sim.authorityHost,
    disableInstanceDiscovery: true,
    graphBaseUrl: sim.graphBaseUrl,
    exchangeBaseUrl: sim.exchangeBaseUrl,
    managementBaseUrl: sim.managementBaseUrl,
  };
  clients = createMicrosoftClients(tenant, { ca: sim.caCertPem, retry: { maxAttempts: 1 } });
});
afterAll(async () => {
  clients.close();
  await sim.stop();
});
beforeEach(() => {
  sim.audit.setKnobs({ delayMs: 300, pageSize: 2, blobSize: 4 });
  sim.audit.setFaults({ throttle: { requests: 0, retryAfterSeconds: 0 }, outage: { seconds: 0 } });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function feed(pathAndQuery: string, opts: { method?: string; bearer?: string } = {}): Promise<HttpResult> {
  return request(sim, {
    method: opts.method ?? 'GET',
    path: `${feedRoot}/${pathAndQuery}`,
    headers: { Authorization: `Bearer ${opts.bearer ?? token}` },
  });
}

async function ensureSubscribed(): Promise<void> {
  expect(['started', 'alreadyEnabled']).toContain(await clients.management.startSubscription('Audit.Exchange'));
}

async function mutate(body: Record<string, unknown>): Promise<void> {
  const r = await request(sim, {
    method: 'POST',
    path: '/_sim/mutate',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status, r.text).toBe(200);
}

/** Every record listed and fetched through the client in [since, now + 1 s). */
async function readFeed(since: number): Promise<{ refs: AuditContentRef[][]; records: AuditRecord[] }> {
  const refs: AuditContentRef[][] = [];
  for await (const page of clients.management.listContent(
    'Audit.Exchange',
    new Date(since),
    new Date(Date.now() + 1000),
  ))
    refs.push(page);
  const records: AuditRecord[] = [];
  for (const ref of refs.flat()) {
    for (const read of await clients.management.fetchContent(ref.contentUri)) {
      if (read.kind === 'unreadable') throw new Error(read.reason);
      records.push(read.record);
    }
  }
  return { refs, records };
}

describe('the simulated Management Activity API: tokens', () => {
  it('takes only a Management token, and a Management token is refused by Graph and Exchange', async () => {
    const graph = await tokenOrThrow(sim, 'graph');
    const exchange = await tokenOrThrow(sim, 'exchange');
    for (const bearer of [graph, exchange]) {
      const r = await feed('subscriptions/list', { bearer });
      expect(r.status).toBe(401);
      expect(json<{ error: { code: string } }>(r).error.code).toMatch(/^AF/);
    }
    expect((await feed('subscriptions/list')).status).toBe(200);
    const onGraph = await request(sim, { path: '/v1.0/users?$top=1', headers: { Authorization: `Bearer ${token}` } });
    expect(onGraph.status).toBe(401);
    const onExchange = await request(sim, {
      method: 'POST',
      path: `/adminapi/beta/${sim.tenantId}/InvokeCommand`,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ CmdletInput: { CmdletName: 'Get-Mailbox', Parameters: {} } }),
    });
    expect(onExchange.status).toBe(401);
  });
});

describe('the simulated Management Activity API answers in the shapes of wire-samples/', () => {
  it('content before any subscription: AF20022; start: 200; start again: AF20024; list', async () => {
    const fresh = await startSimulator({ mailboxes: 5 });
    try {
      const bearer = await tokenOrThrow(fresh, 'management');
      const root = `/api/v1.0/${fresh.tenantId}/activity/feed`;
      const call = (p: string, method = 'GET') =>
        request(fresh, { method, path: `${root}/${p}`, headers: { Authorization: `Bearer ${bearer}` } });

      const none = await call('subscriptions/content?contentType=Audit.Exchange');
      expect(none.status).toBe(400);
      expect(shapeMismatch(sample('mgmt-error-no-subscription.json'), json(none))).toBeUndefined();
      expect(json(none)).toEqual(sample('mgmt-error-no-subscription.json'));

      const started = await call('subscriptions/start?contentType=Audit.Exchange', 'POST');
      expect(started.status).toBe(200);
      expect(json(started)).toEqual(sample('mgmt-subscription-start.json'));

      const again = await call('subscriptions/start?contentType=Audit.Exchange', 'POST');
      expect(again.status).toBe(400);
      expect(json(again)).toEqual(sample('mgmt-error-already-enabled.json'));

      const list = await call('subscriptions/list');
      expect(shapeMismatch(sample('mgmt-subscriptions-list.json'), json(list))).toBeUndefined();
    } finally {
      await fresh.stop();
    }
  });

  it('a window over 24 h or older than 7 days: AF20030; both times or neither', async () => {
    await ensureSubscribed();
    for (const query of [
      'startTime=2026-01-01T00:00:00&endTime=2026-01-03T00:00:00',
      `startTime=${new Date(Date.now() - 8 * 86_400_000).toISOString().slice(0, 19)}&endTime=${new Date(
        Date.now() - 7.9 * 86_400_000,
      )
        .toISOString()
        .slice(0, 19)}`,
      `startTime=${new Date().toISOString().slice(0, 10)}`,
    ]) {
      const r = await feed(`subscriptions/content?contentType=Audit.Exchange&${query}`);
      expect(r.status, query).toBe(400);
      expect(json(r), query).toEqual(sample('mgmt-error-window.json'));
    }
  });

  it('a grant is listable only D after it happened; pages, blobs and records have the samples shape', async () => {
    await ensureSubscribed();
    const since = Date.now() - 1000;
    const alex = sim.tenant.demo.alexId;
    const grady = sim.tenant.demo.gradyId;
    await mutate({ op: 'grantFullAccess', mailboxId: alex, trusteeId: grady, actor: 'it.admin@contoso.com' });

    const before = await feed(
      `subscriptions/content?contentType=Audit.Exchange&startTime=${iso(since)}&endTime=${iso(Date.now() + 1000)}`,
    );
    const listedBefore = json<Array<{ contentUri: string }>>(before);
    const recordsBefore = await Promise.all(
      listedBefore.map((ref) =>
        request(sim, { path: new URL(ref.contentUri).pathname, headers: { Authorization: `Bearer ${token}` } }),
      ),
    );
    const actorsBefore = recordsBefore.flatMap((b) => json<Array<{ UserId: string }>>(b).map((r) => r.UserId));
    expect(actorsBefore).not.toContain('it.admin@contoso.com');
    await sleep(400);
    const after = await feed(
      `subscriptions/content?contentType=Audit.Exchange&startTime=${iso(since)}&endTime=${iso(Date.now() + 1000)}`,
    );
    expect(after.status).toBe(200);
    const page = json<Array<{ contentUri: string }>>(after);
    expect(page.length).toBeGreaterThan(listedBefore.length);
    expect(shapeMismatch(sample('mgmt-content-list-page.json'), page)).toBeUndefined();

    const blobs = await Promise.all(
      page.map((ref) =>
        request(sim, { path: new URL(ref.contentUri).pathname, headers: { Authorization: `Bearer ${token}` } }),
      ),
    );
    const records = blobs.flatMap((b) => json<Array<Record<string, unknown>>>(b));
    const grant = records.find((r) => r.Operation === 'Add-MailboxPermission' && r.UserId === 'it.admin@contoso.com');
    expect(grant).toBeDefined();
    const fullAccessSample = (sample('mgmt-content-blob.json') as Array<Record<string, unknown>>).find(
      (r) => r.Operation === 'Add-MailboxPermission' && r.UserType === 2,
    );
    expect(shapeMismatch(fullAccessSample, grant)).toBeUndefined();
    expect(grant?.CreationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  });
});

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function hintsOf(records: AuditRecord[]): AuditHint[] {
  return records.map((r) => interpretAuditRecord(r));
}

describe('every control-API permission change leaves its audit record, read through the client', () => {
  it('grant/revoke FullAccess and SendAs, SendOnBehalf, calendar (admin and owner), with the actor', async () => {
    await ensureSubscribed();
    sim.audit.setKnobs({ delayMs: 0, blobSize: 2 });
    const since = Date.now() - 1000;
    const { alexId, meganId, gradyId, joniId } = sim.tenant.demo;
    const alex = sim.tenant.users.get(alexId);
    const admin = 'helpdesk@contoso.com';
    const changes = [
      { op: 'grantFullAccess', mailboxId: alexId, trusteeId: gradyId, actor: admin },
      { op: 'revokeFullAccess', mailboxId: alexId, trusteeId: gradyId, actor: admin },
      { op: 'grantSendAs', mailboxId: alexId, trusteeId: meganId, actor: admin },
      { op: 'revokeSendAs', mailboxId: alexId, trusteeId: meganId, actor: admin },
      { op: 'grantSendOnBehalf', mailboxId: alexId, trusteeId: joniId, actor: admin },
      { op: 'revokeSendOnBehalf', mailboxId: alexId, trusteeId: joniId, actor: admin },
      {
        op: 'setCalendarRole',
        mailboxId: alexId,
        userId: joniId,
        role: 'delegateWithPrivateEventAccess',
        actor: admin,
      },
      { op: 'setCalendarRole', mailboxId: alexId, userId: joniId, role: 'read', actor: admin },
      { op: 'setCalendarRole', mailboxId: alexId, userId: joniId, role: null, actor: admin },
      {
        op: 'setCalendarRole',
        mailboxId: alexId,
        userId: meganId,
        role: 'delegateWithoutPrivateEventAccess',
        via: 'owner',
      },
    ];
    for (const change of changes) await mutate(change);
    await sleep(50);

    const { refs, records } = await readFeed(since);

    // pageSize 2 with 5+ blobs: the listing came in several pages through NextPageUri.
    expect(refs.length).toBeGreaterThan(2);
    const mine = records.filter((r) => r.userId === admin || r.operation === 'UpdateCalendarDelegation');
    const hints = hintsOf(mine)
      .filter((h): h is Extract<AuditHint, { kind: 'permissionChange' }> => h.kind === 'permissionChange')
      .sort((a, b) => a.at.localeCompare(b.at) || a.recordId.localeCompare(b.recordId));
    const summary = hintsOf(mine).map((h) =>
      h.kind === 'permissionChange' ? `${h.operation} ${h.right} ${h.change} ${h.trustee ?? '-'}` : h.reason,
    );
    expect(summary.sort()).toEqual(
      [
        'Add-MailboxFolderPermission CalendarDelegate grant joni.sherman@contoso.com',
        'Add-MailboxPermission FullAccess grant grady.archie@contoso.com',
        'Add-RecipientPermission SendAs grant megan.bowen@contoso.com',
        'Remove-MailboxFolderPermission CalendarDelegate revoke joni.sherman@contoso.com',
        'Remove-MailboxPermission FullAccess revoke grady.archie@contoso.com',
        'Remove-RecipientPermission SendAs revoke megan.bowen@contoso.com',
        'Set-Mailbox SendOnBehalf set -',
        'Set-Mailbox SendOnBehalf set -',
        'Set-MailboxFolderPermission CalendarDelegate set joni.sherman@contoso.com',
        'UpdateCalendarDelegation CalendarDelegate set -',
      ].sort(),
    );
    for (const hint of hints) {
      expect([alex?.mail, alex?.userPrincipalName]).toContain(hint.mailboxIdentity);
      expect(hint.actor).toBe(hint.operation === 'UpdateCalendarDelegation' ? alex?.userPrincipalName : admin);
    }
  });

  it('a change without a named actor is by the seeded admin; demo log has system and other noise', async () => {
    await ensureSubscribed();
    const { alexId, gradyId } = sim.tenant.demo;
    await mutate({ op: 'grantFullAccess', mailboxId: alexId, trusteeId: gradyId });
    const all = sim.audit.allRecords();
    const last = all[all.length - 1];
    expect(last).toMatchObject({
      Operation: 'Add-MailboxPermission',
      UserId: `admin@${sim.tenant.initialDomain}`,
      UserType: 2,
    });
    expect(all.some((r) => r.UserType === 3 && String(r.UserId).startsWith('NT AUTHORITY\\SYSTEM'))).toBe(true);
    expect(all.some((r) => r.Operation === 'New-InboxRule')).toBe(true);
    expect(all.some((r) => r.ResultStatus === 'False')).toBe(true);
  });
});

describe('faults of the simulated Management Activity API', () => {
  it('throttles N requests with 429, Retry-After and AF429, then answers again', async () => {
    await ensureSubscribed();
    sim.audit.setFaults({ throttle: { requests: 2, retryAfterSeconds: 3 } });
    const first = await feed('subscriptions/list');
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('3');
    expect(shapeMismatch(sample('mgmt-error-throttled.json'), json(first))).toBeUndefined();
    await expect(clients.management.listSubscriptions()).rejects.toBeInstanceOf(ThrottledError);
    expect((await feed('subscriptions/list')).status).toBe(200);
  });

  it('an outage answers 503 AF50000 until it ends', async () => {
    await ensureSubscribed();
    sim.audit.setFaults({ outage: { seconds: 60 } });
    const down = await feed('subscriptions/list');
    expect(down.status).toBe(503);
    expect(json<{ error: { code: string } }>(down).error.code).toBe('AF50000');
    // A client of its own: the shared one may still be pausing after the throttling test's Retry-After.
    const own = createMicrosoftClients(tenant, { ca: sim.caCertPem, retry: { maxAttempts: 1 } });
    try {
      await expect(own.management.listSubscriptions()).rejects.toMatchObject({ code: 'MANAGEMENT.UNAVAILABLE' });
    } finally {
      own.close();
    }
    expect(sim.audit.faults().outageUntil).not.toBeNull();
    sim.audit.setFaults({ outage: { seconds: 0 } });
    expect((await feed('subscriptions/list')).status).toBe(200);
  });

  it('an app without ActivityFeed.Read gets 403 AF10001, which the client explains', async () => {
    const granted = [...sim.tenant.app.permissions];
    const hasExchangeRole = sim.tenant.app.hasExchangeRole;
    await mutate({
      op: 'setAppPermissions',
      permissions: granted.filter((p) => p !== 'ActivityFeed.Read'),
      hasExchangeRole,
    });
    const own = createMicrosoftClients(tenant, { ca: sim.caCertPem, retry: { maxAttempts: 1 } });
    try {
      const bearer = await tokenOrThrow(sim, 'management');
      const r = await feed('subscriptions/list', { bearer });
      expect(r.status).toBe(403);
      expect(json<{ error: { code: string } }>(r).error.code).toBe('AF10001');
      const failure = own.management.listSubscriptions();
      await expect(failure).rejects.toMatchObject({ code: 'MANAGEMENT.FORBIDDEN' });
      await expect(failure).rejects.toThrow(/grant the application permission ActivityFeed\.Read/);
    } finally {
      own.close();
      await mutate({ op: 'setAppPermissions', permissions: granted, hasExchangeRole });
    }
  });

  it('knobs and faults are set through the control API', async () => {
    const knobs = await request(sim, {
      method: 'POST',
      path: '/_sim/audit/knobs',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ delayMs: 1234, pageSize: 7 }),
    });
    expect(json(knobs)).toMatchObject({ delayMs: 1234, pageSize: 7 });
    const bad = await request(sim, {
      method: 'POST',
      path: '/_sim/audit/knobs',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ delayMs: -1 }),
    });
    expect(bad.status).toBe(400);
    const faults = await request(sim, {
      method: 'POST',
      path: '/_sim/audit/faults',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ throttle: { requests: 1, retryAfterSeconds: 1 } }),
    });
    expect(json(faults)).toMatchObject({ throttleLeft: 1, outageUntil: null });
  });
});

describe('retention of the simulated feed', () => {
  it('a blob is gone 7 days after it became available (AF20051), and listings reach back 7 days at most', async () => {
    let offset = 0;
    const aged = await startSimulator({ mailboxes: 16, auditDelayMs: 0, auditClock: () => Date.now() + offset });
    try {
      const bearer = await tokenOrThrow(aged, 'management');
      const root = `/api/v1.0/${aged.tenantId}/activity/feed`;
      const call = (p: string, method = 'GET') =>
        request(aged, { method, path: `${root}/${p}`, headers: { Authorization: `Bearer ${bearer}` } });
      expect((await call('subscriptions/start?contentType=Audit.Exchange', 'POST')).status).toBe(200);
      const window = () =>
        `startTime=${iso(Date.now() + offset - 3600_000)}&endTime=${iso(Date.now() + offset + 1000)}`;

      const listed = json<Array<{ contentUri: string; contentExpiration: string; contentCreated: string }>>(
        await call(`subscriptions/content?contentType=Audit.Exchange&${window()}`),
      );
      expect(listed.length).toBeGreaterThan(0);
      const first = listed[0] as (typeof listed)[number];
      expect(Date.parse(first.contentExpiration) - Date.parse(first.contentCreated)).toBe(7 * 86_400_000);
      const blobPath = new URL(first.contentUri).pathname;
      const read = (): Promise<HttpResult> =>
        request(aged, { path: blobPath, headers: { Authorization: `Bearer ${bearer}` } });
      expect((await read()).status).toBe(200);

      offset = 7 * 86_400_000 + 60_000;
      const gone = await read();
      expect(gone.status).toBe(400);
      expect(json<{ error: { code: string } }>(gone).error.code).toBe('AF20051');
      expect(json<unknown[]>(await call(`subscriptions/content?contentType=Audit.Exchange&${window()}`))).toEqual([]);
    } finally {
      await aged.stop();
    }
  });
});
