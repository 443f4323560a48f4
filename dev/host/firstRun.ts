import type { Services } from '../../shared/composition.js';
import type { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { createSchedule } from '../../shared/usecases/schedules.js';
import { createTask } from '../../shared/usecases/tasks.js';
import { getRun, runTaskNow } from '../../shared/usecases/runs.js';
import type { LocalHost } from './localHost.js';

/**
 * First-run experience against the built-in simulator: when no task exists, create a demo schedule and task
 * for the demo tenant's all-staff group, run it once, and print how to query the results.
 */
export async function firstRun(
  services: Services,
  queue: InProcessQueue,
  host: LocalHost,
  demoGroupId: string,
  sampleUser: string,
): Promise<void> {
  const existing = await services.repos.tasks.list({ top: 1 });
  if (existing.items.length > 0) return;
  const schedule = await createSchedule(services, {
    description: 'Nightly (demo)',
    type: 'daily',
    mode: 'once',
    startTime: '02:00',
    timeZone: 'UTC',
  });
  const task = await createTask(services, {
    description: 'All staff (demo tenant)',
    scheduleId: schedule.id,
    target: { kind: 'group', groupId: demoGroupId },
  });
  const { runId } = await runTaskNow(services, task.id);
  process.stdout.write(`first run        created demo task '${task.description}' and started run ${runId}\n`);
  await queue.idle();
  await host.fireTimer('finalizeRuns');
  const run = await getRun(services, task.id, runId);
  const api = `${host.url}/api`;
  process.stdout.write(
    `first run        ${run.status}: ${run.mailboxesDone}/${run.mailboxesTotal} mailboxes, ` +
      `${run.delegationsAdded} delegations stored, ${run.trusteesUnresolved} trustees unresolved\n` +
      `try it           TOKEN=$(node dist/dev/token.js --role Admin)    ` +
      `# or: npm run --silent token -- --role Admin\n` +
      `                 curl -H "Authorization: Bearer $TOKEN" ` +
      `${api}/users/${encodeURIComponent(sampleUser)}/delegate-mailboxes\n` +
      `                 curl -H "Authorization: Bearer $TOKEN" ${api}/tasks/${task.id}/runs/${runId}\n`,
  );
}
