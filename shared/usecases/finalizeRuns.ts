import type { Repositories, UseCaseSettings } from '../ports/services.js';
import type { Logger } from '../logging.js';
import { isActiveStatus, readsWholeScope, type Run, type RunStatus } from '../domain/task.js';
import type { RunChanges } from '../domain/runLifecycle.js';
import type { LiveRunCounts, SettleResult, Versioned } from '../ports/repositories.js';
import type { RightTally } from '../domain/delegation/hold.js';
import { QUEUES, type OutgoingMessage, type QueueSender } from '../ports/queue.js';
import type { MailboxMessageBody } from './messages.js';
import { runKey, sendExpandMessage } from './runs.js';
import { coveredByAnyRun, proposeLeftScope, settleProposedRevocations } from './revocationHold.js';
import { resumeAuditRun } from './auditRunStart.js';
import { PreconditionFailedError } from '../errors.js';

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
export function finalStatus(done: number, failed: number): 'succeeded' | 'completedWithErrors' | 'failed' {
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
  // Still indexed but closed (or gone): a crash came between the closing transition and its release.
  if (!found || !isActiveStatus(found.value.status)) return deps.repos.runs.release(taskId, runId);
  const run = found.value;
  const now = deps.now();
  const ageMinutes = (now.getTime() - Date.parse(run.startedAt ?? run.createdAt)) / 60_000;
  const stallMinutes = deps.stallMinutes ?? 10;

  if (run.status === 'queued' || run.status === 'expanding') {
    if (ageMinutes > deps.runTimeoutMinutes) {
      report.timedOut++;
      return close(
        deps,
        found,
        'failed',
        `The target was not expanded within ${deps.runTimeoutMinutes} minutes`,
        report,
      );
    }
    if (ageMinutes > 2 && !readsWholeScope(run)) {
      // An audit run has no expansion: its items were stored before it, and its starter died before `running`.
      if (await resumeAuditRun(deps, found)) report.resent++;
      return;
    }
    if (ageMinutes > 2) {
      // Never expanded, or not to the end (a crash between claim and send, a lost in-process message, a host
      // that died mid-expansion); the message id makes this a no-op while a live expansion's copy is queued.
      await sendExpandMessage(deps.queue, taskId, runId);
      report.resent++;
    }
    return;
  }

  const counts = await deps.repos.runs.counters(taskId, runId);
  const settled = counts.mailboxesDone + counts.mailboxesFailed;
  if (settled >= run.mailboxesTotal) {
    // The settle that completed the counts normally closed it already; this is the safety net (a closer that
    // died, or one whose claim is older than the stall window).
    await closeComplete(deps, found, counts, report);
    return;
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
      found,
      after.mailboxesDone === 0 ? 'failed' : 'completedWithErrors',
      `Timed out after ${deps.runTimeoutMinutes} minutes with ${unsettled.length} mailboxes unsettled: ${list}`,
      report,
      after,
    );
  }

  const progress = run.progress ?? { settled: -1, at: now.toISOString(), resends: 0 };
  if (settled !== progress.settled) {
    await deps.repos.runs.recordProgress(found, { ...progress, settled, at: now.toISOString() });
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
        // An audit run's copy keeps it one (its events say auditEvent); the hints are not kept beyond the first.
        ...(readsWholeScope(run) ? {} : { audit: { hints: [] } }),
      };
      messages.push({ body, messageId: `${runKey(taskId, runId)}_${item.mailboxId}_r${resends}` });
      if (messages.length >= 500) {
        await deps.queue.send(QUEUES.mailbox, messages.splice(0));
      }
    }
    await deps.queue.send(QUEUES.mailbox, messages);
    report.resent++;
    await deps.repos.runs.recordProgress(found, { settled, at: now.toISOString(), resends });
    deps.logger?.warn({ taskId, runId, resends }, 'run stalled: re-sent its unsettled mailboxes');
  }
}

/** What closing a run needs: the finalizer's dependencies less its queue and timeouts. */
export type CloseDeps = Pick<FinalizeDeps, 'repos' | 'now' | 'logger' | 'revocationHoldPercent'>;

/**
 * Closes a running run whose items are all settled, right after the settle that completed its counts (or the
 * expansion that found them complete): through the same close as the finalizer's, under the run's ETag.
 * Idempotent and safe under concurrent callers: a run not (yet) running or not complete is left alone, the first
 * caller claims the close, and one that loses an ETag race stops, since another moved the run. Answers the
 * status this call closed the run with, or undefined when it did not close it.
 */
export async function closeRunIfComplete(
  deps: CloseDeps,
  taskId: string,
  runId: string,
): Promise<RunStatus | undefined> {
  const found = await deps.repos.runs.get(taskId, runId);
  // Still expanding: its move to running looks again. Closed already: nothing to do.
  if (found?.value.status !== 'running') return undefined;
  const counts = await deps.repos.runs.counters(taskId, runId);
  if (counts.mailboxesDone + counts.mailboxesFailed < found.value.mailboxesTotal) return undefined;
  const report: FinalizeReport = { finalized: [], resent: 0, timedOut: 0, mailboxesLeftScope: 0 };
  await closeComplete(deps, found, counts, report);
  return report.finalized[0]?.status;
}

/** What the settle paths (syncMailbox, dead letters) and expansion hold to close a run. */
export type SettleCloseDeps = Pick<CloseDeps, 'repos' | 'now' | 'logger'> & {
  settings: Pick<UseCaseSettings, 'revocationHoldPercent'>;
};

/**
 * Closes the run right after a settle that may have been its last (DESIGN §8.3): a run finishes when its work
 * does, not at the finalizer's next tick. Errors other than a lost race propagate, so the message is redelivered
 * and its redelivery, finding the item settled, tries the close again.
 */
export async function closeRunAfterSettle(
  deps: SettleCloseDeps,
  taskId: string,
  runId: string,
  settle: Pick<SettleResult, 'mayCompleteRun'>,
): Promise<void> {
  if (!settle.mayCompleteRun) return;
  await closeRunIfComplete({ ...deps, revocationHoldPercent: deps.settings.revocationHoldPercent }, taskId, runId);
}

/**
 * How long a closer's claim keeps other closers away. A close that fails gives its claim back; one whose process
 * died keeps it until then, the stall window after which the finalizer re-sends lost work too.
 */
const CLAIM_MINUTES = 10;

/**
 * Closes a run whose items are all settled, once: it first claims the close by recording `closingSince` under
 * the run's ETag, so two closers (the last settles of two shards, a redelivery, the finalizer) do not both apply
 * its revocations. Another closer's live claim, or a lost ETag race, leaves the run to that closer.
 */
async function closeComplete(
  deps: CloseDeps,
  found: Versioned<Run>,
  counts: LiveRunCounts,
  report: FinalizeReport,
): Promise<void> {
  const now = deps.now();
  const since = found.value.progress?.closingSince;
  if (since && (now.getTime() - Date.parse(since)) / 60_000 < CLAIM_MINUTES) return;
  const progress = found.value.progress ?? { settled: 0, at: now.toISOString(), resends: 0 };
  let claimed: Versioned<Run>;
  try {
    claimed = await deps.repos.runs.recordProgress(found, { ...progress, closingSince: now.toISOString() });
  } catch (error) {
    if (error instanceof PreconditionFailedError) return;
    throw error;
  }
  try {
    await close(deps, claimed, finalStatus(counts.mailboxesDone, counts.mailboxesFailed), null, report, counts);
  } catch (error) {
    if (error instanceof PreconditionFailedError) return; // moved by another writer since the claim
    // Give the claim back, so a redelivery or the next tick retries at once rather than after the claim's time.
    await deps.repos.runs.recordProgress(claimed, progress).catch(() => undefined);
    throw error;
  }
}

/**
 * Closes an active run with the status its mailboxes earned: a run that would apply revocations first weighs
 * them (the revocation hold) and becomes needsReview when it holds any. The transition releases the task.
 */
async function close(
  deps: CloseDeps,
  current: Versioned<Run>,
  earned: 'succeeded' | 'completedWithErrors' | 'failed',
  error: string | null,
  report: FinalizeReport,
  counts?: LiveRunCounts,
): Promise<void> {
  const run: Run = { ...current.value, ...counts };
  let status: RunStatus = earned;
  let changes: RunChanges = { ...counts, ...(error === null ? {} : { error }) };
  if (earned === 'succeeded' || earned === 'completedWithErrors') {
    const leavers = await proposeRemovalOfMailboxesThatLeftScope(deps, run);
    report.mailboxesLeftScope += leavers.mailboxes;
    const revocations = await settleProposedRevocations(deps, run, deps.revocationHoldPercent, leavers.tally);
    changes = {
      ...changes,
      delegationsRemoved: run.delegationsRemoved + revocations.applied,
      revocationsHeld: revocations.held,
      heldRights: revocations.heldRights,
      warnings: [...run.warnings, ...revocations.warnings],
    };
    if (revocations.held > 0) status = 'needsReview';
  }
  const { value: final } = await deps.repos.runs.transition(current, status, deps.now(), changes);
  report.finalized.push({ taskId: run.taskId, runId: run.runId, status: final.status });
  const { taskId, runId, mailboxesTotal: mailboxes, mailboxesFailed: failed } = run;
  deps.logger?.info(
    { taskId, runId, status: final.status, mailboxes, failed, revocationsHeld: final.revocationsHeld },
    'run finished',
  );
}

/**
 * The latest run of a task whose expansion completed (its items are the task's current scope). Audit runs are
 * not: they re-read a few mailboxes of the scope, and the others did not leave it.
 */
export async function latestExpandedRun(
  deps: { repos: Pick<Repositories, 'runs'> },
  taskId: string,
  exceptRunId?: string,
): Promise<Run | undefined> {
  let token: string | undefined;
  do {
    const page = await deps.repos.runs.list(taskId, { top: 50, ...(token ? { continuationToken: token } : {}) });
    const hit = page.items.find(
      (r) =>
        r.runId !== exceptRunId &&
        readsWholeScope(r) &&
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
  deps: CloseDeps,
  run: Run,
): Promise<{ mailboxes: number; tally: RightTally }> {
  const tally: RightTally = {};
  // An audit run's few mailboxes are not its task's scope: nothing left it.
  if (!readsWholeScope(run)) return { mailboxes: 0, tally };
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
    if (await coveredByAnyRun(deps.repos, others, item.mailboxId)) continue;
    mailboxes++;
    const stored = await proposeLeftScope(deps.repos, run, item.mailboxId);
    for (const d of stored) {
      const entry = tally[d.right] ?? { proposed: 0, stored: 0 };
      tally[d.right] = { proposed: entry.proposed + 1, stored: entry.stored + 1 };
    }
  }
  return { mailboxes, tally };
}
