/**
 * The measured process of `npm run bench`: the app exactly as the local host runs it (config from the
 * environment, in-process queue, the registered functions), driven over IPC by bench/run.ts, which keeps
 * the tenant simulator and the load generator out of this process so its RSS is the app's alone.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../shared/config.js';
import { configureServices } from '../shared/composition.js';
import { buildInstances } from '../dev/host/instances.js';
import { InProcessQueue } from '../shared/adapters/queue/inProcessQueue.js';
import { createLogger } from '../shared/logging.js';
import { QUEUES } from '../shared/ports/queue.js';
import { startLocalHost } from '../dev/host/localHost.js';
import { TableStore, type TableCounters } from '../shared/adapters/tables/tableStore.js';
import {
  BENCH_TABLES,
  benchLayout,
  layoutNamed,
  type HostEvent,
  type HostReply,
  type HostRequest,
  type HostSnapshot,
} from './protocol.js';

function vmHwmBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Time spent in each TableStore method (wall clock, summed over concurrent calls): where a mailbox's time goes. */
const tableTimes: Record<string, { calls: number; ms: number }> = {};
function timeTableStore(): void {
  const proto = TableStore.prototype as unknown as Record<string, unknown>;
  for (const method of ['get', 'insert', 'upsert', 'update', 'delete', 'submit', 'transact', 'page']) {
    const original = proto[method] as (...args: unknown[]) => Promise<unknown>;
    proto[method] = async function (this: TableStore, ...args: unknown[]) {
      const started = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        const key = `${this.tableName.replace(/^bench/, '')}.${method}`;
        const t = tableTimes[key] ?? { calls: 0, ms: 0 };
        tableTimes[key] = t;
        t.calls += 1;
        t.ms += performance.now() - started;
      }
    };
  }
  const all = proto.all as (...args: unknown[]) => AsyncGenerator<unknown>;
  proto.all = async function* (this: TableStore, ...args: unknown[]) {
    const started = performance.now();
    try {
      yield* all.apply(this, args);
    } finally {
      const key = `${this.tableName.replace(/^bench/, '')}.all`;
      const t = tableTimes[key] ?? { calls: 0, ms: 0 };
      tableTimes[key] = t;
      t.calls += 1;
      t.ms += performance.now() - started;
    }
  };
}

async function main(): Promise<void> {
  timeTableStore();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const queue = new InProcessQueue();
  queue.onHandlerError = (queueName, messageId, deliveryCount, error) =>
    logger.warn(
      { queue: queueName, messageId, deliveryCount, err: (error as Error)?.message ?? String(error) },
      'queue handler failed',
    );
  // bench/run.ts always starts Azurite.
  // LOCAL_INSTANCES app instances over the one queue (bench/run.ts --instances); the first answers snapshots.
  const { values } = parseArgs({ options: { 'table-layout': { type: 'string', default: 'sharded' } } });
  const tableLayout = layoutNamed(benchLayout(String(values['table-layout'])));
  const instances = buildInstances(config, { queue, logger, tableLayout });
  const services = instances[0];
  if (!services) throw new Error('bench host: no app instance was built');
  configureServices(services);
  const host = await startLocalHost({ port: 0, queue, logger, timers: false, instances });

  let peakRss = process.memoryUsage().rss;
  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50).unref();

  const snapshot = (): HostSnapshot => {
    const memory = process.memoryUsage();
    peakRss = Math.max(peakRss, memory.rss);
    // Every instance has its own table clients: the app's table traffic is the sum over them.
    const sum = (all: TableCounters[]): TableCounters =>
      all.reduce(
        (a, c) => ({
          reads: a.reads + c.reads,
          entities: a.entities + c.entities,
          writes: a.writes + c.writes,
          transactions: a.transactions + c.transactions,
        }),
        { reads: 0, entities: 0, writes: 0, transactions: 0 },
      );
    const perTable: HostSnapshot['perTable'] = {};
    for (const name of BENCH_TABLES) perTable[name] = sum(instances.map((i) => i.tables.store(name).own));
    const limiters = services.microsoft().limiters;
    const depth = queue.depth(QUEUES.mailbox);
    return {
      rssBytes: memory.rss,
      peakRssBytes: peakRss,
      vmHwmBytes: vmHwmBytes(),
      heapUsedBytes: memory.heapUsed,
      cpuMicros: process.cpuUsage(),
      counters: sum(instances.map((i) => i.tables.counters)),
      perTable,
      limiters: limiters ? { graph: limiters.graph.stats(), exchange: limiters.exchange.stats() } : {},
      queue: depth,
      tableTimes: structuredClone(tableTimes),
    };
  };

  const handle = async (request: HostRequest): Promise<unknown> => {
    switch (request.cmd) {
      case 'snapshot':
        return snapshot();
      case 'resetPeak':
        peakRss = process.memoryUsage().rss;
        return peakRss;
      case 'finalize':
        // The finalizer timer's tick; the bench fires it on the timer's production cadence (bench/run.ts).
        await host.fireTimer('finalizeRuns');
        return true;
      case 'timer':
        // A timer's tick on its production schedule, which bench/feed.ts keeps.
        await host.fireTimer(request.name);
        return true;
      case 'stop':
        await host.stop();
        setImmediate(() => process.exit(0));
        return true;
    }
  };

  process.on('message', (message: HostRequest) => {
    handle(message).then(
      (value) => process.send?.({ id: message.id, ok: true, value } satisfies HostReply),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        } satisfies HostReply),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', url: host.url, port: host.port } satisfies HostEvent);
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', error: error instanceof Error ? error.message : String(error) } satisfies HostEvent);
  process.exit(1);
});
