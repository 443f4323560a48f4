import { describe, expect, it } from 'vitest';
import { buildRepositories } from '../../shared/composition.js';
import { ConflictError, PreconditionFailedError } from '../../shared/errors.js';
import type { Repositories } from '../../shared/ports/services.js';
import { aProposedRevocation, aRun, aRunItem, aTask, aMailbox, guid, seedRun } from '../support/factories.js';
import { memoryDeps } from '../support/memory/deps.js';
import { freshTables } from '../support/tables.js';

// The in-memory repositories stand in for the tables in the use-case unit tests (test/unit/usecases.*): the same
// bodies run here against both, so a semantic the use cases rely on cannot drift between them.

const BEN = aMailbox({ id: guid(2), address: 'ben@contoso.com', displayName: 'Ben' });

describe.each([
  { name: 'in memory', repositories: (): Repositories => memoryDeps().repos },
  { name: 'tables on Azurite', repositories: (): Repositories => buildRepositories(freshTables()) },
])('repository semantics the use cases rely on ($name)', ({ repositories }) => {
  it('refuses a second task or run with the same id (ConflictError)', async () => {
    const repos = repositories();
    const run = aRun();
    await seedRun(repos, run);

    await expect(repos.tasks.create(aTask())).rejects.toThrow(ConflictError);
    await expect(repos.runs.create(run)).rejects.toThrow(ConflictError);
  });

  it('refuses a write under a stale ETag (PreconditionFailedError) and keeps the winner', async () => {
    const repos = repositories();
    const run = aRun();
    await seedRun(repos, run);
    const task = await repos.tasks.get(run.taskId);
    const queued = await repos.runs.get(run.taskId, run.runId);
    if (!task || !queued) throw new Error('seeded task or run missing');

    await repos.tasks.update({ ...task.value, description: 'first' }, task.etag);
    await repos.runs.transition(queued, 'expanding', new Date('2026-03-02T10:01:00Z'));

    await expect(repos.tasks.update({ ...task.value, description: 'second' }, task.etag)).rejects.toThrow(
      PreconditionFailedError,
    );
    await expect(repos.runs.transition(queued, 'failed', new Date('2026-03-02T10:02:00Z'))).rejects.toThrow(
      PreconditionFailedError,
    );
    expect((await repos.tasks.get(run.taskId))?.value.description).toBe('first');
    expect((await repos.runs.get(run.taskId, run.runId))?.value.status).toBe('expanding');
  });

  it('releases the task and the active index when a transition closes the run', async () => {
    const repos = repositories();
    const run = aRun({ status: 'running', mailboxesTotal: 1 });
    await seedRun(repos, run);
    const running = await repos.runs.get(run.taskId, run.runId);
    if (!running) throw new Error('seeded run missing');

    await repos.runs.transition(running, 'succeeded', new Date('2026-03-02T10:30:00Z'));

    const active = [];
    for await (const entry of repos.runs.active()) active.push(entry);
    expect(active).toEqual([]);
    expect((await repos.tasks.get(run.taskId))?.value.activeRunId).toBeUndefined();
  });

  it('settles an item once, credits its planned counts, never resets it when expansion writes it again', async () => {
    const repos = repositories();
    const run = aRun({ status: 'running', mailboxesTotal: 2 });
    await seedRun(repos, run, [aRunItem(), aRunItem({}, BEN)]);
    const counts = { delegationsAdded: 3, delegationsRemoved: 0, trusteesUnresolved: 1 };
    await repos.runs.recordPlannedCounts(run.taskId, run.runId, guid(1), counts);

    const first = await repos.runs.settleItem(run.taskId, run.runId, guid(1), {
      status: 'done',
      at: '2026-03-02T10:05:00.000Z',
      revocationsProposed: { FullAccess: 2 },
      storedByRight: { FullAccess: 5 },
    });
    const second = await repos.runs.settleItem(run.taskId, run.runId, guid(1), {
      status: 'failed',
      error: 'a late copy',
      at: '2026-03-02T10:06:00.000Z',
    });
    await repos.runs.addItems(run.taskId, run.runId, [aRunItem()]);

    expect(first.settled).toBe(true);
    expect(second).toEqual({ settled: false, mayCompleteRun: true });
    expect(await repos.runs.getItem(run.taskId, run.runId, guid(1))).toMatchObject({
      status: 'done',
      delegationsAdded: 3,
      trusteesUnresolved: 1,
      revocationsProposed: 2,
      settledAt: '2026-03-02T10:05:00.000Z',
    });
    expect(await repos.runs.counters(run.taskId, run.runId)).toEqual({
      mailboxesDone: 1,
      mailboxesFailed: 0,
      delegationsAdded: 3,
      delegationsRemoved: 0,
      trusteesUnresolved: 1,
      rightsNotRead: 0,
    });
    expect(await repos.runs.revocationTally(run.taskId, run.runId)).toEqual({ FullAccess: { proposed: 2, stored: 5 } });
    const pending = [];
    for await (const item of repos.runs.allItems(run.taskId, run.runId, 'pending')) pending.push(item.mailboxId);
    expect(pending).toEqual([BEN.id]);
  });

  it('says the settle that leaves no item pending may complete the run, counting re-added items once', async () => {
    const repos = repositories();
    const run = aRun({ status: 'running', mailboxesTotal: 2 });
    await seedRun(repos, run, [aRunItem(), aRunItem({}, BEN)]);
    // A redelivered expansion adds the same items again: they must not count twice toward completion.
    await repos.runs.addItems(run.taskId, run.runId, [aRunItem(), aRunItem({}, BEN)]);
    const at = '2026-03-02T10:05:00.000Z';

    const first = await repos.runs.settleItem(run.taskId, run.runId, guid(1), { status: 'done', at });
    const last = await repos.runs.settleItem(run.taskId, run.runId, BEN.id, { status: 'failed', error: 'x', at });

    expect(first.settled).toBe(true);
    expect(last).toEqual({ settled: true, mayCompleteRun: true });
  });

  it('keeps one proposal per (mailbox, delegate, right, source), grouped by mailbox, until forgotten', async () => {
    const repos = repositories();
    const run = aRun({ status: 'running' });
    await seedRun(repos, run);
    const onAdele = aProposedRevocation();
    const onBen = aProposedRevocation({ mailbox: BEN, mailboxId: BEN.id });

    await repos.runs.proposeRevocations(run.taskId, run.runId, BEN.id, [onBen]);
    await repos.runs.proposeRevocations(run.taskId, run.runId, guid(1), [onAdele]);
    await repos.runs.proposeRevocations(run.taskId, run.runId, guid(1), [onAdele]); // a redelivery rewrites it
    await repos.runs.forgetRevocations(run.taskId, run.runId, [onBen]);

    const rows = [];
    for await (const row of repos.runs.allRevocations(run.taskId, run.runId)) rows.push(row);
    expect(rows).toEqual([onAdele]);
    // One batch names a row once: Table Storage refuses a duplicate (400), and the memory copy refuses it too.
    await expect(repos.runs.proposeRevocations(run.taskId, run.runId, guid(1), [onAdele, onAdele])).rejects.toThrow(
      expect.objectContaining({ code: 'TABLE.BAD_REQUEST' }),
    );
  });

  it('merges directory users: an absent hasMailbox keeps the stored one, an address goes to its holder', async () => {
    const repos = repositories();
    const lee = { id: guid(0x100), upn: 'lee@contoso.com', address: 'lee@contoso.com', displayName: 'Lee' };
    await repos.directory.upsert([{ ...lee, hasMailbox: true }]);

    await repos.directory.upsert([{ ...lee, displayName: 'Lee Gu' }]);
    const repaired = await repos.directory.repairAddresses([{ ...lee, id: guid(0x101) }]);

    expect(await repos.directory.find(guid(0x100))).toMatchObject({ displayName: 'Lee Gu', hasMailbox: true });
    expect(repaired).toBe(1);
    expect(await repos.directory.resolveId('LEE@contoso.com')).toEqual({ id: guid(0x101), known: true });
  });
  it('keeps a mailbox’s or a delegate’s history: events newest first, and when its history starts', async () => {
    const repos = repositories();
    const lee = { id: guid(0x100), upn: 'lee@contoso.com', address: 'lee@contoso.com', displayName: 'Lee' };
    const grant = (mailbox: typeof BEN, at: string) => ({
      type: 'granted' as const,
      mailbox,
      delegate: lee,
      right: 'FullAccess' as const,
      via: [{ kind: 'direct' as const }],
      source: 'Manual' as const,
      runId: null,
      taskId: null,
      at,
      actor: null,
      observedBy: 'manual' as const,
    });
    const write = (mailbox: typeof BEN, at: string) =>
      repos.delegations.apply(
        { mailbox, upsert: [], remove: [], events: [grant(mailbox, at)] },
        { taskId: null, runId: null, at, eventScope: `manual_${at}` },
      );
    expect(await repos.delegations.historyOf({ delegateId: lee.id })).toEqual({ events: [] });
    await write(BEN, '2026-03-01T10:00:00.000Z');
    await write(BEN, '2026-03-02T10:00:00.000Z');
    await write(aMailbox(), '2026-03-03T10:00:00.000Z');

    const ben = await repos.delegations.historyOf({ mailboxId: BEN.id.toUpperCase() });
    const ofLee = await repos.delegations.historyOf({ delegateId: lee.id });

    expect(ben.events.map((e) => e.at)).toEqual(['2026-03-02T10:00:00.000Z', '2026-03-01T10:00:00.000Z']);
    expect(ben.startedAt).toBe('2026-03-01T10:00:00.000Z'); // its first write, not its latest
    expect(ofLee.events.map((e) => e.mailbox.id)).toEqual([guid(1), BEN.id, BEN.id]);
    expect(ofLee.startedAt).toBe('2026-03-03T10:00:00.000Z'); // the newest start of any mailbox
  });
});
