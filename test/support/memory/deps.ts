import { createLogger, type Logger } from '../../../shared/logging.js';
import type { AuditFeedPort } from '../../../shared/ports/auditFeed.js';
import type { MicrosoftPorts } from '../../../shared/ports/microsoft.js';
import type { Repositories, UseCaseDeps, UseCaseSettings } from '../../../shared/ports/services.js';
import { ResolverCache } from '../../../shared/usecases/trusteeResolver.js';
import type { AlertRaiser } from '../../../shared/ports/alerts.js';
import type { DelegationEvent } from '../../../shared/ports/delegations.js';
import { MemoryDelegations } from './delegations.js';
import { MemoryDirectory } from './directory.js';
import { MemoryQueue } from './queue.js';
import { MemoryRuns } from './runs.js';
import { MemorySchedules } from './schedules.js';
import { MemoryTasks } from './tasks.js';
import { MemoryTenant } from './tenant.js';

/** Every repository port in memory, typed as the memory classes so a test can look inside. */
export interface MemoryRepositories extends Repositories {
  schedules: MemorySchedules;
  tasks: MemoryTasks;
  runs: MemoryRuns;
  delegations: MemoryDelegations;
  directory: MemoryDirectory;
}

/** A clock the test moves by hand. */
export interface ManualClock {
  now: () => Date;
  set(iso: string): void;
  advanceMinutes(minutes: number): void;
}

/** What the use cases take, all in memory (no sockets): what a test arranges, acts through and asserts on. */
export interface MemoryDeps extends UseCaseDeps {
  repos: MemoryRepositories;
  queue: MemoryQueue;
  tenant: MemoryTenant;
  clock: ManualClock;
  /** The run-scoped trustee caches syncMailbox takes (one process's worth). */
  resolvers: ResolverCache;
  /** The alert hook: records the events each call hands it (no rules, nothing sent). */
  alerts: { raiser: RecordingAlertRaiser };
}

/** An alert hook that keeps every batch of events it is given. */
export class RecordingAlertRaiser implements AlertRaiser {
  readonly batches: DelegationEvent[][] = [];
  async raise(events: readonly DelegationEvent[]): Promise<number> {
    this.batches.push([...events]);
    return 0;
  }
}

export interface MemoryDepsOptions {
  /** ISO 8601 start of the clock. */
  startAt?: string;
  settings?: Partial<UseCaseSettings>;
  /** Replaces the tenant's ports (by default `tenant.ports()`, read afresh on every call). */
  microsoft?: (tenant: MemoryTenant) => MicrosoftPorts;
  /** The change feed's source; a test that polls the feed passes one (there is no in-memory default). */
  auditFeed?: AuditFeedPort;
  logger?: Logger;
}

function manualClock(startAt: string): ManualClock {
  let current = new Date(startAt).getTime();
  return {
    now: () => new Date(current),
    set: (iso) => {
      current = new Date(iso).getTime();
    },
    advanceMinutes: (minutes) => {
      current += minutes * 60_000;
    },
  };
}

/** In-memory ports behind `UseCaseDeps`: repositories, a recording queue, a Microsoft tenant and a clock. */
export function memoryDeps(options: MemoryDepsOptions = {}): MemoryDeps {
  const tasks = new MemoryTasks();
  const tenant = new MemoryTenant();
  const clock = manualClock(options.startAt ?? '2026-03-02T10:00:00.000Z');
  const microsoft = options.microsoft ?? ((t: MemoryTenant) => t.ports());
  return {
    logger: options.logger ?? createLogger('silent'),
    repos: {
      schedules: new MemorySchedules(),
      tasks,
      runs: new MemoryRuns(tasks),
      delegations: new MemoryDelegations(),
      directory: new MemoryDirectory(),
    },
    queue: new MemoryQueue(),
    storage: { ping: async () => {} },
    now: clock.now,
    microsoft: () => microsoft(tenant),
    auditFeed: () => {
      if (options.auditFeed) return options.auditFeed;
      throw new Error('memoryDeps: this test reads the audit feed; pass options.auditFeed');
    },
    settings: { runTimeoutMinutes: 60, revocationHoldPercent: 20, queueTransport: 'inProcess', ...options.settings },
    tenant,
    clock,
    resolvers: new ResolverCache(),
    alerts: { raiser: new RecordingAlertRaiser() },
  };
}
