import autocannon from 'autocannon';
import http from 'node:http';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRng } from '../dev/simulator/rng.js';

/**
 * Whether the host has seen the measured paths before. `warm`: the warm-up requests the very paths then measured,
 * so each user's address is in the host's address cache. `cold`: every measured path is asked for once, drawn
 * from users nobody asked for before in this host (the warm-up uses other users), so each UPN costs its address
 * read as a first lookup of that user does.
 */
export type LookupCache = 'warm' | 'cold';

export interface LookupTarget {
  name: string;
  cache: LookupCache;
  /** Paths under the host, cycled through so each request asks for another user or mailbox. */
  paths: string[];
  /** Paths of the uncounted warm-up when they differ from `paths` (a cold measurement). */
  warmupPaths?: string[];
}

/**
 * How the load is offered.
 * - `closed`: `connections` clients, each sending its next request when the previous answer came (autocannon).
 *   It finds the most the machine can answer; at that point the latency is mostly time spent queueing.
 * - `open`: requests arrive at random times (a Poisson process) at `ratePerSecond`, whatever the answers' pace,
 *   like users who do not wait for each other. Latency counts from the moment a request was due, so a stall
 *   is charged to every request it delayed.
 */
export type LookupLoad = { kind: 'closed'; connections: number } | { kind: 'open'; ratePerSecond: number };

export interface LookupResult {
  route: string;
  cache: LookupCache;
  distinctPaths: number;
  /** Measured requests that asked for a path already asked for in this measurement (0 for a cold one that held). */
  repeatedPaths: number;
  load: LookupLoad;
  /** closed: the clients; open: the most requests in flight at one time. */
  connections: number;
  durationSeconds: number;
  /** Seconds of the same load run first and not counted. */
  warmupSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Response bytes (headers and body) per request: a route's cost grows with what it returns. */
  meanResponseBytes: number;
  non2xx: number;
  errors: number;
  /**
   * CPU milliseconds per request of each process during the measured seconds (Linux /proc; absent elsewhere):
   * on a 2-core machine the host, the storage emulator and the load generator share the cores, so a p99 at
   * saturation says as much about their sum as about the lookup.
   */
  cpuMsPerRequest?: Record<string, number>;
}

export type Measured = Omit<
  LookupResult,
  | 'route'
  | 'cache'
  | 'distinctPaths'
  | 'repeatedPaths'
  | 'load'
  | 'durationSeconds'
  | 'warmupSeconds'
  | 'cpuMsPerRequest'
>;

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is missing. */
export function processCpuMs(pid: number): number | undefined {
  if (pid === process.pid) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th, in clock ticks
    // (100/s on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** What the load-generator process is asked to run, and what it says back. */
export interface LoadJob {
  baseUrl: string;
  headers: Record<string, string>;
  paths: string[];
  warmupPaths?: string[];
  load: LookupLoad;
  warmupSeconds: number;
  durationSeconds: number;
  seed: number;
}
export type LoadEvent =
  | { type: 'measuring' }
  | { type: 'done'; measured: Measured }
  | { type: 'finished' }
  | { type: 'failed'; error: string };

/** Runs a job's warm-up, then its measured load, telling the caller when the measured part starts. */
export async function runLoadJob(job: LoadJob, tell: (event: LoadEvent) => void): Promise<void> {
  const load = (paths: string[], seconds: number) =>
    job.load.kind === 'closed'
      ? closedLoop(job.baseUrl, job.headers, paths, job.load.connections, seconds)
      : openLoop(job.baseUrl, job.headers, paths, job.load.ratePerSecond, seconds, job.seed);
  if (job.warmupSeconds > 0) await load(job.warmupPaths ?? job.paths, job.warmupSeconds);
  tell({ type: 'measuring' });
  tell({ type: 'done', measured: await load(job.paths, job.durationSeconds) });
}

/**
 * Load-tests one lookup route (Reader token, paths cycled) and returns its latency figures. The load comes from a
 * process of its own (bench/loadGenerator.ts): in the benchmark's process it shared an event loop and a heap with
 * the simulator's 100,000-mailbox tenant, whose garbage collection then showed up as lookup latency. The same load
 * runs for `warmupSeconds` first, uncounted: the first route measured otherwise paid for the host's JIT and
 * connection set-up (p99 about twice that of the same route measured again).
 */
export async function measureLookups(
  baseUrl: string,
  token: string,
  target: LookupTarget,
  options: {
    load: LookupLoad;
    durationSeconds: number;
    warmupSeconds: number;
    seed?: number;
    processes?: Record<string, number>;
  },
): Promise<LookupResult> {
  const job: LoadJob = {
    baseUrl,
    headers: { Authorization: `Bearer ${token}` },
    paths: target.paths,
    ...(target.warmupPaths ? { warmupPaths: target.warmupPaths } : {}),
    load: options.load,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    seed: options.seed ?? 1,
  };
  const child = fork(fileURLToPath(new URL('./loadGenerator.js', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const processes = Object.entries({ ...options.processes, loadGenerator: child.pid ?? 0 });
  let cpuBefore: Array<number | undefined> = [];
  try {
    const measured = await new Promise<Measured>((resolve, reject) => {
      child.on('message', (event: LoadEvent) => {
        if (event.type === 'measuring') cpuBefore = processes.map(([, pid]) => processCpuMs(pid));
        else if (event.type === 'done') resolve(event.measured);
        else if (event.type === 'failed') reject(new Error(`load generator failed: ${event.error}`));
      });
      child.once('exit', (code) => reject(new Error(`load generator exited (${code}) before it finished`)));
      child.send(job);
    });
    const cpuMsPerRequest: Record<string, number> = {};
    processes.forEach(([name, pid], i) => {
      const before = cpuBefore[i];
      const after = processCpuMs(pid);
      if (before !== undefined && after !== undefined && measured.requests > 0)
        cpuMsPerRequest[name] = Math.round(((after - before) / measured.requests) * 100) / 100;
    });
    return {
      route: target.name,
      cache: target.cache,
      distinctPaths: target.paths.length,
      repeatedPaths: Math.max(0, measured.requests + measured.errors - target.paths.length),
      load: options.load,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      ...measured,
      ...(Object.keys(cpuMsPerRequest).length > 0 ? { cpuMsPerRequest } : {}),
    };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

async function closedLoop(
  baseUrl: string,
  headers: Record<string, string>,
  paths: string[],
  connections: number,
  seconds: number,
): Promise<Measured> {
  let next = 0;
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    headers,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }) }],
  });
  return {
    connections,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: Math.round(result.latency.mean * 100) / 100,
    },
    meanResponseBytes: result.requests.total > 0 ? Math.round(result.throughput.total / result.requests.total) : 0,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * Open-loop load: Poisson arrivals at `ratePerSecond` (seeded, so runs offer the same schedule), each request sent
 * at its due time on a keep-alive socket, or a new one when all are busy. Latency runs from the due time, so the
 * generator's own lateness and any queueing in the host count against the route, never in its favour.
 */
export async function openLoop(
  baseUrl: string,
  headers: Record<string, string>,
  paths: string[],
  ratePerSecond: number,
  seconds: number,
  seed: number,
): Promise<Measured> {
  const agent = new http.Agent({ keepAlive: true });
  const random = createRng(seed).next;
  const latencies: number[] = [];
  let bytes = 0;
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const send = (path: string, due: number) =>
    new Promise<void>((resolve) => {
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      const done = (ok: boolean, status = 0, size = 0) => {
        inFlight -= 1;
        if (!ok) errors += 1;
        else {
          latencies.push(performance.now() - due);
          bytes += size;
          if (status < 200 || status > 299) non2xx += 1;
        }
        resolve();
      };
      const request = http.get(new URL(path, baseUrl), { agent, headers }, (response) => {
        let size = response.rawHeaders.reduce((n, h) => n + Buffer.byteLength(h) + 2, 0);
        response.on('data', (chunk: Buffer) => (size += chunk.length));
        response.on('end', () => done(true, response.statusCode ?? 0, size));
        response.on('error', () => done(false));
      });
      request.setTimeout(30_000, () => request.destroy(new Error('no answer within 30 s')));
      request.on('error', () => done(false));
    });
  const started = performance.now();
  const end = started + seconds * 1000;
  const sent: Array<Promise<void>> = [];
  let due = started;
  for (let i = 0; ; i += 1) {
    due += (-Math.log(1 - random()) * 1000) / ratePerSecond;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
    sent.push(send(paths[i % paths.length]!, due));
  }
  await Promise.all(sent);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies.length === 0
      ? 0
      : Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]! * 10) / 10;
  const answered = latencies.length;
  return {
    connections: peakInFlight,
    requests: answered,
    requestsPerSecond: Math.round(answered / seconds),
    latencyMs: {
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: at(1),
      mean: answered === 0 ? 0 : Math.round((latencies.reduce((a, b) => a + b, 0) / answered) * 100) / 100,
    },
    meanResponseBytes: answered > 0 ? Math.round(bytes / answered) : 0,
    non2xx,
    errors,
  };
}
