import { PermanentUpstreamError, RetryableError, ThrottledError, type AppError } from '../../errors.js';

export type MicrosoftService = 'graph' | 'exchange' | 'management';

/** What a failed call looked like on the wire, enough to classify it. */
export interface HttpFailure {
  service: MicrosoftService;
  status: number;
  bodyText: string;
  retryAfterMs?: number;
  /** Cmdlet name or Graph operation, named in the message. */
  operation: string;
  /** Graph application permission the operation needs, named in a 403's fix. */
  permission?: string;
}

export interface UpstreamErrorText {
  message: string;
  /** Exchange exception type (e.g. `…ManagementObjectNotFoundException`) or Graph error code. */
  type?: string;
  /** Exchange `error.code` (`NotFound`, `BadRequest`, …): `NotFound` alone means a missing object. */
  code?: string;
}

const MAX_TEXT = 500;

// Exchange exceptions that a retry usually cures: backend busy, RPC hiccups, AD replication blips.
const TRANSIENT_EXCHANGE_TYPE =
  /Transient|ServerBusy|MapiExceptionRpc|MapiExceptionNetwork|TimeoutException|ConnectionFailed|Unavailable/i;
const NOT_FOUND_EXCHANGE_TYPE = /ManagementObjectNotFoundException|RecipientNotFound|ObjectNotFound/i;
// The generic invoke wrapper of today's answers: it names no cause (docs/wire.md, Exchange errors).
const WRAPPER_EXCHANGE_TYPE = /DirectInvokeCmdletExecutionException/i;
const WRAPPER_EXCHANGE_TEXT = /^Exception of type '[^']*' was thrown\.?$/i;
const GRAPH_NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'Request_ResourceNotFound',
  'ErrorItemNotFound',
  'MailboxNotEnabledForRESTAPI',
]);
// `details[*].message` is `<code>|<Type>|<text>`; the code (`Ex6F9304`) may be empty.
const DETAIL_FORM = /^([^|]*)\|([^|]+)\|(.*)$/s;

function truncate(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT)}…` : clean;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function tryJson(bodyText: string): unknown {
  try {
    return JSON.parse(bodyText) as unknown;
  } catch {
    return undefined;
  }
}

type FoundText = { message: string; type?: string };

/** The first `details[*].message` in the `<code>|<Type>|<text>` form, else the first plain one. */
function fromDetails(details: unknown): FoundText | undefined {
  if (!Array.isArray(details)) return undefined;
  let plain: string | undefined;
  for (const detail of details) {
    const message = text(record(detail)?.message);
    if (!message) continue;
    const typed = DETAIL_FORM.exec(message);
    const type = typed?.[2]?.trim();
    const sentence = typed?.[3] === undefined ? undefined : text(typed[3]);
    if (type && sentence) return { message: sentence, type };
    plain ??= message;
  }
  return plain === undefined ? undefined : { message: plain };
}

/** `innererror.internalexception` of the older answers, unless it is only the generic invoke wrapper. */
function fromInternalException(inner: Record<string, unknown> | undefined): FoundText | undefined {
  const internal = record(inner?.internalexception);
  const message = text(internal?.message);
  const type = text(internal?.type);
  if (!message || WRAPPER_EXCHANGE_TEXT.test(message.trim())) return undefined;
  if (type && WRAPPER_EXCHANGE_TYPE.test(type)) return undefined;
  return { message, ...(type ? { type } : {}) };
}

/**
 * The real error text of an Exchange admin API failure (docs/wire.md, Exchange errors): `details[*].message`
 * (`<code>|<Type>|<text>`) first, then a legacy `innererror.internalexception` that is not the generic invoke
 * wrapper, then the outer messages; `error.code` is kept. A non-JSON body (some 403s) is used as is.
 */
export function extractExchangeError(bodyText: string): UpstreamErrorText {
  const error = record(record(tryJson(bodyText))?.error);
  if (!error) {
    const raw = truncate(bodyText);
    return { message: raw === '' ? '(empty response body)' : raw };
  }
  const code = text(error.code);
  const withCode = (found: FoundText): UpstreamErrorText => ({
    message: truncate(found.message),
    ...(found.type ? { type: found.type } : {}),
    ...(code ? { code } : {}),
  });
  const inner = record(error.innererror);
  const details = fromDetails(error.details);
  if (details?.type) return withCode(details);
  const internal = fromInternalException(inner);
  if (internal) return withCode(internal);
  if (details) return withCode(details);
  const message = text(inner?.message) ?? text(error.message) ?? code ?? '(no error text)';
  return withCode({ message });
}

/** The error text of a Graph failure (`error.message`, typed by `error.code`); non-JSON bodies used as is. */
export function extractGraphError(bodyText: string): UpstreamErrorText {
  const error = record(record(tryJson(bodyText))?.error);
  if (!error) {
    const raw = truncate(bodyText);
    return { message: raw === '' ? '(empty response body)' : raw };
  }
  const code = text(error.code);
  return { message: truncate(text(error.message) ?? code ?? '(no error text)'), ...(code ? { type: code } : {}) };
}

const SERVICE_NAME: Record<MicrosoftService, string> = {
  graph: 'Graph',
  exchange: 'Exchange',
  management: 'Management Activity API',
};
/** The error-code namespace of each service (`GRAPH.THROTTLED`, `MANAGEMENT.FORBIDDEN`, …). */
export const SERVICE_PREFIX = {
  graph: 'GRAPH',
  exchange: 'EXCHANGE',
  management: 'MANAGEMENT',
} as const satisfies Record<MicrosoftService, string>;
const PREFIX = SERVICE_PREFIX;

/** The fix for a Management Activity API 403 (`AF10001`: the token lacks the permission; docs/wire.md). */
export const MANAGEMENT_FORBIDDEN_FIX =
  'grant the application permission ActivityFeed.Read of "Office 365 Management APIs" to the app and admin-consent ' +
  'it, and make sure unified audit logging is turned on in the tenant';

/**
 * The `AF…` code and message of a Management Activity API failure: the same `{"error":{"code","message"}}` envelope
 * as Graph's (docs/wire.md), so Graph's reader serves it; a body that is not that JSON is used as is.
 */
export const extractManagementError: (bodyText: string) => UpstreamErrorText = extractGraphError;

/** True when a Management Activity API answer is throttling: `AF429` comes as 429 and also as 403 (docs/wire.md). */
export function isManagementThrottle(status: number, bodyText: string): boolean {
  return status === 429 || extractManagementError(bodyText).type === 'AF429';
}

function classifyManagementFailure(failure: HttpFailure, extracted: UpstreamErrorText, detail: string): AppError {
  const code = extracted.type ?? '';
  if (isManagementThrottle(failure.status, failure.bodyText)) {
    return new ThrottledError('MANAGEMENT.THROTTLED', detail, failure.retryAfterMs);
  }
  switch (code) {
    case 'AF20024':
      return new PermanentUpstreamError('MANAGEMENT.ALREADY_ENABLED', detail);
    case 'AF20022':
      return new PermanentUpstreamError(
        'MANAGEMENT.NO_SUBSCRIPTION',
        `${detail}. The Audit.Exchange subscription is not started: the feed starts it`,
      );
    case 'AF20023':
      return new PermanentUpstreamError(
        'MANAGEMENT.SUBSCRIPTION_DISABLED',
        `${detail}. An administrator disabled the subscription: start it again (subscriptions/start)`,
      );
    case 'AF20030':
    case 'AF20055':
      return new PermanentUpstreamError('MANAGEMENT.BAD_WINDOW', detail);
    case 'AF20051':
      return new PermanentUpstreamError('MANAGEMENT.CONTENT_EXPIRED', detail);
    case 'AF20050':
      return new PermanentUpstreamError('MANAGEMENT.NOT_FOUND', detail);
    case 'AF10001':
      return new PermanentUpstreamError('MANAGEMENT.FORBIDDEN', `${detail}. Fix: ${MANAGEMENT_FORBIDDEN_FIX}`);
    case 'AF50000':
      return new RetryableError('MANAGEMENT.UNAVAILABLE', detail, failure.retryAfterMs);
  }
  if (failure.status === 401) {
    return new PermanentUpstreamError(
      'MANAGEMENT.UNAUTHORIZED',
      `${detail}. The token was refused even after a refresh: check AZURE_TENANT_ID, AZURE_CLIENT_ID, the credential ` +
        'and MANAGEMENT_API_BASE_URL (the token is for its host)',
    );
  }
  if (failure.status === 403) {
    return new PermanentUpstreamError('MANAGEMENT.FORBIDDEN', `${detail}. Fix: ${MANAGEMENT_FORBIDDEN_FIX}`);
  }
  if (failure.status === 404) return new PermanentUpstreamError('MANAGEMENT.NOT_FOUND', detail);
  if (failure.status >= 500 || failure.status === 408) {
    return new RetryableError('MANAGEMENT.UNAVAILABLE', detail, failure.retryAfterMs);
  }
  return new PermanentUpstreamError('MANAGEMENT.BAD_REQUEST', detail);
}

// Both ways Microsoft documents to give an app an Exchange role (docs/wire.md, "Permissions the app needs").
const EXCHANGE_ROLE_FIX =
  'give the app Exchange.ManageAsApp (Office 365 Exchange Online API, admin-consented) plus an Exchange role, ' +
  "either as a Microsoft Entra role on the app's service principal (Global Reader is enough to read) or in " +
  'Exchange Online: New-ServicePrincipal for the app, then New-ManagementRoleAssignment -App <service principal> ' +
  "-Role 'View-Only Recipients' (or Add-RoleGroupMember to a custom role group holding that role)";

/**
 * The fix an administrator must apply when a service answers 403. A Graph calendar `ErrorAccessDenied` is
 * also what a tenant answers for a mailbox outside the app's mailbox scope (docs/wire.md).
 */
export function forbiddenFix(service: MicrosoftService, permission?: string, type?: string): string {
  if (service === 'exchange') return EXCHANGE_ROLE_FIX;
  if (service === 'management') return MANAGEMENT_FORBIDDEN_FIX;
  const grant = `grant the application permission ${permission ?? 'GroupMember.Read.All / User.Read.All'}`;
  if (type === 'ErrorAccessDenied' && permission?.startsWith('Calendars.')) {
    return (
      "if only some mailboxes answer this, the tenant scopes the app's mailbox access (RBAC for Applications or " +
      'an application access policy) and these calendars are outside that scope: widen the scope to read them; ' +
      `if every mailbox answers this, ${grant} to the app and admin-consent it`
    );
  }
  return `${grant} to the app and admin-consent it`;
}

/** Maps a failed HTTP exchange with Graph, Exchange or the Management API to a typed error of `shared/errors.ts`. */
export function classifyHttpFailure(failure: HttpFailure): AppError {
  const { service, status, operation } = failure;
  const extracted =
    service === 'exchange'
      ? extractExchangeError(failure.bodyText)
      : service === 'management'
        ? extractManagementError(failure.bodyText)
        : extractGraphError(failure.bodyText);
  const name = SERVICE_NAME[service];
  const prefix = PREFIX[service];
  const answered = `HTTP ${status}${extracted.type ? `, ${extracted.type}` : ''}`;
  const detail = `${name} ${operation} failed (${answered}): ${extracted.message}`;
  const type = extracted.type ?? '';
  if (service === 'management') return classifyManagementFailure(failure, extracted, detail);

  if (status === 429) {
    return new ThrottledError(`${prefix}.THROTTLED`, detail, failure.retryAfterMs);
  }
  if (status === 401) {
    return new PermanentUpstreamError(
      `${prefix}.UNAUTHORIZED`,
      `${detail}. The token was refused even after a refresh: ` +
        'check AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential',
    );
  }
  if (status === 403) {
    const fix = forbiddenFix(service, failure.permission, extracted.type);
    return new PermanentUpstreamError(`${prefix}.FORBIDDEN`, `${detail}. Fix: ${fix}`);
  }
  const exchangeNotFound =
    service === 'exchange' && (extracted.code === 'NotFound' || NOT_FOUND_EXCHANGE_TYPE.test(type));
  if (status === 404 || exchangeNotFound || GRAPH_NOT_FOUND_CODES.has(type)) {
    return new PermanentUpstreamError(`${prefix}.NOT_FOUND`, detail);
  }
  if (service === 'exchange' && TRANSIENT_EXCHANGE_TYPE.test(type)) {
    return new RetryableError(`${prefix}.TRANSIENT`, detail, failure.retryAfterMs);
  }
  if (status >= 500 || status === 408) {
    return new RetryableError(`${prefix}.UNAVAILABLE`, detail, failure.retryAfterMs);
  }
  return new PermanentUpstreamError(`${prefix}.BAD_REQUEST`, detail);
}

/** A request that got no HTTP answer (reset, timeout, DNS): worth retrying. */
export function networkFailure(service: MicrosoftService, operation: string, cause: unknown): RetryableError {
  const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new RetryableError(
    `${PREFIX[service]}.NETWORK`,
    `${SERVICE_NAME[service]} ${operation}: no response (${truncate(reason)})`,
    undefined,
    { cause },
  );
}

/** A 2xx answer whose body is not the JSON it should be (truncated, garbled): worth retrying. */
export function malformedResponse(service: MicrosoftService, operation: string, cause?: unknown): RetryableError {
  return new RetryableError(
    `${PREFIX[service]}.MALFORMED_RESPONSE`,
    `${SERVICE_NAME[service]} ${operation}: the response body is not valid JSON`,
    undefined,
    { cause },
  );
}

/** Server's Retry-After (seconds or HTTP date) in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
