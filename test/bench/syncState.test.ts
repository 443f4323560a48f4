import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectedDelegations, type Expected } from '../support/expected.js';
import { fromDelegationEntity } from '../../shared/adapters/tables/entities/delegation.js';

let app: TestApp;
let taskId: string;

async function stored(): Promise<Expected> {
  const out: Expected = new Map();
  for await (const e of app.services.tables.store('DelegationsByMailbox').all()) {
    const d = fromDelegationEntity(e, 'DelegationsByMailbox');
    if (d.source !== 'MailboxPermissionSync') continue;
    out.set(
      `${d.mailboxId}|${d.delegate.id}|${d.right}`.toLowerCase(),
      d.via.map((v) => (v.kind === 'direct' ? 'direct' : v.id.toLowerCase())),
    );
  }
  return out;
}

const sorted = (m: Expected) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

async function runTask(): Promise<Record<string, unknown>> {
  const started = await app.api('POST', `tasks/${taskId}/run`);
  expect(started.status).toBe(202);
  await app.settle();
  const run = await app.api('GET', `tasks/${taskId}/runs/${(started.json as { runId: string }).runId}`, {
    role: 'Reader',
  });
  return run.json as Record<string, unknown>;
}

describe('mailbox sync state: unchanged mailboxes are recognised without reading their rows', () => {
  beforeAll(async () => {
    app = await startTestApp();
    const schedule = await app.api('POST', 'schedules', {
      body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
    });
    const task = await app.api('POST', 'tasks', {
      body: {
        description: 'All staff',
        scheduleId: (schedule.json as { id: string }).id,
        target: { kind: 'group', groupId: app.sim.tenant.demo.targetGroupId },
      },
    });
    taskId = (task.json as { id: string }).id;
    expect((await runTask()).status).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('an unchanged re-run reads no delegation rows and writes none, only each mailbox’s lastVerified once, and the \
index stays exact', async () => {
    const tables = ['DelegationsByMailbox', 'DelegationsByDelegate', 'DelegationHistory', 'DelegationHistoryByMailbox'];
    const byMailbox = app.services.tables.store('DelegationsByMailbox');
    const readsBefore = byMailbox.own.reads;
    const writes = () => tables.map((t) => app.services.tables.store(t).own.writes);
    const delegationWritesBefore = writes();
    const states = app.services.tables.store('MailboxSyncState');
    const stateWritesBefore = states.own.writes;

    const run = await runTask();

    expect(run).toMatchObject({ status: 'succeeded', delegationsAdded: 0, delegationsRemoved: 0 });
    expect(byMailbox.own.reads).toBe(readsBefore);
    expect(writes()).toEqual(delegationWritesBefore);
    // docs/design.md §8.4: lastVerified is kept per mailbox, one merge write per mailbox per sync.
    expect(states.own.writes - stateWritesBefore).toBe(run.mailboxesTotal);
    expect(sorted(await stored())).toEqual(
      sorted(expectedDelegations(app.sim.tenant, app.sim.tenant.demo.targetGroupId)),
    );
  }, 120_000);

  it('regression guard: removing a Manual delegation that covered an observed one makes the next sync ' +
    'add the synced row', async () => {
    const t = app.sim.tenant;
    const mailbox = t.users.get(t.demo.gradyId)!;
    const delegate = t.users.get(t.demo.diegoId)!;
    const key = `${mailbox.id}|${delegate.id}|FullAccess`.toLowerCase();
    const added = await app.api('POST', `users/${encodeURIComponent(delegate.userPrincipalName)}/delegate-mailboxes`, {
      body: { mailbox: mailbox.id, rights: ['FullAccess'] },
    });
    expect(added.status).toBe(201);
    t.grantFullAccess(mailbox.id, delegate.id);
    await runTask(); // observed, but covered by the Manual row: no synced row
    expect((await stored()).has(key)).toBe(false);

    const removed = await app.api(
      'DELETE',
      `users/${encodeURIComponent(delegate.userPrincipalName)}/delegate-mailboxes/${mailbox.id}?right=FullAccess`,
    );
    expect(removed.status).toBe(204);
    const run = await runTask(); // the tenant is unchanged since the last run; the stored rows are not

    expect(run.delegationsAdded).toBe(1);
    expect((await stored()).get(key)).toEqual(['direct']);
    expect(sorted(await stored())).toEqual(sorted(expectedDelegations(t, t.demo.targetGroupId)));
  }, 120_000);
});
