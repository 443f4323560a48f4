import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAzurite, type AzuriteHandle } from '../../dev/azurite.js';
import { azuriteConnectionString } from '../../shared/config.js';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { finalizeRuns } from '../../shared/usecases/finalizeRuns.js';
import { expectedDelegations } from '../support/expected.js';
import {
  OffsetClock,
  createTask,
  getRun,
  startHarness,
  startRun,
  verifyAgainstExpected,
  waitFor,
  type Harness,
} from './harness.js';

const OUTAGE_MS = 10_000;

let azurite: AzuriteHandle | undefined;
let dataDir: string;
let app: Harness | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mps-azurite-outage-'));
  azurite = await startAzurite({ location: dataDir });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await azurite?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Table Storage unreachable in the middle of a run', () => {
  it(`Azurite down for ${OUTAGE_MS / 1000} s mid-sync, then back on the same port and data: ` +
    'the run completes with the clean index or names the mailboxes it could not settle', async () => {
    const clock = new OffsetClock();
    const port = azurite!.port;
    app = await startHarness({
      simulator: { seed: 3, mailboxes: 60 },
      tablesConnectionString: azuriteConnectionString(port),
      queue: new InProcessQueue({ redeliveryDelayMs: 200, now: clock.nowMs }),
      now: clock.now,
    });
    const taskId = await createTask(app);
    app.sim.setKnobs({ latencyMs: 30 });
    const runId = await startRun(app, taskId);
    const settled = async () => {
      const c = await app!.services.repos.runs.counters(taskId, runId);
      return c.mailboxesDone + c.mailboxesFailed;
    };
    await waitFor(async () => (await settled()) >= 5, 30_000, 'the run to be under way');

    let handlerErrors = 0;
    app.queue.onHandlerError = () => void handlerErrors++;
    await azurite!.stop();
    const downAt = Date.now();
    // The app keeps working against a dead table endpoint: handlers fail, messages are redelivered.
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    azurite = await startAzurite({ port, location: dataDir });
    app.sim.setKnobs({ latencyMs: 0 });
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(OUTAGE_MS);
    expect(handlerErrors, 'handlers felt the outage').toBeGreaterThan(0);

    // Recovery: redeliveries, then the finalizer's stall re-sends for items whose messages were exhausted.
    for (let i = 0; i < 12; i++) {
      await app.queue.idle();
      await finalizeRuns({
        ...app.services,
        runTimeoutMinutes: app.services.config.runTimeoutMinutes,
        revocationHoldPercent: app.services.config.revocationHoldPercent,
      });
      await app.queue.idle();
      if (['succeeded', 'completedWithErrors', 'failed'].includes((await getRun(app, taskId, runId)).status)) break;
      clock.advance(11 * 60_000);
    }
    const verdict = await verifyAgainstExpected(
      app,
      taskId,
      runId,
      expectedDelegations(app.sim.tenant, app.sim.tenant.demo.targetGroupId),
    );
    expect(verdict.run.mailboxesTotal).toBeGreaterThan(30);
    expect(verdict.stored).toBeGreaterThan(0);
    // Every failure names a Table Storage outage, not a Microsoft error.
    for (const f of verdict.failed) expect(f.error).toMatch(/Table Storage|ECONNREFUSED|unavailable/i);
  }, 180_000);
});
