/**
 * Typed errors with stable, namespaced codes. Only the HTTP edge (shared/host/http.ts) maps them to
 * status codes; queue handlers decide retry vs. settle by class (RetryableError vs. the rest).
 */

/**
 * What Graph, Exchange or the Management Activity API answered, as the codes of
 * `shared/adapters/microsoft/upstreamErrors.ts` name it.
 */
type UpstreamOutcome =
  | 'THROTTLED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'TRANSIENT'
  | 'UNAVAILABLE'
  | 'BAD_REQUEST'
  | 'NETWORK'
  | 'MALFORMED_RESPONSE'
  | 'BAD_ROW'
  | 'UNTRUSTED_HOST';

/** Every error code the app raises. Clients may branch on them (docs/operations.md lists what each means). */
export type ErrorCode =
  | 'ALERT.GROUP_AMBIGUOUS'
  | 'ALERT.INVALID'
  | 'ALERT.NOT_FOUND'
  | 'ALERT.UNSAFE_URL'
  | 'AUDIT.INVALID_REQUEST'
  | 'AUDIT.STATE_CONTENTION'
  | 'AUTH.BAD_ALGORITHM'
  | 'AUTH.CLAIM_INVALID'
  | 'AUTH.CREDENTIAL_UNAVAILABLE'
  | 'AUTH.INVALID_TOKEN'
  | 'AUTH.KEYS_UNAVAILABLE'
  | 'AUTH.MALFORMED_TOKEN'
  | 'AUTH.MISSING_KID'
  | 'AUTH.MISSING_TOKEN'
  | 'AUTH.NOT_CONFIGURED'
  | 'AUTH.NO_OID'
  | 'AUTH.NO_TOKEN'
  | 'AUTH.ROLE_REQUIRED'
  | 'AUTH.TOKEN_EXPIRED'
  | 'AUTH.TOKEN_REFUSED'
  | 'AUTH.UNAVAILABLE'
  | 'AUTH.UNKNOWN_KEY'
  | 'AUTH.WRONG_TENANT'
  | 'CONFIG.INVALID'
  | 'CONFIG.NO_TENANT'
  | 'CONFIG.TENANT_MISSING'
  | 'CONSOLE.NOT_CONFIGURED'
  | 'DELEGATION.NOT_FOUND'
  | 'DELEGATION.SELF'
  | 'DELEGATION.SYNCED'
  | `${'GRAPH' | 'EXCHANGE'}.${UpstreamOutcome}`
  | 'GRAPH.CLIENT'
  | 'GROUP.NOT_FOUND'
  | 'HISTORY.AT_IN_FUTURE'
  | 'KEY.EMPTY'
  | 'KEY.FORBIDDEN_CHARACTER'
  | 'KEY.MALFORMED'
  | 'KEY.TOO_LONG'
  | 'MAILBOX.NOT_A_MAILBOX'
  | 'MAILBOX.NOT_FOUND'
  | `MANAGEMENT.${UpstreamOutcome}`
  | 'MANAGEMENT.ALREADY_ENABLED'
  | 'MANAGEMENT.BAD_WINDOW'
  | 'MANAGEMENT.CONTENT_EXPIRED'
  | 'MANAGEMENT.NO_SUBSCRIPTION'
  | 'MANAGEMENT.SUBSCRIPTION_DISABLED'
  | 'MICROSOFT.BAD_BATCH'
  | 'PAGING.INVALID_TOKEN'
  | 'QUEUE.INVALID_MESSAGE'
  | 'QUEUE.MESSAGE_TOO_LARGE'
  | 'QUEUE.SEND_FAILED'
  | 'REQUEST.EMPTY_BODY'
  | 'REQUEST.INVALID'
  | 'REQUEST.INVALID_JSON'
  | 'REQUEST.TOO_LARGE'
  | 'REQUEST.UNSUPPORTED_MEDIA_TYPE'
  | 'RUN.ACTIVE'
  | 'RUN.CLAIM_CONTENTION'
  | 'RUN.CONCURRENT_UPDATE'
  | 'RUN.COUNTER_CONTENTION'
  | 'RUN.ILLEGAL_TRANSITION'
  | 'RUN.NOT_FOUND'
  | 'RUN.NOT_IN_REVIEW'
  | 'SCHEDULE.INVALID'
  | 'SCHEDULE.IN_USE'
  | 'SCHEDULE.NOT_FOUND'
  | 'TABLE.AUTH_FAILED'
  | 'TABLE.BAD_REQUEST'
  | 'TABLE.CONFLICT'
  | 'TABLE.CORRUPT_ENTITY'
  | 'TABLE.ENTITY_TOO_LARGE'
  | 'TABLE.FORBIDDEN'
  | 'TABLE.NOT_FOUND'
  | 'TABLE.PRECONDITION_FAILED'
  | 'TABLE.UNAVAILABLE'
  | 'TASK.CONCURRENT_UPDATE'
  | 'TASK.CONTENTION'
  | 'TASK.INVALID'
  | 'TASK.NOT_FOUND'
  | 'TASK.RUN_ACTIVE'
  | 'TASK.SCHEDULE_NOT_FOUND'
  | 'USER.NOT_FOUND'
  | 'WEBHOOK.FAILED';

/** The base of every error the app raises on purpose; subclasses set `name`, wrappers keep `cause`. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    /** Stable code such as `TASK.NOT_FOUND`; clients may branch on it. */
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends AppError {
  override name = 'NotFoundError';
}

/** A webhook call that got no HTTP status back: refused at send time, timed out, or the network failed. */
export class WebhookError extends AppError {
  override name = 'WebhookError';
}

/** The request conflicts with stored state (duplicate, in use, active run, ETag mismatch). */
export class ConflictError extends AppError {
  override name = 'ConflictError';
}

/** Input failed validation; `issues` names each field and what is wrong with it. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(
    code: ErrorCode,
    message: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A stored entity changed since it was read (optimistic concurrency, HTTP 412 in Table Storage). */
export class PreconditionFailedError extends AppError {
  override name = 'PreconditionFailedError';
}

/** Caller is not authenticated (HTTP 401). */
export class UnauthenticatedError extends AppError {
  override name = 'UnauthenticatedError';
}

/** Caller is authenticated but lacks the role (HTTP 403). */
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
}

/**
 * A failure that may go away by itself (throttling, 5xx, network). Queue handlers rethrow it so the
 * message is redelivered; `retryAfterMs` is the server's hint when it gave one.
 */
export class RetryableError extends AppError {
  override name = 'RetryableError';
  constructor(
    code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** Throttled by an upstream service: callers may schedule a delayed retry instead of throwing. */
export class ThrottledError extends RetryableError {
  override name = 'ThrottledError';
}

/** An upstream failure that retrying will not fix (not found, forbidden, bad request). */
export class PermanentUpstreamError extends AppError {
  override name = 'PermanentUpstreamError';
}

/** Where a stored entity is and which of its properties could not be read. */
export interface EntityLocation {
  table: string;
  partitionKey: string;
  rowKey: string;
  /** The property that is missing or holds a value the code cannot read. */
  property: string;
}

/**
 * A stored entity lacks a property or holds a value the code cannot read. Never retryable (the entity stays as it
 * is) and never the client's fault: the HTTP edge answers 500 and logs the location, which the message names too.
 */
export class CorruptEntityError extends AppError {
  override name = 'CorruptEntityError';
  readonly table: string;
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly property: string;
  constructor(location: EntityLocation, problem: string, options?: { cause?: unknown }) {
    const { table, partitionKey, rowKey, property } = location;
    super(
      'TABLE.CORRUPT_ENTITY',
      `${table} entity ${partitionKey}/${rowKey}: property '${property}' ${problem}`,
      options,
    );
    this.table = location.table;
    this.partitionKey = location.partitionKey;
    this.rowKey = location.rowKey;
    this.property = location.property;
  }
}

/** A setting is missing or malformed; the message names the setting. */
export class ConfigError extends AppError {
  override name = 'ConfigError';
}

/** True for a failure worth redelivering (an outage or throttling); a bug or corrupt data never is. */
export function isRetryable(error: unknown): error is RetryableError {
  return error instanceof RetryableError;
}
