import { ONE_TABLE_PER_ENTITY, type TableCounters, type TableLayout } from '../shared/adapters/tables/tableStore.js';
import type { LimiterStats } from '../shared/adapters/microsoft/limiter.js';
import { AZURITE_LAYOUT } from '../dev/tableLayout.js';

/**
 * Azurite's tables in the bench: `sharded` as the local host and the tests shard them (dev/tableLayout.ts, chosen
 * for lookups at 100,000 mailboxes), or `single`, one table per entity as in production.
 */
export type BenchLayout = 'sharded' | 'single';

export function benchLayout(name: string): BenchLayout {
  if (name === 'sharded' || name === 'single') return name;
  throw new Error(`--table-layout must be sharded or single, not '${name}'`);
}

export function layoutNamed(layout: BenchLayout): TableLayout {
  return layout === 'sharded' ? AZURITE_LAYOUT : ONE_TABLE_PER_ENTITY;
}

/** Tables whose per-table counters the benchmark reports (logical names). */
export const BENCH_TABLES = [
  'DelegationsByMailbox',
  'DelegationsByDelegate',
  'DelegationHistory',
  'DelegationHistoryByMailbox',
  'DelegationHistoryByDelegate',
  'DelegationHistoryStarts',
  'MailboxSyncState',
  'Directory',
  'RunItems',
  'Runs',
  'ActiveRuns',
  'Tasks',
  'Schedules',
] as const;
export const DELEGATION_TABLES = [
  'DelegationsByMailbox',
  'DelegationsByDelegate',
  'DelegationHistory',
  'DelegationHistoryByMailbox',
  'DelegationHistoryByDelegate',
  'DelegationHistoryStarts',
] as const;

/** What the host process reports about itself. */
export interface HostSnapshot {
  rssBytes: number;
  /** Highest RSS sampled (every 50 ms) since the last `resetPeak`. */
  peakRssBytes: number;
  /** The kernel's high-water mark for the whole life of the process (Linux; 0 elsewhere). */
  vmHwmBytes: number;
  heapUsedBytes: number;
  cpuMicros: { user: number; system: number };
  counters: TableCounters;
  perTable: Record<string, TableCounters>;
  limiters: { graph?: LimiterStats; exchange?: LimiterStats };
  queue: { pending: number; inFlight: number; deadLettered: number };
  /** Calls and summed wall time per table and TableStore method since the host started. */
  tableTimes: Record<string, { calls: number; ms: number }>;
}

export type HostRequest =
  | { id: number; cmd: 'snapshot' }
  | { id: number; cmd: 'resetPeak' }
  | { id: number; cmd: 'finalize' }
  | { id: number; cmd: 'timer'; name: 'pollAuditFeed' | 'finalizeRuns' }
  | { id: number; cmd: 'stop' };

export type HostReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export type HostEvent = { type: 'ready'; url: string; port: number } | { type: 'failed'; error: string };

/** A request before the IPC layer numbers it. */
export type HostCommand = HostRequest extends infer R ? (R extends HostRequest ? Omit<R, 'id'> : never) : never;
