import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

// DESIGN §8.4 (?at=) and §8.5 (footprint), end to end on the local host: task runs read the simulator's tenant,
// the tenant changes between runs, and the lookups answer for the times in between.

let app: TestApp;
let taskId: string;

type Right = { right: string; source: string; via?: Array<{ kind: string; id?: string }>; firstSeen?: string };
type MailboxItem = { mailbox: { id: string; address: string; displayName: string }; rights: Right[] };
type DelegateItem = { delegate: { id: string; upn: string }; rights: Right[] };
type AtList<T> = { items: T[]; asOf: string; historyCompleteFrom: string | null; complete: boolean };
type Footprint = {
  user: { id: string };
  canOpen: MailboxItem[];
  onOwnMailbox: DelegateItem[];
  throughGroups: Array<{
    group: { id: string; displayName: string };
    mailboxes: Array<{ mailbox: { id: string }; rights: Array<{ right: string; source: string }> }>;
  }>;
};

/** Runs the task now and waits for the run to close (every message handled, then the finalizer's tick). */
async function runTask(): Promise<void> {
  const started = await app.api('POST', `tasks/${taskId}/run`);
  expect(started.status).toBe(202);
  const runId = (started.json as { runId: string }).runId;
  await app.settle();
  const run = await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' });
  expect((run.json as { status: string }).status).toBe('succeeded');
}

/** A time strictly between two runs: the clock moved past the last write. */
async function instant(): Promise<string> {
  await new Promise((r) => setTimeout(r, 20));
  const at = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  return at;
}

const rightsOn = (items: MailboxItem[], mailboxId: string) =>
  items.find((i) => i.mailbox.id === mailboxId)?.rights.map((r) => r.right) ?? [];

describe('point-in-time lookups and a leaver’s footprint (local host, simulator)', () => {
  const times: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp();
    const { disabledMailboxUserId, sharedMailboxId, alexId } = app.sim.tenant.demo;
    const schedule = await app.api('POST', 'schedules', {
      body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
    });
    const task = await app.api('POST', 'tasks', {
      body: {
        description: 'Leaver',
        scheduleId: (schedule.json as { id: string }).id,
        target: { kind: 'mailboxes', mailboxes: [disabledMailboxUserId, sharedMailboxId, alexId] },
      },
    });
    expect(task.status).toBe(201);
    taskId = (task.json as { id: string }).id;
    await runTask();
    times.afterFirst = await instant();
    // Pat (the leaver) gets SendAs on Alex's mailbox directly, and through the SalesSharedAccess group FullAccess
    // and SendAs on the shared mailbox and FullAccess on Alex's.
    const { tenant } = app.sim;
    tenant.grantSendAs(alexId, disabledMailboxUserId);
    tenant.addMember(tenant.demo.salesSharedAccessGroupId, disabledMailboxUserId);
    await runTask();
    times.afterGrant = await instant();
    tenant.revokeSendAs(alexId, disabledMailboxUserId);
    await runTask();
    times.afterRevoke = await instant();
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('?at= answers the state before and after a grant and a revoke, for a user and for a mailbox', async () => {
    const { disabledMailboxUserId: pat, alexId, sharedMailboxId } = app.sim.tenant.demo;
    const at = (time: string) => `users/${pat}/delegate-mailboxes?at=${encodeURIComponent(time)}`;

    const before = await app.api('GET', at(times.afterFirst!), { role: 'Reader' });
    const granted = await app.api('GET', at(times.afterGrant!), { role: 'Reader' });
    const revoked = await app.api('GET', at(times.afterRevoke!), { role: 'Reader' });

    expect(before.status).toBe(200);
    expect((before.json as AtList<MailboxItem>).items).toEqual([]);
    const grantedBody = granted.json as AtList<MailboxItem>;
    expect(rightsOn(grantedBody.items, alexId)).toEqual(['FullAccess', 'SendAs']);
    expect(rightsOn(grantedBody.items, sharedMailboxId)).toEqual(['FullAccess', 'SendAs']);
    const viaGroup = grantedBody.items.find((i) => i.mailbox.id === sharedMailboxId)?.rights[0]?.via;
    expect(viaGroup).toEqual([
      expect.objectContaining({ kind: 'group', id: app.sim.tenant.demo.salesSharedAccessGroupId }),
    ]);
    const revokedBody = revoked.json as AtList<MailboxItem>;
    expect(rightsOn(revokedBody.items, alexId)).toEqual(['FullAccess']);
    expect(rightsOn(revokedBody.items, sharedMailboxId)).toEqual(['FullAccess', 'SendAs']);
    // Every mailbox of this store started its history in the first run: complete from then on.
    expect(revokedBody).toMatchObject({ asOf: times.afterRevoke, complete: true });
    expect(Date.parse(revokedBody.historyCompleteFrom!)).toBeLessThan(Date.parse(times.afterFirst!));

    const onAlex = (time: string) =>
      app.api('GET', `mailboxes/${alexId}/delegates?at=${encodeURIComponent(time)}`, { role: 'Reader' });
    const patOn = async (time: string) =>
      ((await onAlex(time)).json as AtList<DelegateItem>).items.filter((i) => i.delegate.id === pat);
    expect(await patOn(times.afterFirst!)).toEqual([]);
    expect((await patOn(times.afterGrant!)).map((i) => i.rights.map((r) => r.right))).toEqual([
      ['FullAccess', 'SendAs'],
    ]);
    expect((await patOn(times.afterRevoke!)).map((i) => i.rights.map((r) => r.right))).toEqual([['FullAccess']]);

    const csv = await app.api('GET', `${at(times.afterGrant!)}&format=csv`, { role: 'Reader' });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'mailboxId,mailboxAddress,mailboxDisplayName,right,source,via,firstSeen,grantedBy,' +
        'asOf,historyCompleteFrom,complete',
    );
    expect(lines).toHaveLength(5);
    expect(lines.slice(1).every((l) => l.endsWith(',true'))).toBe(true);
  });

  it('?at= before the history starts is answered and flagged; a future or malformed one is a 400', async () => {
    const pat = app.sim.tenant.demo.disabledMailboxUserId;
    const early = await app.api('GET', `users/${pat}/delegate-mailboxes?at=2020-01-01T00:00:00Z`, { role: 'Reader' });
    expect(early.status).toBe(200);
    expect(early.json).toMatchObject({ items: [], asOf: '2020-01-01T00:00:00.000Z', complete: false });

    const future = new Date(Date.now() + 3_600_000).toISOString();
    const ahead = await app.api('GET', `users/${pat}/delegate-mailboxes?at=${future}`, { role: 'Reader' });
    expect(ahead.status).toBe(400);
    expect(ahead.json).toMatchObject({ code: 'HISTORY.AT_IN_FUTURE', errors: [{ path: 'at' }] });
    const malformed = await app.api('GET', `mailboxes/${pat}/delegates?at=yesterday`, { role: 'Reader' });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ code: 'REQUEST.INVALID', errors: [{ path: 'at' }] });
    // /me has no ?at= (docs/api.md): named, not ignored.
    const me = await app.api('GET', 'me/delegate-mailboxes?at=2026-01-01T00:00:00Z', {
      token: await app.token('none', { oid: pat }),
    });
    expect(me.status).toBe(400);
    const unknown = await app.api('GET', 'users/nobody@contoso.com/delegate-mailboxes?at=2026-01-01T00:00:00Z', {
      role: 'Reader',
    });
    expect(unknown.status).toBe(404);
  });

  it('the footprint of a leaver matches what the lookups say, in JSON and CSV', async () => {
    const { disabledMailboxUserId: pat, salesSharedAccessGroupId } = app.sim.tenant.demo;
    const patUpn = app.sim.tenant.users.get(pat)!.userPrincipalName;

    const footprint = await app.api('GET', `users/${encodeURIComponent(patUpn)}/footprint`, { role: 'Reader' });
    const canOpen = await app.api('GET', `users/${pat}/delegate-mailboxes`, { role: 'Reader' });
    const onOwn = await app.api('GET', `mailboxes/${pat}/delegates`, { role: 'Reader' });

    expect(footprint.status).toBe(200);
    const body = footprint.json as Footprint;
    expect(body.user.id).toBe(pat);
    expect(body.canOpen).toEqual((canOpen.json as { items: MailboxItem[] }).items);
    expect(body.onOwnMailbox).toEqual((onOwn.json as { items: DelegateItem[] }).items);
    expect(body.onOwnMailbox.flatMap((i) => i.rights.map((r) => r.right)).sort()).toEqual([
      'FullAccess',
      'SendOnBehalf',
    ]);
    expect(body.canOpen.length).toBeGreaterThan(0);
    expect(body.throughGroups).toEqual([
      {
        group: expect.objectContaining({ id: salesSharedAccessGroupId }),
        mailboxes: [
          {
            mailbox: expect.objectContaining({ id: app.sim.tenant.demo.alexId }),
            rights: [{ right: 'FullAccess', source: 'MailboxPermissionSync' }],
          },
          {
            mailbox: expect.objectContaining({ id: app.sim.tenant.demo.sharedMailboxId }),
            rights: [
              { right: 'FullAccess', source: 'MailboxPermissionSync' },
              { right: 'SendAs', source: 'MailboxPermissionSync' },
            ],
          },
        ],
      },
    ]);

    const csv = await app.api('GET', `users/${pat}/footprint?format=csv`, { role: 'Reader' });
    expect(csv.status).toBe(200);
    const sections = csv.text
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    expect(sections).toEqual([
      ...body.canOpen.flatMap((i) => i.rights.map(() => 'canOpen')),
      'onOwnMailbox',
      'onOwnMailbox',
      'throughGroups',
      'throughGroups',
      'throughGroups',
    ]);
    expect((await app.api('GET', 'users/nobody@contoso.com/footprint', { role: 'Reader' })).status).toBe(404);
    expect((await app.api('GET', `users/${pat}/footprint`, { role: 'none' })).status).toBe(403);
  });
});
