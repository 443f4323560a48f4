import {
  AppError,
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  RetryableError,
  ValidationError,
} from '../../errors.js';

/** What the SDK's RestError carries (checked by name too: two copies of core-rest-pipeline may be loaded). */
interface RestErrorLike extends Error {
  statusCode?: number;
  code?: string;
}

function isRestError(error: unknown): error is RestErrorLike {
  return error instanceof Error && error.name === 'RestError';
}

/** Socket-level failures Node raises itself; the SDK wraps most, but not all, of them in a RestError. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function isNetworkError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && NETWORK_CODES.has(String((error as { code?: unknown }).code));
}

/** Entra ID refused or could not give the app's identity a token for Table Storage (@azure/identity). */
function isCredentialError(error: unknown): error is Error & { statusCode?: number } {
  return (
    error instanceof Error && (error.name === 'AuthenticationError' || error.name === 'CredentialUnavailableError')
  );
}

/**
 * Turns a Table Storage failure into a domain error carrying the table and the operation. Only what the service
 * or the network did is an outage (RetryableError): any other error (a TypeError, a bug of ours) is returned as
 * it is, so it is never redelivered as if storage were down.
 */
export function fromTableError(error: unknown, context: string): Error {
  if (error instanceof AppError) return error;
  if (isRestError(error)) {
    const status = error.statusCode;
    if (status === 404) return new NotFoundError('TABLE.NOT_FOUND', `${context}: entity not found`, { cause: error });
    if (status === 409)
      return new ConflictError('TABLE.CONFLICT', `${context}: entity already exists`, { cause: error });
    if (status === 412)
      return new PreconditionFailedError(
        'TABLE.PRECONDITION_FAILED',
        `${context}: entity changed since it was read (ETag mismatch)`,
        { cause: error },
      );
    if (status === 413)
      return new ValidationError('TABLE.ENTITY_TOO_LARGE', `${context}: entity is too large for Table Storage`, [], {
        cause: error,
      });
    if (status === 400)
      return new AppError(
        'TABLE.BAD_REQUEST',
        `${context}: Table Storage rejected the request (${error.code ?? 'BadRequest'})`,
        { cause: error },
      );
    if (status === 403)
      return new AppError(
        'TABLE.FORBIDDEN',
        `${context}: access denied; grant the app's identity 'Storage Table Data Contributor' on the storage account`,
        { cause: error },
      );
    // 5xx, 408, 429, or no answer at all (ECONNREFUSED, REQUEST_SEND_ERROR: a RestError without a status).
    return new RetryableError(
      'TABLE.UNAVAILABLE',
      `${context}: Table Storage unavailable (${status ?? error.code ?? 'network error'})`,
      undefined,
      { cause: error },
    );
  }
  if (isNetworkError(error) || (error instanceof Error && error.name === 'AbortError')) {
    // The SDK aborts a request that outlived its timeout; Node's own socket errors can escape unwrapped.
    return new RetryableError(
      'TABLE.UNAVAILABLE',
      `${context}: Table Storage unreachable (${error.message})`,
      undefined,
      {
        cause: error,
      },
    );
  }
  if (isCredentialError(error)) {
    const status = error.statusCode;
    if (status !== undefined && (status >= 500 || status === 429))
      return new RetryableError('TABLE.UNAVAILABLE', `${context}: Entra ID unavailable (${status})`, undefined, {
        cause: error,
      });
    return new AppError(
      'TABLE.AUTH_FAILED',
      `${context}: no token for Table Storage: ${error.message.split('\n')[0]}`,
      {
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(`${context}: ${String(error)}`, { cause: error });
}
