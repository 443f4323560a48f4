import { z } from 'zod';
import { PermanentUpstreamError } from '../../errors.js';

// Unknown fields are stripped (zod's default): the real services add fields over time.

const accessRights = z.union([z.array(z.string()), z.string().transform((v) => [v])]);
const stringList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);

/**
 * `Deny` / `IsInherited`: the JSON form is undocumented (docs/wire.md), so a boolean, `"True"`/`"False"` in any
 * case, or a switch `{"IsPresent": bool}`; anything else fails the row, naming the field (never a default).
 */
const exchangeFlag = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i)
    .transform((v) => v.toLowerCase() === 'true'),
  z.object({ IsPresent: z.boolean() }).transform((v) => v.IsPresent),
]);

export const mailboxPermissionRowSchema = z.object({
  Identity: z.string(),
  User: z.string(),
  UserSid: z.string().nullish(),
  /** Raw, possibly comma-joined (`"FullAccess, ReadPermission"`): see `splitAccessRights`. */
  AccessRights: accessRights,
  IsInherited: exchangeFlag,
  Deny: exchangeFlag,
  InheritanceType: z.string().nullish(),
});
export type MailboxPermissionRow = z.infer<typeof mailboxPermissionRowSchema>;

export const recipientPermissionRowSchema = z.object({
  Identity: z.string(),
  Trustee: z.string(),
  TrusteeSidString: z.string().nullish(),
  AccessControlType: z.string(),
  AccessRights: accessRights,
  /** Optional in docs/wire.md; an absent value reads as not inherited, as it always has. */
  IsInherited: exchangeFlag.nullish().transform((v) => v ?? false),
  InheritanceType: z.string().nullish(),
});
export type RecipientPermissionRow = z.infer<typeof recipientPermissionRowSchema>;

export const mailboxRowSchema = z.object({
  Identity: z.string(),
  Name: z.string(),
  DisplayName: z.string(),
  UserPrincipalName: z.string().nullish(),
  PrimarySmtpAddress: z.string(),
  ExternalDirectoryObjectId: z.string().nullish(),
  RecipientTypeDetails: z.string(),
  /** Recipient Names (often the object-id GUID), not addresses. */
  GrantSendOnBehalfTo: stringList,
});
export type MailboxRow = z.infer<typeof mailboxRowSchema>;
export type MailboxField = keyof MailboxRow;

export const recipientRowSchema = z.object({
  Identity: z.string(),
  Name: z.string(),
  DisplayName: z.string().nullish(),
  PrimarySmtpAddress: z.string().nullish(),
  ExternalDirectoryObjectId: z.string().nullish(),
  RecipientType: z.string().nullish(),
  RecipientTypeDetails: z.string(),
});
export type RecipientRow = z.infer<typeof recipientRowSchema>;

export const calendarPermissionSchema = z.object({
  id: z.string(),
  role: z.string(),
  emailAddress: z.object({ name: z.string().nullish(), address: z.string().nullish() }).nullish(),
  isInsideOrganization: z.boolean().nullish(),
  isRemovable: z.boolean().nullish(),
  allowedRoles: stringList,
});
export type CalendarPermission = z.infer<typeof calendarPermissionSchema>;

export const graphGroupSchema = z.object({
  id: z.string(),
  displayName: z.string().nullish(),
  mail: z.string().nullish(),
  mailEnabled: z.boolean().nullish(),
  securityEnabled: z.boolean().nullish(),
  groupTypes: stringList,
  onPremisesSamAccountName: z.string().nullish(),
  onPremisesSyncEnabled: z.boolean().nullish(),
});
export type GraphGroup = z.infer<typeof graphGroupSchema>;

export const graphUserSchema = z.object({
  id: z.string(),
  displayName: z.string().nullish(),
  userPrincipalName: z.string(),
  /** null for a user without a mailbox. */
  mail: z.string().nullish(),
  /** Present only when selected (Graph does not return it by default). */
  accountEnabled: z.boolean().nullish(),
});
export type GraphUser = z.infer<typeof graphUserSchema>;

export type DirectoryObjectKind = 'user' | 'group' | 'device' | 'orgContact' | 'other';

const KIND_BY_ODATA_TYPE: Readonly<Record<string, DirectoryObjectKind>> = {
  '#microsoft.graph.user': 'user',
  '#microsoft.graph.group': 'group',
  '#microsoft.graph.device': 'device',
  '#microsoft.graph.orgContact': 'orgContact',
};

export const directoryObjectSchema = z
  .object({
    '@odata.type': z.string().nullish(),
    id: z.string(),
    displayName: z.string().nullish(),
    userPrincipalName: z.string().nullish(),
    mail: z.string().nullish(),
    accountEnabled: z.boolean().nullish(),
  })
  .transform((o) => ({
    kind: KIND_BY_ODATA_TYPE[o['@odata.type'] ?? ''] ?? ('other' as DirectoryObjectKind),
    odataType: o['@odata.type'] ?? null,
    id: o.id,
    displayName: o.displayName ?? null,
    userPrincipalName: o.userPrincipalName ?? null,
    mail: o.mail ?? null,
    accountEnabled: o.accountEnabled ?? null,
  }));
export type DirectoryObject = z.infer<typeof directoryObjectSchema>;

/** Splits Exchange's comma-joined AccessRights: one implementation, in the domain. */
export { splitAccessRights } from '../../domain/delegation/trustee.js';

/**
 * Parses every row of a response; a row that does not match is a contract break (retrying will not
 * fix it), reported with the source and the offending field but never the row's values.
 */
export function parseRows<S extends z.ZodType>(
  schema: S,
  rows: readonly unknown[],
  context: { service: 'exchange' | 'graph'; source: string },
): Array<z.output<S>> {
  return rows.map((row, index) => {
    const parsed = schema.safeParse(row);
    if (parsed.success) return parsed.data;
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'} (${i.message})`).join(', ');
    const service = context.service === 'exchange' ? 'Exchange' : 'Graph';
    throw new PermanentUpstreamError(
      context.service === 'exchange' ? 'EXCHANGE.BAD_ROW' : 'GRAPH.BAD_ROW',
      `${service} ${context.source} returned row ${index} that does not match the expected shape: ${fields}`,
    );
  });
}
