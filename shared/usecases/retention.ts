import { expiredRuns, retentionCutoffs, scopeRun } from '../domain/retention.js';
import type { Run } from '../domain/task.js';
import type { Logger } from '../logging.js';
import type { RetentionRepository } from '../ports/retention.js';
import type { Repositories } from '../ports/services.js';
import { applyLeftScopeRevocations, coveredByAnyRun, proposeLeftScope } from './revocationHold.js';

export interface RetentionDeps {
  retention: RetentionRepository;
  repos: Repositories;
  now: () => Date;
  logger?: Logger;
  /** HISTORY_RETENTION_DAYS: change history older than this is deleted. */
  historyRetentionDays: number;
  /** RUN_RETENTION_DAYS: runs closed longer ago than this are deleted with their items and proposals. */
  runRetentionDays: number;
}

export interface RetentionReport {
  historyBefore: string;
  runsBefore: string;
  historyEventsDeleted: number;
  firstWriteRecordsDeleted: number;
  /** Synced delegations removed (with `revoked` events) from mailboxes only deleted tasks covered. */
  deletedTaskRevocations: number;
  runsDeleted: number;
  /** Entities deleted with those runs (items, counters, proposed revocations and the run rows). */
  runEntitiesDeleted: number;
}

/**
 * The daily retention pass: change history before the history cut-off; the synced delegations of mailboxes that
 * only deleted tasks covered; then runs closed before the run cut-off (with everything stored under them) and the
 * first-write records of their time. Each step only deletes what is past its cut-off and leaves what it has not
 * reached, so a pass that crashed is finished by the next one.
 */
export async function applyRetention(deps: RetentionDeps): Promise<RetentionReport> {
  const { historyBefore, runsBefore } = retentionCutoffs(deps.now(), deps.historyRetentionDays, deps.runRetentionDays);
  const historyEventsDeleted = await deps.retention.deleteHistoryBefore(historyBefore);
  // A redelivery needs its first-write record only while its run is open; runs are kept at least this long.
  const firstWriteRecordsDeleted = await deps.retention.deleteFirstWriteRecordsBefore(runsBefore);
  const byTask = new Map<string, Run[]>();
  for await (const run of deps.retention.everyRun()) {
    const list = byTask.get(run.taskId);
    if (list) list.push(run);
    else byTask.set(run.taskId, [run]);
  }
  const existing = new Set<string>();
  for await (const task of deps.repos.tasks.all()) existing.add(task.id);
  const deletedTaskRevocations = await revokeScopesOfDeletedTasks(deps, byTask, existing);
  let runsDeleted = 0;
  let runEntitiesDeleted = 0;
  for (const [taskId, runs] of byTask) {
    // A deleted task's scope run has served its last purpose once its scope was revoked (above, this pass).
    for (const run of expiredRuns(runs, runsBefore, existing.has(taskId))) {
      runEntitiesDeleted += await deps.retention.deleteRun(run.taskId, run.runId);
      runsDeleted += 1;
    }
  }
  const report: RetentionReport = {
    historyBefore: historyBefore.toISOString(),
    runsBefore: runsBefore.toISOString(),
    historyEventsDeleted,
    firstWriteRecordsDeleted,
    deletedTaskRevocations,
    runsDeleted,
    runEntitiesDeleted,
  };
  deps.logger?.info(report, 'retention pass');
  return report;
}

/**
 * A deleted task never runs again, so the finalizer's `leftScope` check (at the close of the same task's next
 * run) never sees its mailboxes leave. Here each mailbox of a deleted task's last scope that no existing task's
 * scope holds loses its synced delegations the same way: proposed on that scope run as `leftScope`, then applied
 * through the revocation path (a `revoked` event each; manual delegations stay). Idempotent: a mailbox whose
 * synced delegations are gone proposes nothing.
 */
async function revokeScopesOfDeletedTasks(
  deps: RetentionDeps,
  byTask: ReadonlyMap<string, Run[]>,
  existing: ReadonlySet<string>,
): Promise<number> {
  const deleted = [...byTask].filter(([taskId]) => !existing.has(taskId));
  if (deleted.length === 0) return 0;
  const covering = [...byTask]
    .filter(([taskId]) => existing.has(taskId))
    .map(([, runs]) => scopeRun(runs))
    .filter((run): run is Run => run !== undefined);
  let revoked = 0;
  for (const [, runs] of deleted) {
    const scope = scopeRun(runs);
    if (!scope) continue;
    for await (const item of deps.repos.runs.allItems(scope.taskId, scope.runId)) {
      if (await coveredByAnyRun(deps.repos, covering, item.mailboxId)) continue;
      await proposeLeftScope(deps.repos, scope, item.mailboxId);
    }
    revoked += await applyLeftScopeRevocations(deps, scope);
  }
  return revoked;
}
