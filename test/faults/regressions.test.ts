import { describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import azureFunctions from '@azure/functions';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { buildServices, configureServices } from '../../shared/composition.js';
import { loadConfig } from '../../shared/config.js';
import { mailboxDeadLetterFn } from '../../functions/deadLetters.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { startAzurite } from '../../dev/azurite.js';
import { azuriteConnectionString } from '../../shared/config.js';
import { syncMailbox } from '../../shared/usecases/syncMailbox.js';
import { settleDeadLetteredMailbox } from '../../shared/usecases/deadLetters.js';
import { ResolverCache } from '../../shared/usecases/trusteeResolver.js';
import type { MicrosoftPorts } from '../../shared/ports/microsoft.js';
import { createSchedule } from '../../shared/usecases/schedules.js';
import { createTask } from '../../shared/usecases/tasks.js';
import { runTaskNow } from '../../shared/usecases/runs.js';
import { finalizeRuns } from '../../shared/usecases/finalizeRuns.js';
import { QUEUES } from '../../shared/ports/queue.js';
import { freshDeps } from '../support/deps.js';

const GUIDS = [
  '0a1b2c3d-0000-4000-8000-000000000001',
  '0a1b2c3d-0000-4000-8000-000000000002',
  '0a1b2c3d-0000-4000-8000-000000000003',
];

/** A running run of three mailboxes, one of them settled. */
async function runningRun() {
  const deps = freshDeps('2026-03-02T10:00:00Z');
  const schedule = await createSchedule(deps, {
    description: 'Nightly',
    type: 'daily',
    mode: 'once',
    startTime: '02:00',
    timeZone: 'UTC',
  });
  const task = await createTask(deps, {
    description: 'Sales',
    scheduleId: schedule.id,
    target: { kind: 'groupEmail', email: 'sales@contoso.com' },
  });
  const { runId } = await runTaskNow(deps, task.id);
  await deps.repos.runs.addItems(
    task.id,
    runId,
    GUIDS.map((id, i) => ({
      mailboxId: id,
      upn: `u${i}@contoso.com`,
      address: `u${i}@contoso.com`,
      displayName: `U${i}`,
    })),
  );
  const queued = (await deps.repos.runs.get(task.id, runId))!;
  const expanding = await deps.repos.runs.transition(queued, 'expanding', deps.now());
  await deps.repos.runs.transition(expanding, 'running', deps.now(), { mailboxesTotal: 3 });
  await deps.repos.runs.settleItem(task.id, runId, GUIDS[0]!, { status: 'done', at: new Date().toISOString() });
  return { deps, taskId: task.id, runId };
}

describe('regression: pending run items were invisible to status filters (items carry no status until settled)', () => {
  it('allItems(…, "pending") and items({status: "pending"}) find the unsettled items', async () => {
    const { deps, taskId, runId } = await runningRun();
    const pending: string[] = [];
    for await (const item of deps.repos.runs.allItems(taskId, runId, 'pending')) pending.push(item.mailboxId);
    expect(pending.sort()).toEqual([GUIDS[1], GUIDS[2]]);
    const page = await deps.repos.runs.items(taskId, runId, { status: 'pending' }, { top: 100 });
    expect(page.items.map((i) => i.mailboxId).sort()).toEqual([GUIDS[1], GUIDS[2]]);
    const done = await deps.repos.runs.items(taskId, runId, { status: 'done' }, { top: 100 });
    expect(done.items.map((i) => i.mailboxId)).toEqual([GUIDS[0]]);
  });

  it('the finalizer re-sends the pending mailboxes of a stalled run (it sent none before the fix)', async () => {
    const { deps } = await runningRun();
    const finalize = () => finalizeRuns({ ...deps, runTimeoutMinutes: 360, revocationHoldPercent: 20 });
    await finalize(); // records progress
    deps.clock.advance(11 * 60_000);
    const before = deps.queue.depth(QUEUES.mailbox).pending;
    expect((await finalize()).resent).toBe(1);
    expect(deps.queue.depth(QUEUES.mailbox).pending - before).toBe(2);
  });

  it('a timed-out run fails its pending mailboxes by name (it closed with none listed before the fix)', async () => {
    const { deps, taskId, runId } = await runningRun();
    deps.clock.advance(361 * 60_000);
    const report = await finalizeRuns({ ...deps, runTimeoutMinutes: 360, revocationHoldPercent: 20 });
    expect(report.timedOut).toBe(1);
    const run = (await deps.repos.runs.get(taskId, runId))!.value;
    expect(run).toMatchObject({ status: 'completedWithErrors', mailboxesDone: 1, mailboxesFailed: 2 });
    expect(run.error).toContain('2 mailboxes unsettled: u1@contoso.com, u2@contoso.com');
  });
});

describe('regression: a dead-lettered mailbox was reported as "Gave up after 1 deliveries"', () => {
  it('the reason carries the dead-letter description, not the delivery count of the dead-lettered copy', async () => {
    const { deps, taskId, runId } = await runningRun();
    const services = buildServices(
      loadConfig({
        TABLES_CONNECTION_STRING: inject('tablesConnectionString'),
        TABLES_PREFIX: `t${randomBytes(5).toString('hex')}`,
        LOG_LEVEL: 'silent',
      }),
      { queue: new InProcessQueue() },
    );
    configureServices({ ...services, repos: deps.repos });
    const context = new azureFunctions.InvocationContext({
      functionName: 'syncMailboxDeadLetter',
      triggerMetadata: {
        deliveryCount: 1,
        applicationProperties: {
          DeadLetterReason: 'MaxDeliveryCountExceeded',
          DeadLetterErrorDescription: 'Message could not be consumed after 10 delivery attempts.',
        },
      },
    });
    const body = {
      taskId,
      runId,
      mailbox: { id: GUIDS[1], upn: 'u1@contoso.com', address: 'u1@contoso.com', displayName: 'U1' },
      rights: ['FullAccess'],
      throttleRetries: 0,
    };
    await mailboxDeadLetterFn.handler(body, context);
    const item = await deps.repos.runs.getItem(taskId, runId, GUIDS[1]!);
    expect(item).toMatchObject({
      status: 'failed',
      error: 'Gave up: Message could not be consumed after 10 delivery attempts.',
    });
  });
});

describe(
  'regression: stopping a persistent Azurite lost the writes of its last seconds ' + '(SIGTERM skips its save)',
  () => {
    it('an entity written just before stop() is there after a restart on the same data directory', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'mps-azurite-stop-'));
      let azurite = await startAzurite({ location: dir });
      try {
        const client = () =>
          TableClient.fromConnectionString(azuriteConnectionString(azurite.port), 'persisted', {
            allowInsecureConnection: true,
          });
        await client().createTable();
        await client().upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 'kept' });
        const port = azurite.port;
        await azurite.stop();
        azurite = await startAzurite({ port, location: dir });
        expect((await client().getEntity('p', 'r')).value).toBe('kept');
      } finally {
        await azurite.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  },
);

describe(
  'regression: a mailbox message naming no item of its run was synced anyway ' +
    '(a stale or forged message filed real rights under any mailbox id)',
  () => {
    const stranger = '0a1b2c3d-0000-4000-8000-0000000000ff';
    const body = (taskId: string, runId: string) => ({
      taskId,
      runId,
      mailbox: {
        id: stranger,
        upn: 'alex.wilber@contoso.com',
        address: 'alex.wilber@contoso.com',
        displayName: 'Alex',
      },
      rights: ['FullAccess'],
      throttleRetries: 0,
    });

    it('syncMailbox ignores it without reading Microsoft 365 or writing anything', async () => {
      const { deps, taskId, runId } = await runningRun();
      let microsoftCalls = 0;
      const outcome = await syncMailbox(
        {
          ...deps,
          resolvers: new ResolverCache(),
          microsoft: (): MicrosoftPorts => {
            microsoftCalls++;
            throw new Error('must not be called');
          },
        },
        body(taskId, runId),
      );
      expect(outcome).toMatchObject({ outcome: 'ignored' });
      expect(microsoftCalls).toBe(0);
      expect(await deps.repos.runs.getItem(taskId, runId, stranger)).toBeUndefined();
      expect(await deps.repos.delegations.forMailbox(stranger)).toEqual([]);
      expect(await deps.repos.runs.counters(taskId, runId)).toMatchObject({ mailboxesDone: 1, mailboxesFailed: 0 });
    });

    it('the dead-letter handler does not invent a failed item for it', async () => {
      const { deps, taskId, runId } = await runningRun();
      expect(await settleDeadLetteredMailbox(deps, body(taskId, runId), { reason: 'MaxDeliveryCountExceeded' })).toBe(
        'unknownItem',
      );
      expect(await deps.repos.runs.getItem(taskId, runId, stranger)).toBeUndefined();
      expect(await deps.repos.runs.counters(taskId, runId)).toMatchObject({ mailboxesDone: 1, mailboxesFailed: 0 });
    });
  },
);

describe(
  'regression: with two concurrent deliveries of one mailbox message, ' +
    'the copy that found the change already made could settle the item with zero counts ' +
    '(the run under-counted delegationsAdded)',
  () => {
    it('settling "done" counts the change planned for the item, whatever the settling delivery observed', async () => {
      const { deps, taskId, runId } = await runningRun();
      await deps.repos.runs.recordPlannedCounts(taskId, runId, GUIDS[1]!, {
        delegationsAdded: 3,
        delegationsRemoved: 1,
        trusteesUnresolved: 2,
      });
      // The copy that lost the race saw an empty diff.
      expect(
        await deps.repos.runs.settleItem(taskId, runId, GUIDS[1]!, {
          status: 'done',
          at: new Date().toISOString(),
          delegationsAdded: 0,
          delegationsRemoved: 0,
          trusteesUnresolved: 2,
        }),
      ).toMatchObject({ settled: true });
      // The copy that made the change settles second: already settled, nothing counted twice.
      expect(
        await deps.repos.runs.settleItem(taskId, runId, GUIDS[1]!, {
          status: 'done',
          at: new Date().toISOString(),
          delegationsAdded: 3,
          delegationsRemoved: 1,
          trusteesUnresolved: 2,
        }),
      ).toMatchObject({ settled: false });
      expect(await deps.repos.runs.counters(taskId, runId)).toMatchObject({
        mailboxesDone: 2,
        delegationsAdded: 3,
        delegationsRemoved: 1,
        trusteesUnresolved: 2,
      });
      expect(await deps.repos.runs.getItem(taskId, runId, GUIDS[1]!)).toMatchObject({
        status: 'done',
        delegationsAdded: 3,
        delegationsRemoved: 1,
      });
    });
  },
);
