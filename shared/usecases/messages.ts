import { z } from 'zod';
import { RIGHTS } from '../domain/delegation/types.js';
import { parseOrThrow } from '../domain/validation.js';

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/, 'must contain only letters, digits, _ . -');

/** Body of an `mps-expand` message. */
export const expandMessageSchema = z.object({ taskId: id, runId: id }).strict();
export type ExpandMessageBody = z.infer<typeof expandMessageSchema>;

const rawAceSchema = z.object({
  trustee: z.string().max(1024),
  trusteeSid: z.string().max(256).optional(),
  accessRights: z.array(z.string().max(512)).max(64),
  isInherited: z.boolean(),
  deny: z.boolean(),
});

/** Hints an audit run's message carries per mailbox: bounded, as a burst on one mailbox must not swell it. */
export const MAX_AUDIT_HINTS = 50;

const isoTime = z.iso.datetime({ offset: true, error: () => 'must be an ISO 8601 date-time' });

/**
 * An audit record's hint about one mailbox (PermissionChangeHint, shared/ports/auditFeed.ts), as an audit run's
 * message carries it: it attributes what the re-read finds, and never says what is granted.
 */
export const auditHintSchema = z
  .object({
    kind: z.literal('permissionChange'),
    recordId: z.string().min(1).max(128),
    at: isoTime,
    operation: z.string().min(1).max(128),
    actor: z.string().min(1).max(512),
    mailboxIdentity: z.string().min(1).max(512),
    right: z.enum(RIGHTS).nullable(),
    trustee: z.string().min(1).max(1024).nullable(),
    change: z.enum(['grant', 'revoke', 'set']),
  })
  .strict();

/** Body of an `mps-mailbox` message: one mailbox of one run, self-contained. */
export const mailboxMessageSchema = z
  .object({
    taskId: id,
    runId: id,
    mailbox: z.object({
      id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an object id'),
      upn: z.string().min(1).max(320),
      address: z.string().min(1).max(320),
      displayName: z.string().max(512),
    }),
    rights: z.array(z.enum(RIGHTS)).min(1),
    /** Rows read by a tenant-wide pass during expansion; a right present here is not read again per mailbox. */
    prefetched: z
      .object({
        name: z.string().max(512).optional(),
        sendAs: z.array(rawAceSchema).max(10_000).optional(),
        sendOnBehalfNames: z.array(z.string().max(512)).max(10_000).optional(),
        /** The run is large (tenant-wide passes): resolve user trustees from a run-scoped directory snapshot. */
        directorySnapshot: z.literal(true).optional(),
      })
      .optional(),
    throttleRetries: z.number().int().min(0).max(1000).default(0),
    /**
     * Present on every message of an audit run (trigger `auditEvent`): the hints that named this mailbox, which
     * attribute the changes its re-read finds (empty on a copy the finalizer re-sent: the re-read still happens).
     */
    audit: z
      .object({ hints: z.array(auditHintSchema).max(MAX_AUDIT_HINTS) })
      .strict()
      .optional(),
  })
  .strict();
export type MailboxMessageBody = z.infer<typeof mailboxMessageSchema>;

/**
 * Just enough of an `mps-mailbox` body to name its run item: a dead-lettered message that fails the full schema
 * (say, an oversized prefetch) must still settle its item, or the run waits for its timeout.
 */
export const mailboxItemRefSchema = z.looseObject({
  taskId: id,
  runId: id,
  mailbox: z.looseObject({ id: mailboxMessageSchema.shape.mailbox.shape.id }),
});

/** Just enough of an `mps-expand` body to name its run (see mailboxItemRefSchema). */
export const expandRunRefSchema = z.looseObject({ taskId: id, runId: id });

/** Parses a queue body or throws a ValidationError naming the bad field (the message then dead-letters with it). */
export function parseMessage<T>(schema: z.ZodType<T>, body: unknown, queue: string): T {
  return parseOrThrow(
    schema,
    typeof body === 'string' ? safeJson(body) : body,
    'QUEUE.INVALID_MESSAGE',
    `${queue} message`,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
