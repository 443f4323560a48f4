import { latestDueSlot } from '../domain/schedule.js';
import type { StoredSchedule } from '../ports/repositories.js';
import { claimRun, type ClaimOutcome, type RunDeps } from './runs.js';

const DAY_MS = 86_400_000;

export interface EvaluationReport {
  tasksEvaluated: number;
  runsCreated: number;
  runsSkipped: number;
  errors: Array<{ taskId: string; error: string }>;
}

/**
 * The minute timer: for each enabled task, the latest slot due since the task was last evaluated becomes one
 * run (missed slots after downtime collapse into one catch-up run). Claims are idempotent, so a duplicate
 * firing or a second instance makes no second run. One task's failure does not stop the others.
 */
export async function evaluateSchedules(deps: RunDeps): Promise<EvaluationReport> {
  const now = deps.now();
  const schedules = new Map<string, StoredSchedule | undefined>();
  const report: EvaluationReport = { tasksEvaluated: 0, runsCreated: 0, runsSkipped: 0, errors: [] };
  for await (const task of deps.repos.tasks.all()) {
    if (!task.enabled) continue;
    report.tasksEvaluated++;
    try {
      if (!schedules.has(task.scheduleId))
        schedules.set(task.scheduleId, await deps.repos.schedules.get(task.scheduleId));
      const schedule = schedules.get(task.scheduleId);
      if (!schedule) throw new Error(`schedule '${task.scheduleId}' does not exist`);
      // Never look back further than a week: a task disabled for months should not replay an old slot.
      const from = new Date(Math.max(Date.parse(task.evaluatedThrough || task.createdAt), now.getTime() - 7 * DAY_MS));
      const slot = latestDueSlot(schedule.definition, from, now);
      if (!slot) continue;
      const outcome: ClaimOutcome = await claimRun(deps, task.id, { trigger: 'schedule', slot });
      if (outcome.outcome === 'created') report.runsCreated++;
      if (outcome.outcome === 'skipped') report.runsSkipped++;
    } catch (error) {
      report.errors.push({ taskId: task.id, error: (error as Error).message });
      deps.logger?.error({ taskId: task.id, err: (error as Error).message }, 'evaluating a task failed');
    }
  }
  return report;
}
