import type { z } from 'zod';
import { type ErrorCode, ValidationError } from '../errors.js';

/** Turns zod issues into field-level messages (`target.groupId: must be a GUID`). */
export function zodIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}

/** Parses with a schema or throws a ValidationError with the given code, naming every bad field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, code: ErrorCode, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = zodIssues(result.error);
  throw new ValidationError(
    code,
    `Invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}
