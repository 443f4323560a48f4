/**
 * Runs the tenant simulator on its own:
 *   node dist/dev/simulator/main.js [--port 7443] [--seed 42] [--mailboxes 200] [--latency-ms 0]
 *     [--jitter-ms 0] [--graph-rps N] [--exchange-rps N] [--fault-rate 0] [--audit-delay-ms 5000] [--cert-dir DIR]
 * Prints one JSON line with the settings a client needs, then serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SIMULATOR_PORT, appSettingsFor, startSimulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    seed: { type: 'string' },
    mailboxes: { type: 'string' },
    'latency-ms': { type: 'string' },
    'jitter-ms': { type: 'string' },
    'graph-rps': { type: 'string' },
    'exchange-rps': { type: 'string' },
    'fault-rate': { type: 'string' },
    'audit-delay-ms': { type: 'string' },
    'cert-dir': { type: 'string' },
  },
});

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

const sim = await startSimulator({
  port: num(values.port) ?? DEFAULT_SIMULATOR_PORT,
  seed: num(values.seed) ?? 42,
  ...(values.mailboxes !== undefined ? { mailboxes: Number(values.mailboxes) } : {}),
  latencyMs: num(values['latency-ms']) ?? 0,
  jitterMs: num(values['jitter-ms']) ?? 0,
  faultRate: num(values['fault-rate']) ?? 0,
  ...(values['audit-delay-ms'] !== undefined ? { auditDelayMs: Number(values['audit-delay-ms']) } : {}),
  rateLimits: {
    ...(values['graph-rps'] !== undefined ? { graph: Number(values['graph-rps']) } : {}),
    ...(values['exchange-rps'] !== undefined ? { exchange: Number(values['exchange-rps']) } : {}),
  },
  ...(values['cert-dir'] !== undefined ? { certDir: values['cert-dir'] } : {}),
});

process.stdout.write(
  `${JSON.stringify({
    url: sim.url,
    ...appSettingsFor(sim),
    mailboxes: sim.tenant.mailboxIds().length,
  })}\n`,
);

const shutdown = (): void => {
  void sim.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
