import { z } from 'zod';
import { CorruptEntityError } from '../../errors.js';

// Building blocks of the entity schemas in ./entities. Each reads a property the way Table Storage returns it and
// fails on anything else: a stored value is never replaced by a default (an invented FullAccess row is the worst
// answer a permissions inventory can give).

/**
 * Reads an entity of `table` through its schema. The first property that does not fit is a CorruptEntityError
 * naming the table, both keys and the property; the value itself stays out of the message (it may be personal data).
 */
export function readEntity<S extends z.ZodType>(
  table: string,
  schema: S,
  entity: Record<string, unknown>,
): z.output<S> {
  const result = schema.safeParse(entity);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const [property, ...inner] = issue?.path.map(String) ?? [];
  const name = property ?? '(entity)';
  const where = inner.length > 0 ? ` at ${inner.join('.')}` : '';
  const problem =
    property !== undefined && entity[property] === undefined
      ? 'is missing'
      : `holds a value that cannot be read${where}: ${issue?.message ?? 'invalid'}`;
  throw new CorruptEntityError(
    { table, partitionKey: String(entity.partitionKey), rowKey: String(entity.rowKey), property: name },
    problem,
    { cause: result.error },
  );
}

/** A string property; '' is a value (a display name may be empty). */
export const text = z.string();

/** A string property that must hold something (an object id, a key, a digest's run). */
export const nonEmpty = z.string().min(1, 'is empty');

/** An ISO 8601 instant, as `iso()` stores it. */
export const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'is not an ISO 8601 time');

/**
 * A property that is null by design, stored as '' so that its absence still shows as corruption. Anything else
 * must read through `inner`.
 */
export function nullable<T>(inner: z.ZodType<T, string>) {
  return z.union([z.literal('').transform(() => null), inner]);
}

/**
 * A number as Table Storage returns it: Int32 and Double as number, Int64 as bigint or decimal string (what older
 * rows hold). Anything else is corrupt, never 0.
 */
export const storedNumber = z
  .union([
    z.number(),
    z.bigint().transform(Number),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/, 'is not a number')
      .transform(Number),
  ])
  .pipe(z.number().finite('is not a finite number'));

/** A non-negative whole number (a count). */
export const storedCount = storedNumber.pipe(z.number().int('is not a whole number').nonnegative('is negative'));

/** A property holding the JSON text of a value `inner` reads. */
export function jsonOf<T>(inner: z.ZodType<T>) {
  return z
    .string()
    .transform((value, ctx): unknown => {
      try {
        return JSON.parse(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(inner);
}
