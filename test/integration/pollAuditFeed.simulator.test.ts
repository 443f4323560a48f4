import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import type { SimUser } from '../../dev/simulator/tenant.js';
import { createMicrosoftClients, type MicrosoftClients } from '../../shared/adapters/microsoft/index.js';
import { AuditFeedTable } from '../../shared/adapters/tables/auditFeedTable.js';
import { buildRepositories, type TableRepositories } from '../../shared/composition.js';
import { createLogger } from '../../shared/logging.js';
import { pollAuditFeed, type PollAuditFeedDeps, type PollReport } from '../../shared/usecases/pollAuditFeed.js';
import { RecordedResyncs } from '../support/auditFeed.js';
import { aRun, aRunItem, seedRun } from '../support/factories.js';
import { freshTables } from '../support/tables.js';
import { request } from '../simulator/helpers.js';

// The poll against the simulator's Management Activity API over HTTPS, through the real client and the real
// interpretAuditRecord: changes made through the simulator's control API reach a re-read through the feed alone,
// with their actor; the seeded system-actor noise is ignored; throttling and an outage lose nothing.

const DELAY_MS = 300;

let sim: RunningSimulator;
let clients: MicrosoftClients;
let repos: TableRepositories;
let feedState: AuditFeedTable;
let resyncs: RecordedResyncs;
let deps: PollAuditFeedDeps;
let alex: SimUser;
let megan: SimUser;

const address = (u: SimUser) => u.mail ?? u.userPrincipalName;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function mutate(body: Record<string, unknown>): Promise<void> {
  const r = await request(sim, {
    method: 'POST',
    path: '/_sim/mutate',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status, r.text).toBe(200);
}

/** Polls (as the timer would, faster) until `done` holds or 15 s pass; answers the reports. */
async function pollUntil(done: () => boolean): Promise<PollReport[]> {
  const reports: PollReport[] = [];
  for (let i = 0; i < 60 && !done(); i++) {
    reports.push(await pollAuditFeed(deps));
    if (!done()) await sleep(250);
  }
  expect(done()).toBe(true);
  return reports;
}

const hintsFor = (mailboxId: string) =>
  resyncs.requests.flatMap((r) => r.mailboxes.filter((m) => m.mailbox.mailboxId === mailboxId).flatMap((m) => m.hints));

beforeAll(async () => {
  sim = await startSimulator({ mailboxes: 30, auditDelayMs: DELAY_MS, auditPageSize: 2 });
  clients = createMicrosoftClients(
    {
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
    },
    { ca: sim.caCertPem, retry: { maxAttempts: 1 } },
  );
  const tables = freshTables();
  repos = buildRepositories(tables);
  feedState = new AuditFeedTable(tables.store('AuditFeed'));
  const user = (id: string) => {
    const u = sim.tenant.users.get(id);
    if (!u) throw new Error(`simulator has no user ${id}`);
    return u;
  };
  alex = user(sim.tenant.demo.alexId);
  megan = user(sim.tenant.demo.meganId);
  const scope = [alex, megan];
  await repos.directory.upsert(
    scope.map((u) => ({ id: u.id, upn: u.userPrincipalName, address: address(u), displayName: u.displayName })),
  );
  await seedRun(
    repos,
    aRun({ status: 'succeeded' }),
    scope.map((u) =>
      aRunItem({ upn: u.userPrincipalName }, { id: u.id, address: address(u), displayName: u.displayName }),
    ),
  );
  resyncs = new RecordedResyncs();
  deps = {
    tenantId: sim.tenantId,
    auditFeed: clients.management,
    feedState,
    repos,
    microsoft: () => clients,
    resync: resyncs.resync,
    now: () => new Date(),
    logger: createLogger('silent'),
  };
}, 60_000);

afterAll(async () => {
  clients?.close();
  await sim?.stop();
});

describe('pollAuditFeed against the simulated Management Activity API', () => {
  it('starts the subscription, ignores system noise, re-reads a granted mailbox with its actor', async () => {
    const first = await pollAuditFeed(deps);
    expect(first.outcome).toBe('succeeded');
    expect((await feedState.get(sim.tenantId, 'Audit.Exchange'))?.value.subscription.status).toBe('enabled');

    await mutate({
      op: 'grantFullAccess',
      mailboxId: alex.id,
      trusteeId: sim.tenant.demo.gradyId,
      actor: 'it.admin@contoso.com',
    });
    await pollUntil(() => hintsFor(alex.id).length > 0);

    expect(hintsFor(alex.id)).toEqual([
      expect.objectContaining({ actor: 'it.admin@contoso.com', right: 'FullAccess', change: 'grant' }),
    ]);
    const counts = await feedState.countsSince(sim.tenantId, 'Audit.Exchange', new Date(Date.now() - 3_600_000));
    // The log the simulator starts with: a system account's grant, a failed removal, a non-delegation cmdlet.
    expect(counts.ignored.systemActor).toBeGreaterThanOrEqual(1);
    expect(counts.ignored.failedOperation).toBeGreaterThanOrEqual(1);
    expect(counts.ignored.notPermissionChange).toBeGreaterThanOrEqual(1);
    const state = (await feedState.get(sim.tenantId, 'Audit.Exchange'))?.value;
    expect(state?.newestRecordAt).not.toBeNull();
  });

  it('throttled: the poll stops cleanly; then a change made during a 503 outage still arrives after it', async () => {
    sim.audit.setFaults({ throttle: { requests: 1, retryAfterSeconds: 0 } });
    const throttled = await pollAuditFeed(deps);
    expect(throttled.outcome).toBe('throttled');
    expect((await feedState.get(sim.tenantId, 'Audit.Exchange'))?.value.lastPoll?.outcome).toBe('throttled');

    sim.audit.setFaults({ throttle: { requests: 0, retryAfterSeconds: 0 }, outage: { seconds: 60 } });
    await mutate({
      op: 'grantFullAccess',
      mailboxId: megan.id,
      trusteeId: sim.tenant.demo.joniId,
      actor: 'helpdesk@contoso.com',
    });
    await sleep(DELAY_MS * 2);
    await expect(pollAuditFeed(deps)).rejects.toMatchObject({ code: 'MANAGEMENT.UNAVAILABLE' });
    const during = (await feedState.get(sim.tenantId, 'Audit.Exchange'))?.value;
    expect(during?.lastPoll).toMatchObject({ outcome: 'failed' });
    expect(hintsFor(megan.id)).toEqual([]);

    sim.audit.setFaults({ outage: { seconds: 0 } });
    await pollUntil(() => hintsFor(megan.id).length > 0);
    expect(hintsFor(megan.id)).toEqual([expect.objectContaining({ actor: 'helpdesk@contoso.com' })]);
    // The grant on alex is not handed on again: its blob was remembered.
    expect(hintsFor(alex.id)).toHaveLength(1);
  });
});
