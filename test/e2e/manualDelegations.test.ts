import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

// DESIGN §8.2: a manual delegation may name any user and mailbox of the tenant, synced or not. No sync runs here:
// the store's directory starts empty, so every name below must be resolved through Graph (the simulator).

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ simulator: { mailboxes: 40 } });
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

type Item = { mailbox: { id: string; address: string }; rights: Array<{ right: string; source: string }> };
type Delegate = { delegate: { id: string; upn: string }; rights: Array<{ right: string; source: string }> };

const userOf = (id: string) => {
  const user = app.sim.tenant.users.get(id);
  if (!user) throw new Error(`no demo user ${id}`);
  return user;
};
const add = (user: string, mailbox: string, rights: string[]) =>
  app.api('POST', `users/${encodeURIComponent(user)}/delegate-mailboxes`, { body: { mailbox, rights } });

describe('manual delegations for users and mailboxes the store has never seen', () => {
  it('resolves the user by UPN and the mailbox by an SMTP address that is not its UPN, and records both', async () => {
    const megan = userOf(app.sim.tenant.demo.meganId);
    const jordan = userOf(app.sim.tenant.demo.smtpNotUpnUserId);
    expect(jordan.mail).not.toBe(jordan.userPrincipalName);
    const before = await app.api('GET', `users/${encodeURIComponent(megan.userPrincipalName)}/delegate-mailboxes`);
    expect(before.status).toBe(404); // never synced: the store does not know her

    const added = await add(megan.userPrincipalName, jordan.mail!, ['FullAccess', 'SendAs']);

    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ mailbox: { id: jordan.id, address: jordan.mail } });
    const rights = (added.json as Item).rights.map((r) => `${r.right}:${r.source}`);
    expect(rights).toEqual(['FullAccess:Manual', 'SendAs:Manual']);
    const mine = await app.api('GET', `users/${megan.id}/delegate-mailboxes`, { role: 'Reader' });
    expect((mine.json as { items: Item[] }).items.map((i) => i.mailbox.id)).toEqual([jordan.id]);
    const delegates = await app.api('GET', `mailboxes/${encodeURIComponent(jordan.mail!)}/delegates`, {
      role: 'Reader',
    });
    expect((delegates.json as { items: Delegate[] }).items.map((i) => i.delegate)).toEqual([
      expect.objectContaining({ id: megan.id, upn: megan.userPrincipalName }),
    ]);
    expect(await app.services.repos.directory.find(jordan.mail!)).toMatchObject({ id: jordan.id, hasMailbox: true });
  });

  it('takes an object id for the user and a secondary proxy address for the mailbox', async () => {
    const { diegoId, alexId, secondaryProxyAddress } = app.sim.tenant.demo;

    const added = await add(diegoId, secondaryProxyAddress, ['SendOnBehalf']);

    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({
      mailbox: { id: alexId },
      rights: [{ right: 'SendOnBehalf', source: 'Manual' }],
    });
  });

  it('a user the store knows only as a delegate can still be named as a mailbox', async () => {
    const { meganId, gradyId } = app.sim.tenant.demo;
    const megan = userOf(meganId);
    expect((await app.services.repos.directory.find(meganId))?.hasMailbox).toBe(false); // recorded as a delegate above

    const added = await add(gradyId, megan.mail!, ['FullAccess']);

    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ mailbox: { id: meganId } });
  });

  it('404 when the tenant has no such user or mailbox; 400 when the mailbox is a user without mail', async () => {
    const { alexId, noMailboxUserId } = app.sim.tenant.demo;
    const alex = userOf(alexId);

    const noUser = await add('nobody.here@contoso.com', alex.mail!, ['FullAccess']);
    const noMailbox = await add(alex.userPrincipalName, 'ghost@contoso.com', ['FullAccess']);
    const noObject = await add('00000000-0000-4000-8000-00000000dead', alex.mail!, ['FullAccess']);
    const notAMailbox = await add(alex.userPrincipalName, noMailboxUserId, ['FullAccess']);

    expect([noUser.status, noMailbox.status, noObject.status]).toEqual([404, 404, 404]);
    const { detail } = noMailbox.json as { detail: string };
    expect(detail).toContain("No mailbox 'ghost@contoso.com' exists in the tenant");
    expect(notAMailbox.status).toBe(400);
    expect(await app.services.repos.directory.find('ghost@contoso.com')).toBeUndefined();
  });
});
