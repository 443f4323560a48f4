/**
 * `npm run bench:tables`: what one Table Storage request costs in CPU on this machine, in the app's process (the
 * Azure SDK: pipeline, signing, serialization, HTTP) and in Azurite, for the three kinds a mailbox's sync makes (a
 * point read, a single write, a small entity-group transaction), with 32 requests in flight. A run's CPU floor is
 * these costs times the requests per mailbox the bench reports (docs/performance.md, "Where the time goes").
 * Prints one JSON line.
 */
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { startAzurite } from '../dev/azurite.js';
import { azuriteConnectionString } from '../shared/config.js';
import { processCpuMs } from './lookups.js';

const REQUESTS = 3_000;
const IN_FLIGHT = 32;

async function main(): Promise<void> {
  const azurite = await startAzurite({});
  try {
    const client = TableClient.fromConnectionString(azuriteConnectionString(azurite.port), 'benchcost', {
      allowInsecureConnection: true,
    });
    await client.createTable();
    const measure = async (fn: (k: number) => Promise<unknown>) => {
      const azuriteBefore = processCpuMs(azurite.pid) ?? Number.NaN;
      const appBefore = process.cpuUsage();
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < REQUESTS) await fn(next++);
        }),
      );
      const app = process.cpuUsage(appBefore);
      const round = (ms: number) => Math.round((ms / REQUESTS) * 100) / 100;
      return {
        appCpuMs: round((app.user + app.system) / 1000),
        azuriteCpuMs: round((processCpuMs(azurite.pid) ?? Number.NaN) - azuriteBefore),
        wallMs: round(performance.now() - started),
      };
    };
    const entity = (k: number) => ({ partitionKey: `p${k % 50}`, rowKey: `r${k}`, text: 'x'.repeat(200), n: k });
    // A first pass warms the JIT of both processes and the sockets; only the second is reported.
    const kinds = {
      write: (k: number) => client.upsertEntity(entity(k), 'Replace'),
      read: (k: number) => client.getEntity(`p${k % 50}`, `r${k}`),
      transactionOfTwo: (k: number) =>
        client.submitTransaction([
          ['upsert', { partitionKey: `t${k}`, rowKey: 'a', n: k }, 'Replace'],
          ['upsert', { partitionKey: `t${k}`, rowKey: 'b', n: k }, 'Replace'],
        ] satisfies TransactionAction[]),
    };
    const perRequest: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const [name, fn] of Object.entries(kinds)) {
      await measure(fn);
      perRequest[name] = await measure(fn);
    }
    process.stdout.write(`${JSON.stringify({ requests: REQUESTS, inFlight: IN_FLIGHT, perRequest })}\n`);
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:tables failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
