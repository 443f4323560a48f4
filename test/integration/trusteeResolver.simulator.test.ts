import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appSettingsFor, startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { loadConfig } from '../../shared/config.js';
import { createMicrosoftClients, type MicrosoftClients } from '../../shared/adapters/microsoft/index.js';
import { TrusteeResolver } from '../../shared/usecases/trusteeResolver.js';

// The directory snapshot must answer every trustee key exactly as the per-key Graph and Exchange lookups do,
// over the real clients and the simulator's generated tenant (its quirks included: a mail that is not the UPN,
// an address only in proxyAddresses, two recipients named alike, users without a mailbox, guests, groups).

let sim: RunningSimulator;
let certDir: string;
let clients: MicrosoftClients;
const added: string[] = [];

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'mps-resolver-'));
  // More users than one Graph page (999) holds, so the snapshot follows nextLink.
  sim = await startSimulator({ mailboxes: 1100, certDir });
  const config = loadConfig({ ...appSettingsFor(sim), TABLES_CONNECTION_STRING: inject('tablesConnectionString') });
  if (!config.tenant) throw new Error('tenant config expected');
  clients = createMicrosoftClients(config.tenant, { ca: sim.caCertPem });
  // Addresses two users hold in different roles: one's UPN is another's mail, one's mail another's secondary
  // proxy address. Graph's per-key answer is the UPN's holder, then the mail's: the snapshot must agree.
  const upnHolder = sim.tenant.addUser({
    displayName: 'Rank Upn',
    userPrincipalName: 'rank.one@contoso.com',
    mail: 'rank.upn@contoso.com',
  });
  const mailHolder = sim.tenant.addUser({ displayName: 'Rank Mail', mail: 'rank.one@contoso.com' });
  const proxyHolder = sim.tenant.addUser({
    displayName: 'Rank Proxy',
    proxyAddresses: ['SMTP:rank.proxy@contoso.com', 'smtp:rank.two@contoso.com'],
  });
  const mailTwo = sim.tenant.addUser({ displayName: 'Rank Mail Two', mail: 'rank.two@contoso.com' });
  // Two users with one mail: Graph's filter answers both, the per-key lookup takes its first.
  const sharedMail = { mail: 'rank.shared@contoso.com', proxyAddresses: ['SMTP:rank.shared@contoso.com'] };
  const shareOne = sim.tenant.addUser({ displayName: 'Rank Shared One', ...sharedMail });
  const shareTwo = sim.tenant.addUser({ displayName: 'Rank Shared Two', ...sharedMail });
  added.push(upnHolder.id, mailHolder.id, proxyHolder.id, mailTwo.id, shareOne.id, shareTwo.id);
});

afterAll(async () => {
  clients?.close();
  await sim?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

/** Every form a trustee key takes for the tenant's users and groups, and keys nobody holds. */
function trusteeKeys(): string[] {
  const keys = new Set<string>();
  // The demo's users hold the quirks; every 40th generated user stands for the rest (a per-key lookup is slow).
  const demo = new Set(
    Object.values(sim.tenant.demo)
      .flat()
      .filter((v): v is string => typeof v === 'string'),
  );
  const sample = [...sim.tenant.users.values()].filter(
    (u, i) => demo.has(u.id) || added.includes(u.id) || i % 40 === 0,
  );
  for (const u of sample) {
    keys.add(u.userPrincipalName);
    keys.add(u.id);
    keys.add(u.name);
    if (u.mail) keys.add(u.mail.toUpperCase());
    for (const p of u.proxyAddresses) if (p.toLowerCase().startsWith('smtp:')) keys.add(p.slice(5));
  }
  for (const g of sim.tenant.groups.values()) {
    keys.add(g.id);
    keys.add(g.name);
  }
  keys.add('nobody@contoso.com');
  keys.add('0a1b2c3d-0000-4000-8000-00000000ffff');
  return [...keys];
}

describe('TrusteeResolver with a directory snapshot', () => {
  it('resolves every key form as the per-key lookups do', async () => {
    const keys = trusteeKeys();
    const users = sim.tenant.users.size;
    expect(users).toBeGreaterThan(999);

    sim.resetStats();
    const perKey = await new TrusteeResolver(clients.graph, clients.exchange).resolveAll(keys);

    sim.resetStats();
    const withSnapshot = new TrusteeResolver(clients.graph, clients.exchange);
    withSnapshot.useDirectorySnapshot();
    const fromSnapshot = await withSnapshot.resolveAll(keys);

    expect(fromSnapshot).toEqual(perKey);
    expect(sim.stats().graphEndpoints['GET /users']).toBeGreaterThanOrEqual(Math.ceil(users / 999));
    // The fixture holds the cases the snapshot must not guess or miss.
    const resolvedKinds = new Set([...perKey.values()].map((t) => (t.kind === 'unresolved' ? t.reason : t.kind)));
    expect(resolvedKinds).toEqual(new Set(['user', 'group', 'ambiguous', 'notFound', 'notAUserOrGroup']));
  }, 120_000);

  it('a listing that fails part-way is never used in part: the lookup fails, the next lists again', async () => {
    const config = loadConfig({ ...appSettingsFor(sim), TABLES_CONNECTION_STRING: inject('tablesConnectionString') });
    if (!config.tenant) throw new Error('tenant config expected');
    const fast = createMicrosoftClients(config.tenant, {
      ca: sim.caCertPem,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxTotalWaitMs: 100 },
    });
    try {
      const resolver = new TrusteeResolver(fast.graph, fast.exchange);
      resolver.useDirectorySnapshot();
      const last = [...sim.tenant.users.values()].at(-1);
      if (!last) throw new Error('users expected');
      await fast.graph.acquireToken();
      // The first page answers; every later request fails (503, dropped connections, truncated JSON).
      let pages = 0;
      const listing = fast.graph.listUsers.bind(fast.graph);
      fast.graph.listUsers = async function* () {
        for await (const page of listing()) {
          yield page;
          if (++pages === 1) sim.setKnobs({ faultRate: 1 });
        }
      };
      await expect(resolver.resolveAll([last.userPrincipalName])).rejects.toThrow();
      sim.setKnobs({ faultRate: 0 });
      sim.resetStats();

      const resolved = await resolver.resolveAll([last.userPrincipalName]);

      expect(resolved.get(last.userPrincipalName)).toMatchObject({ kind: 'user', id: last.id });
      // Answered from a whole new listing, not from what the failed one had read.
      expect(sim.stats().graphEndpoints).toEqual({ 'GET /users': Math.ceil(sim.tenant.users.size / 999) });
    } finally {
      sim.setKnobs({ faultRate: 0 });
      fast.close();
    }
  }, 60_000);

  it('lists the directory once per run however many ask at once, for the key forms trustees take', async () => {
    const resolver = new TrusteeResolver(clients.graph, clients.exchange);
    resolver.useDirectorySnapshot();
    // Exchange names a user trustee by UPN (FullAccess, SendAs) or object id (SendOnBehalf, once expansion mapped
    // its Name); Graph's calendar names the delegate's mail.
    const users = [...sim.tenant.users.values()].filter((u) => u.mail !== null).slice(0, 200);
    const keys = users.flatMap((u) => [u.userPrincipalName, u.id, u.mail as string]);

    sim.resetStats();
    await Promise.all(keys.map((key) => resolver.resolveAll([key])));

    const listed = sim.stats().graphEndpoints['GET /users'] ?? 0;
    expect(listed).toBe(Math.ceil(sim.tenant.users.size / 999));
    expect(sim.stats().graphEndpoints).toEqual({ 'GET /users': listed });
  }, 60_000);
});
