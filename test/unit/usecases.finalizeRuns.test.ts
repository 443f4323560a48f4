import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../shared/domain/task.js';
import type { RunItem } from '../../shared/ports/repositories.js';
import { QUEUES } from '../../shared/ports/queue.js';
import { closeRunIfComplete, finalizeRuns, type FinalizeDeps } from '../../shared/usecases/finalizeRuns.js';
import type { MailboxMessageBody } from '../../shared/usecases/messages.js';
import { syncMailbox } from '../../shared/usecases/syncMailbox.js';
import { aDelegationRow, aMailbox, aMailboxMessage, aRun, aRunItem, guid, seedRun } from '../support/factories.js';
import { memoryDeps, type MemoryDeps } from '../support/memory/deps.js';

const ADELE = aMailbox();
const BEN = aMailbox({ id: guid(2), address: 'ben@contoso.com', displayName: 'Ben' });

/** What the finalizer timer hands the use case (functions/finalizeRuns.ts). */
function finalizer(deps: MemoryDeps): FinalizeDeps {
  return {
    ...deps,
    runTimeoutMinutes: deps.settings.runTimeoutMinutes,
    revocationHoldPercent: deps.settings.revocationHoldPercent,
  };
}

const settled = (status: 'done' | 'failed', mailbox = ADELE): RunItem =>
  aRunItem(
    { status, settledAt: '2026-03-02T10:05:00.000Z', ...(status === 'failed' ? { error: 'gone' } : {}) },
    mailbox,
  );

/** Memory deps with a running run of two mailboxes whose items are `items`. */
async function arrange(items: RunItem[], status: RunStatus = 'running') {
  const deps = memoryDeps();
  const run = aRun({ status, mailboxesTotal: items.length });
  await seedRun(deps.repos, run, items);
  const current = async () => (await deps.repos.runs.get(run.taskId, run.runId))?.value;
  const released = async () =>
    !deps.repos.runs.isIndexedActive(run.taskId, run.runId) &&
    (await deps.repos.tasks.get(run.taskId))?.value.activeRunId === undefined;
  return { deps, run, current, released };
}

describe('finalizeRuns (in memory)', () => {
  describe.each([
    { items: [settled('done'), settled('done', BEN)], closed: 'succeeded' },
    { items: [settled('done'), settled('failed', BEN)], closed: 'completedWithErrors' },
    { items: [settled('failed'), settled('failed', BEN)], closed: 'failed' },
  ])('a running run whose items all settled', ({ items, closed }) => {
    it(`closes as ${closed} and releases its task`, async () => {
      const { deps, run, current, released } = await arrange(items);
      deps.clock.advanceMinutes(6);

      const report = await finalizeRuns(finalizer(deps));

      expect(report.finalized).toEqual([{ taskId: run.taskId, runId: run.runId, status: closed }]);
      expect(await current()).toMatchObject({ status: closed, finishedAt: deps.now().toISOString() });
      expect(await released()).toBe(true);
    });
  });

  it('leaves a running run with unsettled items open while it progresses', async () => {
    const { deps, current, released } = await arrange([settled('done'), aRunItem({}, BEN)]);

    const report = await finalizeRuns(finalizer(deps));

    expect(report).toEqual({ finalized: [], resent: 0, timedOut: 0, mailboxesLeftScope: 0 });
    expect(await current()).toMatchObject({ status: 'running', progress: { settled: 1, resends: 0 } });
    expect(await released()).toBe(false);
  });

  describe.each([
    { notSeen: 11, closed: 'needsReview', held: 11, removed: 0 },
    { notSeen: 1, closed: 'succeeded', held: 0, removed: 1 },
    { notSeen: 0, closed: 'succeeded', held: 0, removed: 0 },
  ])('a run whose sync no longer saw $notSeen of 12 stored FullAccess grants', ({ notSeen, closed, held, removed }) => {
    it(`closes as ${closed} when its last mailbox settles, without the finalizer: revocations above the 20 % hold \
threshold are held, the others applied`, async () => {
      const deps = memoryDeps();
      const adele = deps.tenant.addUser(ADELE.id, 'adele');
      const delegates = Array.from({ length: 12 }, (_, i) => deps.tenant.addUser(guid(0x100 + i), `d${i}`));
      await deps.repos.delegations.apply(
        {
          mailbox: ADELE,
          upsert: delegates.map((d) =>
            aDelegationRow({ delegate: { id: d.id, upn: d.upn, address: d.upn, displayName: d.displayName } }),
          ),
          remove: [],
          events: [],
        },
        { taskId: 'task-0', runId: 'run-0', at: '2026-02-01T10:00:00.000Z', eventScope: 'task-0_run-0' },
      );
      for (const d of delegates.slice(notSeen)) deps.tenant.grantFullAccess(adele, d);
      const run = aRun({ status: 'running', mailboxesTotal: 1 });
      await seedRun(deps.repos, run, [aRunItem()]);
      await syncMailbox(deps, aMailboxMessage());

      const final = (await deps.repos.runs.get(run.taskId, run.runId))?.value;
      expect(final).toMatchObject({ status: closed, revocationsHeld: held, delegationsRemoved: removed });
      expect((await finalizeRuns(finalizer(deps))).finalized).toEqual([]);
      expect(final?.heldRights).toEqual(held > 0 ? ['FullAccess'] : []);
      expect(await deps.repos.delegations.forMailbox(ADELE.id)).toHaveLength(12 - removed);
      const revoked = await deps.repos.delegations.changes({ since: '2026-03-01T00:00:00Z', top: 20 });
      expect(revoked.items.filter((e) => e.type === 'revoked')).toHaveLength(removed);
    });
  });

  it('re-sends the pending mailboxes of a run that made no progress for the stall time, once per stall', async () => {
    const { deps, run, current } = await arrange([settled('done'), aRunItem({}, BEN)]);
    await finalizeRuns(finalizer(deps)); // records the progress: 1 settled
    deps.clock.advanceMinutes(5);
    await finalizeRuns(finalizer(deps));
    expect(deps.queue.sent).toEqual([]);
    deps.clock.advanceMinutes(5);

    const report = await finalizeRuns(finalizer(deps));
    const again = await finalizeRuns(finalizer(deps));

    expect(report.resent).toBe(1);
    expect(again.resent).toBe(0);
    const sent = deps.queue.to(QUEUES.mailbox);
    expect(sent.map((m) => m.messageId)).toEqual([`${run.taskId}_${run.runId}_${BEN.id}_r1`]);
    expect(sent[0]?.body as MailboxMessageBody).toMatchObject({
      mailbox: { id: BEN.id, address: BEN.address },
      rights: run.rights,
    });
    expect(await current()).toMatchObject({ status: 'running', progress: { settled: 1, resends: 1 } });
  });

  describe.each([
    { items: [settled('done'), aRunItem({}, BEN)], closed: 'completedWithErrors', unsettled: [BEN.address] },
    {
      items: [aRunItem(), aRunItem({}, BEN)],
      closed: 'failed',
      unsettled: [ADELE.address, BEN.address],
    },
  ])('a run still running after the run timeout with $unsettled unsettled', ({ items, closed, unsettled }) => {
    it(`times out as ${closed}, failing and listing its unsettled mailboxes`, async () => {
      const { deps, run, current, released } = await arrange(items);
      deps.clock.advanceMinutes(61);

      const report = await finalizeRuns(finalizer(deps));

      expect(report).toMatchObject({ timedOut: 1, finalized: [{ runId: run.runId, status: closed }] });
      expect((await current())?.error).toBe(
        `Timed out after 60 minutes with ${unsettled.length} mailboxes unsettled: ${unsettled.join(', ')}`,
      );
      const pending = [];
      for await (const item of deps.repos.runs.allItems(run.taskId, run.runId, 'pending')) pending.push(item);
      expect(pending).toEqual([]);
      expect(await released()).toBe(true);
    });
  });

  describe.each<RunStatus>(['queued', 'expanding'])('a run still %s', (status) => {
    it('gets its expansion re-sent after 2 minutes, under the run id', async () => {
      const { deps, run } = await arrange([], status);
      deps.clock.advanceMinutes(3);

      const report = await finalizeRuns(finalizer(deps));

      expect(report.resent).toBe(1);
      expect(deps.queue.to(QUEUES.expand)).toEqual([
        expect.objectContaining({
          body: { taskId: run.taskId, runId: run.runId },
          messageId: `${run.taskId}_${run.runId}`,
        }),
      ]);
    });

    it('fails after the run timeout: the target was not expanded in time', async () => {
      const { deps, current, released } = await arrange([], status);
      deps.clock.advanceMinutes(61);

      const report = await finalizeRuns(finalizer(deps));

      expect(report.timedOut).toBe(1);
      expect(await current()).toMatchObject({
        status: 'failed',
        error: 'The target was not expanded within 60 minutes',
      });
      expect(await released()).toBe(true);
    });
  });

  describe('closeRunIfComplete (after the settle that may have been the last)', () => {
    it('closes a complete running run once: a second caller (a redelivered last settle) finds it closed', async () => {
      const { deps, run, current, released } = await arrange([settled('done'), settled('failed', BEN)]);

      const first = await closeRunIfComplete(finalizer(deps), run.taskId, run.runId);
      const second = await closeRunIfComplete(finalizer(deps), run.taskId, run.runId);

      expect([first, second]).toEqual(['completedWithErrors', undefined]);
      expect(await current()).toMatchObject({ status: 'completedWithErrors', mailboxesDone: 1, mailboxesFailed: 1 });
      expect(await released()).toBe(true);
    });

    it.each<{ what: string; items: RunItem[]; status: RunStatus }>([
      { what: 'a run with a pending item', items: [settled('done'), aRunItem({}, BEN)], status: 'running' },
      { what: 'a run still expanding', items: [settled('done'), settled('done', BEN)], status: 'expanding' },
    ])('leaves $what open', async ({ items, status }) => {
      const { deps, run, current } = await arrange(items, status);

      expect(await closeRunIfComplete(finalizer(deps), run.taskId, run.runId)).toBeUndefined();
      expect((await current())?.status).toBe(status);
    });

    it('lets one of two concurrent closers close; the other stops without an error', async () => {
      const { deps, run, current } = await arrange([settled('done'), settled('done', BEN)]);

      const outcomes = await Promise.all([
        closeRunIfComplete(finalizer(deps), run.taskId, run.runId),
        closeRunIfComplete(finalizer(deps), run.taskId, run.runId),
      ]);

      expect(outcomes.filter((o) => o !== undefined)).toEqual(['succeeded']);
      expect(await current()).toMatchObject({ status: 'succeeded', mailboxesDone: 2 });
    });

    it('leaves a close claimed under 10 minutes ago to its closer; the finalizer takes over an older one', async () => {
      const { deps, run, current } = await arrange([settled('done'), settled('done', BEN)]);
      const found = await deps.repos.runs.get(run.taskId, run.runId);
      if (!found) throw new Error('seeded run missing');
      const at = deps.now().toISOString();
      await deps.repos.runs.recordProgress(found, { settled: 2, at, resends: 0, closingSince: at });
      deps.clock.advanceMinutes(9);

      const early = await finalizeRuns(finalizer(deps));
      expect(await closeRunIfComplete(finalizer(deps), run.taskId, run.runId)).toBeUndefined();
      deps.clock.advanceMinutes(2);
      const late = await finalizeRuns(finalizer(deps));

      expect(early.finalized).toEqual([]);
      expect(late.finalized).toEqual([{ taskId: run.taskId, runId: run.runId, status: 'succeeded' }]);
      expect(await current()).toMatchObject({ status: 'succeeded' });
      expect((await current())?.progress).toBeUndefined();
    });
  });
});
