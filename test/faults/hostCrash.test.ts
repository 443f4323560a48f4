import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { finalizeRuns } from '../../shared/usecases/finalizeRuns.js';
import { expectedDelegations } from '../support/expected.js';
import { azuriteConnectionString } from '../../shared/config.js';
import {
  OffsetClock,
  createTask,
  getRun,
  startHarness,
  startRelay,
  startRun,
  tablePortOf,
  verifyAgainstExpected,
  waitFor,
  type Harness,
} from './harness.js';

let sim: RunningSimulator;
const hosts: Harness[] = [];

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 11, mailboxes: 60 });
}, 60_000);

afterAll(async () => {
  for (const h of hosts) await h.stop({ keepSimulator: true }).catch(() => undefined);
  await sim?.stop();
});

async function host(
  clock: OffsetClock,
  options: { tablesPrefix?: string; tablesPort?: number } = {},
): Promise<Harness> {
  const queue = new InProcessQueue({ redeliveryDelayMs: 20, now: clock.nowMs });
  const h = await startHarness({
    sim,
    queue,
    now: clock.now,
    ...(options.tablesPrefix ? { tablesPrefix: options.tablesPrefix } : {}),
    ...(options.tablesPort ? { tablesConnectionString: azuriteConnectionString(options.tablesPort) } : {}),
  });
  hosts.push(h);
  return h;
}

/**
 * The host that will die reaches Table Storage through a relay: the kill cuts it, so handlers that were
 * mid-flight in the dead process cannot write anything afterwards (as with a real kill -9).
 */
async function doomedHost(clock: OffsetClock): Promise<{ first: Harness; kill(): Promise<void> }> {
  const relay = await startRelay(tablePortOf(inject('tablesConnectionString')));
  const first = await host(clock, { tablesPort: relay.port });
  return {
    first,
    async kill() {
      relay.cut();
      await first.crash();
    },
  };
}

/** One finalizer tick as the timer runs it (same use case, same settings), returning its report. */
async function tick(h: Harness) {
  const report = await finalizeRuns({
    ...h.services,
    runTimeoutMinutes: h.services.config.runTimeoutMinutes,
    revocationHoldPercent: h.services.config.revocationHoldPercent,
  });
  await h.queue.idle();
  return report;
}

async function settledCount(h: Harness, taskId: string, runId: string): Promise<number> {
  const c = await h.services.repos.runs.counters(taskId, runId);
  return c.mailboxesDone + c.mailboxesFailed;
}

describe('host killed mid-run and restarted on the same tables', () => {
  it('mid-sync: the queued mailbox messages die with the process; ' +
    'the finalizer re-sends the unsettled ones after stallMinutes ' +
    'and the run completes with the clean index', async () => {
    const clock = new OffsetClock();
    const { first, kill } = await doomedHost(clock);
    const taskId = await createTask(first);
    // Jitter spreads the settles over seconds: with every mailbox in flight at once and a fixed latency they all
    // settled within one poll of a loaded machine, before the kill (CI, 2026-12-06).
    sim.setKnobs({ latencyMs: 40, jitterMs: 1500 });
    const runId = await startRun(first, taskId);
    await waitFor(async () => (await settledCount(first, taskId, runId)) >= 8, 30_000, 'some mailboxes to settle');
    await kill();
    sim.setKnobs({ latencyMs: 0, jitterMs: 0 });

    const second = await host(clock, { tablesPrefix: first.tablesPrefix });
    await second.queue.idle();
    const before = await getRun(second, taskId, runId);
    expect(before.status).toBe('running');
    // What the crash lost: nothing in the new process's queue will ever settle the rest on its own.
    expect(second.queue.depth('mps-mailbox').pending).toBe(0);
    const stuckAt = await settledCount(second, taskId, runId);
    expect(stuckAt).toBeLessThan(before.mailboxesTotal);

    expect((await tick(second)).resent).toBe(0); // first look: progress recorded, no resend yet
    clock.advance(5 * 60_000);
    expect((await tick(second)).resent).toBe(0); // not stalled long enough (stallMinutes = 10)
    clock.advance(6 * 60_000);
    const resend = await tick(second);
    expect(resend.resent).toBe(1);
    await second.queue.idle();
    // The last re-sent mailbox's settle closes the run (DESIGN §8.3): no finalizer tick is needed for that.
    expect((await getRun(second, taskId, runId)).status).toBe('succeeded');

    const verdict = await verifyAgainstExpected(
      second,
      taskId,
      runId,
      expectedDelegations(sim.tenant, sim.tenant.demo.targetGroupId),
    );
    expect(verdict.run.status).toBe('succeeded');
    expect(verdict.run.mailboxesDone).toBe(verdict.run.mailboxesTotal);
    await second.stop({ keepSimulator: true });
  }, 120_000);

  it('mid-expansion: a run left expanding gets its expansion re-sent after 2 minutes ' +
    'and completes with the clean index', async () => {
    const clock = new OffsetClock();
    const { first, kill } = await doomedHost(clock);
    const taskId = await createTask(first);
    sim.setKnobs({ latencyMs: 600 });
    const runId = await startRun(first, taskId);
    // Killed once the expansion has begun: it is still waiting for the simulator's first answer (600 ms).
    await waitFor(async () => (await getRun(first, taskId, runId)).status === 'expanding', 30_000, 'expansion');
    await kill();
    sim.setKnobs({ latencyMs: 0 });

    const second = await host(clock, { tablesPrefix: first.tablesPrefix });
    expect((await getRun(second, taskId, runId)).status).toBe('expanding');
    expect((await tick(second)).resent).toBe(0); // a fresh expansion is left alone
    clock.advance(3 * 60_000);
    expect((await tick(second)).resent).toBe(1);
    // The re-sent expansion runs, and its last mailbox's settle closes the run (DESIGN §8.3).
    await waitFor(
      async () => (await getRun(second, taskId, runId)).status === 'succeeded',
      30_000,
      'the re-sent expansion',
    );

    const verdict = await verifyAgainstExpected(
      second,
      taskId,
      runId,
      expectedDelegations(sim.tenant, sim.tenant.demo.targetGroupId),
    );
    expect(verdict.run.status).toBe('succeeded');
    // Items the dead expansion had written are merged, not duplicated: each mailbox is counted once.
    expect(verdict.run.mailboxesDone).toBe(verdict.run.mailboxesTotal);
    await second.stop({ keepSimulator: true });
  }, 120_000);
});
