import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { answersLegacyErrors, flagForm } from '../../dev/simulator/exchange.js';
import { appSettingsFor, startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { loadConfig } from '../../shared/config.js';
import { PermanentUpstreamError } from '../../shared/errors.js';
import {
  createMicrosoftClients,
  type MicrosoftClients,
  type TenantSettings,
} from '../../shared/adapters/microsoft/index.js';

// The real ExchangeClient over HTTPS against the in-process simulator (its CA passed explicitly, as in
// microsoft.simulator.test.ts): wire quirks of docs/wire.md, Exchange section.

let sim: RunningSimulator;
let certDir: string;
let tenant: TenantSettings;
const opened: MicrosoftClients[] = [];

function exchange(): MicrosoftClients['exchange'] {
  const c = createMicrosoftClients(tenant, { ca: sim.caCertPem });
  opened.push(c);
  return c.exchange;
}

const upn = (id: string): string => sim.tenant.users.get(id)?.userPrincipalName ?? '';
const mail = (id: string): string => sim.tenant.users.get(id)?.mail ?? '';

/** A made-up identity whose errors come back in the wanted form. */
function ghostAnswering(form: 'today' | 'legacy'): string {
  for (let i = 0; ; i++) {
    const identity = `nobody${i}@contoso.com`;
    if (answersLegacyErrors(identity) === (form === 'legacy')) return identity;
  }
}

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'mps-exo-'));
  sim = await startSimulator({ mailboxes: 60, certDir });
  const config = loadConfig({ ...appSettingsFor(sim), TABLES_CONNECTION_STRING: inject('tablesConnectionString') });
  if (!config.tenant) throw new Error('tenant config expected');
  tenant = config.tenant;
});

afterEach(() => {
  sim.setKnobs({ warningsOnly: {} });
  while (opened.length > 0) opened.pop()?.close();
});

afterAll(async () => {
  await sim?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

describe('getMailboxes', () => {
  it('answers in input order across $batches of 10: a row per mailbox, undefined for users without one', async () => {
    const { demo } = sim.tenant;
    const mailboxes = sim.tenant.mailboxIds().slice(0, 8);
    const identities = [
      upn(demo.alexId),
      demo.guestUserId,
      mail(demo.mailUserId),
      ...mailboxes,
      upn(demo.onPremMailboxUserId),
      demo.sharedMailboxId,
      ghostAnswering('today'),
      ghostAnswering('legacy'),
      demo.noMailboxUserId,
    ];
    sim.resetStats();

    const found = await exchange().getMailboxes(identities);

    expect(found.map((row) => row?.ExternalDirectoryObjectId)).toEqual([
      demo.alexId,
      undefined,
      undefined,
      ...mailboxes,
      undefined,
      demo.sharedMailboxId,
      undefined,
      undefined,
      undefined,
    ]);
    expect(found[identities.indexOf(demo.sharedMailboxId)]?.RecipientTypeDetails).toBe('SharedMailbox');
    expect(sim.stats().batches.exchange).toBe(2);
    expect(sim.stats().exchangeCmdlets['Get-Mailbox']).toBe(identities.length);
  });

  it('no identities, no call', async () => {
    sim.resetStats();

    expect(await exchange().getMailboxes([])).toEqual([]);
    expect(sim.stats().requests.exchange).toBe(0);
  });

  it('a failure other than not-found is thrown as its typed error', async () => {
    const error = await exchange()
      .getMailboxes([upn(sim.tenant.demo.alexId), 'Tim McMichael'])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentUpstreamError);
    expect((error as PermanentUpstreamError).code).toBe('EXCHANGE.BAD_REQUEST');
    expect((error as Error).message).toContain('ManagementObjectAmbiguousException');
  });
});

describe('anyMailbox', () => {
  it('finds one mailbox with one bounded Get-Mailbox', async () => {
    sim.resetStats();

    const mailbox = await exchange().anyMailbox();

    const first = sim.tenant.users.get(sim.tenant.mailboxIds()[0] ?? '');
    const expected = { Identity: first?.name, UserPrincipalName: first?.userPrincipalName };
    expect(mailbox).toEqual({ ...expected, PrimarySmtpAddress: first?.mail });
    expect(sim.stats().exchangeCmdlets).toEqual({ 'Get-Mailbox': 1 });
  });
});

describe('errors, warnings and row forms of the simulator through the client', () => {
  it.each(['today', 'legacy'] as const)('not-found in the %s form: NOT_FOUND with the real sentence', async (form) => {
    const ghost = ghostAnswering(form);

    const error = await exchange()
      .getRecipientPermission(ghost)
      .catch((e: unknown) => e);

    expect((error as PermanentUpstreamError).code).toBe('EXCHANGE.NOT_FOUND');
    expect((error as Error).message).toContain(`The operation couldn't be performed because object '${ghost}'`);
    expect((error as Error).message).not.toMatch(/DirectInvokeCmdletExecutionException|Error executing cmdlet/);
  });

  it('guests, mail users and on-premises mailboxes: the mailbox cmdlets say not found', async () => {
    const { demo } = sim.tenant;
    const client = exchange();
    for (const id of [demo.guestUserId, demo.mailUserId, demo.onPremMailboxUserId]) {
      expect(await client.getMailbox(id)).toBeUndefined();
      await expect(client.getMailboxPermission(upn(id))).rejects.toMatchObject({ code: 'EXCHANGE.NOT_FOUND' });
      const recipients = await client.getRecipient(mail(id));
      expect(recipients.map((r) => r.ExternalDirectoryObjectId)).toEqual([id]);
    }
  });

  it('a warnings-only answer is an empty result whose warnings reach the collector', async () => {
    const alex = upn(sim.tenant.demo.alexId);
    sim.setKnobs({ warningsOnly: { identities: [alex] } });
    const warnings: string[] = [];

    const rows = await exchange().getMailboxPermission(alex, warnings);

    expect(rows).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining(alex)]);
  });

  it('Deny / IsInherited in every form parse to the same booleans; orphaned SIDs come back', async () => {
    const client = exchange();
    const ids = sim.tenant.mailboxIds().slice(0, 12);
    expect(new Set(ids.map(flagForm)).size).toBe(3);
    for (const id of ids) {
      const rows = await client.getMailboxPermission(id);
      const explicit = sim.tenant.permissions.get(id)?.fullAccess ?? [];
      expect(rows.filter((r) => r.IsInherited && r.Deny)).toHaveLength(4);
      expect(rows.filter((r) => !r.IsInherited && r.Deny)).toHaveLength(explicit.filter((a) => a.deny).length);
      expect(rows.filter((r) => !r.IsInherited)).toHaveLength(explicit.length + 1);
    }
    const alex = await client.getMailboxPermission(upn(sim.tenant.demo.alexId));
    expect(alex.map((r) => r.User)).toContain(sim.tenant.demo.orphanedSid);
  });
});
