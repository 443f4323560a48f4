import type { Page, PageRequest, ScheduleRepository, StoredSchedule } from '../../ports/repositories.js';
import { assertKey } from './keys.js';
import { fromScheduleEntity, SCHEDULE_PARTITION as PK, toScheduleEntity } from './entities/schedule.js';
import { odata, type TableStore } from './tableStore.js';

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
