import { z } from 'zod';
import { RIGHTS, type Right } from './delegation/types.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The four ways a task names the mailboxes it scans (docs/design.md §1, §5). */
export const targetSchema = z.discriminatedUnion(
  'kind',
  [
    z
      .object({ kind: z.literal('group'), groupId: z.string().regex(GUID, 'must be a group object id (GUID)') })
      .strict(),
    z
      .object({
        kind: z.literal('groupDn'),
        dn: z
          .string()
          .trim()
          .max(1024, 'must be at most 1024 characters')
          .regex(
            /^CN=(?:[^,\\]|\\.)+(?:,[A-Za-z]+=(?:[^,\\]|\\.)+)*$/i,
            'must be a distinguished name starting with CN=, e.g. CN=Sales,OU=Groups,DC=contoso,DC=com',
          ),
      })
      .strict(),
    z
      .object({
        kind: z.literal('groupEmail'),
        email: z.string().trim().max(320, 'must be at most 320 characters').regex(EMAIL, 'must be an e-mail address'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('mailboxes'),
        mailboxes: z
          .array(
            z
              .string()
              .trim()
              .max(320, 'must be at most 320 characters')
              .refine((v) => GUID.test(v) || EMAIL.test(v), 'must be an e-mail address or an object id (GUID)'),
          )
          .min(1, 'must list at least one mailbox')
          .max(1000, 'must list at most 1000 mailboxes (use a group for more)')
          .refine(
            (list) => new Set(list.map((m) => m.toLowerCase())).size === list.length,
            'must not list a mailbox twice',
          ),
      })
      .strict(),
  ],
  { error: () => 'kind must be one of group, groupDn, groupEmail, mailboxes' },
);
export type Target = z.infer<typeof targetSchema>;

/** Create/update body of a task; rights default to all four, enabled to true. */
export const taskInputSchema = z
  .object({
    description: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    type: z
      .literal('mailboxPermissionSync', { error: () => 'must be "mailboxPermissionSync"' })
      .default('mailboxPermissionSync'),
    scheduleId: z.string().trim().min(1, 'must name a schedule').max(64, 'must be at most 64 characters'),
    target: targetSchema,
    rights: z
      .array(z.enum(RIGHTS, { error: () => `must be one of ${RIGHTS.join(', ')}` }))
      .min(1, 'must name at least one right')
      .refine((r) => new Set(r).size === r.length, 'must not repeat a right')
      .default([...RIGHTS]),
    enabled: z.boolean().default(true),
  })
  .strict();
export type TaskInput = z.infer<typeof taskInputSchema>;

export interface Task extends TaskInput {
  id: string;
  createdAt: string;
  updatedAt: string;
  /** The timer has considered every slot up to this instant. */
  evaluatedThrough: string;
  /** The run holding the task's single "active" slot, if any (optimistic lock via the task's ETag). */
  activeRunId?: string;
  /** When activeRunId was set: a pointer to a run not yet written is trusted for a short grace period. */
  activeSince?: string;
  lastRunId?: string;
}

/** Every run status; the lifecycle that connects them is in runLifecycle.ts. */
export const RUN_STATUSES = [
  'queued',
  'expanding',
  'running',
  'succeeded',
  'completedWithErrors',
  'needsReview',
  'failed',
  'skipped',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Claimed, expanding its target, or syncing its mailboxes: the run holds its task's active slot. */
export const ACTIVE_STATUSES = ['queued', 'expanding', 'running'] as const satisfies readonly RunStatus[];

/** True while a run holds its task's active slot (the task cannot start another). */
export function isActiveStatus(status: RunStatus): boolean {
  return (ACTIVE_STATUSES as readonly RunStatus[]).includes(status);
}

export interface RunCounts {
  mailboxesTotal: number;
  mailboxesDone: number;
  mailboxesFailed: number;
  mailboxesSkipped: number;
  delegationsAdded: number;
  delegationsRemoved: number;
  trusteesUnresolved: number;
  /** Rights of single mailboxes that could not be read (left as stored), e.g. a calendar outside the app's scope. */
  rightsNotRead: number;
  /** Revocations the run holds back for an administrator's review (docs/design.md §8.2). */
  revocationsHeld: number;
}

export const ZERO_COUNTS: RunCounts = {
  mailboxesTotal: 0,
  mailboxesDone: 0,
  mailboxesFailed: 0,
  mailboxesSkipped: 0,
  delegationsAdded: 0,
  delegationsRemoved: 0,
  trusteesUnresolved: 0,
  rightsNotRead: 0,
  revocationsHeld: 0,
};

/** What an administrator decided about a run's held revocations. */
export interface RunReview {
  decision: 'applied' | 'dismissed';
  by: string;
  at: string;
  applied: number;
  skipped: number;
}

/**
 * What started a run: its schedule's slot, an administrator (run now), or the change feed re-reading the mailboxes
 * audit records named (an audit run: a few mailboxes of the task's scope, never the task's scope itself).
 */
export const RUN_TRIGGERS = ['schedule', 'manual', 'auditEvent'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** True for a run that read its task's whole target: its items are the task's scope (not an audit run's few). */
export function readsWholeScope(run: Pick<Run, 'trigger'>): boolean {
  return run.trigger !== 'auditEvent';
}

export interface Run extends RunCounts {
  runId: string;
  taskId: string;
  status: RunStatus;
  trigger: RunTrigger;
  scheduledFor: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /** Why members of the target were not scanned, e.g. { device: 3, noMailbox: 2 }. */
  skippedByReason: Record<string, number>;
  /** Snapshot taken when the run was claimed: an edited task does not change a run in flight. */
  target: Target;
  rights: TaskInput['rights'];
  /** Readable reasons an administrator should know: why revocations are held, passes that matched nothing. */
  warnings: string[];
  /** Rights whose revocations this run holds (needsReview), and rights expansion flagged as suspect. */
  heldRights: Right[];
  /** Rights whose tenant-wide pass matched none of the run's mailboxes: their revocations are held. */
  suspectRights: Right[];
  review: RunReview | null;
  /**
   * Finalizer bookkeeping: settled count at the last check, when it last grew, and how often work was re-sent;
   * `closingSince` is a closer's claim on a complete run (closeRunIfComplete), so two closers do not both work.
   */
  progress?: { settled: number; at: string; resends: number; closingSince?: string };
}

/** Numbers that sort newest first as strings: 8.64e15 is the largest epoch ms a Date can hold. */
function invertedMillis(at: Date): string {
  return (8_640_000_000_000_000 - at.getTime()).toString().padStart(16, '0');
}

/** The run id of a task's scheduled slot: derived from the slot alone (unique per task), so a claim is idempotent. */
export function scheduledRunId(slot: Date): string {
  return `${invertedMillis(slot)}-s`;
}

/**
 * The run id of the audit run a feed poll at `polledAt` starts for a task: derived from the poll alone, so a
 * repeated poll names the same run; sorts with the others, newest first.
 */
export function auditRunId(polledAt: Date): string {
  return `${invertedMillis(polledAt)}-a`;
}

/** The run id of a manual run; sorts with the scheduled ones, newest first. */
export function manualRunId(at: Date, nonce: string): string {
  return `${invertedMillis(at)}-m${nonce}`;
}
