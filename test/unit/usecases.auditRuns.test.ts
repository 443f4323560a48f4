import { describe, expect, it } from 'vitest';
import { auditRunId, type Run } from '../../shared/domain/task.js';
import type { AuditResyncRequest, PermissionChangeHint } from '../../shared/ports/auditFeed.js';
import { QUEUES } from '../../shared/ports/queue.js';
import { startAuditRun } from '../../shared/usecases/auditRuns.js';
import { finalizeRuns, type FinalizeDeps } from '../../shared/usecases/finalizeRuns.js';
import { MAX_AUDIT_HINTS, type MailboxMessageBody } from '../../shared/usecases/messages.js';
import { syncMailbox } from '../../shared/usecases/syncMailbox.js';
import { aDelegationRow, aMailbox, aRun, aRunItem, aTask, guid, seedRun } from '../support/factories.js';
import { memoryDeps, type MemoryDeps } from '../support/memory/deps.js';

// startAuditRun and the finalizer's handling of audit runs, on in-memory ports (docs/design.md §8.4). The same
// paths through Azurite and the simulator: test/e2e/auditRuns.test.ts.

const POLLED_AT = '2026-03-02T10:00:00.000Z';
const ADELE = aMailbox();
const BEN = aMailbox({ id: guid(2), address: 'ben@contoso.com', displayName: 'Ben' });

function hint(overrides: Partial<PermissionChangeHint> = {}): PermissionChangeHint {
  return {
    kind: 'permissionChange',
    recordId: 'rec-1',
    at: '2026-03-02T09:00:00.000Z',
    operation: 'Add-MailboxPermission',
    actor: 'admin@contoso.com',
    mailboxIdentity: ADELE.address,
    right: 'FullAccess',
    trustee: 'diego@contoso.com',
    change: 'grant',
    ...overrides,
  };
}

function request(
  mailboxes: Array<{ mailbox: typeof ADELE; hints?: PermissionChangeHint[] }>,
  overrides: Partial<AuditResyncRequest> = {},
): AuditResyncRequest {
  return {
    taskId: 'task-1',
    polledAt: POLLED_AT,
    mailboxes: mailboxes.map(({ mailbox, hints = [] }) => ({
      mailbox: {
        mailboxId: mailbox.id,
        upn: mailbox.address,
        address: mailbox.address,
        displayName: mailbox.displayName,
      },
      hints,
    })),
    ...overrides,
  };
}

const finalizer = (deps: MemoryDeps): FinalizeDeps => ({
  ...deps,
  runTimeoutMinutes: deps.settings.runTimeoutMinutes,
  revocationHoldPercent: deps.settings.revocationHoldPercent,
});

async function runOf(deps: MemoryDeps, runId: string): Promise<Run | undefined> {
  return (await deps.repos.runs.get('task-1', runId))?.value;
}

describe('startAuditRun (in memory)', () => {
  it('creates a running audit run of the mailboxes, a message each with its hints, the task untouched', async () => {
    const deps = memoryDeps();
    await deps.repos.tasks.create(aTask({ rights: ['FullAccess', 'SendAs'] }));
    const burst = Array.from({ length: MAX_AUDIT_HINTS + 5 }, (_, i) =>
      hint({ recordId: `r${i}`, at: new Date(Date.parse('2026-03-02T08:00:00Z') + i * 1000).toISOString() }),
    );

    const started = await startAuditRun(deps, request([{ mailbox: ADELE, hints: burst }, { mailbox: BEN }]));

    const runId = auditRunId(new Date(POLLED_AT));
    expect(started).toEqual({ runId });
    expect(await runOf(deps, runId)).toMatchObject({ trigger: 'auditEvent', status: 'running', mailboxesTotal: 2 });
    const task = (await deps.repos.tasks.get('task-1'))?.value;
    expect([task?.id, task?.activeRunId, task?.lastRunId]).toEqual(['task-1', undefined, undefined]);
    expect(deps.repos.runs.isIndexedActive('task-1', runId)).toBe(true);
    const sent = deps.queue.to(QUEUES.mailbox);
    expect(sent.map((m) => m.messageId)).toEqual([`task-1_${runId}_${ADELE.id}`, `task-1_${runId}_${BEN.id}`]);
    const [adele, ben] = sent.map((m) => m.body as MailboxMessageBody);
    expect(adele?.rights).toEqual(['FullAccess', 'SendAs']);
    // A burst keeps its latest hints: the message stays bounded.
    expect(adele?.audit?.hints.map((h) => h.recordId)).toEqual(
      burst
        .slice(5)
        .reverse()
        .map((h) => h.recordId),
    );
    expect(ben?.audit).toEqual({ hints: [] });
    expect(deps.queue.to(QUEUES.expand)).toEqual([]);
  });

  it('a repeated poll names the same run and re-creates nothing', async () => {
    const deps = memoryDeps();
    await deps.repos.tasks.create(aTask());
    const first = await startAuditRun(deps, request([{ mailbox: ADELE }]));
    deps.queue.clear();

    const again = await startAuditRun(deps, request([{ mailbox: ADELE }]));

    expect(again).toEqual(first);
    expect(deps.queue.sent).toEqual([]);
    expect((await deps.repos.runs.list('task-1', { top: 10 })).items).toHaveLength(1);
  });

  it.each([
    ['no mailbox', () => request([]), aTask()],
    ['a disabled task', () => request([{ mailbox: ADELE }]), aTask({ enabled: false })],
    ['a task that is gone', () => request([{ mailbox: ADELE }], { taskId: 'task-2' }), aTask()],
  ])('creates nothing for %s', async (_what, make, task) => {
    const deps = memoryDeps();
    await deps.repos.tasks.create(task);

    const outcome = await startAuditRun(deps, make());

    expect(outcome).toHaveProperty('skipped');
    expect((await deps.repos.runs.list('task-1', { top: 10 })).items).toEqual([]);
    expect(deps.queue.sent).toEqual([]);
  });

  it.each([
    ['a polledAt that is not a time', request([{ mailbox: ADELE }], { polledAt: 'yesterday' }), 'polledAt'],
    ['a mailbox id that is not an object id', request([{ mailbox: { ...ADELE, id: 'adele' } }]), 'mailboxId'],
    ['a hint without an actor', request([{ mailbox: ADELE, hints: [hint({ actor: '' })] }]), 'actor'],
  ])('refuses %s with AUDIT.INVALID_REQUEST naming it', async (_what, bad, field) => {
    const deps = memoryDeps();
    await deps.repos.tasks.create(aTask());

    await expect(startAuditRun(deps, bad)).rejects.toMatchObject({
      code: 'AUDIT.INVALID_REQUEST',
      message: expect.stringContaining(field),
    });
    expect(deps.queue.sent).toEqual([]);
  });
});

describe('the finalizer and audit runs (in memory)', () => {
  it('resumes an audit run its starter left queued: messages for its stored items, no expansion', async () => {
    const deps = memoryDeps();
    const runId = auditRunId(new Date(POLLED_AT));
    await deps.repos.tasks.create(aTask());
    await deps.repos.runs.addItems('task-1', runId, [aRunItem({}, ADELE)]);
    await deps.repos.runs.create({ ...aRun({ status: 'queued' }), runId, trigger: 'auditEvent' });
    deps.clock.advanceMinutes(3);

    await finalizeRuns(finalizer(deps));

    expect(await runOf(deps, runId)).toMatchObject({ status: 'running', mailboxesTotal: 1 });
    expect(deps.queue.to(QUEUES.expand)).toEqual([]);
    const [message] = deps.queue.to(QUEUES.mailbox);
    expect(message?.body).toMatchObject({ runId, mailbox: { id: ADELE.id }, audit: { hints: [] } });
  });

  it('another task’s audit run is not its scope: a mailbox that left this task stays covered by it', async () => {
    // Task 1 scanned Adele and Ben, now Adele only. Task 2's last full run covers Ben; its newer audit run, Adele.
    const deps = memoryDeps();
    await deps.repos.delegations.apply(
      { mailbox: BEN, upsert: [aDelegationRow({ mailbox: BEN, mailboxId: BEN.id })], remove: [], events: [] },
      { taskId: 'task-2', runId: 'r', at: '2026-03-01T11:00:00.000Z', eventScope: 'seed' },
    );
    const done = (m: typeof ADELE) => aRunItem({ status: 'done', settledAt: '2026-03-01T10:05:00.000Z' }, m);
    const previous = aRun({ status: 'succeeded', mailboxesTotal: 2, createdAt: '2026-03-01T10:00:00.000Z' });
    await seedRun(deps.repos, previous, [done(ADELE), done(BEN)]);
    const other = aTask({ id: 'task-2' });
    const otherFull = aRun({ status: 'succeeded', mailboxesTotal: 1, createdAt: '2026-03-01T11:00:00.000Z' }, other);
    await seedRun(deps.repos, otherFull, [done(BEN)], other);
    const auditAt = new Date('2026-03-02T09:00:00.000Z');
    await deps.repos.runs.create({
      ...aRun({ status: 'succeeded', mailboxesTotal: 1, createdAt: auditAt.toISOString() }, other),
      runId: auditRunId(auditAt),
      trigger: 'auditEvent',
    });
    await deps.repos.runs.addItems('task-2', auditRunId(auditAt), [done(ADELE)]);
    const current = aRun({ status: 'running', mailboxesTotal: 1, createdAt: POLLED_AT });
    await deps.repos.runs.create(current);
    await deps.repos.runs.addItems('task-1', current.runId, [aRunItem({}, ADELE)]);
    await deps.repos.runs.settleItem('task-1', current.runId, ADELE.id, { status: 'done', at: POLLED_AT });

    const report = await finalizeRuns(finalizer(deps));

    expect(report.finalized).toEqual([{ taskId: 'task-1', runId: current.runId, status: 'succeeded' }]);
    expect(report.mailboxesLeftScope).toBe(0);
    expect(await deps.repos.delegations.forMailbox(BEN.id)).toHaveLength(1);
  });

  it('a redelivery after a delivery that died mid-way writes the attributed history once, counted once', async () => {
    const deps = memoryDeps();
    await deps.repos.tasks.create(aTask());
    const adele = deps.tenant.addUser(ADELE.id, 'adele');
    const diego = deps.tenant.addUser(guid(0x44), 'diego');
    deps.tenant.grantFullAccess(adele, diego);
    const started = await startAuditRun(deps, request([{ mailbox: ADELE, hints: [hint({ trustee: diego.upn })] }]));
    const [message] = deps.queue.to(QUEUES.mailbox);
    const settle = deps.repos.runs.settleItem.bind(deps.repos.runs);
    let crashes = 1;
    deps.repos.runs.settleItem = async (...args) => {
      if (crashes-- > 0) throw new Error('host died before the settle');
      return settle(...args);
    };

    await expect(syncMailbox(deps, message?.body)).rejects.toThrow('host died');
    deps.clock.advanceMinutes(1);
    const redelivered = await syncMailbox(deps, message?.body);

    expect(redelivered).toMatchObject({ outcome: 'synced' });
    const runId = 'runId' in started ? started.runId : '';
    expect(await runOf(deps, runId)).toMatchObject({ status: 'succeeded', delegationsAdded: 1 });
    const history = await deps.repos.delegations.changes({ since: '2026-01-01T00:00:00Z', top: 10 });
    expect(history.items.map((e) => [e.type, e.delegate.id, e.actor, e.observedBy, e.runId])).toEqual([
      ['granted', diego.id, 'admin@contoso.com', 'auditEvent', runId],
    ]);
    const [row] = await deps.repos.delegations.forMailbox(ADELE.id);
    expect(row).toMatchObject({ grantedBy: 'admin@contoso.com', grantedAt: '2026-03-02T09:00:00.000Z' });
  });
});
