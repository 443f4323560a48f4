import type { Logger } from '../logging.js';
import type { DelegationRepository } from './delegations.js';
import type { DirectoryRepository } from './directory.js';
import type { AuditFeedPort } from './auditFeed.js';
import type { MicrosoftPorts } from './microsoft.js';
import type { QueueSender } from './queue.js';
import type { RunRepository, ScheduleRepository, TaskRepository } from './repositories.js';

/** Every repository the use cases read and write. */
export interface Repositories {
  schedules: ScheduleRepository;
  tasks: TaskRepository;
  runs: RunRepository;
  delegations: DelegationRepository;
  directory: DirectoryRepository;
}

/** Confirms the store behind the repositories answers (health and diagnostics). */
export interface StorageProbe {
  ping(): Promise<void>;
}

/** The part of the validated configuration the use cases read. */
export interface UseCaseSettings {
  /** RUN_TIMEOUT_MINUTES: a run still active after this long is timed out. */
  runTimeoutMinutes: number;
  /** REVOCATION_HOLD_PERCENT: a run revoking more than this share of one right's delegations holds them. */
  revocationHoldPercent: number;
  /** Where queue messages go: Azure Service Bus, or the local host's in-process queue. */
  queueTransport: 'serviceBus' | 'inProcess';
}

/**
 * What the composition root hands the use cases: each use case declares the subset it needs (`Pick`), so a
 * test can pass in-memory or fake implementations of exactly those ports.
 */
export interface UseCaseDeps {
  logger: Logger;
  repos: Repositories;
  queue: QueueSender;
  storage: StorageProbe;
  /** Injectable clock: the timer tests move it. */
  now: () => Date;
  /** Graph and Exchange, created on first use (health and the API work without a tenant). */
  microsoft(): MicrosoftPorts;
  /** The Office 365 Management Activity API (the change feed), created on first use like `microsoft()`. */
  auditFeed(): AuditFeedPort;
  settings: UseCaseSettings;
}
