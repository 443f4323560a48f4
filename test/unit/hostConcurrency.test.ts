import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hostJsonPath, serviceBusConcurrency, withoutComments } from '../../dev/host/hostJson.js';
import { startLocalHost } from '../../dev/host/localHost.js';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { buildServices, getServices, type Services } from '../../shared/composition.js';
import { loadConfig } from '../../shared/config.js';
import { registerQueue } from '../../shared/host/registry.js';
import { createLogger } from '../../shared/logging.js';
import { ConcurrencyLimit } from '../../shared/usecases/concurrencyLimit.js';
import { EXPANSIONS_PER_INSTANCE, expandTarget } from '../../shared/usecases/expandTarget.js';
import { aRun, aTask, anExpandMessage, guid, seedRun } from '../support/factories.js';
import { memoryDeps } from '../support/memory/deps.js';

// Issue 21: the local host applies Azure's Service Bus concurrency (host.json maxConcurrentCalls, per instance, to
// every queue function) and expandTarget, which needs fewer, limits itself in its use case.

const scratch = mkdtempSync(path.join(os.tmpdir(), 'mps-concurrency-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Resolves when `check` holds, polling the event loop. */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('host.json', () => {
  it("is read for the project's Service Bus concurrency, comments and all", () => {
    expect(hostJsonPath()).toBe(path.resolve('host.json'));
    expect(serviceBusConcurrency()).toBe(64);
  });

  it('keeps what looks like a comment inside a string', () => {
    const text = '{ "a": "https://x/*y*/" /* note */, // more\n "b": "\\"//" }';
    expect(JSON.parse(withoutComments(text))).toEqual({ a: 'https://x/*y*/', b: '"//' });
  });

  it('must set maxConcurrentCalls: no host falls back to a default of its own', () => {
    const file = path.join(scratch, 'no-limit.json');
    writeFileSync(file, '{ "version": "2.0", "extensions": { "serviceBus": { "prefetchCount": 0 } } }');
    expect(() => serviceBusConcurrency(file)).toThrow(/maxConcurrentCalls/);
  });
});

describe('the local host', () => {
  it("hands every queue function host.json's maxConcurrentCalls messages at once per instance", async () => {
    const hostJson = path.join(scratch, 'host.json');
    writeFileSync(
      hostJson,
      '{\n  // three per instance\n  "extensions": { "serviceBus": { "maxConcurrentCalls": 3 } }\n}',
    );
    const emptyDir = mkdtempSync(path.join(scratch, 'functions-'));
    const instances = [{ name: 'a' }, { name: 'b' }] as unknown as Services[];
    const inFlight = new Map<unknown, number>(instances.map((i) => [i, 0]));
    let most = 0;
    let done = 0;
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    registerQueue({
      name: 'heldForConcurrency',
      queueName: 'test-held',
      handler: async () => {
        const instance = getServices();
        inFlight.set(instance, (inFlight.get(instance) ?? 0) + 1);
        most = Math.max(most, ...inFlight.values());
        await gate;
        inFlight.set(instance, (inFlight.get(instance) ?? 0) - 1);
        done++;
      },
    });
    const queue = new InProcessQueue();
    const logger = createLogger('silent');
    const host = await startLocalHost({
      port: 0,
      queue,
      logger,
      timers: false,
      functionsDir: emptyDir,
      hostJson,
      instances,
    });
    try {
      await queue.send(
        'test-held',
        Array.from({ length: 10 }, (_, i) => ({ body: { i } })),
      );
      await until(() => [...inFlight.values()].reduce((a, b) => a + b, 0) === 6);
      await new Promise((r) => setTimeout(r, 50));
      expect([...inFlight.values()]).toEqual([3, 3]);
      expect(most).toBe(3);
      release();
      await until(() => done === 10);
    } finally {
      release();
      await host.stop();
    }
  });
});

describe('expandTarget', () => {
  it('is wired with EXPANSIONS_PER_INSTANCE slots per app instance', () => {
    const config = loadConfig({ TABLES_CONNECTION_STRING: inject('tablesConnectionString'), LOG_LEVEL: 'silent' });
    const services = buildServices(config, { queue: new InProcessQueue(), logger: createLogger('silent') });
    expect(EXPANSIONS_PER_INSTANCE).toBe(2);
    expect(services.expansions.limit).toBe(EXPANSIONS_PER_INSTANCE);
    expect(buildServices(config, { queue: new InProcessQueue() }).expansions).not.toBe(services.expansions);
  });

  it('waits for a free slot before it touches the run', async () => {
    const deps = memoryDeps();
    const group = guid(0xb00);
    deps.tenant.addGroup(group, 'Sales', [deps.tenant.addUser(guid(1), 'adele').id]);
    const task = aTask({ target: { kind: 'group', groupId: group } });
    const run = aRun({ status: 'queued' }, task);
    await seedRun(deps.repos, run, [], task);
    const expansions = new ConcurrencyLimit(1);
    let release = () => {};
    const busy = expansions.run(() => new Promise<void>((r) => (release = r)));

    const expanding = expandTarget({ ...deps, expansions }, anExpandMessage());
    await new Promise((r) => setTimeout(r, 20));
    expect((await deps.repos.runs.get(run.taskId, run.runId))?.value.status).toBe('queued');

    release();
    await busy;
    expect(await expanding).toMatchObject({ outcome: 'expanded', mailboxes: 1 });
    expect(expansions.inFlight).toBe(0);
  });
});

describe('ConcurrencyLimit', () => {
  it('runs at most its limit at once, in arrival order, and frees a slot when a call throws', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const calls = [0, 1, 2, 3].map((n) =>
      limit
        .run(async () => {
          started.push(n);
          await new Promise<void>((r) => releases.push(r));
          if (n === 0) throw new Error('boom');
          return n;
        })
        .catch((error: Error) => error.message),
    );
    await until(() => started.length === 2);
    expect(limit.inFlight).toBe(2);
    releases[0]!();
    await until(() => started.length === 3);
    expect(started).toEqual([0, 1, 2]);
    releases[1]!();
    releases[2]!();
    await until(() => started.length === 4);
    releases[3]!();
    expect(await Promise.all(calls)).toEqual(['boom', 1, 2, 3]);
    expect(limit.inFlight).toBe(0);
  });
});
