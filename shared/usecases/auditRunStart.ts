import type { Repositories } from '../ports/services.js';
import { PreconditionFailedError } from '../errors.js';
import { QUEUES, type OutgoingMessage, type QueueSender } from '../ports/queue.js';
import type { RunItemMailbox, Versioned } from '../ports/repositories.js';
import type { Run } from '../domain/task.js';
import type { MailboxMessageBody } from './messages.js';
import { runKey } from './runs.js';

/** What moving an audit run to `running` needs (the finalizer has it too: no close here, see startAuditRun). */
export interface AuditStartDeps {
  repos: Repositories;
  queue: QueueSender;
  now: () => Date;
}

type Hints = NonNullable<MailboxMessageBody['audit']>['hints'];

/** An audit run's message for one mailbox: the run's rights, the hints that named it, a deterministic id. */
export function auditMessage(run: Run, mailbox: RunItemMailbox, hints: Hints): OutgoingMessage {
  const body: MailboxMessageBody = {
    taskId: run.taskId,
    runId: run.runId,
    mailbox: { id: mailbox.mailboxId, upn: mailbox.upn, address: mailbox.address, displayName: mailbox.displayName },
    rights: run.rights,
    throttleRetries: 0,
    audit: { hints },
  };
  return { body, messageId: `${runKey(run.taskId, run.runId)}_${mailbox.mailboxId}` };
}

/**
 * `queued → expanding`, the messages out, then `running` with their number as its total, each move under the
 * run's ETag (a concurrent copy that moved it first wins; its messages have the same ids). True when this call
 * moved the run to `running`: the caller then closes it if its mailboxes all settled already.
 */
export async function startAuditMailboxes(
  deps: AuditStartDeps,
  initial: Versioned<Run>,
  messages: readonly OutgoingMessage[],
): Promise<boolean> {
  const { taskId, runId } = initial.value;
  let found: Versioned<Run> | undefined = initial;
  for (let attempt = 0; attempt < 5 && found; attempt++) {
    try {
      if (found.value.status === 'queued') found = await deps.repos.runs.transition(found, 'expanding', deps.now());
      if (found.value.status !== 'expanding') return false;
      for (let i = 0; i < messages.length; i += 500) await deps.queue.send(QUEUES.mailbox, messages.slice(i, i + 500));
      await deps.repos.runs.transition(found, 'running', deps.now(), { mailboxesTotal: messages.length });
      return true;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      found = await deps.repos.runs.get(taskId, runId); // moved by a concurrent copy: look again
    }
  }
  return false;
}

/**
 * The finalizer's resume of an audit run left `queued` or `expanding` (its starter died before `running`): its
 * items are stored before the run, so their messages are sent (without hints: the re-read is what matters, the
 * attribution is lost) and the run moves to `running`; the finalizer closes it like any other. Answers whether
 * it moved the run.
 */
export async function resumeAuditRun(deps: AuditStartDeps, found: Versioned<Run>): Promise<boolean> {
  const items: RunItemMailbox[] = [];
  for await (const item of deps.repos.runs.allItems(found.value.taskId, found.value.runId)) items.push(item);
  return startAuditMailboxes(
    deps,
    found,
    items.map((item) => auditMessage(found.value, item, [])),
  );
}
