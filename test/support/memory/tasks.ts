import type { Task } from '../../../shared/domain/task.js';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../../shared/errors.js';
import type { Page, PageRequest, TaskRepository, Versioned } from '../../../shared/ports/repositories.js';
import { EtagSource, pageOf } from './paging.js';

/**
 * Tasks in memory with the table's concurrency: `create` of an existing id is a ConflictError, `update` with a
 * stale ETag a PreconditionFailedError (the task entity is the lock for "one active run per task").
 */
export class MemoryTasks implements TaskRepository {
  private readonly rows = new Map<string, Versioned<Task>>();
  private readonly etags = new EtagSource();

  async create(task: Task): Promise<void> {
    if (this.rows.has(task.id)) throw new ConflictError('TABLE.CONFLICT', `Task '${task.id}' already exists`);
    this.rows.set(task.id, { value: structuredClone(task), etag: this.etags.next() });
  }

  async get(id: string): Promise<Versioned<Task> | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async list(page: PageRequest): Promise<Page<Task>> {
    return pageOf(this.sorted(), page);
  }

  async *all(): AsyncIterable<Task> {
    yield* this.sorted();
  }

  async update(task: Task, etag: string): Promise<string> {
    const row = this.rows.get(task.id);
    if (!row) throw new NotFoundError('TABLE.NOT_FOUND', `update Tasks: task '${task.id}' not found`);
    if (row.etag !== etag)
      throw new PreconditionFailedError('TABLE.PRECONDITION_FAILED', `update Tasks: task '${task.id}' changed`);
    const next = { value: structuredClone(task), etag: this.etags.next() };
    this.rows.set(task.id, next);
    return next.etag;
  }

  async delete(id: string): Promise<void> {
    this.rows.delete(id);
  }

  /** Clears the task's active-run pointer if it still names the run (TaskTable.releaseRun). */
  async releaseRun(taskId: string, runId: string): Promise<void> {
    const row = this.rows.get(taskId);
    if (!row || row.value.activeRunId !== runId) return;
    const { activeRunId: _run, activeSince: _since, ...released } = row.value;
    await this.update(released, row.etag);
  }

  private sorted(): Task[] {
    return [...this.rows.values()]
      .sort((a, b) => (a.value.id < b.value.id ? -1 : a.value.id > b.value.id ? 1 : 0))
      .map((row) => structuredClone(row.value));
  }
}
