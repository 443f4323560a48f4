import { z } from 'zod';
import { auditRecordMailboxIdentity, namesDelegationChange } from '../../domain/auditHints.js';
import type { AuditContentRef, AuditRecord, AuditRecordRead, AuditSubscription } from '../../ports/auditFeed.js';

// Unknown fields are stripped (zod's default): a record carries dozens the feed does not read (docs/wire.md).

// `CreationTime` comes without a zone (`2015-06-29T20:03:19`) and is UTC; a `Z` or an offset is honoured if it ever
// appears. Anything else fails the record, naming the field: never "now" in its place.
const ZONELESS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/;
const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

/** An ISO 8601 UTC timestamp from the API's time forms (zone-less = UTC); undefined when it is not one. */
export function readAuditTime(value: string): string | undefined {
  const text = value.trim();
  let ms: number;
  if (ZONELESS.test(text)) {
    // More than milliseconds (.NET writes up to 7 digits) would not parse everywhere: keep three.
    const [whole, fraction] = text.split('.');
    ms = Date.parse(`${whole}${fraction ? `.${fraction.slice(0, 3).padEnd(3, '0')}` : ''}Z`);
  } else if (ZONED.test(text)) {
    ms = Date.parse(text);
  } else {
    return undefined;
  }
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const auditTime = z.string().transform((value, ctx) => {
  const iso = readAuditTime(value);
  if (iso === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a date-time: ${JSON.stringify(value.slice(0, 40))}` });
    return z.NEVER;
  }
  return iso;
});

const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v));

const parameter = z.object({
  Name: z.string().min(1),
  // Values are strings on the wire; a number or boolean is written as text. A null value (a parameter given no
  // value) reads as '' — "names nothing", never a right or a trustee (docs/wire.md).
  Value: z
    .union([z.string(), z.number(), z.boolean()])
    .nullish()
    .transform((v) => (v === undefined || v === null ? '' : String(v))),
});

/** One record of a content blob: the fields the feed reads (docs/wire.md, "Audit records"). */
export const auditRecordSchema = z
  .object({
    Id: z.string().min(1),
    CreationTime: auditTime,
    Operation: z.string().min(1),
    RecordType: z.number().int(),
    Workload: optionalText,
    UserId: z.string().min(1),
    UserType: z.number().int().nullish(),
    ObjectId: optionalText,
    Parameters: z.array(parameter).nullish(),
    ResultStatus: optionalText,
    MailboxGuid: optionalText,
    MailboxOwnerUPN: optionalText,
  })
  .transform(
    (r): AuditRecord => ({
      id: r.Id,
      creationTime: r.CreationTime,
      operation: r.Operation,
      recordType: r.RecordType,
      workload: r.Workload,
      userId: r.UserId,
      userType: r.UserType ?? null,
      objectId: r.ObjectId,
      parameters: (r.Parameters ?? []).map((p) => ({ name: p.Name, value: p.Value })),
      resultStatus: r.ResultStatus,
      mailboxGuid: r.MailboxGuid,
      mailboxOwnerUpn: r.MailboxOwnerUPN,
    }),
  );

/** The fields a zod failure names, `path: message; …` (for an admin-readable reason). */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
}

/**
 * One raw entry of a content blob, validated: a record, or `unreadable` naming the field that failed (and the
 * record's Id when it has one). A delegation record that names no mailbox is unreadable too.
 */
export function parseAuditRecord(raw: unknown, index: number): AuditRecordRead {
  const id =
    typeof raw === 'object' && raw !== null && typeof (raw as { Id?: unknown }).Id === 'string'
      ? (raw as { Id: string }).Id
      : undefined;
  const where = id !== undefined ? `record ${id}` : `record #${index} of the blob`;
  const parsed = auditRecordSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'unreadable', reason: `${where}: ${describeIssues(parsed.error)}` };
  const record = parsed.data;
  if (namesDelegationChange(record) && auditRecordMailboxIdentity(record) === null) {
    return {
      kind: 'unreadable',
      reason:
        `${where} (${record.operation}): names no mailbox (no Identity parameter, ObjectId, MailboxOwnerUPN ` +
        'or MailboxGuid)',
    };
  }
  return { kind: 'record', record };
}

/** One entry of `subscriptions/content` (docs/wire.md). */
export const contentRefSchema = z.object({
  contentType: z.string().min(1),
  contentId: z.string().min(1),
  contentUri: z.string().min(1),
  contentCreated: auditTime,
  contentExpiration: auditTime,
}) satisfies z.ZodType<AuditContentRef, unknown>;

/**
 * One entry of `subscriptions/list`. REF's own sample has an entry without `status`: it reads `unknown` (not
 * known to be enabled, so the feed starts it), never `enabled`.
 */
export const subscriptionSchema = z
  .object({ contentType: z.string().min(1), status: z.string().nullish() })
  .transform((s): AuditSubscription => ({ contentType: s.contentType, status: s.status ?? 'unknown' }));

export { describeIssues as describeAuditIssues };
