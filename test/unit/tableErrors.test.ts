import { createServer } from 'node:net';
import { RestError, TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { fromTableError } from '../../shared/adapters/tables/tableErrors.js';
import {
  AppError,
  ConflictError,
  CorruptEntityError,
  NotFoundError,
  PreconditionFailedError,
  RetryableError,
  ValidationError,
} from '../../shared/errors.js';

// Only what Table Storage or the network did is an outage worth a redelivery. A bug of ours (a TypeError) reported
// as TABLE.UNAVAILABLE would be redelivered ten times and read as a storage outage by whoever looks.

const rest = (statusCode: number | undefined, code?: string) =>
  new RestError('failed', { ...(statusCode ? { statusCode } : {}), ...(code ? { code } : {}) });

describe('fromTableError', () => {
  it.each([
    [404, NotFoundError, 'TABLE.NOT_FOUND'],
    [409, ConflictError, 'TABLE.CONFLICT'],
    [412, PreconditionFailedError, 'TABLE.PRECONDITION_FAILED'],
    [413, ValidationError, 'TABLE.ENTITY_TOO_LARGE'],
    [400, AppError, 'TABLE.BAD_REQUEST'],
    [403, AppError, 'TABLE.FORBIDDEN'],
    [500, RetryableError, 'TABLE.UNAVAILABLE'],
    [503, RetryableError, 'TABLE.UNAVAILABLE'],
    [429, RetryableError, 'TABLE.UNAVAILABLE'],
  ])('a RestError with status %i is %o %s and keeps its cause', (status, type, code) => {
    const cause = rest(status);
    const mapped = fromTableError(cause, 'read Tasks');
    expect(mapped).toBeInstanceOf(type);
    expect(mapped).toMatchObject({ code, cause });
    expect(mapped instanceof RetryableError).toBe(code === 'TABLE.UNAVAILABLE');
  });

  it.each([['ECONNREFUSED'], ['REQUEST_SEND_ERROR']])('a RestError %s without a status is an outage', (code) => {
    const mapped = fromTableError(rest(undefined, code), 'query Runs');
    expect(mapped).toBeInstanceOf(RetryableError);
    expect(mapped.message).toContain(code);
  });

  it('a RestError from another copy of the SDK (same name, other class) is still recognised', () => {
    const foreign = Object.assign(new Error('boom'), { name: 'RestError', statusCode: 412 });
    expect(fromTableError(foreign, 'update Runs')).toBeInstanceOf(PreconditionFailedError);
  });

  it.each([
    ['a Node socket error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    [
      'a request timeout (the SDK aborts it)',
      Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }),
    ],
    [
      'Entra ID answering 503 for the token',
      Object.assign(new Error('unavailable'), { name: 'AuthenticationError', statusCode: 503 }),
    ],
  ])('%s is an outage', (_what, error) => {
    expect(fromTableError(error, 'insert into Tasks')).toMatchObject({ code: 'TABLE.UNAVAILABLE', cause: error });
  });

  it('a refused token is a permanent failure, not an outage', () => {
    const error = Object.assign(new Error('AADSTS7000215: invalid secret'), {
      name: 'AuthenticationError',
      statusCode: 401,
    });
    const mapped = fromTableError(error, 'read Tasks');
    expect(mapped).not.toBeInstanceOf(RetryableError);
    expect(mapped).toMatchObject({ code: 'TABLE.AUTH_FAILED', cause: error });
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'etag')")],
    ['a RangeError', new RangeError('Invalid time value')],
    ['a plain Error', new Error('bug')],
  ])('%s is a bug, returned as it is: never an outage', (_what, error) => {
    expect(fromTableError(error, 'read Tasks')).toBe(error);
  });

  it('a typed error of ours passes through unchanged', () => {
    const corrupt = new CorruptEntityError(
      { table: 'Runs', partitionKey: 't', rowKey: 'r', property: 'status' },
      'is missing',
    );
    expect(fromTableError(corrupt, 'read Runs')).toBe(corrupt);
  });

  it('a thrown non-Error is wrapped, not retryable, with its cause', () => {
    const mapped = fromTableError('weird', 'read Tasks');
    expect(mapped).not.toBeInstanceOf(RetryableError);
    expect(mapped.cause).toBe('weird');
  });

  it('what the SDK throws when nothing listens on the endpoint is an outage', async () => {
    // A port that was free a moment ago: the SDK gets ECONNREFUSED from the local stack, no other network involved.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = TableClient.fromConnectionString(
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('k').toString('base64')};` +
        `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
      'Tasks',
      { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
    );
    const error = await client.getEntity('p', 'r').catch((e: unknown) => e);
    const mapped = fromTableError(error, 'read Tasks');
    expect(mapped).toBeInstanceOf(RetryableError);
    expect(mapped).toMatchObject({ code: 'TABLE.UNAVAILABLE', cause: error });
  });
});
