import { describe, expect, it } from 'vitest';
import type { DelegationEvent } from '../../shared/ports/delegations.js';
import { RIGHTS } from '../../shared/domain/delegation/types.js';
import { delegationChanges } from '../../shared/usecases/lookups.js';
import { freshDeps } from '../support/deps.js';

const id = (kind: number, n: number) =>
  `${String(kind).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const mailbox = (n: number) => ({ id: id(1, n), address: `mbx${n}@contoso.com`, displayName: `Mailbox ${n}` });
const delegate = (n: number) => ({
  id: id(2, n),
  upn: `user${n}@contoso.com`,
  address: `user${n}@contoso.com`,
  displayName: `User ${n}`,
});

/** One run's events: every mailbox gets `perMailbox` grants, all stamped with the run's time (ties on purpose). */
async function writeRun(
  deps: ReturnType<typeof freshDeps>,
  runId: string,
  at: string,
  mailboxes: number,
  perMailbox: number,
): Promise<void> {
  for (let m = 0; m < mailboxes; m++) {
    const events: DelegationEvent[] = Array.from({ length: perMailbox }, (_, d) => ({
      type: 'granted',
      mailbox: mailbox(m),
      delegate: delegate(d),
      right: RIGHTS[d % RIGHTS.length]!,
      via: [{ kind: 'direct' }],
      source: 'MailboxPermissionSync',
      runId,
      taskId: 'task-1',
      at,
      actor: null,
      observedBy: 'fullScan',
    }));
    await deps.repos.delegations.apply(
      { mailbox: mailbox(m), upsert: [], remove: [], events },
      { taskId: 'task-1', runId, at, eventScope: `${runId}|${m}` },
    );
  }
}

async function everyPage(
  deps: ReturnType<typeof freshDeps>,
  query: { top: number; mailbox?: string; delegate?: string },
): Promise<{ events: DelegationEvent[]; pages: number }> {
  const events: DelegationEvent[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const page: { items: DelegationEvent[]; continuationToken: string | null } = await delegationChanges(deps, {
      ...query,
      ...(token ? { continuationToken: token } : {}),
    });
    events.push(...page.items);
    token = page.continuationToken;
    pages++;
  } while (token && pages < 1000);
  return { events, pages };
}

const keyOf = (e: DelegationEvent) => `${e.runId}|${e.mailbox.id}|${e.delegate.id}|${e.right}`;

describe('delegation history paging (bounded per page, newest first)', () => {
  it(
    'pages a day whose events share timestamps without gaps or repeats, newest first, ' + 'then the day before',
    async () => {
      const deps = freshDeps('2026-03-02T18:00:00Z');
      await writeRun(deps, 'run-yesterday', '2026-03-01T23:30:00.000Z', 3, 2);
      await writeRun(deps, 'run-a', '2026-03-02T08:00:00.000Z', 12, 5);
      await writeRun(deps, 'run-b', '2026-03-02T09:00:00.000Z', 10, 4);

      const whole = await delegationChanges(deps, { top: 1000 });
      const paged = await everyPage(deps, { top: 7 });

      expect(whole.items).toHaveLength(6 + 60 + 40);
      expect(whole.continuationToken).toBeNull();
      expect(paged.events.map(keyOf)).toEqual(whole.items.map(keyOf));
      expect(new Set(paged.events.map(keyOf)).size).toBe(106);
      expect(paged.pages).toBe(Math.ceil(106 / 7));
      const times = paged.events.map((e) => e.at);
      expect(times).toEqual([...times].sort().reverse());
      expect(paged.events.slice(-6).every((e) => e.runId === 'run-yesterday')).toBe(true);
    },
  );

  it('narrows to one mailbox, paged the same way', async () => {
    const deps = freshDeps('2026-03-02T18:00:00Z');
    await writeRun(deps, 'run-a', '2026-03-02T08:00:00.000Z', 6, 5);
    await writeRun(deps, 'run-b', '2026-03-02T09:00:00.000Z', 6, 3);
    await deps.repos.directory.upsert([{ ...mailbox(4), upn: mailbox(4).address, hasMailbox: true }]);

    const paged = await everyPage(deps, { top: 2, mailbox: 'MBX4@contoso.com' });

    expect(paged.events).toHaveLength(8);
    expect(paged.events.every((e) => e.mailbox.id === mailbox(4).id)).toBe(true);
    expect(paged.events.map((e) => e.runId)).toEqual([
      'run-b',
      'run-b',
      'run-b',
      'run-a',
      'run-a',
      'run-a',
      'run-a',
      'run-a',
    ]);
  });

  it('refuses a page token of the earlier skip-counting form with a message that says what to do', async () => {
    const deps = freshDeps();
    const old = Buffer.from(JSON.stringify({ d: '20260302', s: 100 })).toString('base64url');
    await expect(delegationChanges(deps, { top: 10, continuationToken: old })).rejects.toMatchObject({
      code: 'PAGING.INVALID_TOKEN',
      message: expect.stringMatching(/earlier version.*without it/),
    });
    const forged = Buffer.from(JSON.stringify({ v: 2, d: '20260302', k: 'x', p: 42, r: 'y' })).toString('base64url');
    await expect(delegationChanges(deps, { top: 10, continuationToken: forged })).rejects.toMatchObject({
      code: 'PAGING.INVALID_TOKEN',
    });
  });

  it('reads only the entities it returns per page: unfiltered and by mailbox, however many the day holds', async () => {
    const deps = freshDeps('2026-03-02T18:00:00Z');
    await writeRun(deps, 'run-a', '2026-03-02T08:00:00.000Z', 40, 5);
    await writeRun(deps, 'run-b', '2026-03-02T09:00:00.000Z', 40, 5);
    await deps.repos.directory.upsert([{ ...mailbox(7), upn: mailbox(7).address, hasMailbox: true }]);
    const { log, byMailbox } = deps.repos.delegations.history;
    const read = () => log.own.entities + byMailbox.own.entities;

    for (const query of [{ top: 10 }, { top: 3, mailbox: mailbox(7).address }]) {
      let token: string | null = null;
      const perPage: number[] = [];
      let total = 0;
      do {
        const before = read();
        const page: { items: DelegationEvent[]; continuationToken: string | null } = await delegationChanges(deps, {
          ...query,
          ...(token ? { continuationToken: token } : {}),
        });
        perPage.push(read() - before);
        total += page.items.length;
        expect(read() - before).toBe(page.items.length);
        token = page.continuationToken;
      } while (token);
      expect(total).toBe(query.mailbox ? 10 : 400);
      expect(Math.max(...perPage)).toBe(query.top);
    }
  });

  it("a redelivery with a later clock rewrites the same rows at the first delivery's time", async () => {
    const deps = freshDeps('2026-03-02T18:00:00Z');
    await writeRun(deps, 'run-a', '2026-03-02T08:00:00.000Z', 2, 3);
    await writeRun(deps, 'run-a', '2026-03-02T08:07:30.000Z', 2, 3); // same run scope, later clock

    const { items } = await delegationChanges(deps, { top: 100 });

    expect(items).toHaveLength(6);
    expect(new Set(items.map((e) => e.at))).toEqual(new Set(['2026-03-02T08:00:00.000Z']));
  });

  it('filters exactly by delegate and by since (to the millisecond)', async () => {
    const deps = freshDeps('2026-03-02T18:00:00Z');
    await writeRun(deps, 'run-a', '2026-03-02T08:00:00.000Z', 6, 4);
    await writeRun(deps, 'run-b', '2026-03-02T08:00:00.001Z', 6, 2);
    await deps.repos.directory.upsert([{ ...delegate(3), hasMailbox: false }]);

    const byDelegate = await everyPage(deps, { top: 2, delegate: delegate(3).upn });
    const sinceB = await delegationChanges(deps, { top: 100, since: '2026-03-02T08:00:00.001Z' });

    expect(byDelegate.events).toHaveLength(6);
    expect(byDelegate.events.every((e) => e.delegate.id === delegate(3).id && e.runId === 'run-a')).toBe(true);
    expect(sinceB.items).toHaveLength(12);
    expect(sinceB.items.every((e) => e.runId === 'run-b')).toBe(true);
  });
});
