import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTaskFor, runNow, storedFor, mailboxIdsOf } from '../support/indexes.js';

// Issue 18, item 13: a UPN or SMTP address can pass to another object (a rehire, a re-created account). Lookups
// by that address must answer for the current holder, even when every mailbox is unchanged since its last sync.

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ simulator: { mailboxes: 40 } });
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

describe('an address that changes hands', () => {
  it('is repaired by the next run although every mailbox is unchanged', async () => {
    const t = app.sim.tenant;
    const taskId = await createTaskFor(app, 'All staff', { kind: 'group', groupId: t.demo.targetGroupId });
    expect(await runNow(app, taskId)).toMatchObject({ status: 'succeeded', mailboxesFailed: 0 });
    const scope = mailboxIdsOf(t, t.demo.targetGroupId);
    const stored = await storedFor(app, scope);
    // A delegate outside the task's scope: expansion does not rewrite its directory entry, only its sync can.
    const key = [...stored.keys()].find((k) => !scope.includes(k.split('|')[1]!));
    expect(key).toBeDefined();
    const [mailboxId, delegateId] = key!.split('|') as [string, string];
    const delegate = [...t.users.values()].find((u) => u.id.toLowerCase() === delegateId)!;
    const byUpn = `users/${encodeURIComponent(delegate.userPrincipalName)}/delegate-mailboxes`;
    const mailboxesOf = async () => {
      const response = await app.api('GET', byUpn, { role: 'Reader' });
      expect(response.status).toBe(200);
      return (response.json as { items: Array<{ mailbox: { id: string } }> }).items.map((i) => i.mailbox.id);
    };
    expect(await mailboxesOf()).toContain(mailboxId);

    // The store meets another object under the same UPN and address: the previous holder of the address.
    await app.services.repos.directory.upsert([
      { id: randomUUID(), upn: delegate.userPrincipalName, address: delegate.mail!, displayName: 'Former holder' },
    ]);
    expect(await mailboxesOf()).toEqual([]);

    const run = await runNow(app, taskId);
    expect(run).toMatchObject({ status: 'succeeded', delegationsAdded: 0, delegationsRemoved: 0 });
    expect(await mailboxesOf()).toContain(mailboxId);
  }, 180_000);
});
