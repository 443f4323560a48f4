import type { Page, PageRequest, ScheduleRepository, StoredSchedule } from '../../ports/repositories.js';
import type { ScheduleDefinition } from '../../domain/schedule.js';
import { assertKey } from './keys.js';
import { json, str } from './entityFields.js';
import { odata, type Entity, type TableStore } from './tableStore.js';

const PK = 'schedule';

/** Maps a schedule to its entity (the definition is stored as JSON: its shape varies by type). */
export function toScheduleEntity(s: StoredSchedule): Entity {
  return {
    partitionKey: PK,
    rowKey: assertKey(s.id, 'schedule id'),
    definition: JSON.stringify(s.definition),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** Maps an entity back to a schedule. */
export function fromScheduleEntity(e: Record<string, unknown>): StoredSchedule {
  return {
    id: str(e, 'rowKey') ?? '',
    definition: json<ScheduleDefinition>(e, 'definition', {
      type: 'daily',
      mode: 'once',
      startTime: '00:00',
      timeZone: 'UTC',
      description: '',
    } as ScheduleDefinition),
    createdAt: str(e, 'createdAt') ?? '',
    updatedAt: str(e, 'updatedAt') ?? '',
  };
}

/** Schedules in one partition (a tenant has tens of them, not thousands). */
export class ScheduleTable implements ScheduleRepository {
  constructor(private readonly store: TableStore) {}

  async create(schedule: StoredSchedule): Promise<void> {
    await this.store.insert(toScheduleEntity(schedule));
  }

  async get(id: string): Promise<StoredSchedule | undefined> {
    const e = await this.store.get(PK, assertKey(id, 'schedule id'));
    return e ? fromScheduleEntity(e) : undefined;
  }

  async list(page: PageRequest): Promise<Page<StoredSchedule>> {
    const result = await this.store.page({ filter: odata`PartitionKey eq ${PK}`, ...page });
    return { items: result.items.map(fromScheduleEntity), continuationToken: result.continuationToken };
  }

  async replace(schedule: StoredSchedule): Promise<void> {
    await this.store.upsert(toScheduleEntity(schedule));
  }

  async delete(id: string): Promise<void> {
    await this.store.delete(PK, assertKey(id, 'schedule id'));
  }
}
