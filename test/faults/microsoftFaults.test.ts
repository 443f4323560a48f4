import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedDelegations } from '../support/expected.js';
import { createRng } from '../../dev/simulator/rng.js';
import {
  DuplicatingQueue,
  createTask,
  delegationIndexes,
  sortedEntries,
  startHarness,
  startRun,
  verifyAgainstExpected,
  type Harness,
  type IndexRow,
} from './harness.js';

const TENANT = { seed: 7, mailboxes: 60 };

let clean: Harness | undefined;
let cleanIndexes: { byMailbox: Map<string, IndexRow>; byDelegate: Map<string, IndexRow> };

/** A clean run of the same seeded tenant: the reference the faulty runs are compared with, row by row. */
beforeAll(async () => {
  clean = await startHarness({ simulator: TENANT });
  const taskId = await createTask(clean);
  const runId = await startRun(clean, taskId);
  await clean.settle();
  const verdict = await verifyAgainstExpected(
    clean,
    taskId,
    runId,
    expectedDelegations(clean.sim.tenant, clean.sim.tenant.demo.targetGroupId),
  );
  expect(verdict.run.status).toBe('succeeded');
  cleanIndexes = await delegationIndexes(clean);
  expect(cleanIndexes.byMailbox.size).toBeGreaterThan(20);
  await clean.stop();
}, 120_000);

describe('Microsoft 365 faults and duplicate deliveries', () => {
  let app: Harness | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it('20% of Graph/Exchange calls failing (503, dropped connections, truncated JSON): ' +
    'same index as a clean run, or the failed mailboxes named', async () => {
    app = await startHarness({ simulator: { ...TENANT, faultRate: 0.2 } });
    const taskId = await createTask(app);
    const runId = await startRun(app, taskId);
    await app.settle();

    const stats = app.sim.stats();
    const faults = stats.faults.http503 + stats.faults.dropped + stats.faults.truncated;
    expect(
      Math.min(stats.faults.http503, stats.faults.dropped, stats.faults.truncated),
      'every kind of fault happened',
    ).toBeGreaterThan(0);
    expect(faults, 'the simulator injected faults').toBeGreaterThan(20);

    const verdict = await verifyAgainstExpected(
      app,
      taskId,
      runId,
      expectedDelegations(app.sim.tenant, app.sim.tenant.demo.targetGroupId),
    );
    // Client retries absorb nearly every fault; a mailbox that still fails is reported, never silently empty.
    expect(verdict.failed.length).toBeLessThanOrEqual(3);
    const indexes = await delegationIndexes(app);
    if (verdict.failed.length === 0) {
      expect(verdict.run.status).toBe('succeeded');
      expect(sortedEntries(indexes.byMailbox)).toEqual(sortedEntries(cleanIndexes.byMailbox));
      expect(sortedEntries(indexes.byDelegate)).toEqual(sortedEntries(cleanIndexes.byDelegate));
    }
  }, 120_000);

  it('random duplicate deliveries (a second concurrent delivery of 40% of messages) change nothing: ' +
    'index equals the clean run', async () => {
    await app?.stop();
    const queue = new DuplicatingQueue(0.4, createRng(99).next, { redeliveryDelayMs: 20 });
    app = await startHarness({ simulator: TENANT, queue });
    const taskId = await createTask(app);
    const runId = await startRun(app, taskId);
    await app.settle();
    expect(queue.duplicates).toBeGreaterThan(10);

    const verdict = await verifyAgainstExpected(
      app,
      taskId,
      runId,
      expectedDelegations(app.sim.tenant, app.sim.tenant.demo.targetGroupId),
    );
    expect(verdict.run.status).toBe('succeeded');
    expect(verdict.failed).toEqual([]);
    const indexes = await delegationIndexes(app);
    expect(sortedEntries(indexes.byMailbox)).toEqual(sortedEntries(cleanIndexes.byMailbox));
    expect(sortedEntries(indexes.byDelegate)).toEqual(sortedEntries(cleanIndexes.byDelegate));
    // Counted once each, however often a message was handled.
    expect(verdict.run.delegationsAdded).toBe(cleanIndexes.byMailbox.size);
    let history = 0;
    for await (const e of app.services.tables.store('DelegationHistory').all()) if (e.runId === runId) history++;
    expect(history).toBe(cleanIndexes.byMailbox.size);
  }, 120_000);
});
