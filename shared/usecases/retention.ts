import { expiredRuns, retentionCutoffs } from '../domain/retention.js';
import type { Run } from '../domain/task.js';
import type { Logger } from '../logging.js';
import type { RetentionRepository } from '../ports/retention.js';

export interface RetentionDeps {
  retention: RetentionRepository;
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
  runsDeleted: number;
  /** Entities deleted with those runs (items, counters, proposed revocations and the run rows). */
  runEntitiesDeleted: number;
}

/**
 * The daily retention pass: change history before the history cut-off, then runs closed before the run cut-off
 * (with everything stored under them) and the first-write records of their time. Each step only deletes what is
 * past its cut-off and leaves what it has not reached, so a pass that crashed is finished by the next one.
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
  let runsDeleted = 0;
  let runEntitiesDeleted = 0;
  for (const runs of byTask.values()) {
    for (const run of expiredRuns(runs, runsBefore)) {
      runEntitiesDeleted += await deps.retention.deleteRun(run.taskId, run.runId);
      runsDeleted += 1;
    }
  }
  const report: RetentionReport = {
    historyBefore: historyBefore.toISOString(),
    runsBefore: runsBefore.toISOString(),
    historyEventsDeleted,
    firstWriteRecordsDeleted,
    runsDeleted,
    runEntitiesDeleted,
  };
  deps.logger?.info(report, 'retention pass');
  return report;
}
