import type { Page, PageRequest, TaskRepository, Versioned } from '../../ports/repositories.js';
import type { Target, Task } from '../../domain/task.js';
import type { Right } from '../../domain/delegation/types.js';
import { assertKey } from './keys.js';
import { bool, json, str } from './entityFields.js';
import { odata, type Entity, type TableStore } from './tableStore.js';

const PK = 'task';

/** Maps a task to its entity. */
export function toTaskEntity(t: Task): Entity {
  return {
    partitionKey: PK,
    rowKey: assertKey(t.id, 'task id'),
    description: t.description,
    type: t.type,
    scheduleId: t.scheduleId,
    target: JSON.stringify(t.target),
    rights: JSON.stringify(t.rights),
    enabled: t.enabled,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    evaluatedThrough: t.evaluatedThrough,
    activeRunId: t.activeRunId ?? '',
    activeSince: t.activeSince ?? '',
    lastRunId: t.lastRunId ?? '',
  };
}

/** Maps an entity back to a task. */
export function fromTaskEntity(e: Record<string, unknown>): Task {
  const activeRunId = str(e, 'activeRunId');
  const lastRunId = str(e, 'lastRunId');
  const activeSince = str(e, 'activeSince');
  return {
    id: str(e, 'rowKey') ?? '',
    description: str(e, 'description') ?? '',
    type: 'mailboxPermissionSync',
    scheduleId: str(e, 'scheduleId') ?? '',
    target: json<Target>(e, 'target', { kind: 'mailboxes', mailboxes: [] } as unknown as Target),
    rights: json<Right[]>(e, 'rights', []),
    enabled: bool(e, 'enabled'),
    createdAt: str(e, 'createdAt') ?? '',
    updatedAt: str(e, 'updatedAt') ?? '',
    evaluatedThrough: str(e, 'evaluatedThrough') ?? '',
    ...(activeRunId ? { activeRunId } : {}),
    ...(activeRunId && activeSince ? { activeSince } : {}),
    ...(lastRunId ? { lastRunId } : {}),
  };
}

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
    return (await this.store.update(toTaskEntity(task), etag)) ?? '';
  }

  async delete(id: string): Promise<void> {
    await this.store.delete(PK, assertKey(id, 'task id'));
  }
}
