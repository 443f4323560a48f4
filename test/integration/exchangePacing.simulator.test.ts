import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appSettingsFor, startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { loadConfig } from '../../shared/config.js';
import {
  createHttpsFetch,
  createMicrosoftClients,
  type FetchLike,
  type TenantSettings,
} from '../../shared/adapters/microsoft/index.js';

// Issue 18 item 9: Exchange throttles by answering slower before it answers 429 (docs/wire.md, "Exchange
// pacing"). The real ExchangeClient and its limiter, from a cold start, over HTTPS against the simulator,
// whose Exchange budget answers slower past BUDGET/s and 429s only past two seconds of delay.
// Sized to stay well under a minute on a loaded two-core machine: the floor is CALLS / BUDGET = 12 s.

const BUDGET = 25;
const CALLS = 300;

let sim: RunningSimulator;
let certDir: string;
let tenant: TenantSettings;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'mps-pacing-'));
  sim = await startSimulator({ mailboxes: CALLS, certDir, rateLimits: { exchange: BUDGET } });
  const config = loadConfig({ ...appSettingsFor(sim), TABLES_CONNECTION_STRING: inject('tablesConnectionString') });
  if (!config.tenant) throw new Error('tenant config expected');
  tenant = config.tenant;
});

afterAll(async () => {
  await sim?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

describe('Exchange pacing against the simulator', () => {
  it(`from a cold start converges near a budget of ${BUDGET}/s: no timeouts, few 429s, no collapse`, async () => {
    const transport = createHttpsFetch({ ca: sim.caCertPem, timeoutMs: 10_000 });
    let unanswered = 0;
    const answeredAfterMs: number[] = [];
    const fetch: FetchLike = async (url, init) => {
      const sentAt = performance.now();
      try {
        return await transport.fetch(url, init);
      } catch (error) {
        unanswered += 1;
        throw error;
      } finally {
        answeredAfterMs.push(performance.now() - sentAt);
      }
    };
    const clients = createMicrosoftClients(tenant, { ca: sim.caCertPem, fetch });
    const mailboxes = sim.tenant.mailboxIds().slice(0, CALLS);
    expect(mailboxes).toHaveLength(CALLS);
    sim.resetStats();

    const startedAt = performance.now();
    const finished: number[] = [];
    try {
      await Promise.all(
        mailboxes.map(async (id) => {
          await clients.exchange.getMailboxPermission(id);
          finished.push(performance.now());
        }),
      );
    } finally {
      clients.close();
      transport.close();
    }

    const seconds = (performance.now() - startedAt) / 1000;
    const late = finished.slice(CALLS / 2);
    const lateRate = (late.length - 1) / (((late.at(-1) ?? 0) - (late[0] ?? 0)) / 1000);
    const stats = sim.stats();
    const limiter = clients.limiters.exchange.stats();
    // The service's queue stays short: answers come back long before the 2 s of delay at which it would 429.
    // (The earlier limiter, which heard only 429s, met no 429 here either, but a median answer of ~0.6 s:
    // its window of requests in flight filled the queue. This one's median was ~40 ms.)
    const medianAnswerMs = [...answeredAfterMs].sort((a, b) => a - b)[Math.floor(answeredAfterMs.length / 2)] ?? 0;
    const report = { seconds, lateRate, medianAnswerMs, throttled: stats.throttled.exchange, limiter };

    expect(unanswered, JSON.stringify(report)).toBe(0);
    expect(stats.throttled.exchange, JSON.stringify(report)).toBeLessThan(CALLS * 0.02);
    // The simulator holds throughput to the budget; the limiter must get near it and stay there.
    expect(lateRate, JSON.stringify(report)).toBeGreaterThan(BUDGET * 0.7);
    expect(limiter.ratePerSecond ?? 0, JSON.stringify(report)).toBeGreaterThan(BUDGET * 0.5);
    expect(seconds, JSON.stringify(report)).toBeLessThan(CALLS / BUDGET + 15);
    expect(medianAnswerMs, JSON.stringify(report)).toBeLessThan(250);
  }, 60_000);
});
