import { copyFileSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctionFiles } from '../../dev/host/localHost.js';
import type { FunctionDefinition } from '../../shared/host/registry.js';
import { linkProductionModules, ROOT, run, tempApp } from '../package/stage.js';

// Issue 21: what the Functions Node.js worker registers from the built server, which is all Azure binds. The app is
// compiled with tsconfig.server.json into a directory of its own, next to a package.json and a node_modules with
// production packages only (as after the remote build's prune), and loaded by functionsWorker.mjs in a child
// process, which provides `@azure/functions-core` as the worker does. A function that runs in the local host but
// would not bind in Azure (no registration, wrong trigger, queue, connection, route or schedule) fails here.

interface Binding {
  type: string;
  direction: string;
  [key: string]: unknown;
}
interface Registered {
  name: string;
  bindings: Record<string, Binding>;
}
interface WorkerReport {
  programmingModel?: { name: string; version: string };
  functions: Registered[];
}
interface WorkerRun {
  code: number;
  stderr: string;
  report?: WorkerReport;
}

const WORKER = path.join(ROOT, 'test/registration/functionsWorker.mjs');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

/** Runs the worker stand-in on `appDir`; a non-zero exit is what blocks the app in Azure. */
async function loadLikeTheWorker(appDir: string): Promise<WorkerRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [WORKER, appDir], {
      cwd: appDir,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stderr, report: JSON.parse(stdout) as WorkerReport };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stderr: failed.stderr ?? String(error) };
  }
}

/** The one trigger binding of a registration. */
function triggerOf(fn: Registered): Binding | undefined {
  const triggers = Object.values(fn.bindings).filter((b) => b.direction === 'in' && /Trigger$/.test(b.type));
  return triggers.length === 1 ? triggers[0] : undefined;
}

/** What differs between the worker's registrations and the definitions the local host runs (empty: none). */
function differences(report: WorkerReport, definitions: readonly FunctionDefinition[]): string[] {
  const problems: string[] = [];
  const byName = new Map(report.functions.map((f) => [f.name, f]));
  for (const def of definitions) {
    const fn = byName.get(def.name);
    if (!fn) {
      problems.push(`${def.name}: runs in the local host but is not registered with the worker`);
      continue;
    }
    const trigger = triggerOf(fn);
    const expected: Record<string, unknown> =
      def.kind === 'http'
        ? { type: 'httpTrigger', route: def.route, methods: def.methods, authLevel: 'anonymous' }
        : def.kind === 'timer'
          ? { type: 'timerTrigger', schedule: def.schedule }
          : { type: 'serviceBusTrigger', queueName: def.queueName, connection: 'ServiceBusConnection' };
    for (const [key, value] of Object.entries(expected)) {
      if (JSON.stringify(trigger?.[key]) !== JSON.stringify(value))
        problems.push(`${def.name}: ${key} is ${JSON.stringify(trigger?.[key])}, expected ${JSON.stringify(value)}`);
    }
    if (def.kind === 'http' && fn.bindings.$return?.type !== 'http')
      problems.push(`${def.name}: no HTTP output binding for the response`);
  }
  const known = new Set(definitions.map((d) => d.name));
  for (const fn of report.functions)
    if (!known.has(fn.name)) problems.push(`${fn.name}: registered with the worker but unknown to the local host`);
  return problems;
}

// The routes of ../shared/DESIGN.md §5 and §8.2 (under /api), the queues of §2 and the connection of §4.
const DOCUMENTED_ROUTES = [
  'GET health',
  'GET openapi.json',
  'POST schedules',
  'GET schedules',
  'GET schedules/{id}',
  'PUT schedules/{id}',
  'DELETE schedules/{id}',
  'POST tasks',
  'GET tasks',
  'GET tasks/{id}',
  'PUT tasks/{id}',
  'DELETE tasks/{id}',
  'POST tasks/{id}/run',
  'GET tasks/{id}/runs',
  'GET tasks/{id}/runs/{runId}',
  'GET tasks/{id}/runs/{runId}/mailboxes',
  'GET tasks/{id}/runs/{runId}/held-revocations',
  'POST tasks/{id}/runs/{runId}/held-revocations/apply',
  'POST tasks/{id}/runs/{runId}/held-revocations/dismiss',
  'GET users/{user}/delegate-mailboxes',
  'POST users/{user}/delegate-mailboxes',
  'DELETE users/{user}/delegate-mailboxes/{mailbox}',
  'GET mailboxes/{mailbox}/delegates',
  'GET me/delegate-mailboxes',
  'GET delegation-changes',
  'GET directory/groups',
  'GET diagnostics',
  'GET audit-feed',
  'POST alert-rules',
  'GET alert-rules',
  'GET alert-rules/{id}',
  'DELETE alert-rules/{id}',
  'GET alert-rules/{id}/deliveries',
  'POST alert-rules/{id}/test',
];
const DOCUMENTED_QUEUE_TRIGGERS: Record<string, string> = {
  expandTarget: 'mps-expand',
  syncMailbox: 'mps-mailbox',
  expandTargetDeadLetter: 'mps-expand/$deadletterqueue',
  syncMailboxDeadLetter: 'mps-mailbox/$deadletterqueue',
  deliverAlert: 'mps-alert',
  deliverAlertDeadLetter: 'mps-alert/$deadletterqueue',
};
// docs/architecture.md: the run timers and the feed every minute (UTC, NCRONTAB with seconds), retention daily.
const DOCUMENTED_TIMERS: Record<string, string> = {
  evaluateSchedules: '0 * * * * *',
  finalizeRuns: '30 * * * * *',
  pollAuditFeed: '15 * * * * *',
  applyRetention: '0 17 3 * * *',
};

/** What the documents promise that the worker's registrations lack (empty: nothing). */
function undocumented(report: WorkerReport): string[] {
  const problems: string[] = [];
  const triggers = report.functions.map((fn) => ({ name: fn.name, trigger: triggerOf(fn) }));
  for (const entry of DOCUMENTED_ROUTES) {
    const [method, route] = entry.split(' ') as [string, string];
    const served = triggers.some(
      ({ trigger }) =>
        trigger?.type === 'httpTrigger' &&
        trigger.route === route &&
        Array.isArray(trigger.methods) &&
        trigger.methods.includes(method),
    );
    if (!served) problems.push(`${method} /api/${route} is documented but not registered`);
  }
  for (const [name, queueName] of Object.entries(DOCUMENTED_QUEUE_TRIGGERS)) {
    const trigger = triggers.find((t) => t.name === name)?.trigger;
    if (trigger?.type !== 'serviceBusTrigger' || trigger.queueName !== queueName)
      problems.push(`${name} must be a Service Bus trigger on ${queueName}`);
    else if (trigger.connection !== 'ServiceBusConnection')
      problems.push(`${name} must use the connection ServiceBusConnection (ServiceBusConnection__* app settings)`);
  }
  for (const [name, schedule] of Object.entries(DOCUMENTED_TIMERS)) {
    const trigger = triggers.find((t) => t.name === name)?.trigger;
    if (trigger?.type !== 'timerTrigger' || trigger.schedule !== schedule)
      problems.push(`${name} must be a timer on '${schedule}'`);
  }
  return problems;
}

let app: string;
let definitions: readonly FunctionDefinition[];
let loaded: WorkerRun;

beforeAll(async () => {
  app = tempApp('registration');
  copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
  linkProductionModules(app);
  await run(process.execPath, [TSC, '-p', 'tsconfig.server.json', '--outDir', path.join(app, 'dist')], {
    cwd: ROOT,
    timeout: 170_000,
  });
  definitions = await loadFunctionFiles();
  loaded = await loadLikeTheWorker(app);
}, 180_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the built server, loaded as the Functions worker loads it', () => {
  it('builds only functions/ and shared/ with tsconfig.server.json', () => {
    expect(readdirSync(path.join(app, 'dist')).sort()).toEqual(['functions', 'shared']);
  });

  it('loads every entry point with production packages only and sets the v4 programming model', () => {
    expect(loaded.stderr).toBe('');
    expect(loaded.code).toBe(0);
    expect(loaded.report?.programmingModel?.name).toBe('@azure/functions');
    expect(loaded.report?.programmingModel?.version).toMatch(/^4\./);
  });

  it('registers every function the local host runs, with the same trigger, route, methods, queue and schedule', () => {
    expect(definitions.length).toBeGreaterThan(30);
    expect(differences(loaded.report!, definitions)).toEqual([]);
  });

  it('binds every documented route, queue and timer', () => {
    expect(undocumented(loaded.report!)).toEqual([]);
  });

  it('catches a function file missing from the build and a queue name that changed in the build', async () => {
    const retention = path.join(app, 'dist/functions/retention.js');
    renameSync(retention, `${retention}.off`);
    const queues = path.join(app, 'dist/shared/ports/queue.js');
    const original = readFileSync(queues, 'utf8');
    writeFileSync(queues, original.replace("'mps-mailbox'", "'mps-mailboxes'"));
    try {
      const seeded = await loadLikeTheWorker(app);
      expect(seeded.code).toBe(0);
      expect(differences(seeded.report!, definitions).sort()).toEqual([
        'applyRetention: runs in the local host but is not registered with the worker',
        'syncMailbox: queueName is "mps-mailboxes", expected "mps-mailbox"',
        'syncMailboxDeadLetter: queueName is "mps-mailboxes/$deadletterqueue", ' +
          'expected "mps-mailbox/$deadletterqueue"',
      ]);
      expect(undocumented(seeded.report!).sort()).toEqual([
        "applyRetention must be a timer on '0 17 3 * * *'",
        'syncMailbox must be a Service Bus trigger on mps-mailbox',
        'syncMailboxDeadLetter must be a Service Bus trigger on mps-mailbox/$deadletterqueue',
      ]);
    } finally {
      renameSync(`${retention}.off`, retention);
      writeFileSync(queues, original);
    }
  });

  it('stops loudly at an entry point that throws at import time, as the worker does on Node 20+', async () => {
    // The worker stops at the first file that throws; whatever was not loaded yet stays unregistered.
    const broken = path.join(app, 'dist/functions/aaBroken.js');
    writeFileSync(broken, "throw new Error('TABLES_ENDPOINT is not set');\n");
    try {
      const seeded = await loadLikeTheWorker(app);
      expect(seeded.code).toBe(1);
      expect(seeded.stderr).toContain(
        'Worker was unable to load entry point "dist/functions/aaBroken.js": TABLES_ENDPOINT is not set',
      );
    } finally {
      rmSync(broken);
    }
  });
});
