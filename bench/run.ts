/**
 * `npm run bench`: the whole sync pipeline on the local host against the tenant simulator with a generated
 * tenant. Azurite (in memory) and the simulator run here; the app runs in a child process (bench/host.ts)
 * so its peak RSS is measured alone. Phases: a full sync, an unchanged re-run, a re-run after a share of
 * the mailboxes changed, then lookup latency with autocannon. Progress goes to stderr; the result is one
 * JSON line on stdout.
 *
 *   node dist/bench/run.js [--mailboxes 10000] [--delegations 2] [--group-share 0.15] [--latency-ms 200]
 *     [--jitter-ms 0] [--exchange-rps 100] [--graph-rps 500] [--phases full,unchanged,changed]
 *     [--changed-share 0.01] [--lookup-seconds 10] [--lookup-warmup-seconds 3]
 *     [--lookup-rates 100 (or a list: 50,100,200)]
 *     [--lookup-connections 10 (or a list: 1,4,10)] [--lookup-cache warm,cold] [--seed 42] [--timeout-minutes 20]
 *     (--lookup-rates: open-loop Poisson load at each rate, req/s; --lookup-connections: closed-loop clients;
 *     '' for none)
 *     [--host-heap-mb 0]   (the host's --max-old-space-size; 0 keeps Node's default)
 *     [--table-layout sharded]   (Azurite's tables: sharded as the local host shards them, or single: one per entity)
 *     [--azurite-node-options="--max-old-space-size=8192 --no-memory-reducer --heap-growing-percent=200"]
 *                 (Node flags of the Azurite process, space-separated; note the =)
 *     [--instances 1 (or a list: 1,4,16: LOCAL_INSTANCES of the host, each count a bench of its own)]
 *     [--feed] [--audit-delay-seconds 60] [--feed-changes 1000] [--feed-mailboxes 200]
 *                (after the phases, the change feed: one grant's latency through the audit feed alone, then a
 *                 burst's re-reads per mailbox; bench/feed.ts)
 *     [--keep]   (after the JSON line, keep Azurite, the simulator and the host running; each SIGUSR2 restarts
 *                 the host from dist/ and measures the lookups again, one more JSON line; Ctrl-C ends it)
 *   --phases seed (alone) fills the index through the product's adapters instead of syncing, then measures lookups.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startAzurite, type AzuriteGc, type AzuriteHandle } from '../dev/azurite.js';
import { createRng } from '../dev/simulator/rng.js';
import {
  appSettingsFor,
  startSimulator,
  type RunningSimulator,
  type SimUser,
  type Tenant,
} from '../dev/simulator/index.js';
import { azuriteConnectionString } from '../shared/config.js';
import { isActiveStatus, type RunStatus } from '../shared/domain/task.js';
import {
  measureLookups,
  processCpuMs,
  type LookupCache,
  type LookupLoad,
  type LookupResult,
  type LookupTarget,
} from './lookups.js';
import { seedIndex } from './seedIndex.js';
import { measureFeed, type FeedOptions, type FeedResult } from './feed.js';
import { measureHistoryPaging } from './historyPaging.js';
import { computeFloor, progressLine, summarizePhase, type BenchRight, type PhaseResult } from './metrics.js';
import {
  benchLayout,
  type BenchLayout,
  type HostCommand,
  type HostEvent,
  type HostReply,
  type HostRequest,
  type HostSnapshot,
} from './protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL_RIGHTS: BenchRight[] = ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'];
/**
 * Azurite keeps every entity in its heap: ~1 GB live at 100,000 mailboxes, 1.8 GB with the seed's garbage, near
 * Node's default limit (about 4 GB here). Each full marking of that heap stalls Azurite's one thread for 1–2 s
 * (2 cores shared with the host and the load generator). V8 starts one whenever the load pauses (the memory
 * reducer), and under load each time the heap has grown by ~10 %: every ~100 s at 100 lookups/s, which promote
 * ~1.2 MB/s. Growth to 3× the live heap makes that every ~30 min.
 */
const DEFAULT_AZURITE_NODE_OPTIONS = '--max-old-space-size=8192 --no-memory-reducer --heap-growing-percent=200';

export interface BenchOptions {
  mailboxes: number;
  delegations: number;
  groupShare: number;
  latencyMs: number;
  jitterMs: number;
  /** 0 = unlimited. */
  exchangeRps: number;
  graphRps: number;
  phases: Array<'full' | 'unchanged' | 'changed' | 'seed'>;
  changedShare: number;
  lookupSeconds: number;
  /** Load before each route's measured seconds, not counted (JIT, connection pools, address cache). */
  lookupWarmupSeconds: number;
  /** Each route is measured once per entry: open-loop rates (req/s) first, then closed-loop connection counts. */
  lookupRates: number[];
  lookupConnections: number[];
  /** Which address-cache states each route is measured in (cold: open-loop rates only). */
  lookupCache: LookupCache[];
  seed: number;
  timeoutMinutes: number;
  /**
   * V8 old-space limit of the host process in MB (0 = Node's default, which lets garbage pile up on a large
   * machine).
   */
  hostHeapMb: number;
  /** Azurite's tables: sharded as the local host shards them (the default), or one per entity as in production. */
  tableLayout: BenchLayout;
  /** Node flags for the Azurite process. */
  azuriteNodeOptions: string[];
  /**
   * LOCAL_INSTANCES of the host: isolated app instances over the one queue (docs/pacing.md). A list measures each
   * count in a bench of its own (fresh Azurite and tenant), one JSON line holding every result.
   */
  instances: number[];
  /** Hold the store after the run so the lookups can be measured again (SIGUSR2) against a rebuilt host. */
  keep: boolean;
  /** Measure the change feed after the phases (bench/feed.ts), or not (null). */
  feed: FeedOptions | null;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      mailboxes: { type: 'string', default: '10000' },
      delegations: { type: 'string', default: '2' },
      'group-share': { type: 'string', default: '0.15' },
      'latency-ms': { type: 'string', default: '200' },
      'jitter-ms': { type: 'string', default: '0' },
      'exchange-rps': { type: 'string', default: '100' },
      'graph-rps': { type: 'string', default: '500' },
      phases: { type: 'string', default: 'full,unchanged,changed' },
      'changed-share': { type: 'string', default: '0.01' },
      'lookup-seconds': { type: 'string', default: '10' },
      'lookup-warmup-seconds': { type: 'string', default: '3' },
      'lookup-rates': { type: 'string', default: '100' },
      'lookup-connections': { type: 'string', default: '10' },
      'lookup-cache': { type: 'string', default: 'warm,cold' },
      seed: { type: 'string', default: '42' },
      'timeout-minutes': { type: 'string', default: '20' },
      'host-heap-mb': { type: 'string', default: '0' },
      'azurite-node-options': { type: 'string', default: DEFAULT_AZURITE_NODE_OPTIONS },
      keep: { type: 'boolean', default: false },
      feed: { type: 'boolean', default: false },
      'audit-delay-seconds': { type: 'string', default: '60' },
      'feed-changes': { type: 'string', default: '1000' },
      'feed-mailboxes': { type: 'string', default: '200' },
      instances: { type: 'string', default: '1' },
      'table-layout': { type: 'string', default: 'sharded' },
    },
  });
  const wholeNumbers = (name: 'lookup-rates' | 'lookup-connections' | 'instances', max: number): number[] => {
    const text = String(values[name]).trim();
    const list = text === '' ? [] : text.split(',').map((c) => Number(c.trim()));
    if (list.some((c) => !Number.isInteger(c) || c < 1 || c > max))
      throw new Error(`--${name} must be whole numbers between 1 and ${max}, separated by commas (or '' for none)`);
    return list;
  };
  const num = (name: keyof typeof values, min: number, max: number): number => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min || value > max)
      throw new Error(`--${name} must be a number between ${min} and ${max}`);
    return value;
  };
  const lookupCache = String(values['lookup-cache'])
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (lookupCache.some((c) => c !== 'warm' && c !== 'cold'))
    throw new Error(`--lookup-cache must be warm, cold or both (warm,cold), not '${values['lookup-cache']}'`);
  const phases = String(values.phases)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of phases)
    if (!['full', 'unchanged', 'changed', 'seed'].includes(p))
      throw new Error(`--phases: unknown phase '${p}' (full, unchanged, changed, or seed alone)`);
  if (phases.includes('seed') ? phases.length !== 1 : phases[0] !== 'full') {
    throw new Error(
      '--phases must start with full (the re-runs need a synced index), ' +
        'or be seed alone (fill the index directly, then measure lookups)',
    );
  }
  return {
    mailboxes: Math.floor(num('mailboxes', 16, 200_000)),
    delegations: num('delegations', 0, 50),
    groupShare: num('group-share', 0, 1),
    latencyMs: num('latency-ms', 0, 60_000),
    jitterMs: num('jitter-ms', 0, 60_000),
    exchangeRps: num('exchange-rps', 0, 100_000),
    graphRps: num('graph-rps', 0, 100_000),
    phases: phases as BenchOptions['phases'],
    changedShare: num('changed-share', 0, 1),
    lookupSeconds: num('lookup-seconds', 0, 600),
    lookupWarmupSeconds: num('lookup-warmup-seconds', 0, 600),
    lookupRates: wholeNumbers('lookup-rates', 10_000),
    lookupConnections: wholeNumbers('lookup-connections', 1000),
    lookupCache: lookupCache as LookupCache[],
    seed: Math.floor(num('seed', 0, 2 ** 31)),
    timeoutMinutes: num('timeout-minutes', 0.1, 600),
    hostHeapMb: Math.floor(num('host-heap-mb', 0, 65536)),
    tableLayout: benchLayout(String(values['table-layout'])),
    azuriteNodeOptions: nodeFlags(String(values['azurite-node-options'])),
    keep: values.keep === true,
    feed:
      values.feed === true
        ? {
            auditDelaySeconds: num('audit-delay-seconds', 0, 3600),
            burstChanges: Math.floor(num('feed-changes', 1, 100_000)),
            burstMailboxes: Math.floor(num('feed-mailboxes', 1, 10_000)),
          }
        : null,
    instances: wholeNumbers('instances', 256),
  };
}

function nodeFlags(text: string): string[] {
  const flags = text.split(/\s+/).filter(Boolean);
  const bad = flags.find((f) => !/^--[a-z][a-z0-9-]*(=\S+)?$/.test(f));
  if (bad !== undefined)
    throw new Error(`--azurite-node-options: '${bad}' is not a Node flag of the form --name or --name=value`);
  return flags;
}

class HostProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (message: HostReply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(message.error));
    });
    child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`host process exited (${code})`));
      this.pending.clear();
    });
  }

  static async start(env: Record<string, string>, heapMb: number, layout: BenchLayout): Promise<HostProcess> {
    const child = fork(path.join(here, 'host.js'), ['--table-layout', layout], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      ...(heapMb > 0 ? { execArgv: [...process.execArgv, `--max-old-space-size=${heapMb}`] } : {}),
    });
    child.stdout?.pipe(process.stderr); // keep stdout for the one JSON line
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (event: HostEvent) =>
        event.type === 'ready' ? resolve(event.url) : reject(new Error(`host failed to start: ${event.error}`)),
      );
      child.once('exit', (code) => reject(new Error(`host exited with code ${code} before it was ready`)));
    });
    return new HostProcess(child, url.replace('localhost', '127.0.0.1'));
  }

  /**
   * Asks the host to stop and waits up to 5 s for it to exit (so it can flush, e.g. a --cpu-prof profile), then
   * kills it.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.connected) this.call({ cmd: 'stop' }).catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  call<T>(request: HostCommand): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.child.connected) return reject(new Error('host process is gone'));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...request, id } as HostRequest, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }
}

function mailboxUsers(tenant: Tenant): SimUser[] {
  return tenant
    .mailboxIds()
    .map((id) => tenant.users.get(id))
    .filter((u): u is SimUser => u !== undefined);
}

/**
 * Changes `share` of the mailboxes in the simulator's model: new FullAccess, new calendar delegates, revoked or
 * new SendAs.
 */
function mutateTenant(tenant: Tenant, share: number, seed: number): number {
  const random = createRng(seed).next;
  const users = mailboxUsers(tenant);
  const regular = users.filter((u) => u.recipientTypeDetails === 'UserMailbox' && u.accountEnabled);
  const count = Math.max(1, Math.round(users.length * share));
  const chosen = new Set<string>();
  while (chosen.size < Math.min(count, users.length)) chosen.add(users[Math.floor(random() * users.length)]!.id);
  let i = 0;
  for (const mailboxId of chosen) {
    let trustee = regular[Math.floor(random() * regular.length)]!;
    if (trustee.id === mailboxId) trustee = regular[(regular.indexOf(trustee) + 1) % regular.length]!;
    const op = i++ % 3;
    if (op === 0) tenant.grantFullAccess(mailboxId, trustee.id);
    else if (op === 1) tenant.setCalendarRole(mailboxId, trustee.id, 'delegateWithPrivateEventAccess');
    else {
      const existing = tenant.permissions
        .get(mailboxId)
        ?.sendAs.map((a) => tenant.objectBySid(a.trusteeSid))
        .find((o): o is SimUser => o !== undefined && 'userPrincipalName' in o);
      if (existing) tenant.revokeSendAs(mailboxId, existing.id);
      else tenant.grantSendAs(mailboxId, trustee.id);
    }
  }
  return chosen.size;
}

/** One lookup measurement, with how many major collections Azurite ran during it (each can stall it for a second). */
type MeasuredLookup = LookupResult & { azuriteMajorGcs: number };

/** Paths a cold open-loop measurement of `seconds` at `rate` needs: Poisson arrivals, so some to spare. */
const coldPathCount = (rate: number, seconds: number) => Math.ceil(rate * seconds * 1.2) + 50;

/**
 * Lookup latency of both routes at each load (the open-loop rates, then the closed-loop connection counts), with the
 * CPU each process spent per request. Users are drawn from every stored mailbox owner in an order shuffled with the
 * run's seed. `warm`: the first 500 of them, the same ones on every measurement, warmed up on those very paths (an
 * address cache that holds them). `cold` (open-loop rates only: a closed loop's count of requests is not known in
 * advance): each measurement and its warm-up take users not asked for before, each once, so every UPN costs its
 * address read. Azurite first collects the garbage the seed or the sync left in its heap, as a table service at
 * rest would have none: otherwise that collection lands in the first measurement.
 */
async function measureAllLookups(
  options: BenchOptions,
  tenant: Tenant,
  host: HostProcess,
  sim: RunningSimulator,
  azurite: AzuriteHandle,
  log: (line: string) => void,
): Promise<{ azuriteGc?: AzuriteGc; lookups: MeasuredLookup[] }> {
  const lookups: MeasuredLookup[] = [];
  if (options.lookupSeconds <= 0 || options.lookupRates.length + options.lookupConnections.length === 0)
    return { lookups };
  const azuriteGc = await azurite.collectGarbage();
  log(
    `lookups: Azurite collected its garbage first: heap ${azuriteGc.heapUsedBeforeMb} -> ` +
      `${azuriteGc.heapUsedAfterMb} MB in ${azuriteGc.ms} ms`,
  );
  const random = createRng(options.seed + 2).next;
  const users = mailboxUsers(tenant);
  // Fisher–Yates with the seeded generator: the same order on every run of the same tenant.
  for (let i = users.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [users[i], users[j]] = [users[j]!, users[i]!];
  }
  const sample = users.slice(0, Math.min(500, users.length));
  let unseen = sample.length;
  /** The next `count` users nobody asked for yet; wraps (and `repeatedPaths` then says so) on a small tenant. */
  const takeUnseen = (count: number): SimUser[] =>
    Array.from({ length: count }, () => {
      if (unseen >= users.length) unseen = sample.length;
      return users[unseen++]!;
    });
  const routes = [
    {
      name: 'GET /api/users/{user}/delegate-mailboxes',
      path: (u: SimUser) => `/api/users/${encodeURIComponent(u.userPrincipalName)}/delegate-mailboxes`,
    },
    { name: 'GET /api/mailboxes/{mailbox}/delegates', path: (u: SimUser) => `/api/mailboxes/${u.id}/delegates` },
  ];
  type Plan = { route: (typeof routes)[number]; load: LookupLoad; cache: LookupCache };
  const loads: LookupLoad[] = [
    ...options.lookupRates.map((ratePerSecond): LookupLoad => ({ kind: 'open', ratePerSecond })),
    ...options.lookupConnections.map((connections): LookupLoad => ({ kind: 'closed', connections })),
  ];
  const plans: Plan[] = routes.flatMap((route) => [
    ...(options.lookupCache.includes('warm') ? loads.map((load): Plan => ({ route, load, cache: 'warm' })) : []),
    ...(options.lookupCache.includes('cold')
      ? loads.filter((l) => l.kind === 'open').map((load): Plan => ({ route, load, cache: 'cold' }))
      : []),
  ]);
  const processes = { host: host.child.pid ?? 0, azurite: azurite.pid, simulator: process.pid };
  for (const { route, load, cache } of plans) {
    const rate = load.kind === 'open' ? load.ratePerSecond : 0;
    const target: LookupTarget =
      cache === 'warm'
        ? { name: route.name, cache, paths: sample.map(route.path) }
        : {
            name: route.name,
            cache,
            paths: takeUnseen(coldPathCount(rate, options.lookupSeconds)).map(route.path),
            warmupPaths: takeUnseen(coldPathCount(rate, options.lookupWarmupSeconds)).map(route.path),
          };
    const shape =
      load.kind === 'open'
        ? `${load.ratePerSecond} req/s arriving at random (open loop)`
        : `${load.connections} connections (closed loop)`;
    log(
      `lookups: ${target.name}, ${cache} (${target.paths.length} users), for ${options.lookupSeconds}s ` +
        `(after ${options.lookupWarmupSeconds}s of warm-up) at ${shape}`,
    );
    // Minted now: a token from the start of a long run would have expired (every request a 401).
    const readerToken = await sim.mintApiToken({ roles: ['MailboxPermissionSync.Reader'] });
    const majorGcsBefore = await azurite.majorGcCount();
    const last = await measureLookups(host.url, readerToken, target, {
      load,
      durationSeconds: options.lookupSeconds,
      warmupSeconds: options.lookupWarmupSeconds,
      seed: options.seed,
      processes,
    });
    const azuriteMajorGcs = (await azurite.majorGcCount()) - majorGcsBefore;
    lookups.push({ ...last, azuriteMajorGcs });
    const cpu = last.cpuMsPerRequest
      ? `, CPU ms/request ${Object.entries(last.cpuMsPerRequest)
          .map(([k, v]) => `${k} ${v}`)
          .join(' ')}`
      : '';
    log(
      `  p50 ${last.latencyMs.p50} ms, p99 ${last.latencyMs.p99} ms, max ${last.latencyMs.max} ms, ` +
        `${last.requestsPerSecond} req/s, ` +
        `${load.kind === 'open' ? `at most ${last.connections} in flight, ` : ''}` +
        `${cache === 'cold' && last.repeatedPaths > 0 ? `${last.repeatedPaths} paths asked twice (not cold), ` : ''}` +
        `non-2xx ${last.non2xx}${cpu}, Azurite major GCs ${azuriteMajorGcs}`,
    );
    if (last.non2xx > 0 || last.errors > 0) {
      log(`bench: ${last.non2xx} lookups answered non-2xx and ${last.errors} failed; their latency says nothing`);
      process.exitCode = 1;
    }
  }
  return { azuriteGc, lookups };
}

/** Runs `measure` on each SIGUSR2, one at a time, until the process is stopped (Ctrl-C runs the cleanup). */
async function keepMeasuring(measure: () => Promise<void>, log: (line: string) => void): Promise<never> {
  let busy = false;
  process.on('SIGUSR2', () => {
    if (busy) return log('bench: a measurement is already running');
    busy = true;
    measure()
      .catch((error: unknown) => log(`bench: the measurement failed: ${(error as Error).message}`))
      .finally(() => (busy = false));
  });
  return new Promise<never>(() => undefined);
}

/**
 * `--instances 1,4,16`: the whole bench once per instance count, each in its own process (fresh Azurite, tenant
 * and tables, so no count inherits another's stored rates), their JSON lines gathered into one.
 */
async function measureEachInstanceCount(argv: string[], counts: readonly number[]): Promise<void> {
  const others = argv.filter((arg, i) => arg !== '--instances' && argv[i - 1] !== '--instances');
  const results: unknown[] = [];
  for (const count of counts) {
    process.stderr.write(`bench: --instances ${count}\n`);
    const child = fork(
      fileURLToPath(import.meta.url),
      [...others.filter((a) => !a.startsWith('--instances=')), '--instances', String(count)],
      { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
    );
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
    const line = out.trim().split('\n').at(-1) ?? '';
    results.push({ instances: count, exitCode: code, result: line ? (JSON.parse(line) as unknown) : null });
  }
  process.stdout.write(`${JSON.stringify({ command: `npm run bench -- ${argv.join(' ')}`.trim(), results })}\n`);
}

/** How often the bench reads the run, as a client polling the API would. */
const POLL_MS = 250;

/** The finalizer timer's cadence in production (`30 * * * * *`, functions/finalizeRuns.ts). */
const FINALIZER_EVERY_MS = 60_000;

/**
 * The wall time from "run now" to the terminal status as a client sees it: the run is read through the API every
 * 250 ms until it leaves the active statuses. A run closes itself when its last mailbox settles (DESIGN §8.3);
 * the finalizer, its safety net, fires only at its production cadence, never when the queue goes idle, so it
 * cannot make the figure look better than a client would find it.
 */
async function pollUntilClosed(
  api: (method: string, route: string) => Promise<Record<string, unknown>>,
  finalizerTick: () => Promise<unknown>,
  taskId: string,
  runId: string,
  started: number,
): Promise<{ run: Record<string, unknown>; wallMs: number; unavailable: number }> {
  let nextTick = started + FINALIZER_EVERY_MS;
  let unavailable = 0;
  for (;;) {
    let run: Record<string, unknown> | undefined;
    try {
      run = await api('GET', `tasks/${taskId}/runs/${runId}`);
    } catch (error) {
      // A 503 (problem+json says "try again") is what a client retries; counted, so a busy host shows.
      if (!/ answered 503:/.test((error as Error).message)) throw error;
      unavailable += 1;
    }
    if (run && !isActiveStatus(run.status as RunStatus)) return { run, wallMs: Date.now() - started, unavailable };
    if (Date.now() >= nextTick) {
      await finalizerTick();
      nextTick += FINALIZER_EVERY_MS;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  if (options.instances.length > 1) return measureEachInstanceCount(argv, options.instances);
  const deadline = Date.now() + options.timeoutMinutes * 60_000;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let azurite: AzuriteHandle | undefined;
  let sim: RunningSimulator | undefined;
  let host: HostProcess | undefined;
  let cleaning: Promise<void> | undefined;
  // Once, from whichever comes first (end, timeout, signal): no Azurite or host may outlive the benchmark.
  const cleanup = () =>
    (cleaning ??= (async () => {
      await host?.stop();
      await sim?.stop();
      await azurite?.stop();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`bench: ${signal}, stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const phases: PhaseResult[] = [];
  const timer = setTimeout(() => {
    log(`bench: over the ${options.timeoutMinutes}-minute limit, stopping (the JSON line holds the finished phases)`);
    process.stdout.write(
      `${JSON.stringify({ command: `npm run bench -- ${argv.join(' ')}`.trim(), options, incomplete: true, phases })}` +
        '\n',
    );
    void cleanup().finally(() => process.exit(2));
  }, deadline - Date.now());
  timer.unref();

  try {
    log(`bench: generating a tenant of ${options.mailboxes} mailboxes, starting Azurite`);
    const rateLimits = {
      ...(options.exchangeRps > 0 ? { exchange: options.exchangeRps } : {}),
      ...(options.graphRps > 0 ? { graph: options.graphRps } : {}),
    };
    [azurite, sim] = await Promise.all([
      startAzurite({ nodeOptions: options.azuriteNodeOptions, heapControl: true }),
      startSimulator({
        port: 0,
        seed: options.seed,
        mailboxes: options.mailboxes,
        delegationsPerMailbox: options.delegations,
        groupTrusteeShare: options.groupShare,
        latencyMs: options.latencyMs,
        jitterMs: options.jitterMs,
        rateLimits,
      }),
    ]);
    const hostEnv = {
      TABLES_CONNECTION_STRING: azuriteConnectionString(azurite.port),
      TABLES_PREFIX: 'bench',
      ...appSettingsFor(sim),
      LOG_LEVEL: 'warn',
      LOCAL_INSTANCES: String(options.instances[0] ?? 1),
    };
    host = await HostProcess.start(hostEnv, options.hostHeapMb, options.tableLayout);
    const running = sim;
    const adminToken = await sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'] });
    const api = async (method: string, route: string, body?: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(`${host!.url}/api/${route}`, {
        method,
        headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (response.status >= 300)
        throw new Error(`${method} /api/${route} answered ${response.status}: ${JSON.stringify(json)}`);
      return json;
    };

    const tenant = sim.tenant;
    const targetGroupId = tenant.demo.targetGroupId;
    const schedule = await api('POST', 'schedules', {
      description: 'Benchmark',
      type: 'oneOff',
      runAt: '2099-01-01T00:00',
      timeZone: 'UTC',
    });
    const task = await api('POST', 'tasks', {
      description: 'Benchmark: all staff',
      scheduleId: schedule.id,
      target: { kind: 'group', groupId: targetGroupId },
      rights: ALL_RIGHTS,
    });
    const taskId = String(task.id);

    if (options.phases[0] === 'seed') {
      const started = Date.now();
      const seeded = await seedIndex(tenant, azuriteConnectionString(azurite.port), 'bench', options.tableLayout, log);
      log(
        `seed: ${seeded.mailboxes} mailboxes with ${seeded.delegations} delegations stored in ` +
          `${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
    for (const phase of options.phases.filter((p) => p !== 'seed')) {
      let changedMailboxes: number | undefined;
      if (phase === 'changed') changedMailboxes = mutateTenant(tenant, options.changedShare, options.seed + 1);
      const members = tenant.transitiveMembers(targetGroupId);
      const mailboxCount = members.filter((m) => m.type === 'user' && m.user.mail !== null).length;
      const tenantMailboxes = tenant.mailboxIds().length;
      let sendAsGrants = 0;
      for (const perms of tenant.permissions.values()) sendAsGrants += perms.sendAs.length;
      const floor = computeFloor({
        mailboxes: mailboxCount,
        targetMembers: members.length,
        tenantMailboxes,
        sendAsRows: tenantMailboxes + sendAsGrants,
        rights: ALL_RIGHTS,
        ...(options.exchangeRps > 0 ? { exchangeRps: options.exchangeRps } : {}),
        ...(options.graphRps > 0 ? { graphRps: options.graphRps } : {}),
      });

      running.resetStats();
      await host.call({ cmd: 'resetPeak' });
      const before = await host.call<HostSnapshot>({ cmd: 'snapshot' });
      const cpuBefore = { azurite: processCpuMs(azurite.pid), simulator: processCpuMs(process.pid) };
      const started = Date.now();
      const { runId } = await api('POST', `tasks/${taskId}/run`);
      let lastCalls = 0;
      let lastAt = started;
      let hostView = '';
      const progress = setInterval(
        () => {
          void host!.call<HostSnapshot>({ cmd: 'snapshot' }).then((snap) => {
            const view = (name: string, l: HostSnapshot['limiters']['graph']) =>
              `${name} ${l?.ratePerSecond ?? '-'}/s ${l?.inFlight ?? 0}/${l?.limit ?? 0}+${l?.queued ?? 0}`;
            hostView =
              `queue ${snap.queue.pending}+${snap.queue.inFlight}  ` +
              `${view('exo', snap.limiters.exchange)}  ${view('graph', snap.limiters.graph)}  ` +
              `rss ${Math.round(snap.rssBytes / 2 ** 20)} MB heap ${Math.round(snap.heapUsedBytes / 2 ** 20)} MB`;
          });
          const stats = running.stats();
          const done = stats.exchangeCmdlets['Get-MailboxPermission'] ?? 0;
          const calls = Object.values(stats.exchangeCmdlets).reduce((a, b) => a + b, 0);
          const now = Date.now();
          const rate = ((calls - lastCalls) * 1000) / Math.max(1, now - lastAt);
          lastCalls = calls;
          lastAt = now;
          const line = progressLine(
            phase,
            Math.min(done, mailboxCount),
            mailboxCount,
            now - started,
            `exchange ${rate.toFixed(0).padStart(4)}/s  ` +
              `429s ${stats.throttled.exchange + stats.throttled.graph}  ${hostView}`,
          );
          process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
        },
        process.stderr.isTTY ? 500 : 5_000,
      );
      let closed: { run: Record<string, unknown>; wallMs: number; unavailable: number };
      try {
        closed = await pollUntilClosed(api, () => host!.call({ cmd: 'finalize' }), taskId, String(runId), started);
      } finally {
        clearInterval(progress);
      }
      const { run, wallMs } = closed;
      const after = await host.call<HostSnapshot>({ cmd: 'snapshot' });
      if (process.stderr.isTTY) process.stderr.write('\n');
      // The other processes on the machine's cores: the table emulator, and this one (simulator + poller).
      const cpuSeconds = (pid: number, was: number | undefined) => {
        const now = processCpuMs(pid);
        return now === undefined || was === undefined ? null : Math.round(now - was) / 1000;
      };
      const summary = {
        ...summarizePhase({ phase, wallMs, floor, run, sim: running.stats(), before, after }),
        pollsAnswered503: closed.unavailable,
        otherCpuSeconds: {
          azurite: cpuSeconds(azurite.pid, cpuBefore.azurite),
          simulatorAndBench: cpuSeconds(process.pid, cpuBefore.simulator),
        },
      };
      phases.push(changedMailboxes === undefined ? summary : ({ ...summary, changedMailboxes } as PhaseResult));
      log(
        `${phase}: ${summary.wallSeconds}s (floor ${summary.floorSeconds}s, x${summary.wallOverFloor}), ` +
          `${summary.mailboxesFailed} failed, 429 share ${summary.throttled.share}, ` +
          `delegation writes ${summary.tables.delegationTableWrites}, peak RSS ${summary.host.peakRssMb} MB`,
      );
    }

    let feed: FeedResult | null = null;
    if (options.feed) {
      if (options.phases[0] === 'seed') throw new Error('--feed needs a full run first (not --phases seed)');
      const scope = tenant
        .transitiveMembers(targetGroupId)
        .flatMap((m) =>
          m.type === 'user' && m.user.mail !== null && tenant.permissions.has(m.user.id) ? [m.user] : [],
        );
      feed = await measureFeed(
        {
          api,
          sim: running,
          fireTimer: (name) => host!.call({ cmd: 'timer', name }),
          taskId,
          scope,
          log,
        },
        options.feed,
      );
    }

    // Entities read per history page: the whole history newest first, then one mailbox's (O(page) each).
    const snapshot = () => host!.call<HostSnapshot>({ cmd: 'snapshot' });
    const all = await measureHistoryPaging(api, snapshot, { top: 100, maxPages: 50 });
    const first = await api('GET', 'delegation-changes?top=1');
    const someMailbox = (first.items as Array<{ mailbox: { address: string } }>)[0]?.mailbox.address;
    const historyPaging = {
      all,
      ...(someMailbox
        ? { oneMailbox: await measureHistoryPaging(api, snapshot, { top: 2, maxPages: 20, mailbox: someMailbox }) }
        : {}),
    };
    log(
      `history: ${all.pages} pages of ${all.top}, entities read per page mean ${all.entitiesPerPage.mean}, ` +
        `max ${all.entitiesPerPage.max}, ${all.msPerPage.mean} ms`,
    );

    const { azuriteGc, lookups } = await measureAllLookups(options, tenant, host, running, azurite, log);
    const final = await host.call<HostSnapshot>({ cmd: 'snapshot' });
    const result = {
      command: `npm run bench -- ${argv.join(' ')}`.trim(),
      options,
      machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
      tenant: { mailboxes: tenant.mailboxIds().length, users: tenant.users.size, groups: tenant.groups.size },
      phases,
      feed,
      historyPaging,
      azuriteGcBeforeLookups: azuriteGc ?? null,
      lookups,
      host: {
        peakRssMb: Math.round((final.peakRssBytes / 2 ** 20) * 10) / 10,
        vmHwmMb: Math.round((final.vmHwmBytes / 2 ** 20) * 10) / 10,
      },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (options.keep) {
      clearTimeout(timer);
      const readerToken = await running.mintApiToken({ roles: ['MailboxPermissionSync.Reader'] });
      log(
        `bench: kept running. Host ${host.url} (Reader token below, valid 1 h); ` +
          `host pid ${host.child.pid}, Azurite pid ${azurite.pid}.`,
      );
      log(`  kill -USR2 ${process.pid}   restarts the host from dist/ and measures the lookups again; Ctrl-C ends.`);
      log(readerToken);
      await keepMeasuring(async () => {
        await host!.stop();
        host = await HostProcess.start(hostEnv, options.hostHeapMb, options.tableLayout);
        const again = await measureAllLookups(options, tenant, host, running, azurite!, log);
        process.stdout.write(
          `${JSON.stringify({
            command: result.command,
            rerun: true,
            azuriteGcBeforeLookups: again.azuriteGc ?? null,
            lookups: again.lookups,
          })}\n`,
        );
      }, log);
    }
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
