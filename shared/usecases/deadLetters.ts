import type { Repositories, UseCaseSettings } from '../ports/services.js';
import type { Logger } from '../logging.js';
import { isActiveStatus } from '../domain/task.js';
import { expandRunRefSchema, mailboxItemRefSchema } from './messages.js';
import { closeRunAfterSettle } from './finalizeRuns.js';

export interface DeadLetterDeps {
  repos: Repositories;
  now: () => Date;
  logger?: Logger;
  /** The hold rule the run's close applies when a dead-lettered mailbox was its last. */
  settings: Pick<UseCaseSettings, 'revocationHoldPercent'>;
}

export interface DeadLetterInfo {
  deliveryCount?: number;
  reason?: string;
  description?: string;
}

/** Bodies arrive as parsed JSON or, from some senders, as JSON text (the main handlers accept both too). */
function parseIfText(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function because(info: DeadLetterInfo): string {
  const after = info.deliveryCount ? ` after ${info.deliveryCount} deliveries` : '';
  return `Gave up${after}: ${info.description || info.reason || 'the message was dead-lettered'}`;
}

/** A dead-lettered mailbox message settles its run item as failed with the reason, so the run can finish. */
export async function settleDeadLetteredMailbox(
  deps: DeadLetterDeps,
  body: unknown,
  info: DeadLetterInfo,
): Promise<'settled' | 'alreadySettled' | 'unknownItem' | 'unreadable'> {
  const parsed = mailboxItemRefSchema.safeParse(parseIfText(body));
  if (!parsed.success) {
    // Nothing identifies a run item: record it where an operator looks and complete the message.
    deps.logger?.error(
      { reason: info.reason, description: info.description },
      'unreadable dead-lettered mps-mailbox message discarded',
    );
    return 'unreadable';
  }
  const { taskId, runId, mailbox } = parsed.data;
  // settleItem creates a missing item: a dead-lettered message naming no item of a run must not invent one.
  if (!(await deps.repos.runs.getItem(taskId, runId, mailbox.id))) {
    deps.logger?.warn(
      { taskId, runId, mailboxId: mailbox.id, reason: info.reason, description: info.description },
      'dead-lettered mps-mailbox message names no item of a run; discarded',
    );
    return 'unknownItem';
  }
  const settled = await deps.repos.runs.settleItem(taskId, runId, mailbox.id, {
    status: 'failed',
    error: because(info),
    at: deps.now().toISOString(),
  });
  await closeRunAfterSettle(deps, taskId, runId, settled);
  return settled.settled ? 'settled' : 'alreadySettled';
}

/** A dead-lettered expansion fails its run with the reason (nothing waits forever). */
export async function failDeadLetteredExpansion(
  deps: DeadLetterDeps,
  body: unknown,
  info: DeadLetterInfo,
): Promise<'failed' | 'notActive' | 'unreadable'> {
  const parsed = expandRunRefSchema.safeParse(parseIfText(body));
  if (!parsed.success) {
    deps.logger?.error(
      { reason: info.reason, description: info.description },
      'unreadable dead-lettered mps-expand message discarded',
    );
    return 'unreadable';
  }
  const { taskId, runId } = parsed.data;
  const found = await deps.repos.runs.get(taskId, runId);
  if (!found || !isActiveStatus(found.value.status)) return 'notActive';
  await deps.repos.runs.transition(found, 'failed', deps.now(), {
    error: `Expanding the target failed. ${because(info)}`,
  });
  return 'failed';
}
