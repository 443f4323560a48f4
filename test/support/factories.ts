import type { DelegateRef, DelegationRow, MailboxRef } from '../../shared/domain/delegation/types.js';
import { parseScheduleInput } from '../../shared/domain/schedule.js';
import { queuedRun, transitionRun } from '../../shared/domain/runLifecycle.js';
import { scheduledRunId, type Run, type RunStatus, type Task } from '../../shared/domain/task.js';
import {
  pendingRunItem,
  type ProposedRevocation,
  type RunItem,
  type StoredSchedule,
} from '../../shared/ports/repositories.js';
import type { Repositories } from '../../shared/ports/services.js';
import type { ExpandMessageBody, MailboxMessageBody } from '../../shared/usecases/messages.js';

// Test data with defaults plus overrides: a test states only what it is about.

const AT = '2026-03-02T10:00:00.000Z';

/** A lower-case object id whose last digits are `n` (mailbox messages require real GUIDs). */
export function guid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function aSchedule(overrides: Partial<StoredSchedule> = {}): StoredSchedule {
  return {
    id: 'schedule-1',
    definition: parseScheduleInput({
      description: 'Daily',
      type: 'daily',
      mode: 'once',
      startTime: '03:00',
      timeZone: 'UTC',
    }),
    createdAt: AT,
    updatedAt: AT,
    ...overrides,
  };
}

export function aTask(overrides: Partial<Task> = {}): Task {
  return {
    id: 'task-1',
    description: 'Sales mailboxes',
    type: 'mailboxPermissionSync',
    scheduleId: 'schedule-1',
    target: { kind: 'group', groupId: guid(0xa00) },
    rights: ['FullAccess'],
    enabled: true,
    createdAt: AT,
    updatedAt: AT,
    evaluatedThrough: AT,
    ...overrides,
  };
}

/**
 * A run of `aTask()` (or of `task`), claimed at 10:00 and moved along the lifecycle to `status` as the product
 * moves it (so `startedAt` and `finishedAt` are what a real run of that status holds).
 */
export function aRun(overrides: Partial<Run> & { status?: RunStatus } = {}, task: Task = aTask()): Run {
  const { status = 'queued', ...rest } = overrides;
  const claimedAt = new Date(overrides.createdAt ?? AT);
  let run = queuedRun(task, scheduledRunId(claimedAt), 'schedule', claimedAt, claimedAt);
  const path: Partial<Record<RunStatus, RunStatus[]>> = {
    expanding: ['expanding'],
    running: ['expanding', 'running'],
    needsReview: ['expanding', 'running', 'needsReview'],
    succeeded: ['expanding', 'running', 'succeeded'],
    completedWithErrors: ['expanding', 'running', 'completedWithErrors'],
    failed: ['failed'],
  };
  for (const next of path[status] ?? []) run = transitionRun(run, next, claimedAt);
  if (status === 'skipped') run = { ...run, status };
  return { ...run, ...rest };
}

export function aMailbox(overrides: Partial<MailboxRef> = {}): MailboxRef {
  return { id: guid(1), address: 'adele@contoso.com', displayName: 'Adele', ...overrides };
}

export function aDelegate(overrides: Partial<DelegateRef> = {}): DelegateRef {
  return { id: guid(0x100), upn: 'lee@contoso.com', address: 'lee@contoso.com', displayName: 'Lee', ...overrides };
}

/** A pending run item of `mailbox` (by default `aMailbox()`). */
export function aRunItem(overrides: Partial<RunItem> = {}, mailbox: MailboxRef = aMailbox()): RunItem {
  return {
    ...pendingRunItem({
      mailboxId: mailbox.id,
      upn: mailbox.address,
      address: mailbox.address,
      displayName: mailbox.displayName,
    }),
    ...overrides,
  };
}

export function anExpandMessage(overrides: Partial<ExpandMessageBody> = {}): ExpandMessageBody {
  const run = aRun();
  return { taskId: run.taskId, runId: run.runId, ...overrides };
}

/** The `mps-mailbox` message expansion sends for `mailbox` (by default `aMailbox()`) of `aRun()`. */
export function aMailboxMessage(
  overrides: Partial<MailboxMessageBody> = {},
  mailbox: MailboxRef = aMailbox(),
): MailboxMessageBody {
  const run = aRun();
  return {
    taskId: run.taskId,
    runId: run.runId,
    mailbox: { id: mailbox.id, upn: mailbox.address, address: mailbox.address, displayName: mailbox.displayName },
    rights: ['FullAccess'],
    throttleRetries: 0,
    ...overrides,
  };
}

/** A synced FullAccess delegation of `aDelegate()` on `aMailbox()`, first seen a month before the run. */
export function aDelegationRow(overrides: Partial<DelegationRow> = {}): DelegationRow {
  const mailbox = overrides.mailbox ?? aMailbox();
  return {
    mailbox,
    mailboxId: mailbox.id,
    delegate: aDelegate(),
    right: 'FullAccess',
    via: [{ kind: 'direct' }],
    source: 'MailboxPermissionSync',
    firstSeen: '2026-02-01T10:00:00.000Z',
    lastConfirmed: '2026-02-01T10:00:00.000Z',
    grantedBy: null,
    grantedAt: null,
    ...overrides,
  };
}

export function aProposedRevocation(overrides: Partial<ProposedRevocation> = {}): ProposedRevocation {
  const row = aDelegationRow(overrides);
  return { ...row, reason: 'notObserved', actor: null, ...overrides };
}

/**
 * Stores `task` and `run` as a claim leaves them (the task points at an active run, the active index lists it)
 * and the run's `items` as expansion writes them; settled items are settled through the port.
 */
export async function seedRun(
  repos: Pick<Repositories, 'tasks' | 'runs'>,
  run: Run,
  items: readonly RunItem[] = [],
  task: Task = aTask({ id: run.taskId }),
): Promise<void> {
  const active = ['queued', 'expanding', 'running'].includes(run.status);
  await repos.tasks.create(active ? { ...task, activeRunId: run.runId, activeSince: run.createdAt } : task);
  await repos.runs.create(run);
  await repos.runs.addItems(run.taskId, run.runId, items);
  for (const item of items) {
    if (item.status === 'pending') continue;
    await repos.runs.settleItem(run.taskId, run.runId, item.mailboxId, {
      status: item.status,
      at: item.settledAt ?? run.createdAt,
      ...(item.error ? { error: item.error } : {}),
      delegationsAdded: item.delegationsAdded,
      trusteesUnresolved: item.trusteesUnresolved,
    });
  }
}
