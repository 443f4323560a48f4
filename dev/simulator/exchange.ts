import { EXCHANGE_RESOURCE } from './identity.js';
import {
  bump,
  header,
  isJsonContent,
  JSON_TYPE,
  parseJsonBody,
  type SimContext,
  type SimReply,
  type SimRequest,
} from './http.js';
import { appHasAny, drawFault, throttle } from './limits.js';
import { SELF_SID, groupRecipientType, hasMailbox, type Recipient, type SimAce, type SimUser } from './tenant.js';

export const EXCHANGE_AUDIENCES = [
  EXCHANGE_RESOURCE,
  `${EXCHANGE_RESOURCE}/`,
  '00000002-0000-0ff1-ce00-000000000000',
] as const;

const MAX_BATCH = 10;
const MAX_PAGE = 1000;
const DEFAULT_RESULT_SIZE = 1000;
const DC = 'AM6PR04A08DC001.EURPR04A008.PROD.OUTLOOK.COM';
const NOT_FOUND_TYPE = 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException';
const AMBIGUOUS_TYPE = 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException';
const PARAMETER_TYPE = 'System.Management.Automation.ParameterBindingException';
const CMDLET_NOT_FOUND_TYPE = 'System.Management.Automation.CommandNotFoundException';
const CMDLET_EXECUTION_TYPE = 'Microsoft.Exchange.Admin.Rest.Server.Exceptions.CmdletExecutionException';
const ODATA_SERVICE_TYPE = 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException';
const INVOKE_WRAPPER_TYPE = 'Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException';
/** The code a live tenant put before ManagementObjectNotFoundException (docs/wire.md). */
const NOT_FOUND_EX_CODE = 'Ex6F9304';

/** Inherited rows every mailbox carries: admin role groups denied, system principals allowed. */
const INHERITED_ROWS: ReadonlyArray<{ user: string; sid: string; rights: string; deny: boolean }> = [
  {
    user: 'EURPR04A008\\Administrator',
    sid: 'S-1-5-21-2064315823-1553430735-1958427185-500',
    rights: 'FullAccess',
    deny: true,
  },
  {
    user: 'EURPR04A008\\Domain Admins',
    sid: 'S-1-5-21-2064315823-1553430735-1958427185-512',
    rights: 'FullAccess',
    deny: true,
  },
  {
    user: 'EURPR04A008\\Enterprise Admins',
    sid: 'S-1-5-21-2064315823-1553430735-1958427185-519',
    rights: 'FullAccess',
    deny: true,
  },
  {
    user: 'EURPR04A008\\Organization Management',
    sid: 'S-1-5-21-2064315823-1553430735-1958427185-1120',
    rights: 'FullAccess, DeleteItem, ReadPermission, ChangePermission, ChangeOwner',
    deny: true,
  },
  { user: 'NT AUTHORITY\\SYSTEM', sid: 'S-1-5-18', rights: 'FullAccess', deny: false },
  { user: 'NT AUTHORITY\\NETWORK SERVICE', sid: 'S-1-5-20', rights: 'ReadPermission', deny: false },
  {
    user: 'EURPR04A008\\Exchange Servers',
    sid: 'S-1-5-21-2064315823-1553430735-1958427185-1117',
    rights: 'FullAccess, ReadPermission',
    deny: false,
  },
];

type Row = Record<string, unknown>;

/**
 * An error of the service itself (auth, throttling, a bad request envelope) in the older envelope: `type` is the
 * real exception, the outer text is useless on purpose.
 */
export function exoError(
  status: number,
  type: string,
  text: string,
  opts: { code?: string; message?: string } = {},
): SimReply {
  return {
    status,
    headers: { 'Content-Type': JSON_TYPE },
    body: {
      error: {
        code: opts.code ?? 'BadRequest',
        message: opts.message ?? 'Invalid Operation',
        details: [{ code: 'Client', target: '', message: `|${type}|${text}` }],
        innererror: { message: text, type: CMDLET_EXECUTION_TYPE, internalexception: { message: text, type } },
      },
      'adminapi.warnings@odata.type': '#Collection(String)',
      '@adminapi.warnings': [],
    },
  };
}

/** What a cmdlet failed with; `render` turns it into today's or the legacy answer. */
interface CmdletFailure {
  type: string;
  text: string;
  /** The object does not exist: HTTP 404 and `error.code: "NotFound"` in today's form. */
  notFound?: boolean;
  /** The `Ex…` code before the type in today's `details[0].message`; empty for most failures. */
  exCode?: string;
}

const failure = (type: string, text: string): CmdletFailure => ({ type, text });

const notFound = (identity: string): CmdletFailure => ({
  type: NOT_FOUND_TYPE,
  text: `The operation couldn't be performed because object '${identity}' couldn't be found on '${DC}'.`,
  notFound: true,
  exCode: NOT_FOUND_EX_CODE,
});

const ambiguous = (identity: string): CmdletFailure =>
  failure(AMBIGUOUS_TYPE, `The operation couldn't be performed because '${identity}' matches multiple entries.`);

class CmdletError extends Error {
  constructor(readonly failure: CmdletFailure) {
    super('cmdlet error');
  }
}

/** FNV-1a over the lower-cased text: a stable choice per identity or mailbox, independent of the seed. */
function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of text.toLowerCase()) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Requests for about one identity in four get the older error envelope (dev/simulator/README.md). */
export function answersLegacyErrors(identity: string): boolean {
  return stableHash(identity) % 4 === 0;
}

/**
 * A cmdlet failure as Exchange answers it (docs/wire.md): today's form keeps the real type and text only in
 * `details[0].message` (`<Ex code>|<Type>|<text>`) under a generic invoke wrapper; the legacy form repeats them
 * in `innererror.internalexception`.
 */
export function cmdletFailureReply(f: CmdletFailure, form: 'today' | 'legacy'): SimReply {
  const headers = { 'Content-Type': JSON_TYPE };
  if (form === 'legacy') {
    const internalexception = { message: f.text, type: f.type };
    const innererror = { message: f.text, type: CMDLET_EXECUTION_TYPE, internalexception };
    const details = [{ code: 'Client', target: '', message: `|${f.type}|${f.text}` }];
    const error = { code: 'BadRequest', message: 'Invalid Operation', details, innererror };
    return { status: 400, headers, body: { error } };
  }
  return {
    status: f.notFound === true ? 404 : 400,
    headers,
    body: {
      error: {
        code: f.notFound === true ? 'NotFound' : 'BadRequest',
        message: 'Error executing cmdlet',
        details: [{ code: 'Client', target: '', message: `${f.exCode ?? ''}|${f.type}|${f.text}` }],
        innererror: {
          message: 'Error executing cmdlet',
          type: ODATA_SERVICE_TYPE,
          internalexception: {
            message: `Exception of type '${INVOKE_WRAPPER_TYPE}' was thrown.`,
            type: INVOKE_WRAPPER_TYPE,
          },
        },
      },
      'adminapi.warnings@odata.type': '#Collection(String)',
      '@adminapi.warnings': [],
    },
  };
}

interface Invocation {
  ctx: SimContext;
  tid: string;
  cmdlet: string;
  params: Record<string, unknown>;
  /** The InvokeCommand URL as called (its $select and $skiptoken matter). */
  url: URL;
  pageSize: number;
}

const mailboxIdentity = (m: SimUser): string => m.mail ?? m.userPrincipalName;

export type FlagForm = 'boolean' | 'string' | 'switch';

/**
 * How `Deny` / `IsInherited` are written for a mailbox: the JSON form is undocumented (docs/wire.md), so half
 * the mailboxes (by a hash of the object id) get `"True"`/`"False"` or `{"IsPresent": …}` instead of booleans.
 */
export function flagForm(mailboxId: string): FlagForm {
  const h = stableHash(mailboxId) % 4;
  return h === 2 ? 'string' : h === 3 ? 'switch' : 'boolean';
}

function renderFlag(form: FlagForm, value: boolean): unknown {
  if (form === 'string') return value ? 'True' : 'False';
  return form === 'switch' ? { IsPresent: value } : value;
}

/** Rows of deleted trustees (bare SIDs) only come back with `IncludeUnresolvedPermissions` (docs/wire.md). */
function includeUnresolved(params: Record<string, unknown>): boolean {
  const v = param(params, 'IncludeUnresolvedPermissions');
  const text = typeof v === 'string' ? v.toLowerCase() : v;
  if (text === undefined || text === null || text === false || text === 'false') return false;
  if (text === true || text === 'true') return true;
  const message = `Cannot convert value "${String(v)}" to type "System.Management.Automation.SwitchParameter".`;
  throw new CmdletError(failure(PARAMETER_TYPE, message));
}

function mailboxPermissionRows(ctx: SimContext, m: SimUser, unresolved: boolean): Row[] {
  const identity = mailboxIdentity(m);
  const form = flagForm(m.id);
  const row = (user: string, sid: string, rights: string, inherited: boolean, deny: boolean): Row => ({
    Identity: identity,
    User: user,
    UserSid: sid,
    AccessRights: [rights],
    IsInherited: renderFlag(form, inherited),
    Deny: renderFlag(form, deny),
    InheritanceType: 'All',
  });
  const rows: Row[] = [row('NT AUTHORITY\\SELF', SELF_SID, 'FullAccess, ReadPermission', false, false)];
  for (const ace of ctx.tenant.permissions.get(m.id)?.fullAccess ?? []) {
    if (!unresolved && ctx.tenant.objectBySid(ace.trusteeSid) === undefined) continue;
    rows.push(row(ctx.tenant.trusteeDisplay(ace), ace.trusteeSid, ace.rights.join(', '), ace.isInherited, ace.deny));
  }
  for (const r of INHERITED_ROWS) rows.push(row(r.user, r.sid, r.rights, true, r.deny));
  return rows;
}

/** A mailbox's distinguished name as Exchange Online writes it. */
function distinguishedName(ctx: SimContext, m: SimUser): string {
  const org = `OU=${ctx.tenant.initialDomain},OU=Microsoft Exchange Hosted Organizations`;
  return `CN=${m.name},${org},DC=EURPR04A008,DC=PROD,DC=OUTLOOK,DC=COM`;
}

function recipientPermissionRows(ctx: SimContext, m: SimUser, sendAsOnly: boolean): Row[] {
  const dn = ctx.knobs.recipientPermissionIdentity === 'distinguishedName';
  const identity = dn ? distinguishedName(ctx, m) : mailboxIdentity(m);
  const form = flagForm(m.id);
  const row = (trustee: string, sid: string, ace: Pick<SimAce, 'rights' | 'deny' | 'isInherited'>): Row => ({
    Identity: identity,
    Trustee: trustee,
    TrusteeSidString: sid,
    AccessControlType: ace.deny ? 'Deny' : 'Allow',
    AccessRights: ace.rights,
    IsInherited: renderFlag(form, ace.isInherited),
    InheritanceType: 'None',
  });
  const rows: Row[] = [row('NT AUTHORITY\\SELF', SELF_SID, { rights: ['SendAs'], deny: false, isInherited: false })];
  for (const ace of ctx.tenant.permissions.get(m.id)?.sendAs ?? []) {
    if (sendAsOnly && !ace.rights.includes('SendAs')) continue;
    rows.push(row(ctx.tenant.trusteeDisplay(ace), ace.trusteeSid, ace));
  }
  return rows;
}

function mailboxRow(ctx: SimContext, m: SimUser): Row {
  return {
    Identity: m.name,
    Name: m.name,
    Alias: m.alias,
    DisplayName: m.displayName,
    UserPrincipalName: m.userPrincipalName,
    PrimarySmtpAddress: m.mail ?? m.userPrincipalName,
    EmailAddresses: m.proxyAddresses,
    ExternalDirectoryObjectId: m.id,
    RecipientType: 'UserMailbox',
    RecipientTypeDetails: m.recipientTypeDetails ?? 'UserMailbox',
    AccountDisabled: !m.accountEnabled,
    GrantSendOnBehalfTo: [...(ctx.tenant.permissions.get(m.id)?.sendOnBehalf ?? [])],
  };
}

function recipientRow(r: Recipient): Row {
  switch (r.kind) {
    case 'user':
      return {
        Identity: r.user.name,
        Name: r.user.name,
        DisplayName: r.user.displayName,
        Alias: r.user.alias,
        PrimarySmtpAddress: r.user.mail ?? r.user.userPrincipalName,
        ExternalDirectoryObjectId: r.user.id,
        RecipientType: hasMailbox(r.user) ? 'UserMailbox' : 'MailUser',
        RecipientTypeDetails: r.user.recipientTypeDetails ?? r.user.mailUser ?? 'UserMailbox',
      };
    case 'group': {
      const details = groupRecipientType(r.group);
      return {
        Identity: r.group.name,
        Name: r.group.name,
        DisplayName: r.group.displayName,
        Alias: (r.group.mail ?? r.group.name).split('@')[0],
        PrimarySmtpAddress: r.group.mail ?? '',
        ExternalDirectoryObjectId: r.group.id,
        RecipientType: details === 'MailUniversalSecurityGroup' ? details : 'MailUniversalDistributionGroup',
        RecipientTypeDetails: details,
      };
    }
    case 'contact':
      return {
        Identity: r.contact.name,
        Name: r.contact.name,
        DisplayName: r.contact.displayName,
        Alias: r.contact.alias,
        PrimarySmtpAddress: r.contact.mail,
        ExternalDirectoryObjectId: r.contact.id,
        RecipientType: 'MailContact',
        RecipientTypeDetails: 'MailContact',
      };
  }
}

function requireKnownParams(params: Record<string, unknown>, known: readonly string[]): void {
  for (const p of Object.keys(params)) {
    if (!known.some((k) => k.toLowerCase() === p.toLowerCase())) {
      const message = `A parameter cannot be found that matches parameter name '${p}'.`;
      throw new CmdletError(failure(PARAMETER_TYPE, message));
    }
  }
}

function param(params: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(params).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : params[key];
}

function identityParam(params: Record<string, unknown>): string | undefined {
  const v = param(params, 'Identity');
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '') {
    throw new CmdletError(failure(PARAMETER_TYPE, "Cannot bind parameter 'Identity'. The argument is null or empty."));
  }
  return v;
}

function resolveOneMailbox(ctx: SimContext, identity: string): SimUser {
  const found = ctx.tenant.resolveMailboxes(identity);
  if (found.length === 0) throw new CmdletError(notFound(identity));
  if (found.length > 1) {
    throw new CmdletError(ambiguous(identity));
  }
  return found[0] as SimUser;
}

/** `ResultSize`: "Unlimited" -> no cap; a number -> that cap; absent -> 1000 with a warning when more exist. */
function resultSize(params: Record<string, unknown>): { cap: number; explicit: boolean } {
  const v = param(params, 'ResultSize');
  if (v === undefined || v === null) return { cap: DEFAULT_RESULT_SIZE, explicit: false };
  if (typeof v === 'string' && v.toLowerCase() === 'unlimited')
    return { cap: Number.POSITIVE_INFINITY, explicit: true };
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    const target = 'Microsoft.Exchange.Data.Unlimited`1[System.UInt32]';
    const message = `Cannot bind parameter 'ResultSize'. Cannot convert value "${String(v)}" to type "${target}".`;
    throw new CmdletError(failure(PARAMETER_TYPE, message));
  }
  return { cap: n, explicit: true };
}

interface PagedResult {
  rows: Row[];
  nextLink?: string;
  warnings: string[];
}

/**
 * Pages rows produced per mailbox without materializing the whole tenant: the skiptoken holds the
 * mailbox index and the row index within it, so 100,000 mailboxes page in constant memory.
 */
function pageOverMailboxes(
  inv: Invocation,
  cap: { cap: number; explicit: boolean },
  rowsOf: (m: SimUser) => Row[],
  filter?: (m: SimUser) => boolean,
): PagedResult {
  const { ctx } = inv;
  const ids = ctx.tenant.mailboxIds();
  let start = { page: 0, m: 0, r: 0, emitted: 0 };
  const raw = inv.url.searchParams.get('$skiptoken');
  if (raw !== null) {
    try {
      const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as {
        Page?: number;
        M?: number;
        R?: number;
        E?: number;
      };
      start = { page: t.Page ?? 0, m: t.M ?? 0, r: t.R ?? 0, emitted: t.E ?? 0 };
    } catch {
      throw new CmdletError(failure('Microsoft.OData.ODataException', 'The skip token is invalid.'));
    }
  }
  const rows: Row[] = [];
  let m = start.m;
  let r = start.r;
  let emitted = start.emitted;
  let more = false;
  let truncated = false;
  outer: for (; m < ids.length; m++, r = 0) {
    const user = ctx.tenant.users.get(ids[m] as string);
    if (user === undefined || (filter !== undefined && !filter(user))) continue;
    const all = rowsOf(user);
    for (; r < all.length; r++) {
      if (emitted >= cap.cap) {
        truncated = true;
        break outer;
      }
      if (rows.length >= inv.pageSize) {
        more = true;
        break outer;
      }
      rows.push(all[r] as Row);
      emitted++;
    }
  }
  const warnings =
    truncated && !cap.explicit
      ? [
          'WARNING: By default, only the first 1000 items are returned. ' +
            'Use the ResultSize parameter to specify the number of items returned. ' +
            'To return all items, specify "-ResultSize Unlimited". ' +
            'Be aware that, depending on the actual number of items, ' +
            'returning all items can take a long time and consume a large amount of memory. ' +
            "Also, we don't recommend storing the results in a variable. " +
            'Instead, pipe the results to another task or script to perform batch changes.',
        ]
      : [];
  if (!more) return { rows, warnings };
  const token = Buffer.from(JSON.stringify({ Page: start.page + 1, M: m, R: r, E: emitted })).toString('base64url');
  const next = new URL(inv.url.toString());
  next.searchParams.delete('$skiptoken');
  const rest = next.searchParams.toString();
  return {
    rows,
    warnings,
    nextLink: `${ctx.url}${next.pathname}?${rest === '' ? '' : `${rest}&`}%24skiptoken=${token}`,
  };
}

function runCmdlet(inv: Invocation): PagedResult {
  const { ctx, params } = inv;
  switch (inv.cmdlet.toLowerCase()) {
    case 'get-mailboxpermission': {
      requireKnownParams(params, ['Identity', 'User', 'ResultSize', 'IncludeUnresolvedPermissions']);
      const identity = identityParam(params);
      if (identity === undefined) {
        const message = 'Cannot process command because of one or more missing mandatory parameters: Identity.';
        throw new CmdletError(failure(PARAMETER_TYPE, message));
      }
      const unresolved = includeUnresolved(params);
      return { rows: mailboxPermissionRows(ctx, resolveOneMailbox(ctx, identity), unresolved), warnings: [] };
    }
    case 'get-recipientpermission': {
      requireKnownParams(params, ['Identity', 'ResultSize', 'AccessRights', 'Trustee']);
      const access = param(params, 'AccessRights');
      if (access !== undefined && access !== null && String(access).toLowerCase() !== 'sendas') {
        const target = 'Microsoft.Exchange.Management.RecipientTasks.RecipientAccessRight';
        const value = String(access);
        const message = `Cannot bind parameter 'AccessRights'. Cannot convert value "${value}" to type "${target}".`;
        throw new CmdletError(failure(PARAMETER_TYPE, message));
      }
      const trusteeParam = param(params, 'Trustee');
      const trusteeFilter = (row: Row): boolean => {
        if (typeof trusteeParam !== 'string') return true;
        const t = trusteeParam.toLowerCase();
        return String(row.Trustee).toLowerCase() === t;
      };
      const identity = identityParam(params);
      if (identity !== undefined) {
        const recipients = ctx.tenant.resolveRecipients(identity);
        if (recipients.length === 0) throw new CmdletError(notFound(identity));
        if (recipients.length > 1) throw new CmdletError(ambiguous(identity));
        const r = recipients[0] as Recipient;
        // A mail user or guest has no mailbox whose permissions could be read.
        if (r.kind === 'user' && !hasMailbox(r.user)) throw new CmdletError(notFound(identity));
        const rows = r.kind === 'user' ? recipientPermissionRows(ctx, r.user, true).filter(trusteeFilter) : [];
        return { rows, warnings: [] };
      }
      return pageOverMailboxes(inv, resultSize(params), (m) =>
        recipientPermissionRows(ctx, m, true).filter(trusteeFilter),
      );
    }
    case 'get-mailbox': {
      requireKnownParams(params, ['Identity', 'ResultSize', 'RecipientTypeDetails']);
      const identity = identityParam(params);
      if (identity !== undefined) return { rows: [mailboxRow(ctx, resolveOneMailbox(ctx, identity))], warnings: [] };
      const typeParam = param(params, 'RecipientTypeDetails');
      const types =
        typeParam === undefined || typeParam === null
          ? undefined
          : (Array.isArray(typeParam) ? typeParam : String(typeParam).split(',')).map((t) =>
              String(t).trim().toLowerCase(),
            );
      return pageOverMailboxes(
        inv,
        resultSize(params),
        (m) => [mailboxRow(ctx, m)],
        types === undefined ? undefined : (m) => types.includes(String(m.recipientTypeDetails).toLowerCase()),
      );
    }
    case 'get-recipient': {
      requireKnownParams(params, ['Identity', 'ResultSize', 'RecipientTypeDetails']);
      const identity = identityParam(params);
      if (identity !== undefined) {
        // Unlike the mailbox cmdlets, Get-Recipient returns every match: a shared Name gives several rows.
        const recipients = ctx.tenant.resolveRecipients(identity);
        if (recipients.length === 0) throw new CmdletError(notFound(identity));
        return { rows: recipients.map(recipientRow), warnings: [] };
      }
      return pageOverMailboxes(inv, resultSize(params), (m) => [recipientRow({ kind: 'user', user: m })]);
    }
    default:
      throw new CmdletError(
        failure(
          CMDLET_NOT_FOUND_TYPE,
          `The term '${inv.cmdlet}' is not recognized as the name of a cmdlet, function, script file, or operable ` +
            'program. Check the spelling of the name, or if a path was included, verify that the path is correct ' +
            'and try again.',
        ),
      );
  }
}

function applySelect(rows: Row[], url: URL): Row[] {
  const raw = url.searchParams.get('$select');
  if (raw === null || raw.trim() === '') return rows;
  const keys = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return rows.map((row) => {
    const out: Row = {};
    for (const k of keys) if (k in row) out[k] = row[k];
    return out;
  });
}

function pageSizeFrom(prefer: string | undefined): number {
  const m = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(prefer ?? '');
  const n = m === null ? MAX_PAGE : Number(m[1]);
  return Math.min(MAX_PAGE, Math.max(1, n));
}

/** Runs one InvokeCommand body (top-level or batch item); throttling is the caller's business. */
function invoke(ctx: SimContext, tid: string, url: URL, body: unknown, prefer: string | undefined): SimReply {
  const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } } | undefined)?.CmdletInput;
  if (input === undefined || typeof input !== 'object' || input === null || typeof input.CmdletName !== 'string') {
    return exoError(
      400,
      'Microsoft.OData.ODataException',
      'The request body must be {"CmdletInput":{"CmdletName":…,"Parameters":{…}}}.',
      { message: 'The request is invalid.' },
    );
  }
  if (
    input.Parameters === null ||
    (input.Parameters !== undefined && (typeof input.Parameters !== 'object' || Array.isArray(input.Parameters)))
  ) {
    return exoError(
      400,
      'Microsoft.OData.ODataException',
      "Cannot convert a null value to a non-nullable 'Parameters' of type 'Exchange.GenericHashTable'.",
      { message: 'The request is invalid.' },
    );
  }
  const cmdlet = input.CmdletName;
  bump(ctx.stats.exchangeCmdlets, cmdlet);
  if (!appHasAny(ctx, ['Exchange.ManageAsApp']) || !ctx.tenant.app.hasExchangeRole) return forbidden(ctx);
  const params = (input.Parameters ?? {}) as Record<string, unknown>;
  const identity = param(params, 'Identity');
  const context = `${ctx.url}/adminapi/beta/${tid}/$metadata#Collection(Exchange.GenericHashTable)`;
  if (answersWarningsOnly(ctx, cmdlet, identity)) return warningsOnlyReply(context, cmdlet, identity);
  try {
    const result = runCmdlet({ ctx, tid, cmdlet, params, url, pageSize: pageSizeFrom(prefer) });
    return {
      status: 200,
      headers: {
        'Content-Type': JSON_TYPE,
        ...(result.nextLink === undefined ? {} : { 'Preference-Applied': `odata.maxpagesize=${pageSizeFrom(prefer)}` }),
      },
      body: {
        '@odata.context': context,
        '@adminapi.warnings': result.warnings,
        value: applySelect(result.rows, url),
        ...(result.nextLink === undefined ? {} : { '@odata.nextLink': result.nextLink }),
      },
    };
  } catch (err) {
    if (!(err instanceof CmdletError)) throw err;
    const legacy = typeof identity === 'string' && answersLegacyErrors(identity);
    return cmdletFailureReply(err.failure, legacy ? 'legacy' : 'today');
  }
}

/** The `warningsOnly` knob: this cmdlet, or this Identity, answers with warnings and no `value`. */
function answersWarningsOnly(ctx: SimContext, cmdlet: string, identity: unknown): boolean {
  const knob = ctx.knobs.warningsOnly;
  if (knob === undefined) return false;
  const same = (a: string) => (b: string) => a.toLowerCase() === b.toLowerCase();
  if ((knob.cmdlets ?? []).some(same(cmdlet))) return true;
  return typeof identity === 'string' && (knob.identities ?? []).some(same(identity));
}

/** A 200 holding only `@adminapi.warnings`, the shape of exo-warnings-no-value.json. */
function warningsOnlyReply(context: string, cmdlet: string, identity: unknown): SimReply {
  const target = typeof identity === 'string' ? ` for '${identity}'` : '';
  return {
    status: 200,
    headers: { 'Content-Type': JSON_TYPE },
    body: {
      '@odata.context': context,
      'adminapi.warnings@odata.type': '#Collection(String)',
      '@adminapi.warnings': [`${cmdlet}${target} wrote only warnings; no objects were returned.`],
    },
  };
}

/** 403 for an app without Exchange.ManageAsApp or without an Exchange role; every other body is not JSON. */
function forbidden(ctx: SimContext): SimReply {
  ctx.stats.forbidden++;
  ctx.forbiddenCount++;
  if (ctx.forbiddenCount % 2 === 0) {
    return {
      status: 403,
      headers: { 'Content-Type': 'text/html' },
      body:
        '<html><head><title>403 - Forbidden</title></head>' +
        '<body><h1>403 - Forbidden: Access is denied.</h1></body></html>',
    };
  }
  return exoError(
    403,
    'Microsoft.Exchange.Configuration.Tasks.AccessDeniedException',
    "The role assigned to application isn't supported in this scenario. " +
      'Please check online documentation for assigning correct Directory Roles ' +
      'to Azure AD Application for EXO App-Only Authentication.',
    { code: 'Forbidden', message: 'Access is denied.' },
  );
}

function throttledReply(retryAfterSeconds: number | undefined): SimReply {
  const reply = exoError(
    429,
    'Microsoft.Exchange.Admin.Rest.Server.Exceptions.ThrottlingException',
    'The request was throttled. Please retry after some time.',
    { code: 'TooManyRequests', message: 'Too many requests.' },
  );
  if (retryAfterSeconds !== undefined) reply.headers = { ...reply.headers, 'Retry-After': String(retryAfterSeconds) };
  return reply;
}

function batch(ctx: SimContext, tid: string, req: SimRequest): SimReply {
  ctx.stats.batches.exchange++;
  const body = parseJsonBody(req.body) as { requests?: unknown } | undefined;
  if (body === undefined || !Array.isArray(body.requests) || body.requests.length === 0) {
    return exoError(400, 'Microsoft.OData.ODataException', 'The batch request body is invalid.', {
      message: 'The request is invalid.',
    });
  }
  if (body.requests.length > MAX_BATCH) {
    return exoError(
      400,
      'Microsoft.OData.ODataException',
      `The batch request contains ${body.requests.length} requests; at most ${MAX_BATCH} are allowed.`,
      { message: 'The request is invalid.' },
    );
  }
  const responses = (
    body.requests as Array<{ id?: unknown; method?: unknown; url?: unknown; headers?: unknown; body?: unknown }>
  ).map((item, i) => {
    const id = typeof item.id === 'string' ? item.id : String(i + 1);
    let reply: SimReply;
    const rawUrl = typeof item.url === 'string' ? item.url : '';
    const url = new URL(rawUrl, `${ctx.url}/adminapi/beta/${tid}/`);
    if (
      !/\/InvokeCommand$/i.test(url.pathname) ||
      (typeof item.method === 'string' && item.method.toUpperCase() !== 'POST')
    ) {
      reply = exoError(
        400,
        'Microsoft.OData.ODataException',
        `Batch items must POST to InvokeCommand, not '${rawUrl}'.`,
        { message: 'The request is invalid.' },
      );
    } else {
      const t = throttle(ctx, 'exchange');
      const headers = (item.headers ?? {}) as Record<string, unknown>;
      const preferKey = Object.keys(headers).find((k) => k.toLowerCase() === 'prefer');
      const prefer = preferKey === undefined ? undefined : String(headers[preferKey]);
      reply = t !== undefined ? throttledReply(t.retryAfterSeconds) : invoke(ctx, tid, url, item.body, prefer);
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const retryAfter = reply.headers?.['Retry-After'];
    if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
    return { id, status: reply.status, headers, body: reply.body };
  });
  return { status: 200, headers: { 'Content-Type': JSON_TYPE }, body: { responses } };
}

/** Handles every request under /adminapi/beta/{tid}/: auth, headers, throttling, faults, then the cmdlet. */
export async function handleExchange(ctx: SimContext, req: SimRequest): Promise<SimReply> {
  ctx.stats.requests.exchange++;
  const m = /^\/adminapi\/beta\/([^/]+)\/(InvokeCommand|\$batch)$/i.exec(req.url.pathname);
  if (m === null)
    return exoError(404, 'Microsoft.OData.ODataException', `No resource at '${req.url.pathname}'.`, {
      code: 'NotFound',
      message: 'Not Found',
    });
  const tid = decodeURIComponent(m[1] as string);
  const isBatch = (m[2] as string).toLowerCase() === '$batch';
  const auth = await ctx.tokens.verifyAppToken(header(req, 'authorization'), EXCHANGE_AUDIENCES);
  if (!auth.ok) {
    ctx.stats.unauthorized++;
    return {
      ...exoError(401, 'Microsoft.Exchange.Admin.Rest.Server.Exceptions.UnauthorizedException', auth.reason, {
        code: 'Unauthorized',
        message: 'Unauthorized',
      }),
      headers: {
        'Content-Type': JSON_TYPE,
        'WWW-Authenticate':
          'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", ' +
          'trusted_issuers="00000001-0000-0000-c000-000000000000@*", ' +
          'token_types="app_asserted_user_v1 service_asserted_app_v1", error="invalid_token"',
      },
    };
  }
  if (![ctx.tenant.tenantId, ctx.tenant.initialDomain, ctx.tenant.domain].includes(tid.toLowerCase())) {
    return exoError(
      400,
      'Microsoft.Exchange.Admin.Rest.Server.Exceptions.InvalidTenantException',
      `The tenant '${tid}' in the URL does not match the token.`,
    );
  }
  if (req.method !== 'POST')
    return exoError(405, 'Microsoft.OData.ODataException', 'Only POST is supported.', {
      code: 'MethodNotAllowed',
      message: 'Method Not Allowed',
    });
  if (!isJsonContent(req))
    return exoError(415, 'Microsoft.OData.ODataException', "Content-Type must be 'application/json'.", {
      code: 'UnsupportedMediaType',
      message: 'Unsupported Media Type',
    });
  if ((header(req, 'x-anchormailbox') ?? '').trim() === '') {
    return exoError(
      400,
      'Microsoft.Exchange.Admin.Rest.Server.Exceptions.MissingAnchorMailboxException',
      'The X-AnchorMailbox header is required, e.g. APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@<tenant>.',
    );
  }
  if (!isBatch) {
    const t = throttle(ctx, 'exchange');
    if (t !== undefined) return throttledReply(t.retryAfterSeconds);
  }
  const fault = drawFault(ctx);
  if (fault === 'http503') {
    return exoError(
      503,
      'Microsoft.Exchange.Admin.Rest.Server.Exceptions.ServiceUnavailableException',
      'The service is temporarily unavailable.',
      { code: 'ServiceUnavailable', message: 'Service Unavailable' },
    );
  }
  let reply: SimReply;
  if (isBatch) reply = batch(ctx, tid, req);
  else {
    const body = parseJsonBody(req.body);
    reply =
      body === undefined
        ? exoError(400, 'Microsoft.OData.ODataException', 'The request body is not valid JSON.', {
            message: 'The request is invalid.',
          })
        : invoke(ctx, tid, req.url, body, header(req, 'prefer'));
  }
  if (fault === 'drop') return { ...reply, fault: 'drop' };
  if (fault === 'truncate') return { ...reply, status: 200, fault: 'truncate' };
  return reply;
}
