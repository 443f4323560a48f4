import { describe, expect, it } from 'vitest';
import { AuditFeedTable } from '../../shared/adapters/tables/auditFeedTable.js';
import { buildRepositories } from '../../shared/composition.js';
import { PermanentUpstreamError, RetryableError, ThrottledError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logging.js';
import type { AuditRecord } from '../../shared/ports/auditFeed.js';
import type { RecipientRow } from '../../shared/ports/microsoft.js';
import {
  CHECKPOINT_OVERLAP_MS,
  MAX_BLOBS_PER_POLL,
  MAX_WINDOW_MS,
  pollAuditFeed,
  type PollAuditFeedDeps,
} from '../../shared/usecases/pollAuditFeed.js';
import { anAuditRecord, FakeAuditFeed, RecordedResyncs } from '../support/auditFeed.js';
import { TestClock } from '../support/deps.js';
import { aRun, aRunItem, aTask, guid, seedRun } from '../support/factories.js';
import { freshTables } from '../support/tables.js';

// The change feed's poll (docs/design.md §8.4) against Azurite: its state, counters and seen blobs in real tables,
// the task scopes in the real run tables; the Management API is an in-memory fake of its port that refuses what the
// real API refuses, records are read by the domain's interpretAuditRecord, and the re-read is recorded.

const TENANT = '00000000-0000-4000-8000-0000000000aa';
const NOW = '2026-03-09T12:00:00.000Z';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface User {
  id: string;
  upn: string;
  address: string;
  displayName: string;
}

function userOf(n: number): User {
  return { id: guid(n), upn: `user${n}@contoso.com`, address: `user${n}@contoso.com`, displayName: `User ${n}` };
}

/** A tenant whose task-1 scope holds users 1..`inScope` (all in our directory), a fake feed and a clock at NOW. */
async function setup(inScope = 3) {
  const tables = freshTables();
  const repos = buildRepositories(tables);
  const feedState = new AuditFeedTable(tables.store('AuditFeed'));
  const clock = new TestClock(new Date(NOW));
  const feed = new FakeAuditFeed(clock.now);
  const resyncs = new RecordedResyncs();
  const recipients = new Map<string, RecipientRow[]>();
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line)) });
  const users = Array.from({ length: inScope }, (_, i) => userOf(i + 1));
  await repos.directory.upsert(users);
  const items = users.map((u) =>
    aRunItem({ upn: u.upn }, { id: u.id, address: u.address, displayName: u.displayName }),
  );
  await seedRun(repos, aRun({ status: 'succeeded' }), items);
  const deps: PollAuditFeedDeps = {
    tenantId: TENANT,
    auditFeed: feed,
    feedState,
    repos,
    microsoft: () => ({ exchange: { getRecipient: async (id: string) => recipients.get(id.toLowerCase()) ?? [] } }),
    resync: resyncs.resync,
    now: clock.now,
    logger,
  };
  const state = async () => (await feedState.get(TENANT, 'Audit.Exchange'))?.value;
  const counts = () => feedState.countsSince(TENANT, 'Audit.Exchange', new Date(clock.now().getTime() - DAY));
  return { repos, feedState, clock, feed, resyncs, recipients, lines, deps, state, counts };
}

let recordNo = 0;
/** A grant by an administrator on `mailbox` (an address, UPN or object id). */
function grantOn(mailbox: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  recordNo++;
  return anAuditRecord({ id: `rec-${recordNo}`, objectId: mailbox, ...overrides });
}

const ago = (ms: number) => new Date(Date.parse(NOW) - ms);

describe('pollAuditFeed (Azurite, fake Management API)', () => {
  it('first poll: starts the subscription, lists 7 days back in windows of ≤ 24 h, re-reads the mailbox', async () => {
    const t = await setup();
    t.feed.add('blob-1', ago(3 * DAY), [
      grantOn('user1@contoso.com', { creationTime: ago(3 * DAY + HOUR).toISOString() }),
    ]);

    const report = await pollAuditFeed(t.deps);

    expect(t.feed.calls.start).toBe(1);
    const lists = t.feed.calls.lists;
    expect(lists.length).toBeGreaterThanOrEqual(7);
    for (const w of lists) {
      expect(w.end.getTime() - w.start.getTime()).toBeLessThanOrEqual(MAX_WINDOW_MS);
      expect(w.start.getTime()).toBeGreaterThanOrEqual(Date.parse(NOW) - 7 * DAY);
    }
    // Contiguous windows from the oldest start up to now: nothing between them is skipped.
    for (let i = 1; i < lists.length; i++) expect(lists[i]?.start).toEqual(lists[i - 1]?.end);
    expect(lists.at(-1)?.end.toISOString()).toBe(NOW);
    expect(t.resyncs.requests).toEqual([
      {
        taskId: 'task-1',
        polledAt: NOW,
        mailboxes: [
          {
            mailbox: {
              mailboxId: guid(1),
              upn: 'user1@contoso.com',
              address: 'user1@contoso.com',
              displayName: 'User 1',
            },
            hints: [expect.objectContaining({ recordId: `rec-${recordNo}`, actor: 'admin@contoso.com' })],
          },
        ],
      },
    ]);
    expect(report).toMatchObject({ outcome: 'succeeded', checkpoint: NOW, blobsProcessed: 1, checkpointLost: false });
    const state = await t.state();
    expect(state).toMatchObject({
      checkpoint: NOW,
      subscription: { status: 'enabled', confirmedAt: NOW },
      lastPoll: { at: NOW, outcome: 'succeeded', error: null },
      newestRecordAt: ago(3 * DAY + HOUR).toISOString(),
      gaps: [],
      checkpointLostAt: null,
    });
    expect(await t.counts()).toMatchObject({ recordsRead: 1, permissionHints: 1, mailboxesQueued: 1 });
  });

  it('next poll: no second start, lists from checkpoint − overlap, fetches only unseen blobs', async () => {
    const t = await setup();
    t.feed.add('blob-1', ago(10 * MINUTE), [grantOn('user1@contoso.com')]);
    await pollAuditFeed(t.deps);
    t.clock.advance(MINUTE);
    // Listed late: made available before the checkpoint, visible only now (the overlap is for this).
    t.feed.add('blob-late', ago(2 * MINUTE), [grantOn('user2@contoso.com')]);
    t.feed.add('blob-2', new Date(Date.parse(NOW) + 30_000), [grantOn('user3@contoso.com')]);
    t.feed.calls.lists.length = 0;

    await pollAuditFeed(t.deps);

    expect(t.feed.calls.start).toBe(1);
    expect(t.feed.calls.lists.map((w) => [w.start.toISOString(), w.end.toISOString()])).toEqual([
      [
        new Date(Date.parse(NOW) - CHECKPOINT_OVERLAP_MS).toISOString(),
        new Date(Date.parse(NOW) + MINUTE).toISOString(),
      ],
    ]);
    expect(t.feed.calls.fetched).toEqual(['blob-1', 'blob-late', 'blob-2']);
    expect(t.resyncs.mailboxIds()).toEqual([guid(1), guid(2), guid(3)]);
    expect((await t.state())?.checkpoint).toBe(new Date(Date.parse(NOW) + MINUTE).toISOString());
  });

  it('overlapping polls lose no count, and a late-finishing older poll does not move the checkpoint back', async () => {
    const t = await setup();
    t.feed.add('blob-1', ago(5 * MINUTE), [grantOn('user1@contoso.com')]);
    await pollAuditFeed(t.deps);
    const later = new Date(Date.parse(NOW) + 2 * MINUTE).toISOString();
    t.clock.set(later);
    await pollAuditFeed(t.deps);

    // A poll that read the clock before the last one but saves after it.
    await pollAuditFeed({ ...t.deps, now: () => new Date(Date.parse(NOW) + MINUTE) });
    expect((await t.state())?.checkpoint).toBe(later);

    t.feed.add('blob-2', new Date(Date.parse(later) - 1000), [
      grantOn('user2@contoso.com'),
      grantOn('user3@contoso.com'),
    ]);
    t.clock.advance(MINUTE);
    await Promise.all([pollAuditFeed(t.deps), pollAuditFeed(t.deps), pollAuditFeed(t.deps)]);
    const counts = await t.counts();
    // Each poll that fetched blob-2 counted its two records; none of their counts is lost to another's write.
    const fetchedBlob2 = t.feed.calls.fetched.filter((id) => id === 'blob-2').length;
    expect(counts.recordsRead).toBe(1 + 2 * fetchedBlob2);
    expect((await t.state())?.checkpoint).toBe(t.clock.now().toISOString());
  });

  it('windows are whole seconds (the API takes seconds; a client rounding outwards would pass 24 h)', async () => {
    const t = await setup();
    t.clock.set('2026-03-09T12:00:00.750Z');

    await pollAuditFeed(t.deps);

    for (const w of t.feed.calls.lists) {
      expect([w.start.getUTCMilliseconds(), w.end.getUTCMilliseconds()]).toEqual([0, 0]);
      expect(w.end.getTime() - w.start.getTime()).toBeLessThanOrEqual(MAX_WINDOW_MS);
    }
    expect((await t.state())?.checkpoint).toBe(NOW);
  });

  it('pages through every page of a listing', async () => {
    const t = await setup(5);
    t.feed.pageSize = 2;
    for (let i = 1; i <= 5; i++) t.feed.add(`blob-${i}`, ago((10 - i) * MINUTE), [grantOn(`user${i}@contoso.com`)]);

    await pollAuditFeed(t.deps);

    expect(t.feed.calls.fetched).toEqual(['blob-1', 'blob-2', 'blob-3', 'blob-4', 'blob-5']);
    expect(t.resyncs.mailboxIds().sort()).toEqual([1, 2, 3, 4, 5].map(guid));
  });

  it('a checkpoint older than 7 days: reads from the 7-day edge and records the gap it lost', async () => {
    const t = await setup();
    const old = ago(9 * DAY).toISOString();
    await t.feedState.update(TENANT, 'Audit.Exchange', () => ({
      checkpoint: old,
      subscription: { status: 'enabled', confirmedAt: old },
      lastPoll: { at: old, outcome: 'succeeded', error: null },
      newestRecordAt: null,
      gaps: [],
      checkpointLostAt: null,
    }));
    t.feed.subscription = 'enabled';
    t.feed.add('blob-1', ago(6 * DAY), [grantOn('user1@contoso.com')]);

    const report = await pollAuditFeed(t.deps);

    expect(t.feed.calls.start).toBe(0);
    const firstStart = t.feed.calls.lists[0]?.start.getTime() ?? 0;
    expect(firstStart).toBeGreaterThanOrEqual(Date.parse(NOW) - 7 * DAY);
    expect(firstStart).toBeLessThan(Date.parse(NOW) - 7 * DAY + 10 * MINUTE);
    expect(report.gap).toEqual({ from: old, to: new Date(firstStart).toISOString(), detectedAt: NOW });
    expect((await t.state())?.gaps).toEqual([report.gap]);
    expect(t.resyncs.mailboxIds()).toEqual([guid(1)]);
    expect(t.lines.some((l) => l.level === 50 && l.gapFrom === old)).toBe(true);
  });

  it('a gap found again by a poll that got no further is one gap, its span extended', async () => {
    const t = await setup();
    const old = ago(9 * DAY).toISOString();
    await t.feedState.update(TENANT, 'Audit.Exchange', () => ({
      checkpoint: old,
      subscription: { status: 'enabled', confirmedAt: old },
      lastPoll: null,
      newestRecordAt: null,
      gaps: [],
      checkpointLostAt: null,
    }));
    t.feed.subscription = 'enabled';
    t.feed.fault = (op) => (op === 'list' ? new RetryableError('MANAGEMENT.UNAVAILABLE', 'answered 503') : undefined);
    await expect(pollAuditFeed(t.deps)).rejects.toThrow('answered 503');
    t.clock.advance(MINUTE);
    await expect(pollAuditFeed(t.deps)).rejects.toThrow('answered 503');

    const gaps = (await t.state())?.gaps ?? [];
    expect(gaps).toHaveLength(1);
    expect(gaps[0]?.from).toBe(old);
    expect(Date.parse(gaps[0]?.to ?? '')).toBeGreaterThan(Date.parse(NOW) - 7 * DAY + MINUTE);
    expect((await t.state())?.checkpoint).toBe(old);
  });

  it('a lost checkpoint (no state, subscription already on): reads back the whole 7 days and says so', async () => {
    const t = await setup();
    t.feed.subscription = 'enabled';
    t.feed.add('blob-old', ago(6 * DAY + 12 * HOUR), [grantOn('user1@contoso.com')]);

    const report = await pollAuditFeed(t.deps);

    expect(report.checkpointLost).toBe(true);
    expect(t.resyncs.mailboxIds()).toEqual([guid(1)]);
    expect((await t.state())?.checkpointLostAt).toBe(NOW);
    expect(t.lines.some((l) => String(l.msg).includes('checkpoint lost'))).toBe(true);
  });

  it('recovers when a listing answers that the subscription is gone', async () => {
    const t = await setup();
    t.feed.add('blob-1', ago(5 * MINUTE), [grantOn('user1@contoso.com')]);
    await pollAuditFeed(t.deps);
    t.feed.subscription = 'none';
    t.feed.add('blob-2', ago(MINUTE), [grantOn('user2@contoso.com')]);
    t.clock.advance(MINUTE);

    await pollAuditFeed(t.deps);

    expect(t.feed.calls.start).toBe(2);
    expect(t.resyncs.mailboxIds()).toEqual([guid(1), guid(2)]);
  });

  it('429 while fetching: stops cleanly, keeps what was handed on, counts it; the next poll resumes', async () => {
    const t = await setup();
    t.feed.add('blob-1', ago(30 * MINUTE), [grantOn('user1@contoso.com')]);
    const second = t.feed.add('blob-2', ago(20 * MINUTE), [grantOn('user2@contoso.com')]);
    t.feed.add('blob-3', ago(10 * MINUTE), [grantOn('user3@contoso.com')]);
    t.feed.fault = (op, detail) =>
      op === 'fetch' && detail === 'blob-2'
        ? new ThrottledError('MANAGEMENT.THROTTLED', 'Management API answered 429', 60_000)
        : undefined;

    const report = await pollAuditFeed(t.deps);

    expect(report.outcome).toBe('throttled');
    expect(t.resyncs.mailboxIds()).toEqual([guid(1)]);
    const state = await t.state();
    expect(state?.checkpoint).toBe(second.contentCreated);
    expect(state?.lastPoll).toMatchObject({ outcome: 'throttled', error: 'Management API answered 429' });
    expect((await t.counts()).throttledPolls).toBe(1);

    t.feed.fault = undefined;
    t.clock.advance(MINUTE);
    await pollAuditFeed(t.deps);
    expect(t.feed.calls.fetched).toEqual(['blob-1', 'blob-2', 'blob-3']);
    expect(t.resyncs.mailboxIds()).toEqual([guid(1), guid(2), guid(3)]);
  });

  it('a 503 outage: each poll throws after saving what it finished; nothing is lost or read twice', async () => {
    const t = await setup(6);
    let outage = false;
    t.feed.fault = (op, detail) =>
      outage && (op === 'list' || detail === 'blob-2')
        ? new RetryableError('MANAGEMENT.UNAVAILABLE', 'answered 503')
        : undefined;
    t.feed.add('blob-1', ago(3 * MINUTE), [grantOn('user1@contoso.com')]);
    t.feed.add('blob-2', ago(2 * MINUTE), [grantOn('user2@contoso.com')]);
    outage = true;
    // The listing itself fails for ten minutes while changes keep being made.
    for (let minute = 0; minute < 10; minute++) {
      t.feed.add(`blob-during-${minute}`, new Date(t.clock.now().getTime() - 1000), [
        grantOn(`user${(minute % 4) + 3}@contoso.com`),
      ]);
      await expect(pollAuditFeed(t.deps)).rejects.toThrow('answered 503');
      t.clock.advance(MINUTE);
    }
    expect((await t.state())?.lastPoll).toMatchObject({ outcome: 'failed', error: 'answered 503' });
    expect((await t.counts()).failedPolls).toBe(10);
    expect(t.resyncs.requests).toEqual([]);

    // The listing answers again but blob-2 still fails: blob-1 is handed on, the checkpoint stops before blob-2.
    outage = false;
    t.feed.fault = (_op, detail) =>
      detail === 'blob-2' ? new RetryableError('MANAGEMENT.UNAVAILABLE', 'answered 503') : undefined;
    await expect(pollAuditFeed(t.deps)).rejects.toThrow('answered 503');
    expect(t.resyncs.mailboxIds()).toEqual([guid(1)]);
    expect((await t.state())?.checkpoint).toBe(ago(2 * MINUTE).toISOString());

    t.feed.fault = undefined;
    t.clock.advance(MINUTE);
    await pollAuditFeed(t.deps);
    expect(t.resyncs.mailboxIds().sort()).toEqual([1, 2, 3, 4, 5, 6].map(guid));
    expect(t.feed.calls.fetched.filter((id) => id === 'blob-1')).toHaveLength(1);
    expect(t.feed.calls.fetched).toHaveLength(12);
  });

  it('a failing re-read keeps the checkpoint and marks nothing seen: the next poll hands them on', async () => {
    const t = await setup();
    t.feed.add('blob-1', ago(5 * MINUTE), [grantOn('user1@contoso.com')]);
    t.resyncs.fail = new RetryableError('QUEUE.SEND_FAILED', 'queue unavailable');

    await expect(pollAuditFeed(t.deps)).rejects.toThrow('queue unavailable');
    expect((await t.state())?.checkpoint).toBeNull();

    t.resyncs.fail = undefined;
    t.clock.advance(MINUTE);
    await pollAuditFeed(t.deps);
    expect(t.resyncs.mailboxIds()).toEqual([guid(1)]);
    expect(t.feed.calls.fetched).toEqual(['blob-1', 'blob-1']);
  });

  it('counts and logs an unreadable record with its content id, and reads the rest of the blob', async () => {
    const t = await setup();
    t.feed.add('blob-1', ago(5 * MINUTE), [{ unreadable: 'CreationTime is missing' }, grantOn('user2@contoso.com')]);

    await pollAuditFeed(t.deps);

    expect(t.resyncs.mailboxIds()).toEqual([guid(2)]);
    expect(await t.counts()).toMatchObject({ unreadableRecords: 1, recordsRead: 1 });
    expect(t.lines).toContainEqual(
      expect.objectContaining({ contentId: 'blob-1', reason: 'CreationTime is missing', level: 40 }),
    );
  });

  it('a blob expired before it was read: counted and logged as an error, and the feed goes on past it', async () => {
    const t = await setup();
    t.feed.add('blob-gone', ago(6 * MINUTE), [grantOn('user1@contoso.com')]);
    t.feed.add('blob-2', ago(5 * MINUTE), [grantOn('user2@contoso.com')]);
    t.feed.fault = (op, detail) =>
      op === 'fetch' && detail === 'blob-gone'
        ? new PermanentUpstreamError('MANAGEMENT.CONTENT_EXPIRED', 'AF20051: content expired')
        : undefined;

    const report = await pollAuditFeed(t.deps);

    expect(report.outcome).toBe('succeeded');
    expect(t.resyncs.mailboxIds()).toEqual([guid(2)]);
    expect((await t.counts()).unreadableRecords).toBe(1);
    expect(t.lines).toContainEqual(expect.objectContaining({ contentId: 'blob-gone', level: 50 }));
    expect((await t.state())?.checkpoint).toBe(NOW);
  });

  it('a 403 on a blob is no expiry: the poll fails and keeps the checkpoint before it', async () => {
    const t = await setup();
    const blob = t.feed.add('blob-1', ago(5 * MINUTE), [grantOn('user1@contoso.com')]);
    t.feed.fault = (op) =>
      op === 'fetch' ? new PermanentUpstreamError('MANAGEMENT.FORBIDDEN', 'AF10001: ActivityFeed.Read') : undefined;

    await expect(pollAuditFeed(t.deps)).rejects.toThrow('AF10001');

    expect((await t.state())?.checkpoint).toBe(blob.contentCreated);
    expect(t.resyncs.requests).toEqual([]);
  });

  it('ignores system actors and other operations, counting each reason', async () => {
    const t = await setup();
    t.feed.add('blob-1', ago(5 * MINUTE), [
      grantOn('user1@contoso.com', { userId: 'NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)' }),
      grantOn('user2@contoso.com', { operation: 'Set-Mailbox', parameters: [] }),
    ]);

    await pollAuditFeed(t.deps);

    expect(t.resyncs.requests).toEqual([]);
    expect((await t.counts()).ignored).toEqual({ systemActor: 1, notPermissionChange: 1, failedOperation: 0 });
  });

  it("ignores mailboxes outside every enabled task's scope (none, a disabled task's, only an old run's)", async () => {
    const t = await setup(1);
    const outsider = userOf(40);
    const disabledOnly = userOf(41);
    await t.repos.directory.upsert([outsider, disabledOnly]);
    const disabled = aTask({ id: 'task-2', enabled: false });
    const item = aRunItem({}, { id: disabledOnly.id, address: disabledOnly.address, displayName: 'User 41' });
    await seedRun(t.repos, aRun({ taskId: 'task-2', status: 'succeeded' }, disabled), [item], disabled);
    // Task-1's previous scope held user 42; its latest run does not any more.
    const leaver = userOf(42);
    await t.repos.directory.upsert([leaver]);
    const older = aRun({ status: 'succeeded', createdAt: '2026-03-01T10:00:00.000Z' });
    await t.repos.runs.create(older);
    await t.repos.runs.addItems(older.taskId, older.runId, [
      { mailboxId: leaver.id, upn: leaver.upn, address: leaver.address, displayName: leaver.displayName },
    ]);
    t.feed.add('blob-1', ago(5 * MINUTE), [
      grantOn(outsider.address),
      grantOn(disabledOnly.upn),
      grantOn(leaver.id),
      grantOn(guid(1)),
    ]);

    await pollAuditFeed(t.deps);

    expect(t.resyncs.mailboxIds()).toEqual([guid(1)]);
    expect((await t.counts()).outsideScope).toBe(3);
  });

  it('resolves through Exchange when the directory does not know it; none or several: counted, logged', async () => {
    const t = await setup(3);
    const recipient = (id: string): RecipientRow => ({
      Identity: id,
      Name: id,
      ExternalDirectoryObjectId: id,
      RecipientTypeDetails: 'UserMailbox',
    });
    t.recipients.set('sales desk', [recipient(guid(3))]);
    t.recipients.set('ambiguous', [recipient(guid(1)), recipient(guid(2))]);
    const unknown = grantOn('nobody@contoso.com');
    const ambiguous = grantOn('Ambiguous');
    t.feed.add('blob-1', ago(5 * MINUTE), [grantOn('Sales Desk'), unknown, ambiguous]);

    await pollAuditFeed(t.deps);

    expect(t.resyncs.mailboxIds()).toEqual([guid(3)]);
    expect((await t.counts()).unresolvedMailboxes).toBe(2);
    const logged = t.lines.filter((l) => l.msg === 'audit feed: mailbox not resolved').map((l) => l.recordId);
    expect(logged).toEqual([unknown.id, ambiguous.id]);
  });

  it('a mailbox in two tasks is re-read once (by the first task); each task is asked once per poll', async () => {
    const t = await setup(2);
    const second = aTask({ id: 'task-2' });
    const items = [1, 5].map((n) => aRunItem({}, { id: guid(n), address: userOf(n).address, displayName: 'x' }));
    await t.repos.directory.upsert([userOf(5)]);
    await seedRun(t.repos, aRun({ taskId: 'task-2', status: 'succeeded' }, second), items, second);
    t.feed.add('blob-1', ago(5 * MINUTE), [grantOn(guid(1)), grantOn(guid(5)), grantOn(guid(2))]);

    await pollAuditFeed(t.deps);

    expect(t.resyncs.requests.map((r) => [r.taskId, r.mailboxes.map((m) => m.mailbox.mailboxId)])).toEqual([
      ['task-1', [guid(1), guid(2)]],
      ['task-2', [guid(5)]],
    ]);
  });

  it('a mailbox in two tasks is re-read by the task that syncs the right a record names', async () => {
    const t = await setup(1); // task-1 syncs FullAccess only
    const sendAs = aTask({ id: 'task-2', rights: ['SendAs'] });
    const item = aRunItem({}, { id: guid(1), address: userOf(1).address, displayName: 'x' });
    await seedRun(t.repos, aRun({ taskId: 'task-2', status: 'succeeded' }, sendAs), [item], sendAs);
    const sendAsGrant = grantOn(guid(1), {
      operation: 'Add-RecipientPermission',
      parameters: [
        { name: 'Identity', value: guid(1) },
        { name: 'Trustee', value: 'bob@contoso.com' },
        { name: 'AccessRights', value: 'SendAs' },
      ],
    });
    t.feed.add('blob-1', ago(5 * MINUTE), [sendAsGrant]);

    await pollAuditFeed(t.deps);

    // task-1 would read FullAccess only and miss the change: task-2 re-reads the mailbox.
    expect(t.resyncs.requests.map((r) => [r.taskId, r.mailboxes.map((m) => m.mailbox.mailboxId)])).toEqual([
      ['task-2', [guid(1)]],
    ]);

    // Both rights named: each task re-reads the mailbox for its own.
    t.feed.add('blob-2', ago(4 * MINUTE), [grantOn(guid(1)), { ...sendAsGrant, id: 'rec-sendas-2' }]);
    await pollAuditFeed(t.deps);
    expect(t.resyncs.requests.slice(1).map((r) => r.taskId)).toEqual(['task-1', 'task-2']);
  });

  it('a burst of 1,000 records on 200 mailboxes re-reads each mailbox once, with all of its hints', async () => {
    const t = await setup(200);
    for (let b = 0; b < 10; b++) {
      const records = Array.from({ length: 100 }, (_, i) => grantOn(`user${((b * 100 + i) % 200) + 1}@contoso.com`));
      t.feed.add(`burst-${b}`, ago((20 - b) * MINUTE), records);
    }

    await pollAuditFeed(t.deps);

    expect(t.resyncs.requests).toHaveLength(1);
    const mailboxes = t.resyncs.requests[0]?.mailboxes ?? [];
    expect(new Set(mailboxes.map((m) => m.mailbox.mailboxId)).size).toBe(200);
    expect(mailboxes).toHaveLength(200);
    expect(mailboxes.every((m) => m.hints.length === 5)).toBe(true);
    expect(await t.counts()).toMatchObject({ recordsRead: 1000, permissionHints: 1000, mailboxesQueued: 200 });
  });

  it('a long catch-up: MAX_BLOBS_PER_POLL blobs a poll, the checkpoint stops at the first one left', async () => {
    const t = await setup(1);
    const total = MAX_BLOBS_PER_POLL + 5;
    t.feed.pageSize = 100;
    const refs = Array.from({ length: total }, (_, i) =>
      t.feed.add(`blob-${String(i).padStart(3, '0')}`, ago((total - i) * MINUTE), [grantOn(guid(1))]),
    );

    await pollAuditFeed(t.deps);
    expect(t.feed.calls.fetched).toHaveLength(MAX_BLOBS_PER_POLL);
    expect((await t.state())?.checkpoint).toBe(refs[MAX_BLOBS_PER_POLL]?.contentCreated);

    t.clock.advance(MINUTE);
    await pollAuditFeed(t.deps);
    expect(new Set(t.feed.calls.fetched).size).toBe(total);
    expect(t.feed.calls.fetched).toHaveLength(total);
  });
});
