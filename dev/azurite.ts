import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { mkdirSync } from 'node:fs';

const require = createRequire(import.meta.url);

export interface AzuriteHandle {
  port: number;
  /** The Azurite process (for CPU accounting in the benchmark). */
  pid: number;
  /** Runs a full garbage collection in Azurite (started with `heapControl`) and says what it freed. */
  collectGarbage(): Promise<AzuriteGc>;
  /** How many major (mark-compact) collections Azurite has run since it started (needs `heapControl`). */
  majorGcCount(): Promise<number>;
  stop(): Promise<void>;
}

export interface AzuriteGc {
  heapUsedBeforeMb: number;
  heapUsedAfterMb: number;
  ms: number;
}

/**
 * Loaded into Azurite's process (with --expose-gc) when the benchmark asks for `heapControl`: answers IPC requests
 * for a full collection and for the count of major ones. A store that was just seeded or synced holds ~0.8 GB of
 * garbage at 100,000 mailboxes; collected in the middle of a lookup measurement, it stops Azurite for 1–2 s.
 */
const HEAP_CONTROL = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
let majors = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors += 1;
}).observe({ entryTypes: ['gc'] });
const mb = (bytes) => Math.round(bytes / 2 ** 20);
process.on('message', (message) => {
  if (message?.cmd === 'gc') {
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    globalThis.gc();
    const ms = Math.round(performance.now() - started);
    const after = process.memoryUsage().heapUsed;
    process.send({ cmd: 'gc', gc: { heapUsedBeforeMb: mb(before), heapUsedAfterMb: mb(after), ms } });
  } else if (message?.cmd === 'majorGcCount') {
    process.send({ cmd: 'majorGcCount', count: majors });
  }
});
`;

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something already listens on 127.0.0.1:port. */
export async function isPortTaken(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Azurite did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/**
 * Starts Azurite's table service from node_modules (no global install, telemetry off) on 127.0.0.1.
 * With `location` the data persists there; without it, it lives in memory only. `nodeOptions` are Node/V8
 * flags for Azurite's own process (the benchmark sizes its heap for a 100,000-mailbox store).
 */
export async function startAzurite(
  options: { port?: number; location?: string; nodeOptions?: string[]; heapControl?: boolean } = {},
): Promise<AzuriteHandle> {
  const port = options.port ?? (await freePort());
  if (options.port !== undefined && (await isPortTaken(port))) {
    throw new Error(
      `Port ${port} for Azurite's table service is already in use: stop what uses it or set AZURITE_TABLE_PORT`,
    );
  }
  const entry = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist/src/table/main.js');
  const heapControl = options.heapControl
    ? ['--expose-gc', `--import=data:text/javascript,${encodeURIComponent(HEAP_CONTROL)}`]
    : [];
  const args = [
    ...(options.nodeOptions ?? []),
    ...heapControl,
    entry,
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(port),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--silent',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe', ...(options.heapControl ? (['ipc'] as const) : [])],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    await waitForPort(port, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}${stderr ? `: ${stderr.trim()}` : ''}`);
  }
  const ask = <T>(cmd: string, pick: (reply: Record<string, unknown>) => T): Promise<T> => {
    if (!options.heapControl) return Promise.reject(new Error('Azurite was started without heapControl'));
    return new Promise<T>((resolve, reject) => {
      const onMessage = (reply: Record<string, unknown>) => {
        if (reply?.cmd !== cmd) return;
        child.off('message', onMessage).off('exit', onExit);
        resolve(pick(reply));
      };
      const onExit = () => {
        child.off('message', onMessage);
        reject(new Error(`Azurite exited before answering '${cmd}'`));
      };
      child.on('message', onMessage).once('exit', onExit);
      child.send({ cmd });
    });
  };
  return {
    port,
    pid: child.pid ?? 0,
    collectGarbage: () => ask('gc', (reply) => reply.gc as AzuriteGc),
    majorGcCount: () => ask('majorGcCount', (reply) => Number(reply.count)),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // Azurite saves its data (autosave runs only every 5 s) on SIGINT; SIGTERM ends it without saving.
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
