import { describe, expect, it } from 'vitest';
import { changeEvent, type EffectiveDelegation, type Via } from '../../shared/domain/delegation/types.js';
import { planMailboxSync } from '../../shared/domain/delegation/plan.js';
import type { MailboxRef } from '../../shared/ports/delegations.js';
import { delegateMailboxesAt, delegatesAt } from '../../shared/usecases/pointInTime.js';
import { applyRetention } from '../../shared/usecases/retention.js';
import { freshDeps } from '../support/deps.js';
import { aDelegate, aMailbox, guid } from '../support/factories.js';

type Deps = ReturnType<typeof freshDeps>;

const finance: MailboxRef = aMailbox({ id: guid(0xf1), address: 'finance@contoso.com', displayName: 'Finance' });
const ceo: MailboxRef = aMailbox({ id: guid(0xc1), address: 'ceo@contoso.com', displayName: 'CEO' });
const lee = aDelegate({ id: guid(0x100) });
const ana = aDelegate({ id: guid(0x200), upn: 'ana@contoso.com', address: 'ana@contoso.com', displayName: 'Ana' });
const assistants: Via = { kind: 'group', id: guid(0x9a), displayName: 'Assistants' };

/** Known to the directory, as expansion and sync leave them. */
async function seedDirectory(deps: Deps): Promise<void> {
  await deps.repos.directory.upsert([
    { ...finance, upn: finance.address, hasMailbox: true },
    { ...ceo, upn: ceo.address, hasMailbox: true },
    { ...lee, hasMailbox: false },
    { ...ana, hasMailbox: false },
  ]);
}

/**
 * One sync of `mailbox` at the clock's time that observes exactly `observed` (FullAccess and SendAs read): the
 * real read-plan-apply path, so its grants write history as a run does.
 */
async function sync(deps: Deps, mailbox: MailboxRef, observed: EffectiveDelegation[], runId: string): Promise<void> {
  const at = deps.now().toISOString();
  const read = await deps.repos.delegations.readForSync(mailbox.id, `digest-${runId}`);
  const stored = read.kind === 'rows' ? { kind: 'rows' as const, rows: read.rows } : read;
  const plan = planMailboxSync(
    stored,
    {
      delegations: observed,
      observedRights: ['FullAccess', 'SendAs'],
      unresolved: [],
      orphaned: 0,
      missingKeys: [],
      missingGroups: [],
    },
    { mailbox, taskId: 'task-1', runId, at, observedBy: 'fullScan' },
  );
  await deps.repos.delegations.applySyncPlan(plan, read, `task-1_${runId}`);
  // The run's close applies the proposed revocations as the finalizer does: rows removed, `revoked` events.
  if (plan.removals.length > 0) {
    const remove = (await deps.repos.delegations.forMailbox(mailbox.id)).filter((row) =>
      plan.removals.some((p) => p.delegate.id === row.delegate.id && p.right === row.right),
    );
    const events = remove.map((d) =>
      changeEvent('revoked', mailbox, d, { runId, taskId: 'task-1', at, actor: null, observedBy: 'fullScan' }),
    );
    await deps.repos.delegations.apply(
      { mailbox, upsert: [], remove, events },
      { taskId: 'task-1', runId, at, eventScope: `task-1_${runId}_revoke` },
    );
  }
}

const fullAccess = (delegate = lee, via: Via[] = [{ kind: 'direct' }]): EffectiveDelegation => ({
  mailboxId: finance.id,
  delegate,
  right: 'FullAccess',
  via,
});

/** Which (mailbox, right) a user held at `at`, as `address:right` strings. */
async function heldBy(deps: Deps, user: string, at: string): Promise<string[]> {
  const answer = await delegateMailboxesAt(deps, user, at);
  return answer.items.flatMap((i) => i.rights.map((r) => `${i.mailbox.address}:${r.right}`));
}

describe('point-in-time lookups rebuilt from the history (Azurite)', () => {
  it('before, at and after a grant, a revoke and a re-grant; the boundary is inclusive', async () => {
    const deps = freshDeps('2026-03-01T09:00:00.000Z');
    await seedDirectory(deps);
    await sync(deps, finance, [], 'r0'); // first read: nothing granted
    deps.clock.set('2026-03-02T09:00:00.000Z');
    await sync(deps, finance, [fullAccess()], 'r1');
    deps.clock.set('2026-03-03T09:00:00.000Z');
    await sync(deps, finance, [], 'r2');
    deps.clock.set('2026-03-04T09:00:00.000Z');
    await sync(deps, finance, [fullAccess()], 'r3');
    deps.clock.set('2026-03-05T12:00:00.000Z');

    expect(await heldBy(deps, lee.upn, '2026-03-02T08:59:59.999Z')).toEqual([]);
    expect(await heldBy(deps, lee.upn, '2026-03-02T09:00:00.000Z')).toEqual(['finance@contoso.com:FullAccess']);
    expect(await heldBy(deps, lee.upn, '2026-03-03T08:59:59.999Z')).toEqual(['finance@contoso.com:FullAccess']);
    expect(await heldBy(deps, lee.upn, '2026-03-03T09:00:00.000Z')).toEqual([]);
    expect(await heldBy(deps, lee.upn, '2026-03-04T08:00:00.000Z')).toEqual([]);
    const now = await delegateMailboxesAt(deps, lee.id, '2026-03-05T00:00:00+02:00');
    expect(now.asOf).toBe('2026-03-04T22:00:00.000Z');
    expect(now.items).toEqual([
      {
        mailbox: finance,
        rights: [
          {
            right: 'FullAccess',
            source: 'MailboxPermissionSync',
            via: [{ kind: 'direct' }],
            firstSeen: '2026-03-04T09:00:00.000Z',
            grantedBy: null,
            observedBy: 'fullScan',
          },
        ],
      },
    ]);
    // The same from the mailbox's side.
    const delegates = await delegatesAt(deps, finance.address, '2026-03-02T12:00:00Z');
    expect(delegates.items.map((i) => [i.delegate.upn, i.rights.map((r) => r.firstSeen)])).toEqual([
      [lee.upn, ['2026-03-02T09:00:00.000Z']],
    ]);
    expect((await delegatesAt(deps, finance.address, '2026-03-03T12:00:00Z')).items).toEqual([]);
  });

  it('a grant through a trustee group shows its group, and only for its time', async () => {
    const deps = freshDeps('2026-03-02T09:00:00.000Z');
    await seedDirectory(deps);
    await sync(deps, finance, [fullAccess(lee), fullAccess(ana, [assistants])], 'r1');
    deps.clock.set('2026-03-03T09:00:00.000Z');
    await sync(deps, finance, [fullAccess(lee)], 'r2'); // Ana left the group
    deps.clock.set('2026-03-04T09:00:00.000Z');

    const during = await delegateMailboxesAt(deps, ana.upn, '2026-03-02T10:00:00Z');
    expect(during.items[0]?.rights).toEqual([
      {
        right: 'FullAccess',
        source: 'MailboxPermissionSync',
        via: [assistants],
        firstSeen: '2026-03-02T09:00:00.000Z',
        grantedBy: null,
        observedBy: 'fullScan',
      },
    ]);
    expect((await delegateMailboxesAt(deps, ana.upn, '2026-03-03T10:00:00Z')).items).toEqual([]);
    const onMailbox = await delegatesAt(deps, finance.id, '2026-03-02T10:00:00Z');
    expect(onMailbox.items.map((i) => i.delegate.displayName)).toEqual(['Ana', 'Lee']);
  });

  it('says from when the history is complete: the mailbox start, the newest start of any mailbox', async () => {
    const deps = freshDeps('2026-03-02T09:00:00.000Z');
    await seedDirectory(deps);
    await sync(deps, finance, [fullAccess()], 'r1');
    deps.clock.set('2026-03-10T09:00:00.000Z');
    await sync(deps, ceo, [{ ...fullAccess(ana), mailboxId: ceo.id }], 'r2');
    deps.clock.set('2026-03-11T09:00:00.000Z');

    const mailbox = await delegatesAt(deps, finance.address, '2026-03-05T00:00:00Z');
    expect(mailbox).toMatchObject({ historyCompleteFrom: '2026-03-02T09:00:00.000Z', complete: true });
    expect(await delegatesAt(deps, finance.address, '2026-03-01T00:00:00Z')).toMatchObject({
      items: [],
      complete: false,
    });
    // Any mailbox may have granted Lee something before its own history began: the CEO's started on the 10th.
    const user = await delegateMailboxesAt(deps, lee.upn, '2026-03-05T00:00:00Z');
    expect(user).toMatchObject({ historyCompleteFrom: '2026-03-10T09:00:00.000Z', complete: false });
    expect(user.items.map((i) => i.mailbox.address)).toEqual(['finance@contoso.com']);
    expect(await delegateMailboxesAt(deps, lee.upn, '2026-03-10T09:00:00Z')).toMatchObject({ complete: true });
  });

  it('after retention cut the history, an old grant still shows (from the current row) but is flagged', async () => {
    const deps = freshDeps('2025-01-10T09:00:00.000Z');
    await seedDirectory(deps);
    await sync(deps, finance, [fullAccess()], 'r1');
    deps.clock.set('2025-02-10T09:00:00.000Z');
    await sync(deps, finance, [fullAccess(), fullAccess(ana)], 'r2');
    deps.clock.set('2026-03-01T09:00:00.000Z');
    const retention = await applyRetention({
      retention: deps.repos.retention,
      repos: deps.repos,
      now: deps.now,
      historyRetentionDays: 400,
      runRetentionDays: 90,
    });
    expect(retention.historyEventsDeleted).toBe(1); // Lee's grant of 2025-01-10
    const byDelegate = deps.repos.delegations.history.byDelegate;
    let copies = 0;
    for await (const _ of byDelegate.all()) copies++;
    expect(copies).toBe(1); // Ana's copy only: retention deleted Lee's with the log's row

    const cut = '2025-01-25T09:00:00.000Z'; // 400 days before 2026-03-01T09:00Z
    const early = await delegateMailboxesAt(deps, lee.upn, '2025-01-20T00:00:00Z');
    expect(early).toMatchObject({ historyCompleteFrom: cut, complete: false });
    // The grant event is gone: what is known comes from the current row (no via: paths are not history).
    expect(early.items[0]?.rights).toEqual([
      { right: 'FullAccess', source: 'MailboxPermissionSync', firstSeen: '2025-01-10T09:00:00.000Z' },
    ]);
    const later = await delegateMailboxesAt(deps, ana.upn, '2025-03-01T00:00:00Z');
    expect(later).toMatchObject({ historyCompleteFrom: cut, complete: true });
  });

  it('refuses a future time, and answers 404 for an unknown user or mailbox', async () => {
    const deps = freshDeps('2026-03-02T09:00:00.000Z');
    await seedDirectory(deps);
    await expect(delegateMailboxesAt(deps, lee.upn, '2026-03-02T09:00:00.001Z')).rejects.toMatchObject({
      code: 'HISTORY.AT_IN_FUTURE',
      issues: [{ path: 'at', message: expect.stringContaining('2026-03-02T09:00:00.000Z') }],
    });
    await expect(delegateMailboxesAt(deps, 'nobody@contoso.com', '2026-03-01T00:00:00Z')).rejects.toMatchObject({
      code: 'USER.NOT_FOUND',
    });
    await expect(delegatesAt(deps, guid(0xdead), '2026-03-01T00:00:00Z')).rejects.toMatchObject({
      code: 'MAILBOX.NOT_FOUND',
    });
    // Known, nothing recorded yet: an empty answer that proves nothing.
    expect(await delegatesAt(deps, ceo.id, '2026-03-01T00:00:00Z')).toEqual({
      items: [],
      asOf: '2026-03-01T00:00:00.000Z',
      historyCompleteFrom: null,
      complete: false,
    });
  });
});
