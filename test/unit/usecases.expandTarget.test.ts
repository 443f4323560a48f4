import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../shared/domain/task.js';
import { QUEUES } from '../../shared/ports/queue.js';
import { expandTarget } from '../../shared/usecases/expandTarget.js';
import type { MailboxMessageBody } from '../../shared/usecases/messages.js';
import { aRun, aTask, anExpandMessage, guid, seedRun } from '../support/factories.js';
import { memoryDeps, type MemoryDeps } from '../support/memory/deps.js';

const GROUP = guid(0xa00);

/** A tenant whose target group holds two mailboxes, a guest without an Exchange mailbox and a user without mail. */
function salesTenant(deps: MemoryDeps) {
  const adele = deps.tenant.addUser(guid(1), 'adele');
  const ben = deps.tenant.addUser(guid(2), 'ben');
  const guest = deps.tenant.addUser(guid(3), 'guest', { mailbox: false });
  const noMail = deps.tenant.addUser(guid(4), 'nomail', { mail: null, mailbox: false });
  deps.tenant.addGroup(GROUP, 'Sales', [adele.id, ben.id, guest.id, noMail.id]);
  return { adele, ben, guest, noMail };
}

/** Memory deps with the sales tenant and a run of its group, stored with `status`. */
async function arrange(status: RunStatus = 'queued') {
  const deps = memoryDeps();
  const users = salesTenant(deps);
  const task = aTask({ target: { kind: 'group', groupId: GROUP }, rights: ['FullAccess', 'SendOnBehalf'] });
  const run = aRun({ status }, task);
  await seedRun(deps.repos, run, [], task);
  const current = async () => (await deps.repos.runs.get(run.taskId, run.runId))?.value;
  return { deps, run, task, current, ...users };
}

/** The deps with a stored shared Exchange rate (requests/s), as expansion reads it for pacing. */
function withExchangeRate(deps: MemoryDeps, perSecond: number) {
  return { ...deps, tenantRates: { current: async () => ({ exchange: { perSecond, decreasedAt: 0, updatedAt: 0 } }) } };
}

describe('expandTarget (in memory)', () => {
  it('ignores an expansion message for an audit run: it never scans the task’s whole target', async () => {
    const { deps, run, current } = await arrange();
    await deps.repos.runs.create({ ...run, runId: `${run.runId}-audit`, trigger: 'auditEvent' });

    const outcome = await expandTarget(deps, anExpandMessage({ runId: `${run.runId}-audit` }));

    expect(outcome).toEqual({ outcome: 'ignored', reason: 'an audit run has no target to expand' });
    expect(deps.queue.to(QUEUES.mailbox)).toEqual([]);
    expect((await deps.repos.runs.get(run.taskId, `${run.runId}-audit`))?.value.status).toBe('queued');
    expect((await current())?.status).toBe('queued');
  });

  it('turns a group target into one pending item and one mps-mailbox message per mailbox', async () => {
    const { deps, run, adele, ben } = await arrange();

    const outcome = await expandTarget(deps, anExpandMessage());

    expect(outcome).toEqual({ outcome: 'expanded', mailboxes: 2, strategy: 'perMailbox' });
    const items = [];
    for await (const item of deps.repos.runs.allItems(run.taskId, run.runId)) items.push(item);
    expect(items.map((i) => [i.mailboxId, i.address, i.status])).toEqual([
      [adele.id, 'adele@contoso.com', 'pending'],
      [ben.id, 'ben@contoso.com', 'pending'],
    ]);
    const sent = deps.queue.to(QUEUES.mailbox);
    expect(sent.map((m) => (m.body as MailboxMessageBody).mailbox.id)).toEqual([adele.id, ben.id]);
    expect(sent[0]?.body).toMatchObject({
      taskId: run.taskId,
      runId: run.runId,
      mailbox: { id: adele.id, upn: 'adele@contoso.com', address: 'adele@contoso.com', displayName: 'Adele' },
      rights: ['FullAccess', 'SendOnBehalf'],
      throttleRetries: 0,
      prefetched: { name: 'adele', sendOnBehalfNames: [] },
    });
  });

  it('gives each message an id derived from the run and the mailbox, the same on every expansion', async () => {
    const first = await arrange();
    const second = await arrange();

    await expandTarget(first.deps, anExpandMessage());
    await expandTarget(second.deps, anExpandMessage());

    const ids = (deps: MemoryDeps) => deps.queue.to(QUEUES.mailbox).map((m) => m.messageId);
    const { taskId, runId } = first.run;
    expect(ids(first.deps)).toEqual([`${taskId}_${runId}_${first.adele.id}`, `${taskId}_${runId}_${first.ben.id}`]);
    expect(ids(second.deps)).toEqual(ids(first.deps));
  });

  it("releases the mailbox messages at the tenant's shared rate (issue 20), with the same ids", async () => {
    // Arrange: Exchange at 2/s: FullAccess per mailbox (this small target also reads no SendAs: not synced).
    const { deps, run } = await arrange();
    const paced = withExchangeRate(deps, 2);
    const startedAt = deps.now().getTime();

    // Act
    await expandTarget(paced, anExpandMessage());

    // Assert: the first now, the second half a second later (2/s); ids as without pacing.
    const sent = deps.queue.to(QUEUES.mailbox);
    expect(sent.map((m) => m.scheduledEnqueueTime?.getTime())).toEqual([undefined, startedAt + 500]);
    expect(sent.map((m) => m.messageId?.startsWith(`${run.taskId}_${run.runId}_`))).toEqual([true, true]);
  });

  it("paces from what the task's previous run sustained when that beats the stored (one instance's) rate", async () => {
    // Arrange: the stored Exchange rate is 2/s, but the last run settled 40 mailboxes in 10 s: 4 mailboxes/s,
    // one Exchange call (FullAccess) each: several instances, each at the stored rate.
    const { deps, task } = await arrange();
    const previous = aRun(
      {
        status: 'succeeded',
        createdAt: '2026-03-01T10:00:00.000Z',
        startedAt: '2026-03-01T10:00:00.000Z',
        finishedAt: '2026-03-01T10:00:10.000Z',
        mailboxesDone: 38,
        mailboxesFailed: 2,
      },
      task,
    );
    await deps.repos.runs.create(previous);
    const paced = withExchangeRate(deps, 2);
    const startedAt = deps.now().getTime();

    // Act
    await expandTarget(paced, anExpandMessage());

    // Assert: 4/s, a quarter of a second apart (the stored 2/s alone gives half a second: the test above).
    const sent = deps.queue.to(QUEUES.mailbox);
    expect(sent.map((m) => m.scheduledEnqueueTime?.getTime())).toEqual([undefined, startedAt + 250]);
  });

  it('skips members without an Exchange Online mailbox as noExchangeMailbox, and counts them on the run', async () => {
    const { deps, run, guest } = await arrange();

    await expandTarget(deps, anExpandMessage());

    expect(await deps.repos.runs.getItem(run.taskId, run.runId, guest.id)).toBeUndefined();
    const sentTo = deps.queue.to(QUEUES.mailbox).map((m) => (m.body as MailboxMessageBody).mailbox.id);
    expect(sentTo).not.toContain(guest.id);
    const stored = await deps.repos.runs.get(run.taskId, run.runId);
    expect(stored?.value).toMatchObject({
      mailboxesTotal: 2,
      mailboxesSkipped: 2,
      skippedByReason: { noExchangeMailbox: 1, noMailbox: 1 },
    });
  });

  it('moves the run queued → expanding while it reads the target, then → running with its totals', async () => {
    const { deps, current } = await arrange();
    const seen: Array<RunStatus | undefined> = [];
    // The status the run has while expansion reads the target group.
    const observing = {
      ...deps,
      microsoft: () =>
        deps.tenant.ports({
          graph: {
            getGroup: async (id: string) => {
              seen.push((await current())?.status);
              return deps.tenant.groups.get(id)?.group;
            },
          },
        }),
    };

    expect((await current())?.status).toBe('queued');
    await expandTarget(observing, anExpandMessage());

    expect(seen).toEqual(['expanding']);
    expect(await current()).toMatchObject({ status: 'running', mailboxesTotal: 2, startedAt: expect.any(String) });
  });

  describe.each<RunStatus>(['running', 'succeeded', 'completedWithErrors', 'needsReview', 'failed'])(
    'a redelivered expansion of a run already %s',
    (status) => {
      it('is ignored: no item, no message, the run unchanged', async () => {
        const { deps, run, current } = await arrange(status);
        const before = await deps.repos.runs.get(run.taskId, run.runId);

        const outcome = await expandTarget(deps, anExpandMessage());

        expect(outcome).toEqual({ outcome: 'ignored', reason: `run is already ${status}` });
        expect(deps.queue.sent).toEqual([]);
        expect(await deps.repos.runs.getItem(run.taskId, run.runId, guid(1))).toBeUndefined();
        expect((await deps.repos.runs.get(run.taskId, run.runId))?.etag).toBe(before?.etag);
        expect((await current())?.status).toBe(status);
      });
    },
  );

  it('expands again a run a previous copy left expanding (it died mid-way), with the same message ids', async () => {
    const { deps, run, current } = await arrange('expanding');

    const outcome = await expandTarget(deps, anExpandMessage());

    expect(outcome).toMatchObject({ outcome: 'expanded', mailboxes: 2 });
    expect(deps.queue.to(QUEUES.mailbox).map((m) => m.messageId)).toEqual([
      `${run.taskId}_${run.runId}_${guid(1)}`,
      `${run.taskId}_${run.runId}_${guid(2)}`,
    ]);
    expect((await current())?.status).toBe('running');
  });

  it('fails a run whose target holds no mailbox, naming why, and releases its task', async () => {
    const deps = memoryDeps();
    const guest = deps.tenant.addUser(guid(3), 'guest', { mailbox: false });
    deps.tenant.addGroup(GROUP, 'Sales', [guest.id]);
    const run = aRun();
    await seedRun(deps.repos, run);

    const outcome = await expandTarget(deps, anExpandMessage());

    expect(outcome).toEqual({
      outcome: 'failed',
      error: `The target group ${GROUP} contains no mailboxes (skipped: 1 noExchangeMailbox)`,
    });
    expect((await deps.repos.runs.get(run.taskId, run.runId))?.value.status).toBe('failed');
    expect(deps.repos.runs.isIndexedActive(run.taskId, run.runId)).toBe(false);
    expect((await deps.repos.tasks.get(run.taskId))?.value.activeRunId).toBeUndefined();
    expect(deps.queue.sent).toEqual([]);
  });
});
