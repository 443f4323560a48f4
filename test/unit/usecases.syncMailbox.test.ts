import { describe, expect, it } from 'vitest';
import type { DelegationRow, Right } from '../../shared/domain/delegation/types.js';
import { PermanentUpstreamError, RetryableError, ThrottledError } from '../../shared/errors.js';
import { QUEUES } from '../../shared/ports/queue.js';
import type { MailboxMessageBody } from '../../shared/usecases/messages.js';
import { syncMailbox } from '../../shared/usecases/syncMailbox.js';
import {
  aDelegationRow,
  aMailbox,
  aMailboxMessage,
  aRun,
  aRunItem,
  aTask,
  guid,
  seedRun,
} from '../support/factories.js';
import { memoryDeps, type MemoryDeps } from '../support/memory/deps.js';
import type { TenantUser } from '../support/memory/tenant.js';

const RUN_KEY = `${aRun().taskId}_${aRun().runId}`;

/** The delegate as a sync stores it: the Graph user the trustee resolved to. */
function delegateOf(user: TenantUser) {
  return { id: user.id, upn: user.upn, address: user.mail ?? user.upn, displayName: user.displayName };
}

/**
 * Memory deps with mailbox Adele (a pending item of a running run syncing `rights`) and delegate Lee, both in the
 * tenant; nothing granted and nothing stored yet.
 */
async function arrange(rights: Right[] = ['FullAccess'], othersPending = 0) {
  const deps = memoryDeps();
  const adele = deps.tenant.addUser(guid(1), 'adele');
  const lee = deps.tenant.addUser(guid(0x100), 'lee');
  const run = aRun({ status: 'running', mailboxesTotal: 1 + othersPending }, aTask({ rights }));
  const others = Array.from({ length: othersPending }, (_, i) =>
    aRunItem({}, aMailbox({ id: guid(0x200 + i), address: `m${i}@contoso.com`, displayName: `M${i}` })),
  );
  await seedRun(deps.repos, run, [aRunItem(), ...others]);
  const message: MailboxMessageBody = aMailboxMessage({ rights });
  const item = async () => deps.repos.runs.getItem(run.taskId, run.runId, adele.id);
  const stored = async () => deps.repos.delegations.forMailbox(adele.id);
  const proposals = async () => {
    const rows = [];
    for await (const row of deps.repos.runs.allRevocations(run.taskId, run.runId)) rows.push(row);
    return rows;
  };
  return { deps, run, adele, lee, message, item, stored, proposals };
}

/** Stores rows as an earlier sync left them (its digest unknown, so the next sync reads them). */
async function storeRows(deps: MemoryDeps, rows: DelegationRow[]): Promise<void> {
  await deps.repos.delegations.apply(
    { mailbox: aMailbox(), upsert: rows, remove: [], events: [] },
    { taskId: 'task-0', runId: 'run-0', at: '2026-02-01T10:00:00.000Z', eventScope: 'task-0_run-0' },
  );
}

describe('syncMailbox (in memory)', () => {
  it('stores a grant in both indexes, records its history and its delegate, and settles the item', async () => {
    const { deps, run, adele, lee, message, item, stored } = await arrange();
    deps.tenant.grantFullAccess(adele, lee);

    const outcome = await syncMailbox(deps, message);

    expect(outcome).toMatchObject({ outcome: 'synced', added: 1, removed: 0, proposedRevocations: 0 });
    expect(await stored()).toEqual([
      expect.objectContaining({ delegate: expect.objectContaining(delegateOf(lee)), right: 'FullAccess' }),
    ]);
    expect((await deps.repos.delegations.forDelegate(lee.id)).map((d) => d.mailbox.id)).toEqual([adele.id]);
    const history = await deps.repos.delegations.changes({ since: '2026-03-01T00:00:00Z', top: 10 });
    expect(history.items.map((e) => [e.type, e.delegate.id, e.right, e.runId])).toEqual([
      ['granted', lee.id, 'FullAccess', run.runId],
    ]);
    expect(await deps.repos.directory.find('lee@contoso.com')).toMatchObject({ id: lee.id });
    expect(await item()).toMatchObject({ status: 'done', delegationsAdded: 1 });
    expect(await deps.repos.runs.counters(run.taskId, run.runId)).toMatchObject({
      mailboxesDone: 1,
      delegationsAdded: 1,
    });
  });

  it('closes the run when its last mailbox settles, not before, without the finalizer (DESIGN §8.3)', async () => {
    const { deps, run, message } = await arrange(['FullAccess'], 1);
    const other = aMailbox({ id: guid(0x200), address: 'm0@contoso.com', displayName: 'M0' });
    deps.tenant.addUser(other.id, 'm0');
    const status = async () => (await deps.repos.runs.get(run.taskId, run.runId))?.value.status;

    await syncMailbox(deps, message);
    const afterFirst = await status();
    await syncMailbox(deps, aMailboxMessage({}, other));

    expect(afterFirst).toBe('running');
    expect(await status()).toBe('succeeded');
    expect((await deps.repos.tasks.get(run.taskId))?.value.activeRunId).toBeUndefined();
  });

  it('proposes a right no longer observed to the run and keeps its row until the run closes', async () => {
    // Another mailbox still pending keeps the run open (the last settle closes it).
    const { deps, adele, lee, message, item, stored, proposals } = await arrange(['FullAccess'], 1);
    const row = aDelegationRow({ delegate: delegateOf(lee) });
    await storeRows(deps, [row]);

    const outcome = await syncMailbox(deps, message);

    expect(outcome).toMatchObject({ outcome: 'synced', removed: 0, proposedRevocations: 1 });
    expect(await stored()).toEqual([expect.objectContaining({ delegate: row.delegate, right: 'FullAccess' })]);
    expect(await proposals()).toEqual([expect.objectContaining({ delegate: row.delegate, reason: 'notObserved' })]);
    expect(await deps.repos.delegations.syncState(adele.id)).toMatchObject({ digest: '', pendingRun: RUN_KEY });
    expect(await item()).toMatchObject({ status: 'done', delegationsRemoved: 0, revocationsProposed: 1 });
  });

  describe.each([
    { when: 'after it settled', failFirstSettle: false },
    { when: 'after its first copy wrote the grant and died before settling', failFirstSettle: true },
  ])('a redelivered message, $when,', ({ failFirstSettle }) => {
    it('settles the item once and counts the grant once', async () => {
      const { deps, run, adele, lee, message, item, stored } = await arrange();
      deps.tenant.grantFullAccess(adele, lee);
      const settle = deps.repos.runs.settleItem.bind(deps.repos.runs);
      if (failFirstSettle) {
        deps.repos.runs.settleItem = async () => {
          throw new RetryableError('TABLE.UNAVAILABLE', 'Table Storage unavailable (503)');
        };
        await expect(syncMailbox(deps, message)).rejects.toThrow(RetryableError);
        deps.repos.runs.settleItem = settle;
      } else {
        await syncMailbox(deps, message);
      }

      const redelivered = await syncMailbox(deps, message);
      const again = await syncMailbox(deps, message);

      expect(redelivered.outcome).toBe(failFirstSettle ? 'synced' : 'alreadySettled');
      expect(again).toEqual({ outcome: 'alreadySettled' });
      expect(await stored()).toHaveLength(1);
      expect(await item()).toMatchObject({ status: 'done', delegationsAdded: 1 });
      expect(await deps.repos.runs.counters(run.taskId, run.runId)).toMatchObject({
        mailboxesDone: 1,
        delegationsAdded: 1,
      });
    });
  });

  describe.each([
    { code: 'GRAPH.FORBIDDEN' as const, reason: 'Access is denied. Check credentials and try again.' },
    { code: 'GRAPH.NOT_FOUND' as const, reason: 'The mailbox is either inactive, soft-deleted, or hosted on-premise.' },
  ])('a calendar Graph answers $code for', ({ code, reason }) => {
    it('is left as stored and listed as not read, while the other rights sync', async () => {
      const { deps, run, adele, lee, message, item, stored, proposals } = await arrange([
        'FullAccess',
        'CalendarDelegate',
      ]);
      const calendarRow = aDelegationRow({ delegate: delegateOf(lee), right: 'CalendarDelegate' });
      await storeRows(deps, [calendarRow]);
      deps.tenant.grantFullAccess(adele, lee);
      deps.tenant.calendars.set(adele.id, new PermanentUpstreamError(code, reason));

      const outcome = await syncMailbox(deps, message);

      expect(outcome).toMatchObject({ outcome: 'synced', added: 1, proposedRevocations: 0 });
      expect((await stored()).map((d) => d.right).sort()).toEqual(['CalendarDelegate', 'FullAccess']);
      expect(await proposals()).toEqual([]);
      expect(await item()).toMatchObject({
        status: 'done',
        rightsNotRead: [{ right: 'CalendarDelegate', reason }],
      });
      expect(await deps.repos.runs.counters(run.taskId, run.runId)).toMatchObject({ rightsNotRead: 1 });
    });
  });

  describe.each([
    { stale: 'names a mailbox that is no item of the run', message: aMailboxMessage({}, aMailbox({ id: guid(9) })) },
    { stale: 'names a run that does not exist', message: aMailboxMessage({ runId: 'no-such-run' }) },
  ])('a message that $stale', ({ message }) => {
    it('is ignored: nothing is read from Exchange, nothing stored, nothing settled', async () => {
      const { deps, run, adele, lee, item, stored } = await arrange();
      deps.tenant.grantFullAccess(adele, lee);
      let exchangeCalls = 0;
      const counting = {
        ...deps,
        microsoft: () =>
          deps.tenant.ports({
            exchange: {
              getMailboxPermission: async () => {
                exchangeCalls++;
                return [];
              },
            },
          }),
      };

      const outcome = await syncMailbox(counting, message);

      expect(outcome).toMatchObject({ outcome: 'ignored' });
      expect(exchangeCalls).toBe(0);
      expect(await stored()).toEqual([]);
      expect(await deps.repos.delegations.forMailbox(message.mailbox.id)).toEqual([]);
      expect(await item()).toMatchObject({ status: 'pending' });
      expect(await deps.repos.runs.counters(run.taskId, run.runId)).toMatchObject({ mailboxesDone: 0 });
    });
  });

  it('settles the item as failed, with the reason, when Exchange no longer knows the mailbox', async () => {
    const { deps, message, item } = await arrange();
    const gone = {
      ...deps,
      microsoft: () =>
        deps.tenant.ports({
          exchange: {
            getMailboxPermission: async () => {
              throw new PermanentUpstreamError('EXCHANGE.NOT_FOUND', "The operation couldn't be performed");
            },
          },
        }),
    };

    const outcome = await syncMailbox(gone, message);

    expect(outcome).toMatchObject({ outcome: 'failed' });
    expect(await item()).toMatchObject({ status: 'failed', error: expect.stringMatching(/no longer exists/) });
  });

  it('defers a throttled mailbox with a delayed copy of its message and leaves the item pending', async () => {
    const { deps, message, item } = await arrange();
    const throttled = {
      ...deps,
      microsoft: () =>
        deps.tenant.ports({
          exchange: {
            getMailboxPermission: async () => {
              throw new ThrottledError('EXCHANGE.THROTTLED', 'Too many requests', 30_000);
            },
          },
        }),
    };

    const outcome = await syncMailbox(throttled, message);

    expect(outcome).toMatchObject({ outcome: 'deferred' });
    const [copy] = deps.queue.to(QUEUES.mailbox);
    expect(copy).toMatchObject({ messageId: `${RUN_KEY}_${guid(1)}_t1`, body: { throttleRetries: 1 } });
    expect(copy?.scheduledEnqueueTime?.getTime()).toBeGreaterThanOrEqual(deps.now().getTime() + 30_000);
    expect(await item()).toMatchObject({ status: 'pending' });
  });
});
