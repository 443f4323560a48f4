import { ConflictError } from '../../../shared/errors.js';
import type { Page, PageRequest, ScheduleRepository, StoredSchedule } from '../../../shared/ports/repositories.js';
import { pageOf } from './paging.js';

/** Schedules in memory: plain CRUD, a second `create` of one id is a ConflictError as in the table. */
export class MemorySchedules implements ScheduleRepository {
  private readonly rows = new Map<string, StoredSchedule>();

  async create(schedule: StoredSchedule): Promise<void> {
    if (this.rows.has(schedule.id))
      throw new ConflictError('TABLE.CONFLICT', `Schedule '${schedule.id}' already exists`);
    this.rows.set(schedule.id, structuredClone(schedule));
  }

  async get(id: string): Promise<StoredSchedule | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async list(page: PageRequest): Promise<Page<StoredSchedule>> {
    const ordered = [...this.rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return pageOf(
      ordered.map((s) => structuredClone(s)),
      page,
    );
  }

  async replace(schedule: StoredSchedule): Promise<void> {
    this.rows.set(schedule.id, structuredClone(schedule));
  }

  async delete(id: string): Promise<void> {
    this.rows.delete(id);
  }
}
