/**
 * Typed errors with stable, namespaced codes. Only the HTTP edge (shared/host/http.ts) maps them to
 * status codes; queue handlers decide retry vs. settle by class (RetryableError vs. the rest).
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    /** Stable code such as `TASK.NOT_FOUND`; clients may branch on it. */
    readonly code: string,
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

/** The request conflicts with stored state (duplicate, in use, active run, ETag mismatch). */
export class ConflictError extends AppError {
  override name = 'ConflictError';
}

/** Input failed validation; `issues` names each field and what is wrong with it. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(
    code: string,
    message: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(code, message);
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
    code: string,
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

/** A stored entity lacks a field or holds a value the code cannot read; the message names the table and key. */
export class CorruptDataError extends AppError {
  override name = 'CorruptDataError';
}

/** A setting is missing or malformed; the message names the setting. */
export class ConfigError extends AppError {
  override name = 'ConfigError';
}

export function isRetryable(error: unknown): error is RetryableError {
  return error instanceof RetryableError;
}
