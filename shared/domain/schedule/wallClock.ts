import { IANAZone } from 'luxon';
import { ValidationError } from '../../errors.js';

/*
 * A "wall-clock" value is a local date and time encoded as if it were a UTC epoch (what
 * `Date.UTC(y, m, d, h, min)` returns). Calendar arithmetic on it (days, weekdays, minutes) is then
 * plain integer arithmetic; only the mapping to and from real instants needs the tz database.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** The luxon zone for `name`; throws `SCHEDULE.INVALID` when the tz database does not know it. */
export function zoneOf(name: string): IANAZone {
  const zone = IANAZone.create(name);
  if (!zone.isValid) {
    throw new ValidationError('SCHEDULE.INVALID', `Unknown time zone ${name}`, [
      { path: 'timeZone', message: 'timeZone must be an IANA time zone such as Europe/London or UTC' },
    ]);
  }
  return zone;
}

/** The local wall clock shown in `zone` at `instantMs`. */
export function wallClockAt(zone: IANAZone, instantMs: number): number {
  return instantMs + zone.offset(instantMs) * MINUTE_MS;
}

/** Local calendar day number (days since 1970-01-01) of a wall-clock value. */
export function dayOfWallClock(wallMs: number): number {
  return Math.floor(wallMs / DAY_MS);
}

/** 0 = Monday … 6 = Sunday for a day number (1970-01-01 was a Thursday). */
export function isoWeekdayIndex(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/**
 * The first instant at which the clock in `zone` shows `wallMs` or later.
 *
 * That single definition gives both DST rules: a time inside a spring-forward gap maps to the end
 * of the gap (the next valid instant), and a time repeated by a fall-back maps to its first
 * occurrence. It is also monotonic in `wallMs`, which the evaluator relies on for binary search.
 */
export function firstInstantAtWallClock(zone: IANAZone, wallMs: number): number {
  // Real offsets lie within [-12h, +14h], so every instant showing wallMs lies in this bracket.
  // Assumes at most one offset change inside those 26 hours, true of every zone in current tzdata.
  const offsetBefore = zone.offset(wallMs - 14 * HOUR_MS);
  const offsetAfter = zone.offset(wallMs + 12 * HOUR_MS);
  if (offsetBefore === offsetAfter) return wallMs - offsetBefore * MINUTE_MS;

  const earlier = wallMs - Math.max(offsetBefore, offsetAfter) * MINUTE_MS;
  const later = wallMs - Math.min(offsetBefore, offsetAfter) * MINUTE_MS;
  if (wallClockAt(zone, earlier) === wallMs) return earlier;
  if (wallClockAt(zone, later) === wallMs) return later;

  // A gap: the clock jumps over wallMs somewhere in (earlier, later]; find the jump.
  let below = earlier;
  let atOrAbove = later;
  while (atOrAbove - below > 1) {
    const mid = Math.floor((below + atOrAbove) / 2);
    if (wallClockAt(zone, mid) >= wallMs) atOrAbove = mid;
    else below = mid;
  }
  return atOrAbove;
}
