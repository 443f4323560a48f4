import type { Run } from './task.js';
import { isActiveStatus, readsWholeScope } from './task.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Where retention cuts: history before `historyBefore`, runs closed before `runsBefore`. */
export interface RetentionCutoffs {
  historyBefore: Date;
  runsBefore: Date;
}

/** The cut-offs `HISTORY_RETENTION_DAYS` and `RUN_RETENTION_DAYS` give at `now`: that many 24-hour days back. */
export function retentionCutoffs(now: Date, historyRetentionDays: number, runRetentionDays: number): RetentionCutoffs {
  return {
    historyBefore: new Date(now.getTime() - historyRetentionDays * DAY_MS),
    runsBefore: new Date(now.getTime() - runRetentionDays * DAY_MS),
  };
}

/**
 * The statuses whose latest run holds its task's current scope (the finalizer compares scopes against it to find
 * mailboxes that left every task): that run is kept whatever its age.
 */
const SCOPE_STATUSES: ReadonlySet<Run['status']> = new Set(['succeeded', 'completedWithErrors', 'running']);

const newestFirst = (runs: readonly Run[]) =>
  [...runs].sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));

/**
 * A task's latest run whose expansion completed (run ids sort newest first): its items are the task's scope. An
 * audit run's few mailboxes never are.
 */
export function scopeRun(runs: readonly Run[]): Run | undefined {
  return newestFirst(runs).find((r) => SCOPE_STATUSES.has(r.status) && readsWholeScope(r));
}

/**
 * The runs of one task that retention may delete: closed before `before` (finishedAt, else createdAt), never an
 * active run, never a run whose held revocations still wait for a person (needsReview, not reviewed), and, unless
 * `keepScope` is false (a deleted task whose scope was revoked), never the task's scope run. `runs` are the
 * task's runs in any order.
 */
export function expiredRuns(runs: readonly Run[], before: Date, keepScope = true): Run[] {
  const scope = keepScope ? scopeRun(runs) : undefined;
  return newestFirst(runs).filter(
    (r) =>
      r !== scope &&
      !isActiveStatus(r.status) &&
      !(r.status === 'needsReview' && r.review === null) &&
      Date.parse(r.finishedAt ?? r.createdAt) < before.getTime(),
  );
}
