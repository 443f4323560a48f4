import {
  PermanentUpstreamError,
  RetryableError,
  ThrottledError,
  type AppError,
} from '../../errors.js';

export type MicrosoftService = 'graph' | 'exchange';

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
}

const MAX_TEXT = 500;

// Exchange exceptions that a retry usually cures: backend busy, RPC hiccups, AD replication blips.
const TRANSIENT_EXCHANGE_TYPE = /Transient|ServerBusy|MapiExceptionRpc|MapiExceptionNetwork|TimeoutException|ConnectionFailed|Unavailable/i;
const NOT_FOUND_EXCHANGE_TYPE = /ManagementObjectNotFoundException|RecipientNotFound|ObjectNotFound/i;

function truncate(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT)}…` : clean;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
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

/**
 * The real error text of an Exchange admin API failure: `innererror.internalexception.message`, then
 * `details[0].message` without its `|Type|` prefix, then `message`; a non-JSON body (some 403s) is used as is.
 */
export function extractExchangeError(bodyText: string): UpstreamErrorText {
  const error = record(record(tryJson(bodyText))?.['error']);
  if (!error) {
    const raw = truncate(bodyText);
    return { message: raw === '' ? '(empty response body)' : raw };
  }
  const inner = record(error['innererror']);
  const internal = record(inner?.['internalexception']);
  const internalMessage = text(internal?.['message']);
  const internalType = text(internal?.['type']);
  if (internalMessage) return { message: truncate(internalMessage), ...(internalType ? { type: internalType } : {}) };

  const details = error['details'];
  const first = Array.isArray(details) ? record(details[0]) : undefined;
  const detailMessage = text(first?.['message']);
  if (detailMessage) {
    // Exchange prefixes the text with the exception type: "|Namespace.TypeName|real text".
    const prefixed = /^\|([^|]+)\|(.*)$/s.exec(detailMessage);
    if (prefixed?.[1] !== undefined && prefixed[2] !== undefined) {
      return { message: truncate(prefixed[2]), type: prefixed[1] };
    }
    return { message: truncate(detailMessage) };
  }
  const innerType = text(inner?.['type']);
  const message = text(inner?.['message']) ?? text(error['message']) ?? text(error['code']) ?? '(no error text)';
  return { message: truncate(message), ...(innerType ? { type: innerType } : {}) };
}

/** The error text of a Graph failure (`error.message`, typed by `error.code`); non-JSON bodies used as is. */
export function extractGraphError(bodyText: string): UpstreamErrorText {
  const error = record(record(tryJson(bodyText))?.['error']);
  if (!error) {
    const raw = truncate(bodyText);
    return { message: raw === '' ? '(empty response body)' : raw };
  }
  const code = text(error['code']);
  return { message: truncate(text(error['message']) ?? code ?? '(no error text)'), ...(code ? { type: code } : {}) };
}

const SERVICE_NAME: Record<MicrosoftService, string> = { graph: 'Graph', exchange: 'Exchange' };
const PREFIX: Record<MicrosoftService, string> = { graph: 'GRAPH', exchange: 'EXCHANGE' };

/** The fix an administrator must apply when a service answers 403. */
export function forbiddenFix(service: MicrosoftService, permission?: string): string {
  if (service === 'exchange') {
    return 'grant Exchange.ManageAsApp and an Exchange role such as View-Only Recipients (or Global Reader) to the app';
  }
  return `grant the application permission ${permission ?? 'GroupMember.Read.All / User.Read.All / Calendars.Read'} to the app and admin-consent it`;
}

/** Maps a failed HTTP exchange with Graph or Exchange to a typed error of `shared/errors.ts`. */
export function classifyHttpFailure(failure: HttpFailure): AppError {
  const { service, status, operation } = failure;
  const extracted = service === 'exchange' ? extractExchangeError(failure.bodyText) : extractGraphError(failure.bodyText);
  const name = SERVICE_NAME[service];
  const prefix = PREFIX[service];
  const detail = `${name} ${operation} failed (HTTP ${status}${extracted.type ? `, ${extracted.type}` : ''}): ${extracted.message}`;
  const type = extracted.type ?? '';

  if (status === 429) {
    return new ThrottledError(`${prefix}.THROTTLED`, detail, failure.retryAfterMs);
  }
  if (status === 401) {
    return new PermanentUpstreamError(
      `${prefix}.UNAUTHORIZED`,
      `${detail}. The token was refused even after a refresh: check AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential`,
    );
  }
  if (status === 403) {
    return new PermanentUpstreamError(`${prefix}.FORBIDDEN`, `${detail}. Fix: ${forbiddenFix(service, failure.permission)}`);
  }
  if (status === 404 || NOT_FOUND_EXCHANGE_TYPE.test(type) || type === 'Request_ResourceNotFound' || type === 'ErrorItemNotFound' || type === 'MailboxNotEnabledForRESTAPI') {
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
  return new RetryableError(`${PREFIX[service]}.NETWORK`, `${SERVICE_NAME[service]} ${operation}: no response (${truncate(reason)})`, undefined, { cause });
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
