import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectedDelegations } from '../support/expected.js';
import { createTaskFor, mailboxIdsOf, runNow, sortedEntries, storedFor } from '../support/indexes.js';

// Issue 20: a deleted task never runs again, so the finalizer's leftScope check never saw its mailboxes leave;
// they kept their synced delegations forever. The daily retention timer now removes them.

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ simulator: { mailboxes: 40 } });
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

describe('retention timer end to end (local host + tenant simulator + Azurite)', () => {
  it("removes a deleted task's synced delegations, with revoked events, except where another task covers", async () => {
    const { tenant } = app.sim;
    const since = new Date().toISOString();
    const allStaff = await createTaskFor(app, 'All staff', { kind: 'group', groupId: tenant.demo.targetGroupId });
    const sales = await createTaskFor(app, 'Sales', { kind: 'group', groupId: tenant.demo.salesGroupId });
    expect(await runNow(app, allStaff)).toMatchObject({ status: 'succeeded' });
    expect(await runNow(app, sales)).toMatchObject({ status: 'succeeded' });
    const everyone = expectedDelegations(tenant, tenant.demo.targetGroupId);
    const salesOnly = expectedDelegations(tenant, tenant.demo.salesGroupId);
    expect(sortedEntries(await storedFor(app))).toEqual(sortedEntries(everyone));
    expect(salesOnly.size).toBeGreaterThan(0);
    expect(everyone.size).toBeGreaterThan(salesOnly.size);

    expect((await app.api('DELETE', `tasks/${allStaff}`)).status).toBe(204);
    // Deleting the task alone changes nothing stored: the timer does it.
    expect(sortedEntries(await storedFor(app))).toEqual(sortedEntries(everyone));
    await app.host.fireTimer('applyRetention');

    expect(sortedEntries(await storedFor(app))).toEqual(sortedEntries(salesOnly));
    const salesMailboxes = new Set(mailboxIdsOf(tenant, tenant.demo.salesGroupId));
    const history = await app.services.repos.delegations.changes({ since, top: 1000 });
    const revoked = history.items.filter((e) => e.type === 'revoked');
    expect(revoked).toHaveLength(everyone.size - salesOnly.size);
    expect(revoked.every((e) => e.taskId === allStaff && !salesMailboxes.has(e.mailbox.id.toLowerCase()))).toBe(true);

    // A second pass finds nothing left to revoke.
    await app.host.fireTimer('applyRetention');
    const again = await app.services.repos.delegations.changes({ since, top: 1000 });
    expect(again.items.filter((e) => e.type === 'revoked')).toHaveLength(revoked.length);
  }, 180_000);
});
