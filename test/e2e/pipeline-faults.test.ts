import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionAction } from '@azure/data-tables';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectedDelegations } from '../support/expected.js';
import { tapQueue } from '../support/control.js';
import {
  createTaskFor,
  expectIndexesAgree,
  groupIdNamed,
  historyOf,
  mailboxIdsOf,
  runMailboxes,
  runNow,
  sortedEntries,
  storedFor,
} from '../support/indexes.js';
import { QUEUES, deadLetterQueueOf } from '../../shared/ports/queue.js';
import type { MailboxMessageBody } from '../../shared/usecases/messages.js';

// Issue 5: the sync pipeline under faults, end to end on the local host against the tenant simulator.
// Each test targets its own department so the mailboxes (and their stored delegations) do not overlap.

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

const bodyOf = (message: { body: unknown }) => message.body as MailboxMessageBody;

describe('a mailbox that fails permanently', () => {
  it(
    'settles as failed with a readable reason; ' + 'the run completes with errors and the other mailboxes sync',
    async () => {
      const t = app.sim.tenant;
      const groupId = groupIdNamed(t, 'Operations');
      // Graph lists an address, Exchange has no mailbox behind it: skipped as noExchangeMailbox, never failed.
      const ghost = t.addUser({ displayName: 'Ops Ghost', mail: 'ops.ghost@contoso.com', recipientTypeDetails: null });
      t.addMember(groupId, ghost.id);
      // A mailbox deleted after the expansion listed it and before its message is handled.
      const victimId = mailboxIdsOf(t, groupId).find((id) => id !== ghost.id.toLowerCase())!;
      const victim = [...t.users.values()].find((u) => u.id.toLowerCase() === victimId)!;
      const total = mailboxIdsOf(t, groupId).length;
      const taskId = await createTaskFor(app, 'Operations', { kind: 'group', groupId });

      const tap = tapQueue(app, QUEUES.mailbox, (m) => {
        if (bodyOf(m).mailbox.id === victimId && t.users.has(victim.id)) t.deleteUser(victim.id);
        return 'send';
      });
      let run: Awaited<ReturnType<typeof runNow>>;
      try {
        run = await runNow(app, taskId);
      } finally {
        tap.restore();
      }
      expect(t.users.has(victim.id)).toBe(false);
      expect(run).toMatchObject({
        status: 'completedWithErrors',
        mailboxesTotal: total,
        mailboxesDone: total - 1,
        mailboxesFailed: 1,
      });
      expect((run.skippedByReason as Record<string, number>).noExchangeMailbox).toBe(1);

      const failed = await runMailboxes(app, taskId, run.runId, 'failed');
      expect(failed.map((f) => f.mailboxId)).toEqual([victimId]);
      for (const item of failed) {
        expect(item.status).toBe('failed');
        expect(item.error).toMatch(/^Mailbox \S+@\S+ could not be read: it no longer exists \(.+\)$/);
        expect(item.error).not.toMatch(/[{}]|\.ts:\d+|undefined/);
      }
      expect(failed.find((f) => f.mailboxId === victimId)!.error).toContain(victim.userPrincipalName);

      // Everything else is exact (the victim's grants elsewhere are orphaned SIDs now: not stored).
      const expected = expectedDelegations(t, groupId);
      expect(sortedEntries(await storedFor(app, [...mailboxIdsOf(t, groupId), victimId]))).toEqual(
        sortedEntries(expected),
      );
      expect(run.delegationsAdded).toBe(expected.size);
    },
  );
});

describe('a message delivered twice', () => {
  it('ends in the same state with counts and history not doubled', async () => {
    const t = app.sim.tenant;
    const groupId = groupIdNamed(t, 'Engineering');
    const mailboxes = mailboxIdsOf(t, groupId);
    const taskId = await createTaskFor(app, 'Engineering', { kind: 'group', groupId });
    const copies: Array<Promise<void>> = [];
    // Each message goes out twice under different ids (duplicate detection cannot catch it), handled concurrently.
    const tap = tapQueue(app, QUEUES.mailbox, (m) => {
      copies.push(app.queue.send(QUEUES.mailbox, { body: m.body, messageId: `${m.messageId ?? ''}_copy` }));
      return 'send';
    });
    let run: Awaited<ReturnType<typeof runNow>>;
    try {
      run = await runNow(app, taskId);
    } finally {
      tap.restore();
    }
    await Promise.all(copies);
    expect(tap.sent).toHaveLength(mailboxes.length);
    expect(copies).toHaveLength(mailboxes.length);

    const expected = expectedDelegations(t, groupId);
    expect(expected.size).toBeGreaterThan(10);
    expect(run).toMatchObject({
      status: 'succeeded',
      mailboxesTotal: mailboxes.length,
      mailboxesDone: mailboxes.length,
      mailboxesFailed: 0,
      delegationsAdded: expected.size,
      delegationsRemoved: 0,
    });
    expect(sortedEntries(await storedFor(app, mailboxes))).toEqual(sortedEntries(expected));
    const history = await historyOf(app, run.runId);
    expect(history).toEqual([...expected.keys()].map((k) => `granted:${k}`).sort());

    // A late copy, after the run finished, changes nothing either.
    const writesBefore = app.services.tables.store('DelegationsByMailbox').own.writes;
    await app.queue.send(
      QUEUES.mailbox,
      tap.sent.map((m) => ({ body: m.body, messageId: `${m.messageId ?? ''}_late` })),
    );
    await app.settle();
    expect(app.services.tables.store('DelegationsByMailbox').own.writes).toBe(writesBefore);
    const after = (await app.api('GET', `tasks/${taskId}/runs/${run.runId}`, { role: 'Reader' })).json;
    expect(after).toEqual(run);
    expect(await historyOf(app, run.runId)).toEqual(history);
    // Two deliveries of one mailbox running at the same time each stamp their own firstSeen, and the two indexes
    // may keep different winners (a few ms apart): everything else must agree.
    expect(await expectIndexesAgree(app, mailboxes, { timestamps: false })).toBe(expected.size);
  });
});

describe('a failure between the two index writes', () => {
  it(
    'is repaired by the redelivery: ' + 'tables equal the expectation and the reverse index matches the forward one',
    async () => {
      const t = app.sim.tenant;
      const groupId = groupIdNamed(t, 'Finance');
      const mailboxes = mailboxIdsOf(t, groupId);
      const taskId = await createTaskFor(app, 'Finance', { kind: 'group', groupId });
      const store = app.services.repos.delegations.byMailbox;
      const original = store.submit.bind(store);
      const failedPartitions = new Set<string>();
      const failures = { left: 3 };
      // The history and the reverse index are written, the forward index write then fails
      // (once per mailbox, 3 mailboxes).
      store.submit = async (actions: readonly TransactionAction[]) => {
        const partition = String(actions[0]?.[1].partitionKey ?? '');
        if (failures.left > 0 && !failedPartitions.has(partition)) {
          failures.left--;
          failedPartitions.add(partition);
          throw new Error('injected: the forward index write failed');
        }
        return original(actions);
      };
      try {
        const expected = expectedDelegations(t, groupId);
        const run = await runNow(app, taskId);
        expect(failures.left).toBe(0);
        expect(run).toMatchObject({
          status: 'succeeded',
          mailboxesDone: mailboxes.length,
          mailboxesFailed: 0,
          delegationsAdded: expected.size,
        });
        expect(sortedEntries(await storedFor(app, mailboxes))).toEqual(sortedEntries(expected));
        expect(await historyOf(app, run.runId)).toEqual([...expected.keys()].map((k) => `granted:${k}`).sort());
        expect(await expectIndexesAgree(app, mailboxes)).toBe(expected.size);

        // Again with a revocation and a grant on one mailbox, failing that mailbox's forward write once.
        const demo = t.demo;
        t.revokeFullAccess(demo.disabledMailboxUserId, demo.gradyId);
        t.grantSendAs(demo.disabledMailboxUserId, demo.diegoId);
        failures.left = 1;
        failedPartitions.clear();
        const expected2 = expectedDelegations(t, groupId);
        const before = await storedFor(app, mailboxes);
        const second = await runNow(app, taskId);
        expect(failures.left).toBe(0);
        const added = [...expected2.keys()].filter((k) => !before.has(k));
        const removed = [...before.keys()].filter((k) => !expected2.has(k));
        expect(added).toEqual([`${demo.disabledMailboxUserId}|${demo.diegoId}|SendAs`.toLowerCase()]);
        expect(removed).toEqual([`${demo.disabledMailboxUserId}|${demo.gradyId}|FullAccess`.toLowerCase()]);
        expect(second).toMatchObject({ status: 'succeeded', delegationsAdded: 1, delegationsRemoved: 1 });
        expect(sortedEntries(await storedFor(app, mailboxes))).toEqual(sortedEntries(expected2));
        expect(await historyOf(app, second.runId)).toEqual([`granted:${added[0]!}`, `revoked:${removed[0]!}`]);
        expect(await expectIndexesAgree(app, mailboxes)).toBe(expected2.size);
      } finally {
        store.submit = original;
      }
    },
  );
});

describe('poison messages', () => {
  it(
    'unreadable bodies on mps-mailbox and mps-expand dead-letter and are discarded by the handlers: ' + 'nothing waits',
    async () => {
      const errors: Array<{ queue: string; messageId: string; deliveryCount: number }> = [];
      const previous = app.queue.onHandlerError;
      app.queue.onHandlerError = (queue, messageId, deliveryCount) => errors.push({ queue, messageId, deliveryCount });
      try {
        await app.queue.send(QUEUES.mailbox, [
          { body: { hello: 'world' }, messageId: 'poison-object' },
          { body: 'not json at all {', messageId: 'poison-text' },
        ]);
        await app.queue.send(QUEUES.expand, { body: { taskId: '../../etc', runId: 42 }, messageId: 'poison-expand' });
        await Promise.race([
          app.queue.idle(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('the queues did not drain')), 10_000)),
        ]);
      } finally {
        app.queue.onHandlerError = previous;
      }
      for (const id of ['poison-object', 'poison-text', 'poison-expand']) {
        // Delivered maxDeliveryCount times, then moved to the dead-letter queue, whose handler completed it.
        expect(errors.filter((e) => e.messageId === id).map((e) => e.deliveryCount)).toEqual([
          1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
        ]);
      }
      expect(errors.filter((e) => e.queue.endsWith('$deadletterqueue'))).toEqual([]);
      for (const q of [
        QUEUES.mailbox,
        QUEUES.expand,
        deadLetterQueueOf(QUEUES.mailbox),
        deadLetterQueueOf(QUEUES.expand),
      ]) {
        expect(app.queue.depth(q), q).toEqual({ pending: 0, inFlight: 0, deadLettered: 0 });
      }
    },
  );

  it(
    'regression (item left pending until the run timeout): ' +
      'a dead-lettered mailbox message that names its run item but fails validation ' +
      'settles that item as failed; the run finishes',
    async () => {
      const t = app.sim.tenant;
      const groupId = groupIdNamed(t, 'Legal');
      const mailboxes = mailboxIdsOf(t, groupId);
      const poisoned = mailboxes[0]!;
      const taskId = await createTaskFor(app, 'Legal', { kind: 'group', groupId });
      const tap = tapQueue(app, QUEUES.mailbox, (m) => {
        if (bodyOf(m).mailbox.id !== poisoned) return 'send';
        void app.queue.send(QUEUES.mailbox, {
          body: { ...bodyOf(m), rights: ['FullAccess', 'EverythingElse'] },
          messageId: `${m.messageId ?? ''}_poison`,
        });
        return 'drop';
      });
      let run: Awaited<ReturnType<typeof runNow>>;
      try {
        run = await runNow(app, taskId);
      } finally {
        tap.restore();
      }
      expect(run).toMatchObject({
        status: 'completedWithErrors',
        mailboxesTotal: mailboxes.length,
        mailboxesDone: mailboxes.length - 1,
        mailboxesFailed: 1,
      });
      const failed = await runMailboxes(app, taskId, run.runId, 'failed');
      expect(failed.map((f) => f.mailboxId)).toEqual([poisoned]);
      expect(failed[0]!.error).toMatch(/^Gave up\b.*: Invalid mps-mailbox message: rights\.1: /);
    },
  );

  it(
    'regression (run left queued until the timeout): ' +
      'a dead-lettered expansion message that names its run but fails validation ' +
      'fails that run with the reason; the task can run again',
    async () => {
      const t = app.sim.tenant;
      const groupId = groupIdNamed(t, 'HR');
      const taskId = await createTaskFor(app, 'HR', { kind: 'group', groupId });
      const tap = tapQueue(app, QUEUES.expand, (m) => {
        void app.queue.send(QUEUES.expand, {
          body: { ...(m.body as object), priority: 'high' },
          messageId: `${m.messageId ?? ''}_poison`,
        });
        return 'drop';
      });
      let run: Awaited<ReturnType<typeof runNow>>;
      try {
        run = await runNow(app, taskId);
      } finally {
        tap.restore();
      }
      expect(tap.sent).toHaveLength(1);
      expect(run).toMatchObject({
        status: 'failed',
        mailboxesTotal: 0,
        mailboxesDone: 0,
        finishedAt: expect.any(String),
      });
      expect(run.error).toMatch(/^Expanding the target failed\. Gave up\b.*: Invalid mps-expand message: .*priority/);
      const again = await runNow(app, taskId);
      expect(again).toMatchObject({ status: 'succeeded', mailboxesTotal: mailboxIdsOf(t, groupId).length });
    },
  );
});

describe('mailboxes that leave the scope', () => {
  it(
    'lose their synced delegations with revocation history unless another task covers them; ' + 'Manual ones stay',
    async () => {
      const t = app.sim.tenant;
      const demo = t.demo;
      const [alex, salesTeam, tim2] = [demo.alexId, demo.sharedMailboxId, demo.timMcMichaelIds[1]!];
      const scope = t.addGroup({
        displayName: 'Scope Test',
        mail: 'scope.test@contoso.com',
        members: [alex, salesTeam, tim2],
      });
      const taskA = await createTaskFor(app, 'Scope A', { kind: 'group', groupId: scope.id });
      const taskB = await createTaskFor(app, 'Scope B', { kind: 'mailboxes', mailboxes: [tim2] });
      expect(await runNow(app, taskA)).toMatchObject({ status: 'succeeded', mailboxesTotal: 3 });
      expect(await runNow(app, taskB)).toMatchObject({ status: 'succeeded', mailboxesTotal: 1 });
      const before = await storedFor(app, [alex, salesTeam, tim2]);
      const ofMailbox = (map: Map<string, unknown>, id: string) =>
        [...map.keys()].filter((k) => k.startsWith(`${id.toLowerCase()}|`));
      const salesTeamSynced = ofMailbox(before, salesTeam);
      expect(salesTeamSynced.length).toBeGreaterThan(2);
      expect(ofMailbox(before, tim2).length).toBeGreaterThan(0);

      // Manual delegations on a mailbox that will leave, and on one that stays.
      const lidia = t.users.get(demo.lidiaId)!;
      for (const [mailbox, right] of [
        [t.users.get(salesTeam)!.mail!, 'SendAs'],
        [t.users.get(alex)!.mail!, 'FullAccess'],
      ] as const) {
        const added = await app.api('POST', `users/${encodeURIComponent(lidia.userPrincipalName)}/delegate-mailboxes`, {
          body: { mailbox, rights: [right] },
        });
        expect(added.status, added.text).toBe(201);
      }

      t.removeMember(scope.id, salesTeam);
      t.removeMember(scope.id, tim2);
      const run = await runNow(app, taskA);
      expect(run).toMatchObject({
        status: 'succeeded',
        mailboxesTotal: 1,
        delegationsAdded: 0,
        delegationsRemoved: salesTeamSynced.length,
      });

      const after = await storedFor(app, [alex, salesTeam, tim2]);
      expect(ofMailbox(after, salesTeam)).toEqual([]);
      expect(sortedEntries(new Map([...after].filter(([k]) => !k.startsWith(salesTeam.toLowerCase()))))).toEqual(
        sortedEntries(new Map([...before].filter(([k]) => !k.startsWith(salesTeam.toLowerCase())))),
      );
      expect(await historyOf(app, run.runId)).toEqual(salesTeamSynced.map((k) => `revoked:${k}`).sort());

      // Manual delegations are untouched by sync and by the scope cleanup.
      const delegatesOf = async (mailboxId: string) =>
        (
          (await app.api('GET', `mailboxes/${mailboxId}/delegates`, { role: 'Reader' })).json as {
            items: Array<{ delegate: { id: string }; rights: Array<{ right: string; source: string }> }>;
          }
        ).items;
      const salesTeamNow = await delegatesOf(salesTeam);
      expect(salesTeamNow.map((i) => [i.delegate.id, i.rights.map((r) => `${r.right}:${r.source}`)])).toEqual([
        [lidia.id.toLowerCase(), ['SendAs:Manual']],
      ]);
      const lidiaOnAlex = (await delegatesOf(alex)).find((i) => i.delegate.id === lidia.id.toLowerCase());
      expect(lidiaOnAlex?.rights.map((r) => `${r.right}:${r.source}`).sort()).toEqual([
        'FullAccess:Manual',
        'SendOnBehalf:MailboxPermissionSync',
      ]);
      await expectIndexesAgree(app, [alex, salesTeam, tim2]);
    },
  );
});
