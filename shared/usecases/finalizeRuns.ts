import type { Repositories } from '../composition.js';
import type { Logger } from '../logging.js';
import { isActiveStatus, type Run, type RunStatus } from '../domain/task.js';
import type { RightTally } from '../domain/delegation/hold.js';
import { QUEUES, type OutgoingMessage, type QueueSender } from '../ports/queue.js';
import type { MailboxMessageBody } from './messages.js';
import { releaseTask } from './expandTarget.js';
import { runKey, sendExpandMessage } from './runs.js';
import { settleProposedRevocations } from './revocationHold.js';

export interface FinalizeDeps {
  repos: Repositories;
  queue: QueueSender;
  now: () => Date;
  logger?: Logger;
  runTimeoutMinutes: number;
  /** REVOCATION_HOLD_PERCENT: a run revoking more than this share of one right's stored delegations holds them. */
  revocationHoldPercent: number;
  /**
   * A run whose settled count has not grown for this long gets its unsettled work re-sent (lost messages after a
   * crash).
   */
  stallMinutes?: number;
}

export interface FinalizeReport {
  finalized: Array<{ taskId: string; runId: string; status: RunStatus }>;
  resent: number;
  timedOut: number;
  mailboxesLeftScope: number;
}

const MAX_RESENDS = 3;

/** Final status from the settled counts. */
export function finalStatus(done: number, failed: number): RunStatus {
  if (failed === 0) return 'succeeded';
  return done === 0 ? 'failed' : 'completedWithErrors';
}

/**
 * The finalizer timer: closes runs whose items are all settled, re-sends the work of stalled runs (messages
 * lost in a crash), fails runs past the timeout listing their unsettled mailboxes, and removes the synced
 * delegations of mailboxes that left every task's scope.
 */
export async function finalizeRuns(deps: FinalizeDeps): Promise<FinalizeReport> {
  const report: FinalizeReport = { finalized: [], resent: 0, timedOut: 0, mailboxesLeftScope: 0 };
  const active: Array<{ taskId: string; runId: string }> = [];
  for await (const entry of deps.repos.runs.active()) active.push(entry);
  for (const { taskId, runId } of active) {
    try {
      await finalizeOne(deps, taskId, runId, report);
    } catch (error) {
      deps.logger?.error(
        { taskId, runId, err: (error as Error).message },
        'finalizing a run failed; will retry next tick',
      );
    }
  }
  return report;
}

async function finalizeOne(deps: FinalizeDeps, taskId: string, runId: string, report: FinalizeReport): Promise<void> {
  const found = await deps.repos.runs.get(taskId, runId);
  if (!found) return deps.repos.runs.markInactive(taskId, runId);
  const { value: run, etag } = found;
  if (!isActiveStatus(run.status)) {
    await deps.repos.runs.markInactive(taskId, runId);
    return releaseTask(deps, run);
  }
  const now = deps.now();
  const ageMinutes = (now.getTime() - Date.parse(run.startedAt ?? run.createdAt)) / 60_000;
  const stallMinutes = deps.stallMinutes ?? 10;

  if (run.status === 'queued') {
    if (ageMinutes > deps.runTimeoutMinutes) {
      report.timedOut++;
      return close(
        deps,
        run,
        etag,
        'failed',
        `The target was not expanded within ${deps.runTimeoutMinutes} minutes`,
        report,
      );
    }
    if (ageMinutes > 2) {
      // Claimed but never expanded (crash between claim and send, or a lost in-process message).
      await sendExpandMessage(deps.queue, taskId, runId);
      report.resent++;
    }
    return;
  }

  const counts = await deps.repos.runs.counters(taskId, runId);
  const settled = counts.mailboxesDone + counts.mailboxesFailed;
  if (settled >= run.mailboxesTotal) {
    return close(
      deps,
      { ...run, ...counts },
      etag,
      finalStatus(counts.mailboxesDone, counts.mailboxesFailed),
      null,
      report,
    );
  }
  if (ageMinutes > deps.runTimeoutMinutes) {
    const unsettled: string[] = [];
    for await (const item of deps.repos.runs.allItems(taskId, runId, 'pending')) {
      await deps.repos.runs.settleItem(taskId, runId, item.mailboxId, {
        status: 'failed',
        error: `Not processed within the run timeout of ${deps.runTimeoutMinutes} minutes`,
        at: now.toISOString(),
      });
      unsettled.push(item.address || item.mailboxId);
    }
    report.timedOut++;
    const after = await deps.repos.runs.counters(taskId, runId);
    unsettled.sort(); // stable and readable, whatever order the item shards were read in
    const list =
      unsettled.slice(0, 20).join(', ') + (unsettled.length > 20 ? ` and ${unsettled.length - 20} more` : '');
    return close(
      deps,
      { ...run, ...after },
      etag,
      after.mailboxesDone === 0 ? 'failed' : 'completedWithErrors',
      `Timed out after ${deps.runTimeoutMinutes} minutes with ${unsettled.length} mailboxes unsettled: ${list}`,
      report,
    );
  }

  const progress = run.progress ?? { settled: -1, at: now.toISOString(), resends: 0 };
  if (settled !== progress.settled) {
    await deps.repos.runs.update({ ...run, progress: { ...progress, settled, at: now.toISOString() } }, etag);
    return;
  }
  if ((now.getTime() - Date.parse(progress.at)) / 60_000 >= stallMinutes && progress.resends < MAX_RESENDS) {
    const resends = progress.resends + 1;
    const messages: OutgoingMessage[] = [];
    for await (const item of deps.repos.runs.allItems(taskId, runId, 'pending')) {
      const body: MailboxMessageBody = {
        taskId,
        runId,
        mailbox: {
          id: item.mailboxId,
          upn: item.upn || item.address,
          address: item.address,
          displayName: item.displayName,
        },
        rights: run.rights,
        throttleRetries: 0,
      };
      messages.push({ body, messageId: `${runKey(taskId, runId)}_${item.mailboxId}_r${resends}` });
      if (messages.length >= 500) {
        await deps.queue.send(QUEUES.mailbox, messages.splice(0));
      }
    }
    await deps.queue.send(QUEUES.mailbox, messages);
    report.resent++;
    await deps.repos.runs.update({ ...run, progress: { settled, at: now.toISOString(), resends } }, etag);
    deps.logger?.warn({ taskId, runId, resends }, 'run stalled: re-sent its unsettled mailboxes');
  }
}

async function close(
  deps: FinalizeDeps,
  run: Run,
  etag: string,
  status: RunStatus,
  error: string | null,
  report: FinalizeReport,
): Promise<void> {
  let final: Run = { ...run, status, finishedAt: deps.now().toISOString(), error: error ?? run.error };
  if (status === 'succeeded' || status === 'completedWithErrors') {
    const leavers = await proposeRemovalOfMailboxesThatLeftScope(deps, run);
    report.mailboxesLeftScope += leavers.mailboxes;
    const revocations = await settleProposedRevocations(deps, run, deps.revocationHoldPercent, leavers.tally);
    final = {
      ...final,
      delegationsRemoved: run.delegationsRemoved + revocations.applied,
      revocationsHeld: revocations.held,
      heldRights: revocations.heldRights,
      warnings: [...run.warnings, ...revocations.warnings],
      ...(revocations.held > 0 ? { status: 'needsReview' as const } : {}),
    };
  }
  delete final.progress;
  await deps.repos.runs.update(final, etag);
  await deps.repos.runs.markInactive(run.taskId, run.runId);
  await releaseTask(deps, run);
  report.finalized.push({ taskId: run.taskId, runId: run.runId, status: final.status });
  const { taskId, runId, mailboxesTotal: mailboxes, mailboxesFailed: failed } = run;
  deps.logger?.info(
    { taskId, runId, status: final.status, mailboxes, failed, revocationsHeld: final.revocationsHeld },
    'run finished',
  );
}

/** The latest run of a task whose expansion completed (its items are the task's current scope). */
async function latestExpandedRun(deps: FinalizeDeps, taskId: string, exceptRunId?: string): Promise<Run | undefined> {
  let token: string | undefined;
  do {
    const page = await deps.repos.runs.list(taskId, { top: 50, ...(token ? { continuationToken: token } : {}) });
    const hit = page.items.find(
      (r) =>
        r.runId !== exceptRunId &&
        (r.status === 'succeeded' || r.status === 'completedWithErrors' || r.status === 'running'),
    );
    if (hit) return hit;
    token = page.continuationToken ?? undefined;
  } while (token);
  return undefined;
}

/**
 * Mailboxes in the previous scope of this run's task but not in this run's, and in no other task's latest
 * scope, are to lose their synced delegations: proposed as revocations of this run (reason `leftScope`), so the
 * run's hold rule weighs them with the rest. Manual delegations stay.
 */
async function proposeRemovalOfMailboxesThatLeftScope(
  deps: FinalizeDeps,
  run: Run,
): Promise<{ mailboxes: number; tally: RightTally }> {
  const tally: RightTally = {};
  const previous = await latestExpandedRun(deps, run.taskId, run.runId);
  if (!previous || previous.createdAt > run.createdAt) return { mailboxes: 0, tally };
  const current = new Set<string>();
  for await (const item of deps.repos.runs.allItems(run.taskId, run.runId)) current.add(item.mailboxId);
  const others: Run[] = [];
  for await (const task of deps.repos.tasks.all()) {
    if (task.id === run.taskId) continue;
    const latest = await latestExpandedRun(deps, task.id);
    if (latest) others.push(latest);
  }
  let mailboxes = 0;
  for await (const item of deps.repos.runs.allItems(previous.taskId, previous.runId)) {
    if (current.has(item.mailboxId)) continue;
    let covered = false;
    for (const other of others) {
      if (await deps.repos.runs.getItem(other.taskId, other.runId, item.mailboxId)) {
        covered = true;
        break;
      }
    }
    if (covered) continue;
    mailboxes++;
    const stored = (await deps.repos.delegations.forMailbox(item.mailboxId)).filter(
      (d) => d.source === 'MailboxPermissionSync',
    );
    if (stored.length === 0) continue;
    const proposals = stored.map((d) => ({ ...d, reason: 'leftScope' as const }));
    await deps.repos.runs.proposeRevocations(run.taskId, run.runId, item.mailboxId, proposals);
    for (const d of stored) {
      const entry = tally[d.right] ?? { proposed: 0, stored: 0 };
      tally[d.right] = { proposed: entry.proposed + 1, stored: entry.stored + 1 };
    }
  }
  return { mailboxes, tally };
}
