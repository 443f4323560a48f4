import { z } from 'zod';
import type { Repositories } from '../ports/services.js';
import type { Logger } from '../logging.js';
import { ConflictError } from '../errors.js';
import type { AuditResyncRequest } from '../ports/auditFeed.js';
import type { OutgoingMessage, QueueSender } from '../ports/queue.js';
import type { RunItemMailbox } from '../ports/repositories.js';
import { auditRunId } from '../domain/task.js';
import { queuedRun } from '../domain/runLifecycle.js';
import { parseOrThrow } from '../domain/validation.js';
import { auditHintSchema, MAX_AUDIT_HINTS, mailboxMessageSchema } from './messages.js';
import { closeRunAfterSettle, type SettleCloseDeps } from './finalizeRuns.js';
import { auditMessage, startAuditMailboxes } from './auditRunStart.js';

/** What starting an audit run needs: the run's repositories and queue, and the close a complete run takes. */
export type AuditRunDeps = SettleCloseDeps & {
  repos: Repositories;
  queue: QueueSender;
  logger?: Logger;
};

type AuditHint = z.infer<typeof auditHintSchema>;

/** The feed's request, validated: it comes from our own poll, but a bad one must fail loudly, not half-start. */
const auditResyncRequestSchema = z
  .object({
    taskId: mailboxMessageSchema.shape.taskId,
    polledAt: z.iso.datetime({ offset: true, error: () => 'must be an ISO 8601 date-time' }),
    mailboxes: z
      .array(
        z
          .object({
            mailbox: z
              .object({
                mailboxId: mailboxMessageSchema.shape.mailbox.shape.id,
                upn: mailboxMessageSchema.shape.mailbox.shape.upn,
                address: mailboxMessageSchema.shape.mailbox.shape.address,
                displayName: mailboxMessageSchema.shape.mailbox.shape.displayName,
              })
              .strict(),
            hints: z.array(auditHintSchema).max(100_000),
          })
          .strict(),
      )
      .max(100_000),
  })
  .strict();

/** The hints a mailbox's message carries: the latest ones, as a burst on one mailbox must not swell its message. */
function latestHints(hints: readonly AuditHint[]): AuditHint[] {
  return [...hints].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, MAX_AUDIT_HINTS);
}

/**
 * Starts the audit run of one feed poll for one task (docs/design.md §8.4): a run with trigger `auditEvent` whose
 * items are the mailboxes audit records named, each re-read from Exchange by an `mps-mailbox` message that carries
 * its hints, so revocation hold, counts, close on last settle, dead letters and throttling apply unchanged. It
 * does not take the task's active-run pointer (a scheduled slot is never skipped for it), but is in the active
 * index the finalizer walks. Idempotent: the run id comes from the task and `polledAt`, items and messages have
 * deterministic keys, and a repeated call resumes a run that has not started its mailboxes yet. A task gone or
 * disabled, or no mailbox, creates nothing.
 */
export async function startAuditRun(
  deps: AuditRunDeps,
  input: AuditResyncRequest,
): Promise<{ runId: string } | { skipped: string }> {
  const request = parseOrThrow(auditResyncRequestSchema, input, 'AUDIT.INVALID_REQUEST', 'audit re-sync request');
  const { taskId } = request;
  const byId = new Map<string, { mailbox: RunItemMailbox; hints: AuditHint[] }>();
  for (const { mailbox, hints } of request.mailboxes) {
    const id = mailbox.mailboxId.toLowerCase();
    const entry = byId.get(id) ?? { mailbox: { ...mailbox, mailboxId: id }, hints: [] };
    entry.hints.push(...hints);
    byId.set(id, entry);
  }
  if (byId.size === 0) return { skipped: 'no mailbox to re-read' };
  const task = (await deps.repos.tasks.get(taskId))?.value;
  if (!task) return { skipped: `task ${taskId} no longer exists` };
  if (!task.enabled) return { skipped: `task ${taskId} is disabled` };

  const runId = auditRunId(new Date(request.polledAt));
  let found = await deps.repos.runs.get(taskId, runId);
  // Running or later: the repeated poll's mailboxes are out already.
  if (found && found.value.status !== 'queued' && found.value.status !== 'expanding') return { runId };
  const entries = [...byId.values()];
  // Items before the run: a run that exists always has its items, so the finalizer can resume one left queued.
  await deps.repos.runs.addItems(
    taskId,
    runId,
    entries.map((e) => e.mailbox),
  );
  if (!found) {
    try {
      await deps.repos.runs.create(queuedRun(task, runId, 'auditEvent', deps.now(), null));
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    found = await deps.repos.runs.get(taskId, runId);
    if (!found) throw new Error(`Audit run ${runId} of task ${taskId} was created but cannot be read back`);
  }
  const messages = entries.map(
    ({ mailbox, hints }): OutgoingMessage => auditMessage(found.value, mailbox, latestHints(hints)),
  );
  if (await startAuditMailboxes(deps, found, messages)) {
    // Every mailbox may have settled before the run was running; their settles could not close it then.
    await closeRunAfterSettle(deps, taskId, runId, { mayCompleteRun: true });
  }
  deps.logger?.info({ taskId, runId, mailboxes: entries.length }, 'audit run started');
  return { runId };
}
