/**
 * Does sharding still pay on Azurite? `npm run build:server && node dist/bench/tableLayout.js [--partitions 80000]
 * [--rows 3] [--queries 500]` fills a delegate index of `partitions` × `rows` entities (written as a sync writes
 * them: batched upserts, one partition per delegate) once with one table per entity (production's layout) and once
 * with dev/tableLayout.ts's shards, each on a fresh Azurite, then times partition queries (a lookup) and single
 * upserts of existing rows (a sync's directory and state updates) on random partitions. One JSON line on stdout.
 */
import { parseArgs } from 'node:util';
import type { TransactionAction } from '@azure/data-tables';
import { AZURITE_LAYOUT } from '../dev/tableLayout.js';
import { startAzurite } from '../dev/azurite.js';
import { azuriteConnectionString } from '../shared/config.js';
import {
  ONE_TABLE_PER_ENTITY,
  TableClientFactory,
  odata,
  type TableLayout,
} from '../shared/adapters/tables/tableStore.js';
import { createRng } from '../dev/simulator/rng.js';

interface LayoutResult {
  layout: string;
  physicalTables: number;
  writeSeconds: number;
  /** Entities written per second over the first and the last tenth of the fill. */
  writeRate: { first: number; last: number };
  queryMs: { p50: number; p99: number; mean: number };
  upsertMs: { p50: number; p99: number; mean: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const round = (n: number | undefined) => Math.round((n ?? 0) * 100) / 100;
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return { p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)), mean: round(mean) };
};

async function measure(
  name: string,
  layout: TableLayout,
  options: { partitions: number; rows: number; queries: number },
): Promise<LayoutResult> {
  const azurite = await startAzurite({ nodeOptions: ['--max-old-space-size=6144'] });
  try {
    const tables = new TableClientFactory(
      { kind: 'connectionString', connectionString: azuriteConnectionString(azurite.port), prefix: 'layout' },
      layout,
    );
    const store = tables.store('DelegationsByDelegate');
    const pk = (i: number) => `d${String(i).padStart(8, '0')}`;
    const tenth = Math.max(1, Math.floor(options.partitions / 10));
    const rates: number[] = [];
    const started = performance.now();
    let chunkStarted = started;
    const CHUNK = 500; // partitions per submit, as a page of synced mailboxes
    for (let from = 0; from < options.partitions; from += CHUNK) {
      const actions: TransactionAction[] = [];
      for (let i = from; i < Math.min(options.partitions, from + CHUNK); i++)
        for (let r = 0; r < options.rows; r++)
          actions.push(['upsert', { partitionKey: pk(i), rowKey: `m${r}|FullAccess|Sync`, n: r }, 'Replace']);
      await store.submit(actions);
      const done = from + CHUNK;
      if (done % tenth < CHUNK) {
        const now = performance.now();
        rates.push(Math.round((tenth * options.rows * 1000) / (now - chunkStarted)));
        chunkStarted = now;
        process.stderr.write(`${name}: ${Math.min(done, options.partitions) * options.rows} written\n`);
      }
    }
    const writeSeconds = round((performance.now() - started) / 1000);
    const random = createRng(7).next;
    const queryMs: number[] = [];
    const upsertMs: number[] = [];
    for (let q = 0; q < options.queries; q++) {
      const key = pk(Math.floor(random() * options.partitions));
      const t0 = performance.now();
      let found = 0;
      for await (const _ of store.all(odata`PartitionKey eq ${key}`, undefined, key)) found++;
      queryMs.push(performance.now() - t0);
      if (found !== options.rows) throw new Error(`${name}: partition ${key} read ${found} rows, not ${options.rows}`);
      const t1 = performance.now();
      await store.upsert({ partitionKey: key, rowKey: 'm0|FullAccess|Sync', n: q }, 'Merge');
      upsertMs.push(performance.now() - t1);
    }
    return {
      layout: name,
      physicalTables: layout.physicalTables('DelegationsByDelegate', 'x').length,
      writeSeconds,
      writeRate: { first: rates[0] ?? 0, last: rates[rates.length - 1] ?? 0 },
      queryMs: stats(queryMs),
      upsertMs: stats(upsertMs),
    };
  } finally {
    await azurite.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      partitions: { type: 'string', default: '80000' },
      rows: { type: 'string', default: '3' },
      queries: { type: 'string', default: '500' },
    },
  });
  const options = { partitions: Number(values.partitions), rows: Number(values.rows), queries: Number(values.queries) };
  const results: LayoutResult[] = [];
  for (const [name, layout] of [
    ['one table per entity', ONE_TABLE_PER_ENTITY],
    ['Azurite layout (256 shards)', AZURITE_LAYOUT],
  ] as const) {
    process.stderr.write(`${name}: writing ${options.partitions * options.rows} entities…\n`);
    const result = await measure(name, layout, options);
    process.stderr.write(`${JSON.stringify(result)}\n`);
    results.push(result);
  }
  process.stdout.write(`${JSON.stringify({ node: process.version, options, results })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
