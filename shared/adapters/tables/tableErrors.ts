import { RestError } from '@azure/data-tables';
import {
  AppError,
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  RetryableError,
  ValidationError,
} from '../../errors.js';

/** Turns a Table Storage failure into a domain error carrying the table and the operation. */
export function fromTableError(error: unknown, context: string): Error {
  if (error instanceof AppError) return error;
  if (error instanceof RestError) {
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
      return new ValidationError('TABLE.ENTITY_TOO_LARGE', `${context}: entity is too large for Table Storage`);
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
    return new RetryableError(
      'TABLE.UNAVAILABLE',
      `${context}: Table Storage unavailable (${status ?? error.code ?? 'network error'})`,
      undefined,
      { cause: error },
    );
  }
  return new RetryableError(
    'TABLE.UNAVAILABLE',
    `${context}: ${(error as Error)?.message ?? String(error)}`,
    undefined,
    { cause: error },
  );
}
