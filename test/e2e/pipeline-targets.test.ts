import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectedDelegations } from '../support/expected.js';
import { setClock, tapQueue } from '../support/control.js';
import {
  createTaskFor,
  groupIdNamed,
  mailboxIdsOf,
  runMailboxes,
  runNow,
  sortedEntries,
  storedFor,
} from '../support/indexes.js';
import { QUEUES } from '../../shared/ports/queue.js';
import type { MailboxMessageBody } from '../../shared/usecases/messages.js';

// Issue 5: every target kind end to end, the run failures a target can cause, and the finalizer's run timeout.

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ simulator: { mailboxes: 40 }, env: { RUN_TIMEOUT_MINUTES: '1' } });
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

/** Asserts a run scanned exactly these mailboxes and stored exactly what the tenant grants on them. */
async function expectSynced(
  taskId: string,
  run: { runId: string },
  mailboxIds: string[],
  expectationGroupId: string,
): Promise<void> {
  const items = await runMailboxes(app, taskId, run.runId);
  expect(items.map((i) => i.mailboxId).sort()).toEqual([...mailboxIds].sort());
  expect(items.every((i) => i.status === 'done')).toBe(true);
  const expected = expectedDelegations(app.sim.tenant, expectationGroupId);
  expect(expected.size).toBeGreaterThan(0);
  expect(sortedEntries(await storedFor(app, mailboxIds))).toEqual(sortedEntries(expected));
}

describe('targets', () => {
  it('groupEmail: the group with that address, nested members included', async () => {
    const demo = app.sim.tenant.demo;
    const taskId = await createTaskFor(app, 'Sales by address', {
      kind: 'groupEmail',
      email: demo.salesGroupMail.toUpperCase(),
    });
    const run = await runNow(app, taskId);
    const mailboxes = mailboxIdsOf(app.sim.tenant, demo.salesGroupId);
    expect(mailboxes).toContain(demo.alexId.toLowerCase()); // via the Sales EMEA sub-group
    expect(run).toMatchObject({ status: 'succeeded', mailboxesTotal: mailboxes.length, mailboxesFailed: 0 });
    await expectSynced(taskId, run, mailboxes, demo.salesGroupId);
  });

  it('groupDn: resolved by its CN (onPremisesSamAccountName), RFC 4514 escapes included', async () => {
    const t = app.sim.tenant;
    const marketing = groupIdNamed(t, 'Marketing');
    const taskId = await createTaskFor(app, 'Marketing by DN', {
      kind: 'groupDn',
      dn: 'CN=Marketing,OU=Departments,DC=contoso,DC=com',
    });
    const run = await runNow(app, taskId);
    const mailboxes = mailboxIdsOf(t, marketing);
    expect(run).toMatchObject({ status: 'succeeded', mailboxesTotal: mailboxes.length });
    await expectSynced(taskId, run, mailboxes, marketing);

    const labs = t.addGroup({
      displayName: 'R&D, Labs',
      onPremisesSamAccountName: 'R&D, Labs',
      onPremisesSyncEnabled: true,
      members: [t.demo.diegoId],
    });
    const escaped = await createTaskFor(app, 'Escaped DN', {
      kind: 'groupDn',
      dn: 'CN=R&D\\, Labs,OU=Groups,DC=contoso,DC=com',
    });
    const labsRun = await runNow(app, escaped);
    expect(labsRun).toMatchObject({ status: 'succeeded', mailboxesTotal: 1 });
    await expectSynced(escaped, labsRun, [t.demo.diegoId.toLowerCase()], labs.id);
  });

  it('groupDn matching two groups fails the run naming both, and frees the task', async () => {
    const t = app.sim.tenant;
    const phoenix = [...t.groups.values()].filter((g) => g.displayName === 'Project Phoenix');
    expect(phoenix).toHaveLength(2);
    const taskId = await createTaskFor(app, 'Ambiguous', { kind: 'groupDn', dn: t.demo.ambiguousDn });
    const run = await runNow(app, taskId);
    expect(run).toMatchObject({
      status: 'failed',
      mailboxesTotal: 0,
      mailboxesDone: 0,
      finishedAt: expect.any(String),
    });
    const named = String.raw`Project Phoenix \([0-9a-f-]{36}\)`;
    expect(run.error).toMatch(new RegExp(`^DN matches 2 groups: ${named}, ${named}; use the group's object id`));
    for (const g of phoenix) expect(run.error).toContain(g.id);
    expect(await runMailboxes(app, taskId, run.runId)).toEqual([]);
    expect((await runNow(app, taskId)).status).toBe('failed'); // not 409: the failed run released the task
  });

  it(
    'an explicit mailbox list: addresses (secondary proxy, SMTP that is not the UPN, any case) ' +
      'and object ids; the rest is counted as skipped',
    async () => {
      const t = app.sim.tenant;
      const demo = t.demo;
      const listed = [demo.alexId, demo.smtpNotUpnUserId, demo.sharedMailboxId, demo.meganId].map((id) =>
        id.toLowerCase(),
      );
      const jordan = t.users.get(demo.smtpNotUpnUserId)!;
      expect(jordan.mail).not.toBe(jordan.userPrincipalName);
      const taskId = await createTaskFor(app, 'Listed', {
        kind: 'mailboxes',
        mailboxes: [
          demo.secondaryProxyAddress,
          jordan.mail!,
          demo.sharedMailboxId,
          'MEGAN.BOWEN@contoso.com',
          'nobody.here@contoso.com',
          t.users.get(demo.noMailboxUserId)!.userPrincipalName,
        ],
      });
      const run = await runNow(app, taskId);
      expect(run).toMatchObject({
        status: 'succeeded',
        mailboxesTotal: 4,
        mailboxesSkipped: 2,
        skippedByReason: { notFound: 1, noMailbox: 1 },
      });
      // An expectation group holding the same mailboxes (not mail-enabled, so no trustee Name changes).
      const helper = t.addGroup({ displayName: 'Expectation helper', mailEnabled: false, members: listed });
      await expectSynced(taskId, run, listed, helper.id);
    },
  );

  // Regression (wording): the reasons read "The target group (group …)"
  // and "None of the listed mailboxes contains no mailboxes".
  it.each([
    [
      'an empty group',
      () => ({
        kind: 'groupEmail',
        email: app.sim.tenant.addGroup({ displayName: 'Empty Team', mail: 'empty.team@contoso.com' }).mail!,
      }),
      /^The target group 'empty\.team@contoso\.com' contains no mailboxes$/,
    ],
    [
      'a group of a device and a user without a mailbox',
      () => ({
        kind: 'group',
        groupId: app.sim.tenant.addGroup({
          displayName: 'No Mail Here',
          members: [app.sim.tenant.demo.deviceId, app.sim.tenant.demo.noMailboxUserId],
        }).id,
      }),
      new RegExp(
        '^The target group [0-9a-f-]{36} contains no mailboxes ' +
          String.raw`\(skipped: (1 device, 1 noMailbox|1 noMailbox, 1 device)\)$`,
      ),
    ],
    [
      'a list of unknown addresses',
      () => ({ kind: 'mailboxes', mailboxes: ['ghost1@contoso.com', 'ghost2@contoso.com'] }),
      /^None of the 2 listed mailboxes was found with a mailbox \(skipped: 2 notFound\)$/,
    ],
    [
      'a group id that does not exist',
      () => ({ kind: 'group', groupId: '0badc0de-0000-4000-8000-000000000000' }),
      /^Group 0badc0de-0000-4000-8000-000000000000 does not exist in the directory$/,
    ],
    [
      'an address no group has',
      () => ({ kind: 'groupEmail', email: 'nobody-group@contoso.com' }),
      /^No group has the e-mail address nobody-group@contoso\.com$/,
    ],
  ])('%s fails the run with the reason', async (name, target, reason) => {
    const taskId = await createTaskFor(app, `Fails: ${name}`, target());
    const run = await runNow(app, taskId);
    expect(run).toMatchObject({ status: 'failed', mailboxesTotal: 0 });
    expect(run.error).toMatch(reason);
  });
});

describe('the finalizer and stuck runs (RUN_TIMEOUT_MINUTES=1, a clock the test moves)', () => {
  it('fails a run stuck past the timeout and lists its unsettled mailboxes', async () => {
    const t = app.sim.tenant;
    const demo = t.demo;
    const lost = new Set([demo.meganId, demo.gradyId].map((id) => id.toLowerCase()));
    const taskId = await createTaskFor(app, 'Stuck', {
      kind: 'mailboxes',
      mailboxes: [demo.alexId, demo.meganId, demo.gradyId],
    });
    // Two mailbox messages are lost (a crash between send and handling).
    const tap = tapQueue(app, QUEUES.mailbox, (m) =>
      lost.has((m.body as MailboxMessageBody).mailbox.id) ? 'drop' : 'send',
    );
    let runId: string;
    try {
      runId = (await runNow(app, taskId)).runId;
    } finally {
      tap.restore();
    }
    const get = async () =>
      (await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' })).json as Record<string, unknown>;
    expect(await get()).toMatchObject({ status: 'running', mailboxesTotal: 3, mailboxesDone: 1, mailboxesFailed: 0 });

    const clock = setClock(app, new Date(Date.now() + 30_000));
    try {
      await app.host.fireTimer('finalizeRuns');
      expect(await get()).toMatchObject({ status: 'running' }); // not yet past the timeout
      clock.advance(45_000);
      await app.host.fireTimer('finalizeRuns');
      const run = await get();
      expect(run).toMatchObject({ status: 'completedWithErrors', mailboxesDone: 1, mailboxesFailed: 2 });
      const addresses = [demo.meganId, demo.gradyId].map((id) => t.users.get(id)!.mail!);
      expect(run.error).toMatch(/^Timed out after 1 minutes with 2 mailboxes unsettled: /);
      for (const address of addresses) expect(run.error).toContain(address);
      const failed = await runMailboxes(app, taskId, runId, 'failed');
      expect(failed.map((f) => f.mailboxId).sort()).toEqual([...lost].sort());
      for (const item of failed) expect(item.error).toBe('Not processed within the run timeout of 1 minutes');
      // Settled by the app's clock (75 s ahead here), not the system clock.
      for (const item of failed)
        expect(Date.parse((item as unknown as { settledAt: string }).settledAt)).toBeGreaterThan(Date.now() + 60_000);
      expect(await runMailboxes(app, taskId, runId, 'pending')).toEqual([]);
    } finally {
      clock.restore();
    }
    expect(await runNow(app, taskId)).toMatchObject({ status: 'succeeded', mailboxesDone: 3 });
  });

  it('fails a run whose target was never expanded', async () => {
    const taskId = await createTaskFor(app, 'Never expanded', {
      kind: 'mailboxes',
      mailboxes: [app.sim.tenant.demo.alexId],
    });
    const tap = tapQueue(app, QUEUES.expand, () => 'drop');
    let runId: string;
    try {
      runId = (await runNow(app, taskId)).runId;
    } finally {
      tap.restore();
    }
    const clock = setClock(app, new Date(Date.now() + 90_000));
    try {
      await app.host.fireTimer('finalizeRuns');
    } finally {
      clock.restore();
    }
    const run = (await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' })).json;
    expect(run).toMatchObject({
      status: 'failed',
      error: 'The target was not expanded within 1 minutes',
      mailboxesTotal: 0,
    });
    expect((await app.api('POST', `tasks/${taskId}/run`)).status).toBe(202);
    await app.settle();
  });
});
