import type { Run } from '../domain/task.js';

/**
 * What the retention timer reads and deletes. Every deletion is idempotent and ordered so that a crash leaves
 * something the next pass finds again: a run's row goes after everything kept under it, an event's log row after
 * its mailbox copy.
 */
export interface RetentionRepository {
  /** Every stored run, of existing and deleted tasks alike (a scan of the runs: once a day, not per request). */
  everyRun(): AsyncIterable<Run>;
  /** Deletes a run's items, counters and proposed revocations in batched transactions, then the run; the count. */
  deleteRun(taskId: string, runId: string): Promise<number>;
  /** Deletes the change-history events recorded before `before`, from the log and each mailbox's copy; the count. */
  deleteHistoryBefore(before: Date): Promise<number>;
  /**
   * Deletes the records of a run's first history write for a mailbox (what keeps a redelivery's events at one
   * time) made before `before`: they serve only while the run's messages can be redelivered.
   */
  deleteFirstWriteRecordsBefore(before: Date): Promise<number>;
}
