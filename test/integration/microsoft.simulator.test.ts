import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  appSettingsFor,
  startSimulator,
  SIM_APP_PERMISSIONS,
  type RunningSimulator,
} from '../../dev/simulator/index.js';
import { loadConfig } from '../../shared/config.js';
import { PermanentUpstreamError, RetryableError, ThrottledError } from '../../shared/errors.js';
import {
  createHttpsFetch,
  createMicrosoftClients,
  createTrustingAgent,
  splitAccessRights,
  type MicrosoftClients,
  type MicrosoftClientsOptions,
  type TenantSettings,
} from '../../shared/adapters/microsoft/index.js';

// Over real HTTPS against the in-process simulator. Its self-signed CA is passed explicitly
// (NODE_EXTRA_CA_CERTS is read only at process start, so it cannot help inside a vitest worker).

const MAILBOXES = 1100; // more transitive members than one Graph page (999) holds
let sim: RunningSimulator;
let certDir: string;
let tenant: TenantSettings;
const opened: MicrosoftClients[] = [];

function clients(options: MicrosoftClientsOptions = {}): MicrosoftClients {
  const c = createMicrosoftClients(tenant, { ca: sim.caCertPem, ...options });
  opened.push(c);
  return c;
}

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'mps-ms-'));
  sim = await startSimulator({ mailboxes: MAILBOXES, certDir });
  const config = loadConfig({ ...appSettingsFor(sim), TABLES_CONNECTION_STRING: inject('tablesConnectionString') });
  if (!config.tenant) throw new Error('tenant config expected');
  tenant = config.tenant;
});

afterEach(() => {
  sim.setKnobs({ rateLimits: {}, faultRate: 0, latencyMs: 0, jitterMs: 0 });
  sim.tenant.setAppPermissions([...SIM_APP_PERMISSIONS], true);
  while (opened.length > 0) opened.pop()?.close();
});

afterAll(async () => {
  await sim?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

describe('Graph against the simulator', () => {
  it(
    'gets tokens from the simulator authority through @azure/identity ' + '(instance discovery off, explicit CA)',
    async () => {
      const { graph, tokens } = clients();

      const group = await graph.getGroup(sim.tenant.demo.targetGroupId);

      expect(tenant.disableInstanceDiscovery).toBe(true);
      expect(group?.id).toBe(sim.tenant.demo.targetGroupId);
      expect(tokens.graph.stats().tokensAcquired).toBe(1);
    },
  );

  it('pages transitiveMembers across pages; kinds from @odata.type', async () => {
    const { graph } = clients();

    const pages: number[] = [];
    const ids = new Set<string>();
    const kinds = new Set<string>();
    for await (const page of graph.transitiveMembers(sim.tenant.demo.targetGroupId)) {
      pages.push(page.length);
      for (const m of page) {
        ids.add(m.id);
        kinds.add(m.kind);
      }
    }

    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0]).toBe(999);
    expect(ids.size).toBe(pages.reduce((a, b) => a + b, 0));
    const mailboxUsers = [...sim.tenant.users.values()].filter((u) => u.recipientTypeDetails);
    expect(ids.size).toBeGreaterThanOrEqual(mailboxUsers.length);
    expect(kinds).toContain('user');
    expect(kinds).toContain('group');
  });

  it('lists every group of the directory', async () => {
    const { graph } = clients();

    const ids: string[] = [];
    for await (const page of graph.listGroups()) ids.push(...page.map((g) => g.id));

    const directoryGroups = [...sim.tenant.groups.values()].filter((g) => !g.isRoleGroup);
    expect(new Set(ids)).toEqual(new Set(directoryGroups.map((g) => g.id)));
  });

  it('finds groups by mail, sAMAccountName and prefix', async () => {
    const { graph } = clients();
    const demo = sim.tenant.demo;

    const [byMail, bySam, found] = await Promise.all([
      graph.findGroupsByMail(demo.salesGroupMail),
      graph.findGroupsBySamAccountName(demo.targetGroupSamAccountName),
      graph.searchGroups('Sal', 10),
    ]);

    expect(byMail.map((g) => g.id)).toEqual([demo.salesGroupId]);
    expect(bySam.map((g) => g.id)).toEqual([demo.targetGroupId]);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((g) => g.displayName?.startsWith('Sal'))).toBe(true);
    expect(await graph.findGroupsByMail("nobody' or mail ne 'x")).toEqual([]);
  });

  it("users: a UPN with ' and #, a secondary proxy address, an SMTP address that is not the UPN", async () => {
    const { graph } = clients();
    const demo = sim.tenant.demo;
    const smtpNotUpn = sim.tenant.users.get(demo.smtpNotUpnUserId);

    const quoted = await graph.getUser(demo.quoteHashUpn);
    const byProxy = await graph.findUserByMail(demo.secondaryProxyAddress);
    const byPrimary = await graph.findUserByMail(smtpNotUpn?.mail ?? '');

    expect(quoted?.id).toBe(demo.quoteHashUserId);
    expect(byProxy).toBeDefined();
    expect(byPrimary?.id).toBe(demo.smtpNotUpnUserId);
    expect(await graph.getUser(smtpNotUpn?.mail ?? '')).toBeUndefined();
    expect(await graph.getUser('00000000-0000-4000-8000-00000000dead')).toBeUndefined();
  });

  it('calendarPermissions and a typed error for a mailbox-less user', async () => {
    const { graph } = clients();

    const entries = await graph.calendarPermissions(sim.tenant.demo.alexId);
    const error = await graph.calendarPermissions(sim.tenant.demo.noMailboxUserId).catch((e: unknown) => e);

    expect(entries.some((e) => e.id === 'RGVmYXVsdA==')).toBe(true);
    expect((error as PermanentUpstreamError).code).toBe('GRAPH.NOT_FOUND');
  });

  it('$batch under a Graph rate limit: throttled sub-requests are retried until all succeed', async () => {
    const { graph, limiters } = clients({ retry: { maxAttempts: 8, maxTotalWaitMs: 20_000, baseDelayMs: 200 } });
    const users = [...sim.tenant.users.values()].filter((u) => u.recipientTypeDetails).slice(0, 20);
    sim.setKnobs({ rateLimits: { graph: 8 } });
    sim.resetStats();

    const results = await graph.batch(users.map((u) => ({ url: `/users/${u.id}?$select=id,mail` })));

    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => (r.ok ? (r.value.body as { id: string }).id : ''))).toEqual(users.map((u) => u.id));
    expect(limiters.graph.stats().throttled).toBeGreaterThan(0);
  });

  it('403 names the missing permission; after a re-grant the call works again without restart', async () => {
    const { graph, tokens } = clients({ tokens: { forbiddenRefreshIntervalMs: 0 } });
    sim.tenant.setAppPermissions(
      SIM_APP_PERMISSIONS.filter((p) => !p.startsWith('Calendars.')),
      true,
    );

    const error = await graph.calendarPermissions(sim.tenant.demo.alexId).catch((e: unknown) => e);
    sim.tenant.setAppPermissions([...SIM_APP_PERMISSIONS], true);
    const entries = await graph.calendarPermissions(sim.tenant.demo.alexId);

    expect((error as PermanentUpstreamError).code).toBe('GRAPH.FORBIDDEN');
    expect((error as Error).message).toContain('grant the application permission Calendars.Read');
    expect(entries.length).toBeGreaterThan(0);
    expect(tokens.graph.stats().forcedRefreshes).toBeGreaterThanOrEqual(1);
  });
});

describe('Exchange against the simulator', () => {
  it('Get-MailboxPermission: comma-joined rights, SELF and inherited denies', async () => {
    const { exchange } = clients();
    const alex = sim.tenant.users.get(sim.tenant.demo.alexId);

    const rows = await exchange.getMailboxPermission(alex?.userPrincipalName ?? '');

    const self = rows.find((r) => r.User === 'NT AUTHORITY\\SELF');
    expect(self?.AccessRights.some((a) => a.includes(','))).toBe(true);
    expect(splitAccessRights(self?.AccessRights ?? [])).toEqual(
      expect.arrayContaining(['FullAccess', 'ReadPermission']),
    );
    expect(rows.some((r) => r.IsInherited && r.Deny)).toBe(true);
  });

  it('not-found: the real text from innererror, EXCHANGE.NOT_FOUND', async () => {
    const { exchange } = clients();

    const error = await exchange.getMailboxPermission('ghost@contoso.com').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentUpstreamError);
    expect((error as PermanentUpstreamError).code).toBe('EXCHANGE.NOT_FOUND');
    expect((error as Error).message).toContain("couldn't be found");
    expect((error as Error).message).not.toContain('Invalid Operation');
  });

  it('Get-Mailbox ResultSize Unlimited pages with a small page size and $select', async () => {
    const { exchange } = clients({ exchangePageSize: 150 });

    const pages: number[] = [];
    const ids = new Set<string>();
    for await (const page of exchange.listMailboxes([
      'ExternalDirectoryObjectId',
      'RecipientTypeDetails',
      'GrantSendOnBehalfTo',
    ])) {
      pages.push(page.length);
      for (const row of page) ids.add(row.ExternalDirectoryObjectId ?? '');
    }

    const expected = [...sim.tenant.users.values()].filter((u) => u.recipientTypeDetails).length;
    expect(pages.length).toBe(Math.ceil(expected / 150));
    expect(pages.slice(0, -1).every((n) => n === 150)).toBe(true);
    expect(ids.size).toBe(expected);
  });

  it('tenant-wide SendAs pages and Get-Recipient with a shared Name gives two rows', async () => {
    const { exchange } = clients();
    const [timA] = sim.tenant.demo.timMcMichaelIds;
    const name = sim.tenant.users.get(timA)?.displayName ?? '';

    let sendAs = 0;
    for await (const page of exchange.getRecipientPermissionsTenantWide()) sendAs += page.length;
    const recipients = await exchange.getRecipient(name);

    expect(sendAs).toBeGreaterThan(0);
    expect(recipients).toHaveLength(2);
  });

  it('$batch: one missing mailbox among good ones fails alone', async () => {
    const { exchange } = clients();
    const upns = [sim.tenant.demo.alexId, sim.tenant.demo.meganId].map(
      (id) => sim.tenant.users.get(id)?.userPrincipalName ?? '',
    );

    const results = await exchange.batch([
      { cmdlet: 'Get-MailboxPermission', parameters: { Identity: upns[0] ?? '' } },
      { cmdlet: 'Get-MailboxPermission', parameters: { Identity: 'ghost@contoso.com' } },
      { cmdlet: 'Get-MailboxPermission', parameters: { Identity: upns[1] ?? '' } },
    ]);

    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1] as { ok: false; error: PermanentUpstreamError };
    expect(failed.error.code).toBe('EXCHANGE.NOT_FOUND');
    expect(failed.error.message).toContain('ghost@contoso.com');
    expect(results[0]?.ok && results[0].value.rows.length).toBeGreaterThan(0);
  });

  it('429s with and without Retry-After: the limiter backs off and every call completes', async () => {
    // The simulator's Exchange slows answers down before it answers 429 (docs/wire.md), and the default limiter
    // keeps clear of that: send all 40 at once, concurrency-limited only, to meet 429s.
    const { exchange, limiters } = clients({
      retry: { maxAttempts: 10, maxTotalWaitMs: 25_000, baseDelayMs: 200 },
      limiters: { exchange: { adaptiveRate: undefined, initialConcurrency: 40, maxConcurrency: 40 } },
    });
    const upns = [...sim.tenant.users.values()]
      .filter((u) => u.recipientTypeDetails)
      .slice(0, 40)
      .map((u) => u.userPrincipalName);
    sim.setKnobs({ rateLimits: { exchange: 10 } });
    sim.resetStats();

    const results = await Promise.all(upns.map((upn) => exchange.getMailboxPermission(upn)));

    expect(results).toHaveLength(40);
    expect(results.every((rows) => rows.length > 0)).toBe(true);
    const stats = limiters.exchange.stats();
    expect(stats.throttled).toBeGreaterThan(0);
    expect(stats.limit).toBeLessThanOrEqual(20); // halved at least once from 40
    expect(stats.inFlight).toBe(0);
  });

  it('a 503 storm that ends: the call eventually succeeds', async () => {
    const { exchange } = clients({ retry: { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 400 } });
    sim.setKnobs({ faultRate: 1 });
    setTimeout(() => sim.setKnobs({ faultRate: 0 }), 400);

    const rows = await exchange.getRecipientPermission(
      sim.tenant.users.get(sim.tenant.demo.alexId)?.userPrincipalName ?? '',
    );

    expect(rows.length).toBeGreaterThan(0);
  });

  it('faults that never stop surface as RetryableError: 503, dropped connection, malformed JSON', async () => {
    const { exchange } = clients({ retry: { maxAttempts: 1 } });
    sim.setKnobs({ faultRate: 1 });

    const codes = new Set<string>();
    for (let i = 0; i < 40 && codes.size < 3; i += 1) {
      const error = await exchange.getRecipient('x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableError);
      expect(error).not.toBeInstanceOf(ThrottledError);
      codes.add((error as RetryableError).code);
    }

    // The simulator's 503 carries a transient exception type, which classifies as TRANSIENT.
    expect(codes).toContain('EXCHANGE.MALFORMED_RESPONSE');
    expect(codes).toContain('EXCHANGE.NETWORK');
    expect([...codes].some((c) => c === 'EXCHANGE.UNAVAILABLE' || c === 'EXCHANGE.TRANSIENT')).toBe(true);
  });

  it('403 without an Exchange role: the fix is in the message (JSON and non-JSON bodies)', async () => {
    const { exchange } = clients({ tokens: { forbiddenRefreshIntervalMs: 0 } });
    sim.tenant.setAppPermissions([...SIM_APP_PERMISSIONS], false);

    const errors = [
      await exchange.getRecipient('x').catch((e: unknown) => e),
      await exchange.getRecipient('x').catch((e: unknown) => e),
    ];

    for (const error of errors) {
      expect((error as PermanentUpstreamError).code).toBe('EXCHANGE.FORBIDDEN');
      expect((error as Error).message).toMatch(/Exchange\.ManageAsApp.* plus an Exchange role.*View-Only Recipients/);
    }
  });
});

describe('tokens', () => {
  it('a token for the wrong audience is refused (Graph token at Exchange → 401)', async () => {
    const transport = createHttpsFetch({ ca: sim.caCertPem });
    const { tokens } = clients();
    const graphToken = await tokens.graph.getToken();

    const response = await transport.fetch(`${sim.exchangeBaseUrl}/adminapi/beta/${sim.tenantId}/InvokeCommand`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${graphToken}`,
        'Content-Type': 'application/json',
        'X-AnchorMailbox': `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${sim.tenantId}`,
      },
      body: JSON.stringify({ CmdletInput: { CmdletName: 'Get-Recipient', Parameters: { Identity: 'x' } } }),
    });
    transport.close();

    expect(response.status).toBe(401);
  });

  it('a refused token (401) is dropped: one fresh credential, one retry, success', async () => {
    // The first credential hands out a Graph token for every scope, as a stale or wrong cache would.
    const agent = createTrustingAgent(sim.caCertPem);
    const real = () =>
      new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
        authorityHost: sim.authorityHost,
        disableInstanceDiscovery: true,
        agent,
      });
    let created = 0;
    const { exchange, tokens } = clients({
      createCredential: () => {
        created += 1;
        if (created > 2) return real();
        const inner = real();
        return { getToken: () => inner.getToken('https://graph.microsoft.com/.default') };
      },
    });
    sim.resetStats();

    const rows = await exchange.getRecipient(sim.tenant.users.get(sim.tenant.demo.alexId)?.userPrincipalName ?? '');

    expect(rows).toHaveLength(1);
    expect(sim.stats().unauthorized).toBe(1);
    expect(tokens.exchange.stats()).toMatchObject({ forcedRefreshes: 1, tokensAcquired: 2 });
    agent.destroy();
  });
});
