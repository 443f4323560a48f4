import type { Page, PageRequest, TaskRepository, Versioned } from '../../ports/repositories.js';
import type { Task } from '../../domain/task.js';
import { PreconditionFailedError } from '../../errors.js';
import { assertKey } from './keys.js';
import { fromTaskEntity, TASK_PARTITION as PK, toTaskEntity } from './entities/task.js';
import { odata, type TableStore } from './tableStore.js';

/** Tasks in one partition; updates are ETag-guarded. */
export class TaskTable implements TaskRepository {
  constructor(private readonly store: TableStore) {}

  async create(task: Task): Promise<void> {
    await this.store.insert(toTaskEntity(task));
  }

  async get(id: string): Promise<Versioned<Task> | undefined> {
    const e = await this.store.get(PK, assertKey(id, 'task id'));
    return e ? { value: fromTaskEntity(e), etag: e.etag } : undefined;
  }

  async list(page: PageRequest): Promise<Page<Task>> {
    const result = await this.store.page({ filter: odata`PartitionKey eq ${PK}`, ...page });
    return { items: result.items.map(fromTaskEntity), continuationToken: result.continuationToken };
  }

  async *all(): AsyncIterable<Task> {
    for await (const e of this.store.all(odata`PartitionKey eq ${PK}`)) yield fromTaskEntity(e);
  }

  async update(task: Task, etag: string): Promise<string> {
    return this.store.update(toTaskEntity(task), etag);
  }

  /**
   * Clears the task's active-run pointer if it still names this run; a task edited meanwhile is read again.
   * PreconditionFailedError when it kept changing: the caller's release is retried (the finalizer's next tick).
   */
  async releaseRun(taskId: string, runId: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await this.get(taskId);
      if (!found || found.value.activeRunId !== runId) return;
      const { activeRunId: _run, activeSince: _since, ...released } = found.value;
      try {
        await this.update(released, found.etag);
        return;
      } catch (error) {
        if (!(error instanceof PreconditionFailedError)) throw error;
      }
    }
    throw new PreconditionFailedError(
      'TASK.CONCURRENT_UPDATE',
      `Task '${taskId}' kept changing while run '${runId}' released it`,
    );
  }

  async delete(id: string): Promise<void> {
    await this.store.delete(PK, assertKey(id, 'task id'));
  }
}
