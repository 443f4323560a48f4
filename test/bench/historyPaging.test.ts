import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { measureHistoryPaging } from '../../bench/historyPaging.js';
import type { HostSnapshot } from '../../bench/protocol.js';
import type { DelegationEvent } from '../../shared/ports/delegations.js';

let app: TestApp;

const mailbox = (n: number) => ({
  id: `00000001-0000-4000-8000-${String(n).padStart(12, '0')}`,
  address: `mbx${n}@contoso.com`,
  displayName: `Mailbox ${n}`,
});
const delegate = (n: number) => ({
  id: `00000002-0000-4000-8000-${String(n).padStart(12, '0')}`,
  upn: `user${n}@contoso.com`,
  address: `user${n}@contoso.com`,
  displayName: `User ${n}`,
});

/** The host's counters as bench/host.ts reports them (only what the paging measurement reads). */
function snapshot(): Promise<HostSnapshot> {
  const perTable: HostSnapshot['perTable'] = {};
  for (const name of ['DelegationHistory', 'DelegationHistoryByMailbox'])
    perTable[name] = { ...app.services.tables.store(name).own };
  return Promise.resolve({ perTable } as HostSnapshot);
}

async function api(method: string, route: string): Promise<Record<string, unknown>> {
  const response = await app.api(method, route, { role: 'Reader' });
  expect(response.status, response.text).toBe(200);
  return response.json as Record<string, unknown>;
}

describe('bench: entities read per history page', () => {
  beforeAll(async () => {
    app = await startTestApp();
    const at = new Date(Date.now() - 60_000).toISOString();
    for (let m = 0; m < 30; m++) {
      const events: DelegationEvent[] = Array.from({ length: 4 }, (_, d) => ({
        type: 'granted',
        mailbox: mailbox(m),
        delegate: delegate(d),
        right: 'FullAccess',
        via: [{ kind: 'direct' }],
        source: 'MailboxPermissionSync',
        runId: 'run-1',
        taskId: 'task-1',
        at,
        actor: null,
        observedBy: 'fullScan',
      }));
      await app.services.repos.delegations.apply(
        { mailbox: mailbox(m), upsert: [], remove: [], events },
        { taskId: 'task-1', runId: 'run-1', at, eventScope: 'task-1_run-1' },
      );
    }
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('pages the whole history and counts the entities each page read: the page, not the day', async () => {
    const result = await measureHistoryPaging(api, snapshot, { top: 25, maxPages: 50 });

    expect(result).toMatchObject({ top: 25, pages: 5, events: 120 });
    expect(result.entitiesPerPage).toEqual({ max: 25, mean: 24 });
  });
});
