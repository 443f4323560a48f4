import { expect, inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { TableClient, TableServiceClient, odata } from '@azure/data-tables';
import {
  appSettingsFor,
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../dev/simulator/index.js';
import { startLocalHost, type LocalHost } from '../../dev/host/localHost.js';
import {
  InProcessQueue,
  type InProcessHandler,
  type InProcessQueueOptions,
} from '../../shared/adapters/queue/inProcessQueue.js';
import { loadConfig } from '../../shared/config.js';
import { buildServices, configureServices, type Services } from '../../shared/composition.js';
import { AZURITE_LAYOUT } from '../../dev/tableLayout.js';
import { createLogger, type Logger } from '../../shared/logging.js';
import { fromDelegationEntity } from '../../shared/adapters/tables/entities/delegation.js';
import { createMicrosoftClients } from '../../shared/adapters/microsoft/index.js';
import type { MicrosoftPorts } from '../../shared/ports/microsoft.js';
import type { Expected } from '../support/expected.js';

/**
 * A variant of test/support/app.ts for fault tests: it can share a simulator and a table prefix with an earlier
 * host (a restart after a crash), use another Azurite, a movable clock, a chaos queue and a capturing logger.
 */
export interface Harness {
  sim: RunningSimulator;
  host: LocalHost;
  queue: InProcessQueue;
  services: Services;
  tablesPrefix: string;
  tablesConnectionString: string;
  api(
    method: string,
    path: string,
    options?: {
      role?: 'Admin' | 'Reader' | 'none';
      token?: string | null;
      body?: unknown;
      headers?: Record<string, string>;
      timeoutMs?: number;
    },
  ): Promise<{ status: number; json: unknown; text: string; headers: Headers }>;
  token(role: 'Admin' | 'Reader' | 'none', extra?: Record<string, unknown>): Promise<string>;
  /** Makes this harness's services the process's (function files read them through getServices()). */
  activate(): void;
  /** Drains the queues and runs the finalizer until nothing is pending (bounded). */
  settle(options?: { rounds?: number }): Promise<void>;
  /**
   * Simulates the process dying: the HTTP server stops, the queue stops delivering and forgets its messages
   * (in-flight handlers of the dead process are not awaited). The simulator keeps running.
   */
  crash(): Promise<void>;
  stop(options?: { keepSimulator?: boolean }): Promise<void>;
}

export interface HarnessOptions {
  /** Reuse a running simulator (a restarted host talks to the same tenant); otherwise one is started. */
  sim?: RunningSimulator;
  simulator?: SimulatorOptions;
  tablesConnectionString?: string;
  /** Reuse another harness's tables. */
  tablesPrefix?: string;
  queue?: InProcessQueue;
  logger?: Logger;
  now?: () => Date;
  env?: Record<string, string>;
  /** Wraps the real Graph/Exchange clients (to make one mailbox poison, for instance). */
  microsoft?: (real: MicrosoftPorts) => MicrosoftPorts;
}

/** Wall-clock time plus an offset the test moves forward (the queue and the services share it). */
export class OffsetClock {
  private offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  nowMs = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** Starts the app (local host + in-process queue + services) as a test harness. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ownSim = !options.sim;
  const sim = options.sim ?? (await startSimulator({ port: 0, ...options.simulator }));
  const tablesConnectionString = options.tablesConnectionString ?? inject('tablesConnectionString');
  const tablesPrefix = options.tablesPrefix ?? `t${randomBytes(5).toString('hex')}`;
  const config = loadConfig({
    TABLES_CONNECTION_STRING: tablesConnectionString,
    TABLES_PREFIX: tablesPrefix,
    ...appSettingsFor(sim),
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const logger = options.logger ?? createLogger(config.logLevel);
  const queue = options.queue ?? new InProcessQueue({ redeliveryDelayMs: 20 });
  // As dev/host/main.ts wires it for npm start.
  queue.onHandlerError ??= (queueName, messageId, deliveryCount, error) =>
    logger.warn(
      { queue: queueName, messageId, deliveryCount, err: (error as Error)?.message ?? String(error) },
      'queue handler failed; message will be redelivered or dead-lettered',
    );
  const microsoft =
    options.microsoft && config.tenant ? options.microsoft(createMicrosoftClients(config.tenant)) : undefined;
  const services = buildServices(config, {
    queue,
    logger,
    tableLayout: AZURITE_LAYOUT,
    ...(options.now ? { now: options.now } : {}),
    ...(microsoft ? { microsoft } : {}),
  });
  configureServices(services);
  const host = await startLocalHost({ port: 0, queue, logger, timers: false });

  const token = async (role: 'Admin' | 'Reader' | 'none', extra: Record<string, unknown> = {}) =>
    sim.mintApiToken({ roles: role === 'none' ? [] : [`MailboxPermissionSync.${role}`], ...extra });

  let crashed = false;
  return {
    sim,
    host,
    queue,
    services,
    tablesPrefix,
    tablesConnectionString,
    token,
    activate: () => configureServices(services),
    async api(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const bearer = opts.token === undefined ? await token(opts.role ?? 'Admin') : opts.token;
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      if (opts.body !== undefined) headers['Content-Type'] ??= 'application/json';
      const response = await fetch(`http://127.0.0.1:${host.port}/api/${path.replace(/^\//, '')}`, {
        method,
        headers,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
        ...(opts.body !== undefined
          ? {
              body:
                typeof opts.body === 'string' || opts.body instanceof Uint8Array
                  ? (opts.body as string)
                  : JSON.stringify(opts.body),
            }
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
    async settle({ rounds = 50 } = {}) {
      for (let i = 0; i < rounds; i++) {
        await queue.idle();
        await host.fireTimer('finalizeRuns');
        await queue.idle();
        const pending = queue.depth('mps-mailbox').pending + queue.depth('mps-expand').pending;
        if (pending === 0) return;
      }
    },
    async crash() {
      crashed = true;
      // The in-process queue's close() waits for in-flight handlers; a dead process would not.
      void queue.close();
      // A stopped host must not keep answering: close the listener and every open connection.
      await Promise.race([host.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
    },
    async stop({ keepSimulator = false } = {}) {
      if (!crashed) await host.stop();
      if (ownSim && !keepSimulator) await sim.stop();
    },
  };
}

/** A queue whose handlers see random duplicate deliveries: a second, concurrent delivery of the same message. */
export class DuplicatingQueue extends InProcessQueue {
  duplicates = 0;
  constructor(
    private readonly duplicateRate: number,
    private readonly random: () => number,
    options: InProcessQueueOptions = {},
  ) {
    super(options);
  }

  override subscribe(queueName: string, handler: InProcessHandler, options: { concurrency?: number } = {}): void {
    const wrapped: InProcessHandler = async (body, meta) => {
      if (queueName.endsWith('$deadletterqueue') || this.random() >= this.duplicateRate) return handler(body, meta);
      // Service Bus redelivers a message whose lock expired while the first consumer still works on it.
      this.duplicates++;
      const copy = structuredClone(body);
      const [first, second] = await Promise.allSettled([
        handler(body, meta),
        handler(copy, { ...meta, deliveryCount: meta.deliveryCount + 1 }),
      ]);
      if (first.status === 'rejected') throw first.reason;
      if (second.status === 'rejected') throw second.reason;
    };
    super.subscribe(queueName, wrapped, options);
  }
}

/** A pino logger writing JSON lines into memory at level trace (secrets redacted as in production). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, callback) {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l.length > 0));
      callback();
    },
  });
  return { logger: createLogger('trace', stream), lines };
}

/** One delegation index row as compared between runs: every stored field but the timestamps. */
export type IndexRow = Record<string, unknown>;

async function readIndex(
  app: Pick<Harness, 'services'>,
  table: 'DelegationsByMailbox' | 'DelegationsByDelegate',
): Promise<Map<string, IndexRow>> {
  const out = new Map<string, IndexRow>();
  for await (const e of app.services.tables.store(table).all()) {
    const d = fromDelegationEntity(e, table);
    if (d.source !== 'MailboxPermissionSync') continue;
    const { firstSeen: _f, lastConfirmed: _l, ...rest } = d;
    out.set(`${d.mailboxId}|${d.delegate.id}|${d.right}`.toLowerCase(), {
      ...rest,
      via: [...rest.via].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    });
  }
  return out;
}

/** Both delegate indexes of an app, synced rows only, keyed `mailbox|delegate|right`. */
export async function delegationIndexes(
  app: Pick<Harness, 'services'>,
): Promise<{ byMailbox: Map<string, IndexRow>; byDelegate: Map<string, IndexRow> }> {
  return {
    byMailbox: await readIndex(app, 'DelegationsByMailbox'),
    byDelegate: await readIndex(app, 'DelegationsByDelegate'),
  };
}

/** The index projected to the shape of `expectedDelegations`: key → sorted vias (`direct` or group id). */
export function asExpected(index: Map<string, IndexRow>): Expected {
  const out: Expected = new Map();
  for (const [key, row] of index) {
    const via = (row.via as Array<{ kind: string; id?: string }>).map((v) =>
      v.kind === 'direct' ? 'direct' : (v.id ?? '').toLowerCase(),
    );
    out.set(
      key,
      via.sort((a, b) => (a === 'direct' ? -1 : b === 'direct' ? 1 : a.localeCompare(b))),
    );
  }
  return out;
}

/** Entries sorted by key, for a readable toEqual diff. */
export function sortedEntries<V>(map: Map<string, V>): Array<[string, V]> {
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** Restricts a map keyed `mailbox|…` to the given mailboxes (or to all but them). */
export function onlyMailboxes<V>(map: Map<string, V>, mailboxIds: ReadonlySet<string>, keep = true): Map<string, V> {
  return new Map([...map].filter(([k]) => mailboxIds.has(k.split('|')[0]!) === keep));
}

/** Every entity of every table with this prefix (timestamps and ETags dropped), for "nothing changed" checks. */
export async function tableDump(connectionString: string, prefix: string): Promise<Record<string, string[]>> {
  const service = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  const out: Record<string, string[]> = {};
  for await (const table of service.listTables({
    queryOptions: { filter: odata`TableName ge ${prefix} and TableName lt ${`${prefix}~`}` },
  })) {
    const name = table.name ?? '';
    const client = TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
    const rows: string[] = [];
    for await (const e of client.listEntities()) {
      const { etag: _e, timestamp: _t, ...rest } = e as Record<string, unknown>;
      rows.push(JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    }
    out[name] = rows.sort();
  }
  return out;
}

/** Creates a schedule and a task on the target group; returns the task id. */
export async function createTask(
  app: Pick<Harness, 'api' | 'sim'>,
  target: Record<string, unknown> = { kind: 'group', groupId: app.sim.tenant.demo.targetGroupId },
): Promise<string> {
  const schedule = await app.api('POST', 'schedules', {
    body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
  });
  if (schedule.status !== 201) throw new Error(`schedule: ${schedule.status} ${schedule.text}`);
  const task = await app.api('POST', 'tasks', {
    body: { description: 'Fault test', scheduleId: (schedule.json as { id: string }).id, target },
  });
  if (task.status !== 201) throw new Error(`task: ${task.status} ${task.text}`);
  return (task.json as { id: string }).id;
}

/** Starts a run through the API and returns its id. */
export async function startRun(app: Pick<Harness, 'api'>, taskId: string): Promise<string> {
  const started = await app.api('POST', `tasks/${taskId}/run`);
  if (started.status !== 202) throw new Error(`run: ${started.status} ${started.text}`);
  return (started.json as { runId: string }).runId;
}

export interface RunView {
  runId: string;
  status: string;
  mailboxesTotal: number;
  mailboxesDone: number;
  mailboxesFailed: number;
  delegationsAdded: number;
  error: string | null;
}

/** The run as the API shows it. */
export async function getRun(app: Pick<Harness, 'api'>, taskId: string, runId: string): Promise<RunView> {
  const run = await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' });
  if (run.status !== 200) throw new Error(`get run: ${run.status} ${run.text}`);
  return run.json as RunView;
}

/** The run's failed mailboxes with their reasons, through the API (every page). */
export async function failedMailboxes(
  app: Pick<Harness, 'api'>,
  taskId: string,
  runId: string,
): Promise<Array<{ mailboxId: string; error: string | null }>> {
  const out: Array<{ mailboxId: string; error: string | null }> = [];
  let token: string | null = null;
  do {
    const query: string = `status=failed&top=100${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`;
    const page = await app.api('GET', `tasks/${taskId}/runs/${runId}/mailboxes?${query}`, { role: 'Reader' });
    if (page.status !== 200) throw new Error(`run mailboxes: ${page.status} ${page.text}`);
    const body = page.json as {
      items: Array<{ mailboxId: string; error: string | null }>;
      continuationToken: string | null;
    };
    out.push(...body.items.map((i) => ({ mailboxId: i.mailboxId, error: i.error })));
    token = body.continuationToken;
  } while (token);
  return out;
}

/** Polls until `check` is true (or throws after the timeout). */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface Verdict {
  run: RunView;
  failed: Array<{ mailboxId: string; error: string | null }>;
  stored: number;
}

/**
 * The acceptance rule of the fault tests: the run is finished; both indexes hold the same rows; every mailbox
 * the run did not report as failed holds exactly the expected delegations; a failed mailbox is named with a
 * reason and holds nothing that is not expected (never a wrong answer).
 */
export async function verifyAgainstExpected(
  app: Pick<Harness, 'api' | 'services'>,
  taskId: string,
  runId: string,
  expected: Expected,
): Promise<Verdict> {
  const run = await getRun(app, taskId, runId);
  if (!['succeeded', 'completedWithErrors', 'failed'].includes(run.status))
    throw new Error(`run is still ${run.status}`);
  const failed = await failedMailboxes(app, taskId, runId);
  if (failed.length !== run.mailboxesFailed)
    throw new Error(`run counts ${run.mailboxesFailed} failed mailboxes but lists ${failed.length}`);
  for (const f of failed) if (!f.error) throw new Error(`failed mailbox ${f.mailboxId} has no reason`);
  if (run.mailboxesDone + run.mailboxesFailed !== run.mailboxesTotal)
    throw new Error(`run settled ${run.mailboxesDone}+${run.mailboxesFailed} of ${run.mailboxesTotal}`);
  const { byMailbox, byDelegate } = await delegationIndexes(app);
  const failedIds = new Set(failed.map((f) => f.mailboxId.toLowerCase()));
  expect(
    sortedEntries(onlyMailboxes(byDelegate, failedIds, false)),
    'reverse index (mailboxes that synced) equals the forward index',
  ).toEqual(sortedEntries(onlyMailboxes(byMailbox, failedIds, false)));
  expect(
    sortedEntries(onlyMailboxes(asExpected(byMailbox), failedIds, false)),
    'forward index equals the tenant',
  ).toEqual(sortedEntries(onlyMailboxes(expected, failedIds, false)));
  for (const index of [byMailbox, byDelegate]) {
    for (const [key, vias] of onlyMailboxes(asExpected(index), failedIds)) {
      expect(expected.get(key), `failed mailbox row ${key} is not a delegation the tenant grants`).toBeDefined();
      for (const via of vias) expect(expected.get(key)).toContain(via);
    }
  }
  return { run, failed, stored: byMailbox.size };
}

/** The object with some methods replaced; the rest still run on the original instance. */
export function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(overrides, prop)) return (overrides as Record<string | symbol, unknown>)[prop];
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/**
 * A TCP relay to 127.0.0.1:targetPort. `cut()` stops listening and destroys every relayed connection, so whoever
 * used it can no longer reach the target (a dead process's zombie handlers, for instance).
 */
export async function startRelay(targetPort: number): Promise<{ port: number; cut(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** The table port of an Azurite connection string. */
export function tablePortOf(connectionString: string): number {
  const match = /TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(connectionString);
  if (!match) throw new Error('not a local Azurite connection string');
  return Number(match[1]);
}
