import { Writable } from 'node:stream';
import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { CorruptEntityError, ValidationError } from '../../shared/errors.js';
import { toProblem } from '../../shared/host/http.js';
import { createLogger } from '../../shared/logging.js';

// A corrupt stored entity is our fault, not the client's: a 500 without internals (it used to surface as a 400
// blaming the request), with the table and keys in the log where an operator can find the entity.

function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

describe('toProblem', () => {
  const location = { table: 'Runs', partitionKey: 'task-1', rowKey: 'run-1', property: 'status' };

  it('answers a corrupt entity with a 500 problem that names no table, key or property', () => {
    const { logger, lines } = recordingLogger();
    const context = new InvocationContext({ invocationId: 'inv-7' });
    const response = toProblem(new CorruptEntityError(location, 'is missing'), context, logger);
    expect(response.status).toBe(500);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/problem+json' });
    const body = JSON.parse(String(response.body)) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 500, code: 'TABLE.CORRUPT_ENTITY' });
    expect(body.detail).toContain('inv-7');
    for (const internal of ['Runs', 'task-1', 'run-1', 'status']) expect(String(body.detail)).not.toContain(internal);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(lines).toContainEqual(expect.objectContaining({ ...location, invocationId: 'inv-7', level: 50 }));
        resolve();
      }),
    );
  });

  it('still answers a client validation error with a 400', () => {
    const response = toProblem(new ValidationError('TASK.INVALID', 'bad'), new InvocationContext(), undefined);
    expect(response.status).toBe(400);
  });
});
