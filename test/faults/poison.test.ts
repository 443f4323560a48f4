import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { RetryableError } from '../../shared/errors.js';
import { QUEUE_SETTINGS } from '../../shared/ports/queue.js';
import { expectedDelegations } from '../support/expected.js';
import {
  createTask,
  delegationIndexes,
  getRun,
  startHarness,
  startRun,
  verifyAgainstExpected,
  withOverrides,
  type Harness,
} from './harness.js';

let sim: RunningSimulator;
let app: Harness | undefined;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 5, mailboxes: 40 });
}, 60_000);

afterAll(async () => {
  await app?.stop({ keepSimulator: true });
  await sim?.stop();
});

describe('poison messages', () => {
  it('a mailbox whose every read fails: ' +
    'its message dead-letters after maxDeliveryCount and the item fails with the reason; ' +
    'the rest match the tenant', async () => {
    const poisonId = sim.tenant.demo.alexId.toLowerCase();
    const poisonUpn = sim.tenant.users.get(sim.tenant.demo.alexId)!.userPrincipalName.toLowerCase();
    let attempts = 0;
    app = await startHarness({
      sim,
      // Real clients, except that one mailbox's read always fails with a transient-looking error.
      microsoft: (real) => ({
        graph: real.graph,
        exchange: withOverrides(real.exchange, {
          getMailboxPermission: async (identity: string) => {
            if (identity.toLowerCase() === poisonUpn || identity.toLowerCase() === poisonId) {
              attempts++;
              throw new RetryableError(
                'EXCHANGE.UNAVAILABLE',
                'Get-MailboxPermission: the server answered 503 (poison for this test)',
              );
            }
            return real.exchange.getMailboxPermission(identity);
          },
        }),
      }),
    });
    const taskId = await createTask(app);
    const runId = await startRun(app, taskId);
    await app.settle();

    expect(attempts).toBe(QUEUE_SETTINGS.maxDeliveryCount);
    const verdict = await verifyAgainstExpected(
      app,
      taskId,
      runId,
      expectedDelegations(sim.tenant, sim.tenant.demo.targetGroupId),
    );
    expect(verdict.run.status).toBe('completedWithErrors');
    expect(verdict.failed).toEqual([{ mailboxId: poisonId, error: expect.stringMatching(/^Gave up: .*answered 503/) }]);
    // The poison mailbox has nothing stored: a reader sees "not synced" in the run,
    // not an empty answer passed off as truth.
    const { byMailbox, byDelegate } = await delegationIndexes(app);
    expect([...byMailbox.keys()].filter((k) => k.startsWith(`${poisonId}|`))).toEqual([]);
    expect([...byDelegate.keys()].filter((k) => k.startsWith(`${poisonId}|`))).toEqual([]);
    // Nothing is left parked: the dead-letter handler consumed the message.
    expect(app.queue.deadLetters('mps-mailbox')).toEqual([]);
    await app.stop({ keepSimulator: true });
    app = undefined;
  }, 120_000);

  it('an expansion that always fails: ' +
    'the run fails with the reason after maxDeliveryCount and the task is free again', async () => {
    let attempts = 0;
    app = await startHarness({
      sim,
      microsoft: (real) => ({
        exchange: real.exchange,
        graph: withOverrides(real.graph, {
          getGroup: async () => {
            attempts++;
            throw new RetryableError('GRAPH.UNAVAILABLE', 'GET /groups/{id}: 503 (poison for this test)');
          },
        }),
      }),
    });
    const taskId = await createTask(app);
    const runId = await startRun(app, taskId);
    await app.settle();
    expect(attempts).toBe(QUEUE_SETTINGS.maxDeliveryCount);
    const run = await getRun(app, taskId, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^Expanding the target failed\. Gave up: .*503/);
    // The task is released: the next run can be claimed.
    expect((await app.api('POST', `tasks/${taskId}/run`)).status).toBe(202);
  }, 120_000);
});
