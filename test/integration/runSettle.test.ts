import { describe, expect, it } from 'vitest';
import { buildRepositories } from '../../shared/composition.js';
import { aRun, aRunItem, aMailbox, guid, seedRun } from '../support/factories.js';
import { freshTables } from '../support/tables.js';

// RunTable settles from the item and shard counter it last saw in its process (no read when nothing changed in
// between). Two instances over one store see each other's writes only as lost ETag races: these tests guard that
// the cache never decides, the ETag does.
describe('settling run items from two app instances (Azurite)', () => {
  const at = '2026-03-02T10:05:00.000Z';

  it('counts every item once when two instances settle items of the same shards, each from its own cache', async () => {
    const tables = freshTables();
    const [a, b] = [buildRepositories(tables), buildRepositories(tables)];
    // 150 items over 64 shard counters: many shards get items from both instances.
    const items = Array.from({ length: 150 }, (_, i) =>
      aRunItem({}, aMailbox({ id: guid(0x100 + i), address: `m${i}@contoso.com`, displayName: `M${i}` })),
    );
    const run = aRun({ status: 'running', mailboxesTotal: items.length });
    await seedRun(a, run, items);
    const owner = (i: number) => (i % 2 === 0 ? a : b);
    // Each instance reads its items first, as syncMailbox does, so its cache holds their ETags.
    await Promise.all(items.map((item, i) => owner(i).runs.getItem(run.taskId, run.runId, item.mailboxId)));

    const results = await Promise.all(
      items.map((item, i) =>
        owner(i).runs.settleItem(run.taskId, run.runId, item.mailboxId, {
          status: 'done',
          at,
          delegationsAdded: 1,
        }),
      ),
    );

    expect(results.filter((r) => r.settled)).toHaveLength(items.length);
    expect(await a.runs.counters(run.taskId, run.runId)).toMatchObject({
      mailboxesDone: items.length,
      delegationsAdded: items.length,
    });
    expect(results.filter((r) => r.mayCompleteRun).length).toBeGreaterThan(0);
  });

  it('an item another instance settled after this one read it is not settled again', async () => {
    const tables = freshTables();
    const [a, b] = [buildRepositories(tables), buildRepositories(tables)];
    const run = aRun({ status: 'running', mailboxesTotal: 1 });
    await seedRun(a, run, [aRunItem()]);
    await a.runs.getItem(run.taskId, run.runId, guid(1)); // a's cache: pending
    await b.runs.recordPlannedCounts(run.taskId, run.runId, guid(1), {
      delegationsAdded: 2,
      delegationsRemoved: 0,
      trusteesUnresolved: 0,
    });

    const byB = await b.runs.settleItem(run.taskId, run.runId, guid(1), { status: 'done', at });
    const byA = await a.runs.settleItem(run.taskId, run.runId, guid(1), { status: 'failed', error: 'late', at });

    expect(byB.settled).toBe(true);
    expect(byA).toEqual({ settled: false, mayCompleteRun: true });
    expect(await a.runs.getItem(run.taskId, run.runId, guid(1))).toMatchObject({ status: 'done', delegationsAdded: 2 });
    expect(await b.runs.counters(run.taskId, run.runId)).toMatchObject({
      mailboxesDone: 1,
      mailboxesFailed: 0,
      delegationsAdded: 2,
    });
  });

  it('credits counts another instance planned after this one read the item', async () => {
    const tables = freshTables();
    const [a, b] = [buildRepositories(tables), buildRepositories(tables)];
    const run = aRun({ status: 'running', mailboxesTotal: 1 });
    await seedRun(a, run, [aRunItem()]);
    await a.runs.getItem(run.taskId, run.runId, guid(1));
    // A concurrent copy planned (and applied) the change; this copy then finds nothing to change.
    await b.runs.recordPlannedCounts(run.taskId, run.runId, guid(1), {
      delegationsAdded: 4,
      delegationsRemoved: 0,
      trusteesUnresolved: 1,
    });

    expect((await a.runs.settleItem(run.taskId, run.runId, guid(1), { status: 'done', at })).settled).toBe(true);
    expect(await a.runs.counters(run.taskId, run.runId)).toMatchObject({ delegationsAdded: 4, trusteesUnresolved: 1 });
  });
});
