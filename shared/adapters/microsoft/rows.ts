import { z } from 'zod';
import { PermanentUpstreamError } from '../../errors.js';
import type {
  CalendarPermission,
  DirectoryObject,
  DirectoryObjectKind,
  GraphGroup,
  GraphUser,
  MailboxPermissionRow,
  MailboxRow,
  RecipientPermissionRow,
  RecipientRow,
} from '../../ports/microsoft.js';

/** True only when A and B are the same type (each assignable to the other, optional and readonly alike). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`: the schemas below must produce exactly the row types the ports declare. */
function sameShape<_ extends true>(): void {}

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
sameShape<Equals<z.output<typeof mailboxPermissionRowSchema>, MailboxPermissionRow>>();

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
sameShape<Equals<z.output<typeof recipientPermissionRowSchema>, RecipientPermissionRow>>();

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
sameShape<Equals<z.output<typeof mailboxRowSchema>, MailboxRow>>();

export const recipientRowSchema = z.object({
  Identity: z.string(),
  Name: z.string(),
  DisplayName: z.string().nullish(),
  PrimarySmtpAddress: z.string().nullish(),
  ExternalDirectoryObjectId: z.string().nullish(),
  RecipientType: z.string().nullish(),
  RecipientTypeDetails: z.string(),
});
sameShape<Equals<z.output<typeof recipientRowSchema>, RecipientRow>>();

export const calendarPermissionSchema = z.object({
  id: z.string(),
  role: z.string(),
  emailAddress: z.object({ name: z.string().nullish(), address: z.string().nullish() }).nullish(),
  isInsideOrganization: z.boolean().nullish(),
  isRemovable: z.boolean().nullish(),
  allowedRoles: stringList,
});
sameShape<Equals<z.output<typeof calendarPermissionSchema>, CalendarPermission>>();

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
sameShape<Equals<z.output<typeof graphGroupSchema>, GraphGroup>>();

export const graphUserSchema = z.object({
  id: z.string(),
  displayName: z.string().nullish(),
  userPrincipalName: z.string(),
  /** null for a user without a mailbox. */
  mail: z.string().nullish(),
  /** Present only when selected (Graph does not return it by default). */
  accountEnabled: z.boolean().nullish(),
});
sameShape<Equals<z.output<typeof graphUserSchema>, GraphUser>>();

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
sameShape<Equals<z.output<typeof directoryObjectSchema>, DirectoryObject>>();

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
