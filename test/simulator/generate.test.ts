import { describe, expect, it } from 'vitest';
import { generateTenant } from '../../dev/simulator/generate.js';
import { hasMailbox, type Tenant } from '../../dev/simulator/tenant.js';

const fingerprint = (t: Tenant): string =>
  JSON.stringify({
    users: [...t.users.values()],
    groups: [...t.groups.values()],
    permissions: [...t.permissions.entries()],
    demo: t.demo,
  });

describe('generateTenant', () => {
  it('is deterministic: same seed and size give identical tenants and ids', () => {
    expect(fingerprint(generateTenant({ seed: 7, mailboxes: 300 }))).toBe(
      fingerprint(generateTenant({ seed: 7, mailboxes: 300 })),
    );
  });

  it('gives different ids for another seed', () => {
    const a = generateTenant({ seed: 1, mailboxes: 50 });
    const b = generateTenant({ seed: 2, mailboxes: 50 });
    expect(a.demo.alexId).not.toBe(b.demo.alexId);
  });

  it('creates the requested number of mailboxes, all inside the target group transitively', () => {
    const t = generateTenant({ mailboxes: 500 });
    expect(t.mailboxIds()).toHaveLength(500);
    const inScope = new Set(t.transitiveMembers(t.demo.targetGroupId).map((m) => (m.type === 'user' ? m.user.id : '')));
    expect(t.mailboxIds().every((id) => inScope.has(id))).toBe(true);
  });

  it('contains the quirks the clients must handle', () => {
    const t = generateTenant({ mailboxes: 400 });
    const users = [...t.users.values()];
    const perms = [...t.permissions.values()];
    expect(users.filter((u) => u.recipientTypeDetails === 'SharedMailbox').every((u) => !u.accountEnabled)).toBe(true);
    expect(users.some((u) => hasMailbox(u) && !u.accountEnabled && u.recipientTypeDetails === 'UserMailbox')).toBe(
      true,
    );
    expect(users.some((u) => !hasMailbox(u) && u.mail === null)).toBe(true);
    expect(users.filter((u) => u.name === u.id).length).toBeGreaterThan(10);
    expect(users.some((u) => /\P{ASCII}/u.test(u.displayName))).toBe(true);
    expect(users.filter((u) => u.name === 'Tim McMichael')).toHaveLength(2);
    expect(t.users.get(t.demo.quoteHashUserId)?.userPrincipalName).toBe("o'brien#ops@contoso.com");
    const roles = new Set(perms.flatMap((p) => p.calendar.map((e) => e.role)));
    for (const role of [
      'delegateWithPrivateEventAccess',
      'delegateWithoutPrivateEventAccess',
      'read',
      'write',
      'freeBusyRead',
    ])
      expect(roles).toContain(role);
    const trustees = perms.flatMap((p) => p.fullAccess);
    expect(trustees.some((a) => a.deny && !a.isInherited)).toBe(true);
    expect(trustees.some((a) => a.trustee === 'Discovery Management')).toBe(true);
    expect(trustees.some((a) => t.objectBySid(a.trusteeSid) === undefined)).toBe(true);
    expect(trustees.some((a) => t.groups.get(t.demo.salesSharedAccessGroupId)?.sid === a.trusteeSid)).toBe(true);
    // The deny that cancels an allow through a group: Joni is in SalesSharedAccess, which holds FullAccess on Alex.
    const { mailboxId, groupId, userId } = t.demo.denyViaGroup;
    expect(t.transitiveMembers(groupId).some((m) => m.type === 'user' && m.user.id === userId)).toBe(true);
    expect(t.permissions.get(mailboxId)?.fullAccess.find((a) => a.trusteeSid === t.users.get(userId)?.sid)?.deny).toBe(
      true,
    );
  });

  it('puts users with mail but no Exchange Online mailbox in the target group; one is a trustee', () => {
    const t = generateTenant({ mailboxes: 100 });
    const { guestUserId, mailUserId, onPremMailboxUserId, targetGroupId, smtpNotUpnUserId } = t.demo;
    const inScope = new Set(t.transitiveMembers(targetGroupId).map((m) => (m.type === 'user' ? m.user.id : '')));
    const kinds = [guestUserId, mailUserId, onPremMailboxUserId].map((id) => {
      const user = t.users.get(id);
      expect(inScope.has(id)).toBe(true);
      expect(user?.mail).toBeTruthy();
      expect(user !== undefined && hasMailbox(user)).toBe(false);
      expect(t.mailboxIds()).not.toContain(id);
      return [user?.mailUser, user?.userType ?? 'Member'];
    });
    expect(kinds).toEqual([
      ['GuestMailUser', 'Guest'],
      ['MailUser', 'Member'],
      ['MailUser', 'Member'],
    ]);
    const onPremSid = t.users.get(onPremMailboxUserId)?.sid;
    expect(t.permissions.get(smtpNotUpnUserId)?.fullAccess.map((a) => a.trusteeSid)).toContain(onPremSid);
    expect(t.mailboxIds()).toHaveLength(100);
  });

  it('honours delegationsPerMailbox and groupTrusteeShare', () => {
    const count = (t: Tenant) =>
      [...t.permissions.values()].reduce(
        (n, p) => n + p.fullAccess.length + p.sendAs.length + p.sendOnBehalf.length + p.calendar.length,
        0,
      );
    expect(count(generateTenant({ mailboxes: 1000, delegationsPerMailbox: 6 }))).toBeGreaterThan(
      2 * count(generateTenant({ mailboxes: 1000, delegationsPerMailbox: 1 })),
    );
    const groupAces = (t: Tenant) =>
      [...t.permissions.values()]
        .flatMap((p) => p.fullAccess)
        .filter((a) => 'members' in (t.objectBySid(a.trusteeSid) ?? {})).length;
    expect(groupAces(generateTenant({ mailboxes: 1000, groupTrusteeShare: 0.9 }))).toBeGreaterThan(
      groupAces(generateTenant({ mailboxes: 1000, groupTrusteeShare: 0 })),
    );
  });

  it('generates 100,000 mailboxes (timing and memory printed, not asserted)', () => {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    const t = generateTenant({ mailboxes: 100_000 });
    const ms = performance.now() - start;
    globalThis.gc?.();
    const mb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    console.log(
      `100k mailboxes: ${ms.toFixed(0)} ms, ~${mb.toFixed(0)} MB heap, ${t.users.size} users, ${t.groups.size} groups`,
    );
    expect(t.mailboxIds()).toHaveLength(100_000);
    expect(
      t.transitiveMembers(t.demo.targetGroupId).filter((m) => m.type === 'user' && hasMailbox(m.user)),
    ).toHaveLength(100_000);
  });
});
