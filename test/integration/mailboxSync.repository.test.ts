import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DelegationTables } from '../../shared/adapters/tables/delegationTables.js';
import {
  keyOf,
  observationDigest,
  planMailboxSync,
  type DelegationEvent,
  type MailboxSyncPlan,
  type SyncContext,
} from '../../shared/domain/delegation/index.js';
import { mailboxArb, observationArb, storedRowsArb } from '../support/arbitraries.js';
import { type MailboxDelegationPort, MemoryDelegations } from '../support/memory/delegations.js';
import { freshTables } from '../support/tables.js';

const T0 = '2026-03-01T00:00:00.000Z';
const T1 = '2026-03-02T00:00:00.000Z';
const T2 = '2026-03-03T00:00:00.000Z';

const writes = (plan: MailboxSyncPlan) => ({ upserts: plan.upserts, events: plan.events });

/** What the run's close does with a mailbox's proposals when it applies them (usecases/revocationHold.ts). */
async function applyRevocations(repo: MailboxDelegationPort, plan: MailboxSyncPlan, runKey: string): Promise<void> {
  const events = plan.removals.map(
    ({ reason, ...row }): DelegationEvent => ({
      ...row,
      type: 'revoked',
      runId: plan.runId,
      taskId: plan.taskId,
      at: T1,
      observedBy: 'fullScan',
    }),
  );
  const remove = plan.removals.map(({ reason, ...row }) => row);
  await repo.apply(
    { mailbox: plan.mailbox, upsert: [], remove, events },
    { taskId: plan.taskId, runId: plan.runId, at: T1, eventScope: `${runKey}_revoke` },
  );
}

const ID = 'm-1';
const RUN_1 = 'task-1_run-1';

// One body, two implementations of the port: what holds for the tables on Azurite holds for the in-memory
// repository the use-case tests run against. Each case gets an empty repository (fresh tables on Azurite).
describe.each([
  { name: 'DelegationTables on Azurite', numRuns: 15, repository: () => new DelegationTables(freshTables()) },
  { name: 'MemoryDelegations', numRuns: 200, repository: () => new MemoryDelegations() },
])('a mailbox sync planned and applied through $name', ({ numRuns, repository }) => {
  it(
    're-plans to no writes after its plan is applied, ' + 'and to nothing at all once its run applied the removals',
    async () => {
      await fc.assert(
        fc.asyncProperty(storedRowsArb(ID), observationArb(ID), mailboxArb(ID), async (stored, observed, mailbox) => {
          // Arrange: what earlier syncs and admins stored.
          const repo: MailboxDelegationPort = repository();
          if (stored.length > 0) {
            await repo.apply(
              { mailbox, upsert: stored, remove: [], events: [] },
              { taskId: null, runId: null, at: T0, eventScope: 'seed' },
            );
          }
          const digest = observationDigest(mailbox, observed.observedRights, observed.delegations);
          const sync = (runId: string, at: string): SyncContext => ({
            mailbox,
            taskId: 'task-1',
            runId,
            at,
            observedBy: 'fullScan',
          });

          // Act: one sync, then the same observation again (a redelivery, or the next run).
          const read = await repo.readForSync(ID, digest);
          const plan = planMailboxSync(read, observed, sync('run-1', T0));
          await repo.applySyncPlan(plan, read, RUN_1);
          const again = await repo.readForSync(ID, digest);
          const replan = planMailboxSync(again, observed, sync('run-1', T1));
          const rows = await repo.forMailbox(ID);
          const fromRows = planMailboxSync({ kind: 'rows', rows }, observed, sync('run-1', T1));

          // Assert: nothing more to write; the proposals stand until the run applies them; the rest is as stored.
          // A mailbox nothing was ever written for has no sync state: its next sync reads its (no) rows again.
          const everWritten = stored.length > 0 || plan.upserts.length > 0;
          expect(again.kind).toBe(plan.removals.length === 0 && everWritten ? 'matchesDigest' : 'rows');
          for (const next of [replan, fromRows]) {
            expect(writes(next)).toEqual({ upserts: [], events: [] });
            expect(next.removals).toEqual(plan.removals);
          }
          for (const row of stored.filter((r) => r.source === 'Manual')) expect(rows).toContainEqual(row);
          for (const row of stored.filter((r) => r.source !== 'Manual' && !observed.observedRights.includes(r.right)))
            expect(rows).toContainEqual({ ...row, mailbox });

          // Act: the run closes and applies the removals; then the next sync of the same observation.
          await applyRevocations(repo, replan, RUN_1);
          const afterClose = await repo.readForSync(ID, digest);
          const closing = planMailboxSync(afterClose, observed, sync('run-2', T2));
          await repo.applySyncPlan(closing, afterClose, 'task-1_run-2');

          // Assert: nothing left to do; the synced rows of the observed rights are the observed delegations, but for
          // those only a Manual row held; the state records the observation once anything was ever written.
          expect(writes(closing)).toEqual({ upserts: [], events: [] });
          expect(closing.removals).toEqual([]);
          const manualOnly = new Set(stored.filter((r) => r.source === 'Manual').map(keyOf));
          for (const r of stored) if (r.source === 'MailboxPermissionSync') manualOnly.delete(keyOf(r));
          const final = (await repo.forMailbox(ID)).filter(
            (r) => r.source === 'MailboxPermissionSync' && observed.observedRights.includes(r.right),
          );
          expect(final.map(keyOf).sort()).toEqual(
            observed.delegations
              .map(keyOf)
              .filter((k) => !manualOnly.has(k))
              .sort(),
          );
          expect((await repo.readForSync(ID, digest)).kind).toBe(everWritten ? 'matchesDigest' : 'rows');
        }),
        { numRuns },
      );
    },
  );
});
