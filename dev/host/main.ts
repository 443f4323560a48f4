import { loadConfig } from '../../shared/config.js';
import { configureServices, getServices } from '../../shared/composition.js';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { createLogger } from '../../shared/logging.js';
import { startLocalHost } from './localHost.js';
import { buildInstances } from './instances.js';
import { firstRun } from './firstRun.js';
import { devSignInRoutes } from './devSignIn.js';
import { AZURITE_LAYOUT } from '../tableLayout.js';

/**
 * The app process of `npm start`: validated config from the environment, the in-process queue, the local
 * Functions host. Started by dev/start.ts (which provides Azurite and the simulator) or on its own.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const queue = new InProcessQueue();
  queue.onHandlerError = (queueName, messageId, deliveryCount, error) =>
    logger.warn(
      { queue: queueName, messageId, deliveryCount, err: (error as Error)?.message ?? String(error) },
      'queue handler failed; message will be redelivered or dead-lettered',
    );
  // Set by dev/start.ts only when it started Azurite: tables given through TABLES_* keep one table per entity.
  const tableLayout = process.env.MPS_AZURITE === '1' ? { tableLayout: AZURITE_LAYOUT } : {};
  const instances = buildInstances(config, { queue, logger, ...tableLayout });
  const [first] = instances;
  if (first) configureServices(first);
  // The development sign-in exists only here, and only while the built-in simulator is the tenant.
  const host = await startLocalHost({
    port: config.port,
    queue,
    logger,
    instances,
    devRoutes: devSignInRoutes({ simulator: process.env.MPS_SIMULATOR === '1' }),
  });
  const fns = host.definitions;
  process.stdout.write(
    `functions host   ${host.url}/api  (${fns.filter((f) => f.kind === 'http').length} HTTP routes, ` +
      `${fns.filter((f) => f.kind === 'timer').length} timers, ` +
      `${fns.filter((f) => f.kind === 'queue').length} queue triggers, ${instances.length} app instance(s))\n` +
      `health           ${host.url}/api/health\n` +
      `console          ${host.url}/api/console/\n`,
  );
  process.send?.({ type: 'ready', url: host.url });
  // Set by dev/start.ts only when it started the built-in simulator.
  const demoGroupId = process.env.MPS_DEMO_GROUP_ID;
  if (demoGroupId) {
    const services = getServices();
    firstRun(services, queue, host, demoGroupId, process.env.MPS_DEMO_USER ?? '').catch((error: unknown) =>
      logger.error({ err: (error as Error).message }, 'first run failed'),
    );
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new work, finishing in-flight invocations');
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Local host failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
