import type { Run } from '../../domain/task.js';
import type { RetentionRepository } from '../../ports/retention.js';
import { deleteEntities, deleteMatching } from './deletions.js';
import { fromRunEntity } from './entities/run.js';
import { HistoryLog } from './historyLog.js';
import { assertKey } from './keys.js';
import { runShards } from './runTable.js';
import type { TableFactoryLike, TableStore } from './tableStore.js';

/** The retention timer's reads and deletions over the run and history tables (see RetentionRepository). */
export class RetentionTables implements RetentionRepository {
  private readonly runs: TableStore;
  private readonly items: TableStore;
  private readonly history: HistoryLog;

  constructor(tables: TableFactoryLike) {
    this.runs = tables.store('Runs');
    this.items = tables.store('RunItems');
    this.history = new HistoryLog(tables);
  }

  async *everyRun(): AsyncIterable<Run> {
    for await (const e of this.runs.all()) yield fromRunEntity(e);
  }

  async deleteRun(taskId: string, runId: string): Promise<number> {
    // Items, counters and proposals share the run's shard partitions; the run's row goes last, so a pass cut
    // short finds the run again and finishes it.
    const deleted = await deleteMatching(this.items, runShards(taskId, runId));
    await deleteEntities(this.runs, [
      { partitionKey: assertKey(taskId, 'task id'), rowKey: assertKey(runId, 'run id') },
    ]);
    return deleted + 1;
  }

  deleteHistoryBefore(before: Date): Promise<number> {
    return this.history.deleteBefore(before);
  }

  deleteFirstWriteRecordsBefore(before: Date): Promise<number> {
    return this.history.deleteFirstWritesBefore(before);
  }
}
