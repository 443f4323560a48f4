import { z } from 'zod';
import { RIGHTS } from '../domain/delegation/types.js';

/** `?top=&continuationToken=` on every list route. */
export const pageQuery = z
  .object({
    top: z.coerce
      .number({ error: () => 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(100),
    continuationToken: z.string().max(4096, 'is too long').optional(),
  })
  .strict();

/** An id we issued (GUID or run id): short, printable, no path characters. */
export const idSegment = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9_.-]+$/, 'must contain only letters, digits, _ . -');

export const idParams = z.object({ id: idSegment });
export const runParams = z.object({ id: idSegment, runId: idSegment });

/** Any JSON body; the use case validates it with its own schema (documented through `bodyDocs`). */
export const anyJson = z.unknown();

/** The list envelope every list route returns. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), continuationToken: z.string().nullable() });
}

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A problem+json response for a route's documented error status (404, 409, …). */
export function problemResponse(description: string) {
  return { description, schema: problemSchema, contentType: 'application/problem+json' };
}

/** How a delegate holds a right: directly, or through a (transitively expanded) group. */
export const viaView = z.union([
  z.object({ kind: z.literal('direct') }),
  z.object({ kind: z.literal('group'), id: z.string(), displayName: z.string() }),
]);

/** A mailbox as API responses name it. */
export const mailboxRefView = z.object({ id: z.string(), address: z.string(), displayName: z.string() });

/** One right a delegate holds on a mailbox, as the lookups, /me, the footprint and their CSV answer it. */
export const rightView = z.object({
  right: z.enum(RIGHTS),
  source: z.enum(['MailboxPermissionSync', 'Manual']),
  via: z.array(viaView),
  firstSeen: z.string(),
  lastConfirmed: z.string(),
  grantedBy: z.string().nullable().describe('Who granted it (an audit record’s UserId, or the admin), when known'),
  grantedAt: z.string().nullable().describe('When it was granted, from the same source as grantedBy'),
  lastVerified: z
    .string()
    .nullable()
    .describe('When a sync last read this right of the mailbox and found it so (synced rights; null if not known)'),
});

/** A user who can open a mailbox, with its rights there (mailbox delegates, the footprint's own mailbox). */
export const mailboxDelegateItem = z.object({
  delegate: z.object({
    id: z.string(),
    upn: z.string(),
    address: z.string(),
    displayName: z.string(),
    accountEnabled: z.boolean().nullable(),
  }),
  rights: z.array(rightView),
});

/** A mailbox a user can open, with the user's rights there (delegate mailboxes, the footprint's canOpen). */
export const delegateMailboxItem = z.object({
  mailbox: mailboxRefView,
  rights: z.array(rightView),
});

/** The change feed's counters over a span (GET /api/audit-feed). */
const auditFeedCountsView = z.object({
  recordsRead: z.number().int(),
  permissionHints: z.number().int(),
  ignored: z.object({
    notPermissionChange: z.number().int(),
    systemActor: z.number().int(),
    failedOperation: z.number().int(),
  }),
  unreadableRecords: z.number().int(),
  unresolvedMailboxes: z.number().int(),
  outsideScope: z.number().int(),
  mailboxesQueued: z.number().int(),
  throttledPolls: z.number().int(),
  failedPolls: z.number().int(),
});

/** The change feed's state (docs/design.md §8.4): subscription, checkpoint, lag, last 24 h, last poll, gaps. */
export const auditFeedView = z.object({
  contentType: z.string(),
  subscription: z.object({ status: z.enum(['enabled', 'unknown']), confirmedAt: z.string().nullable() }),
  checkpoint: z.string().nullable(),
  newestRecordAt: z.string().nullable(),
  lagSeconds: z.number().int().nullable(),
  lastPoll: z
    .object({ at: z.string(), outcome: z.enum(['succeeded', 'throttled', 'failed']), error: z.string().nullable() })
    .nullable(),
  last24h: auditFeedCountsView,
  gaps: z.array(z.object({ from: z.string(), to: z.string(), detectedAt: z.string() })),
  checkpointLostAt: z.string().nullable(),
});
