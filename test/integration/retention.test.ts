import { describe, expect, it } from 'vitest';
import { buildRepositories } from '../../shared/composition.js';
import { manualRunId, type Run, type RunStatus } from '../../shared/domain/task.js';
import type { DelegationEvent } from '../../shared/ports/delegations.js';
import { applyRetention } from '../../shared/usecases/retention.js';
import type { TableClientFactory } from '../../shared/adapters/tables/tableStore.js';
import {
  aDelegate,
  aDelegationRow,
  aMailbox,
  aProposedRevocation,
  aRun,
  aRunItem,
  aTask,
  guid,
} from '../support/factories.js';
import { freshTables } from '../support/tables.js';

const NOW = new Date('2026-12-06T03:17:00.000Z');
const days = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();

function setup() {
  const tables = freshTables();
  const repos = buildRepositories(tables);
  const retain = () =>
    applyRetention({
      retention: repos.retention,
      repos,
      now: () => NOW,
      historyRetentionDays: 400,
      runRetentionDays: 90,
    });
  return { tables, repos, retain };
}

async function count(tables: TableClientFactory, table: string, filter?: string): Promise<number> {
  let n = 0;
  for await (const _ of tables.store(table).all(filter)) n++;
  return n;
}

/** One grant on mailbox `m` recorded by run `runId` at `at` (with its first-write record). */
async function grantAt(repos: ReturnType<typeof setup>['repos'], m: number, runId: string, at: string) {
  const mailbox = aMailbox({ id: guid(0x100 + m), address: `mbx${m}@contoso.com` });
  const event: DelegationEvent = {
    type: 'granted',
    mailbox,
    delegate: aDelegate(),
    right: 'FullAccess',
    via: [{ kind: 'direct' }],
    source: 'MailboxPermissionSync',
    runId,
    taskId: 'task-1',
    at,
    actor: null,
    observedBy: 'fullScan',
  };
  await repos.delegations.apply(
    { mailbox, upsert: [], remove: [], events: [event] },
    { taskId: 'task-1', runId, at, eventScope: `${runId}|${m}` },
  );
}

async function everyEvent(repos: ReturnType<typeof setup>['repos'], mailboxId?: string) {
  const page = await repos.delegations.changes({ since: '2000-01-01T00:00:00Z', top: 1000, mailboxId });
  return page.items.map((e) => e.at);
}

/** A closed or active run of `taskId` at `day`, with two items (one settled) and a proposed revocation. */
async function storeRun(
  repos: ReturnType<typeof setup>['repos'],
  taskId: string,
  at: string,
  status: RunStatus,
): Promise<Run> {
  const run: Run = { ...aRun({ status, createdAt: at }), taskId, runId: manualRunId(new Date(at), 'r') };
  await repos.runs.create(run);
  const items = [1, 2].map((n) => aRunItem({ mailboxId: guid(0x200 + n) }));
  await repos.runs.addItems(taskId, run.runId, items);
  await repos.runs.settleItem(taskId, run.runId, guid(0x201), { status: 'done', at });
  await repos.runs.proposeRevocations(taskId, run.runId, guid(0x201), [
    aProposedRevocation({ mailbox: aMailbox({ id: guid(0x201) }), mailboxId: guid(0x201) }),
  ]);
  return run;
}

describe('retention on Table Storage (Azurite)', () => {
  it('deletes history older than HISTORY_RETENTION_DAYS from the log and mailbox copies, not the rest', async () => {
    const { tables, repos, retain } = setup();
    await grantAt(repos, 1, 'old-run', days(401));
    await grantAt(repos, 2, 'old-run', days(400.5));
    await grantAt(repos, 1, 'new-run', days(399));
    await grantAt(repos, 3, 'recent-run', days(1));

    const report = await retain();

    expect(report.historyEventsDeleted).toBe(2);
    expect(await everyEvent(repos)).toEqual([days(1), days(399)]);
    expect(await everyEvent(repos, guid(0x101))).toEqual([days(399)]);
    expect(await everyEvent(repos, guid(0x102))).toEqual([]);
    // First-write records past the run cut-off (90 days) go; the recent run's stays.
    expect(report.firstWriteRecordsDeleted).toBe(3);
    expect(await count(tables, 'DelegationHistoryByMailbox', "RowKey ge 'scope_' and RowKey lt 'scope`'")).toBe(1);
    // Idempotent: a second pass finds nothing more to delete.
    expect(await retain()).toMatchObject({ historyEventsDeleted: 0, firstWriteRecordsDeleted: 0, runsDeleted: 0 });
  });

  it('finishes a pass cut short: log rows whose mailbox copies are already gone', async () => {
    const { tables, repos, retain } = setup();
    for (const m of [1, 2, 3]) await grantAt(repos, m, 'old-run', days(500));
    // What an interrupted pass leaves: the copies deleted, the log rows not yet.
    const copies = tables.store('DelegationHistoryByMailbox');
    for await (const e of copies.all("RowKey lt 'scope_'")) await copies.delete(e.partitionKey!, e.rowKey!);

    expect((await retain()).historyEventsDeleted).toBe(3);
    expect(await count(tables, 'DelegationHistory')).toBe(0);
  });

  it('deletes runs closed before RUN_RETENTION_DAYS with their items, counters and proposals', async () => {
    const { tables, repos, retain } = setup();
    for (const id of ['task-1', 'task-2']) await repos.tasks.create(aTask({ id }));
    const scope = await storeRun(repos, 'task-1', days(120), 'succeeded');
    const old = await storeRun(repos, 'task-1', days(130), 'completedWithErrors');
    const older = await storeRun(repos, 'task-1', days(140), 'failed');
    const recent = await storeRun(repos, 'task-1', days(10), 'failed');
    const stuck = await storeRun(repos, 'task-2', days(200), 'running');
    const held = await storeRun(repos, 'task-2', days(210), 'needsReview');
    const ofDeletedTask = await storeRun(repos, 'gone-task', days(100), 'failed');
    const partition = (r: Run) => `${r.taskId}_${r.runId}`;
    const entitiesOf = (r: Run) =>
      count(tables, 'RunItems', `PartitionKey ge '${partition(r)}_s' and PartitionKey lt '${partition(r)}_t'`);
    // Two items, the settled one's shard counter, one proposal (and whatever else the run table keeps there).
    const stored = await entitiesOf(old);
    expect(stored).toBeGreaterThanOrEqual(4);

    const report = await retain();

    expect(report.runsDeleted).toBe(3);
    expect(report.runEntitiesDeleted).toBe(3 * (stored + 1));
    for (const gone of [old, older, ofDeletedTask]) {
      expect(await repos.runs.get(gone.taskId, gone.runId)).toBeUndefined();
      expect(await entitiesOf(gone)).toBe(0);
    }
    for (const kept of [scope, recent, stuck, held]) {
      expect(await repos.runs.get(kept.taskId, kept.runId)).toBeDefined();
      expect(await entitiesOf(kept)).toBe(stored);
    }
    expect((await retain()).runsDeleted).toBe(0);
  });

  it('finishes a run whose items a pass cut short had partly deleted', async () => {
    const { tables, repos, retain } = setup();
    await repos.tasks.create(aTask({ id: 'task-1' }));
    await storeRun(repos, 'task-1', days(95), 'succeeded');
    const old = await storeRun(repos, 'task-1', days(100), 'failed');
    const items = tables.store('RunItems');
    const first = (await items.page({ top: 1, filter: `PartitionKey ge '${old.taskId}_${old.runId}_s'` })).items[0]!;
    await items.delete(first.partitionKey!, first.rowKey!);

    expect((await retain()).runsDeleted).toBe(1);
    expect(await repos.runs.get(old.taskId, old.runId)).toBeUndefined();
  });

  it("removes a deleted task's synced delegations where no other task covers them (revoked events)", async () => {
    const { repos, retain } = setup();
    const [only, shared] = [aMailbox({ id: guid(0x301) }), aMailbox({ id: guid(0x302) })];
    const synced = (mailbox: typeof only, n: number) =>
      aDelegationRow({ mailbox, mailboxId: mailbox.id, delegate: aDelegate({ id: guid(0x400 + n) }) });
    const manual = { ...synced(only, 9), source: 'Manual' as const };
    for (const [mailbox, rows] of [
      [only, [synced(only, 1), manual]],
      [shared, [synced(shared, 2)]],
    ] as const) {
      await repos.delegations.apply(
        { mailbox, upsert: [...rows], remove: [], events: [] },
        { taskId: null, runId: null, at: days(20), eventScope: 'seed' },
      );
    }
    // The deleted task last covered both mailboxes; the remaining task covers the second.
    const store = async (taskId: string, mailboxes: (typeof only)[]) => {
      const run: Run = { ...aRun({ status: 'succeeded', createdAt: days(5) }), taskId };
      await repos.runs.create(run);
      await repos.runs.addItems(
        taskId,
        run.runId,
        mailboxes.map((m) => aRunItem({}, m)),
      );
      return run;
    };
    const gone = await store('deleted-task', [only, shared]);
    await repos.tasks.create(aTask({ id: 'kept-task' }));
    await store('kept-task', [shared]);

    const report = await retain();

    expect(report.deletedTaskRevocations).toBe(1);
    expect((await repos.delegations.forMailbox(only.id)).map((d) => d.source)).toEqual(['Manual']);
    expect(await repos.delegations.forMailbox(shared.id)).toHaveLength(1);
    const events = await repos.delegations.changes({ since: days(30), top: 10, mailboxId: only.id });
    expect(events.items).toMatchObject([
      { type: 'revoked', delegate: { id: guid(0x401) }, taskId: 'deleted-task', runId: gone.runId },
    ]);
    // Idempotent: nothing is left to revoke; the scope run is kept while it is younger than the run cut-off.
    expect(await retain()).toMatchObject({ deletedTaskRevocations: 0, runsDeleted: 0 });
    expect(await repos.runs.get('deleted-task', gone.runId)).toBeDefined();
  });
});
