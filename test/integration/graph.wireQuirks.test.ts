import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { appSettingsFor, startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { loadConfig } from '../../shared/config.js';
import { PermanentUpstreamError } from '../../shared/errors.js';
import { commonNameOf } from '../../shared/usecases/expandTarget.js';
import {
  createMicrosoftClients,
  type MicrosoftClients,
  type TenantSettings,
} from '../../shared/adapters/microsoft/index.js';

// The real GraphClient over HTTPS against the simulator, for two things Graph does that a naive client trips on
// (docs/wire.md): advanced queries, and calendars outside the app's access scope.

let sim: RunningSimulator;
let certDir: string;
let tenant: TenantSettings;
const opened: MicrosoftClients[] = [];

function graph(): MicrosoftClients['graph'] {
  const clients = createMicrosoftClients(tenant, { ca: sim.caCertPem });
  opened.push(clients);
  return clients.graph;
}

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'mps-graph-'));
  sim = await startSimulator({ mailboxes: 60, certDir });
  const config = loadConfig({ ...appSettingsFor(sim), TABLES_CONNECTION_STRING: inject('tablesConnectionString') });
  if (!config.tenant) throw new Error('tenant config expected');
  tenant = config.tenant;
});

afterEach(() => {
  while (opened.length > 0) opened.pop()?.close();
});

afterAll(async () => {
  await sim?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

describe('advanced queries (Graph answers 400 Request_UnsupportedQuery without them)', () => {
  it('resolves a DN target by its CN against onPremisesSamAccountName', async () => {
    const { targetGroupDn, targetGroupId } = sim.tenant.demo;

    const groups = await graph().findGroupsBySamAccountName(commonNameOf(targetGroupDn));

    expect(groups.map((g) => g.id)).toEqual([targetGroupId]);
  });

  it('pages an advanced query with @odata.nextLink (the header goes with every page)', async () => {
    const added = Array.from({ length: 130 }, (_, i) =>
      sim.tenant.addGroup({
        displayName: `Paged ${i}`,
        onPremisesSamAccountName: 'PagedSam',
        onPremisesSyncEnabled: true,
      }),
    );
    sim.resetStats();
    try {
      const groups = await graph().findGroupsBySamAccountName('PagedSam');

      expect(new Set(groups.map((g) => g.id))).toEqual(new Set(added.map((g) => g.id)));
      expect(sim.stats().graphEndpoints['GET /groups']).toBe(2); // Graph's default page is 100
    } finally {
      for (const g of added) sim.tenant.groups.delete(g.id);
      sim.tenant.touch();
    }
  });

  it('the other lookups need no advanced query and still work', async () => {
    const { salesGroupMail, salesGroupId, secondaryProxyAddress, alexId, targetGroupId } = sim.tenant.demo;
    const client = graph();

    expect((await client.findGroupsByMail(salesGroupMail)).map((g) => g.id)).toEqual([salesGroupId]);
    expect((await client.findGroupsByDisplayName('All Staff')).map((g) => g.id)).toEqual([targetGroupId]);
    expect((await client.searchGroups('Sales', 5)).length).toBeGreaterThan(0);
    expect((await client.findUserByMail(secondaryProxyAddress))?.id).toBe(alexId);
  });
});

describe('calendars outside the app access scope', () => {
  const failure = async (mailboxId: string): Promise<PermanentUpstreamError> => {
    const error = await graph()
      .calendarPermissions(mailboxId)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentUpstreamError);
    return error as PermanentUpstreamError;
  };

  it('403 ErrorAccessDenied → GRAPH.FORBIDDEN carrying the Graph code and its sentence', async () => {
    const error = await failure(sim.tenant.demo.calendarDeniedMailboxId);

    expect(error.code).toBe('GRAPH.FORBIDDEN');
    expect(error.message).toContain('ErrorAccessDenied');
    expect(error.message).toContain('Access is denied. Check credentials and try again.');
  });

  it('404 MailboxNotEnabledForRESTAPI → GRAPH.NOT_FOUND carrying the Graph code', async () => {
    const { gradyId } = sim.tenant.demo;
    sim.tenant.setCalendarAccess(gradyId, 'restNotEnabled');
    try {
      const error = await failure(gradyId);

      expect(error.code).toBe('GRAPH.NOT_FOUND');
      expect(error.message).toContain('MailboxNotEnabledForRESTAPI');
    } finally {
      sim.tenant.setCalendarAccess(gradyId, null);
    }
    expect(await graph().calendarPermissions(gradyId)).toBeInstanceOf(Array);
  });
});
