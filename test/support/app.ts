import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  appSettingsFor,
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../dev/simulator/index.js';
import { startLocalHost, type LocalHost } from '../../dev/host/localHost.js';
import { devSignInRoutes } from '../../dev/host/devSignIn.js';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { loadConfig } from '../../shared/config.js';
import { buildServices, configureServices, type Services } from '../../shared/composition.js';
import { createLogger } from '../../shared/logging.js';
import { AZURITE_LAYOUT } from '../../dev/tableLayout.js';
import { buildInstances } from '../../dev/host/instances.js';

export interface TestApp {
  sim: RunningSimulator;
  host: LocalHost;
  queue: InProcessQueue;
  services: Services;
  /** The app instances (LOCAL_INSTANCES in `env`); the first is `services`. */
  instances: readonly Services[];
  /** Calls the app's HTTP API with a token for the given role (Admin by default). */
  api(
    method: string,
    path: string,
    options?: {
      role?: 'Admin' | 'Reader' | 'none';
      token?: string | null;
      body?: unknown;
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; json: unknown; text: string; headers: Headers }>;
  token(role: 'Admin' | 'Reader' | 'none', extra?: Record<string, unknown>): Promise<string>;
  /** Waits until every queued message is handled, then runs the finalizer. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole app in-process: the tenant simulator over HTTPS, fresh Azurite tables, the in-process queue and the
 * local host's real HTTP server, with the real SDK clients and real JWT validation.
 */
export async function startTestApp(
  options: {
    simulator?: SimulatorOptions;
    env?: Record<string, string> /** Serve the console's /dev/sign-in routes. */;
    devSignIn?: boolean;
  } = {},
): Promise<TestApp> {
  const sim = await startSimulator({ port: 0, ...options.simulator });
  const config = loadConfig({
    TABLES_CONNECTION_STRING: inject('tablesConnectionString'),
    TABLES_PREFIX: `t${randomBytes(5).toString('hex')}`,
    ...appSettingsFor(sim),
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const logger = createLogger(config.logLevel);
  const queue = new InProcessQueue({ redeliveryDelayMs: 20 });
  const instances = buildInstances(config, { queue, logger, tableLayout: AZURITE_LAYOUT });
  const services = instances[0] ?? buildServices(config, { queue, logger, tableLayout: AZURITE_LAYOUT });
  configureServices(services);
  const host = await startLocalHost({
    port: 0,
    queue,
    logger,
    instances,
    timers: false,
    ...(options.devSignIn
      ? {
          devRoutes: devSignInRoutes({
            simulator: true,
            services: () => services,
            ...(options.simulator?.certDir ? { certDir: options.simulator.certDir } : {}),
          }),
        }
      : {}),
  });

  const token = async (role: 'Admin' | 'Reader' | 'none', extra: Record<string, unknown> = {}) =>
    sim.mintApiToken({ roles: role === 'none' ? [] : [`MailboxPermissionSync.${role}`], ...extra });

  return {
    sim,
    host,
    queue,
    services,
    instances,
    token,
    async api(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const bearer = opts.token === undefined ? await token(opts.role ?? 'Admin') : opts.token;
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      if (opts.body !== undefined) headers['Content-Type'] ??= 'application/json';
      const response = await fetch(`http://127.0.0.1:${host.port}/api/${path.replace(/^\//, '')}`, {
        method,
        headers,
        ...(opts.body !== undefined
          ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
          : {}),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, json, text, headers: response.headers };
    },
    async settle() {
      for (let i = 0; i < 50; i++) {
        await queue.idle();
        await host.fireTimer('finalizeRuns');
        await queue.idle();
        const pending = queue.depth('mps-mailbox').pending + queue.depth('mps-expand').pending;
        if (pending === 0) return;
      }
    },
    async stop() {
      await host.stop();
      await sim.stop();
    },
  };
}
