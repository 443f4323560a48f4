import { CorruptDataError, ValidationError } from '../../errors.js';

/** Reads a string property of an entity, or undefined. */
export function str(entity: Record<string, unknown>, name: string): string | undefined {
  const v = entity[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads a number property (Int32/Double come back as number, Int64 as BigInt or string). */
export function num(entity: Record<string, unknown>, name: string): number {
  const v = entity[name];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v))) return Number(v);
  return 0;
}

/** Reads a boolean property. */
export function bool(entity: Record<string, unknown>, name: string): boolean {
  return entity[name] === true;
}

/** Reads a JSON-encoded property; a corrupt value is a clear error, not a crash. */
export function json<T>(entity: Record<string, unknown>, name: string, fallback: T): T {
  const v = entity[name];
  if (typeof v !== 'string' || v === '') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw new ValidationError('TABLE.CORRUPT_ENTITY', `Stored property '${name}' is not valid JSON`);
  }
}

/** Stores a Date or ISO string as an ISO string (sortable, and avoids the SDK's Date/DateTime mapping). */
export function iso(value: Date | string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toISOString();
}

/**
 * A stored field that must hold one of `allowed`. A missing or unknown value is corrupt data, reported with the
 * table and key: never replaced by a default (an invented FullAccess row is the worst answer an inventory gives).
 */
export function storedEnum<T extends string>(
  e: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
  table: string,
): T {
  const value = str(e, name);
  if (value !== undefined && (allowed as readonly string[]).includes(value)) return value as T;
  const key = `${String(e.partitionKey)}/${String(e.rowKey)}`;
  const found = value === undefined ? 'is missing' : 'holds an unknown value';
  throw new CorruptDataError('TABLE.CORRUPT_ENTITY', `${table} entity ${key}: property '${name}' ${found}`);
}
