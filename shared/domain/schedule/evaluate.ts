import type { IANAZone } from 'luxon';
import { DAYS_OF_WEEK, minutesOfDay, type ScheduleDefinition } from './model.js';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  dayOfWallClock,
  firstInstantAtWallClock,
  isoWeekdayIndex,
  wallClockAt,
  zoneOf,
} from './wallClock.js';

/*
 * Semantics (the timer and the API depend on these; change them only with the tests):
 * - Slots are local wall-clock times: startTime, startTime + interval, … as clock readings in the
 *   schedule's zone, not elapsed time, so a DST change does not shift later slots of the day.
 * - A window belongs to the local day it starts on (weekly filters on that day). endTime < startTime
 *   runs past midnight; endTime == startTime is a 24-hour window whose end is excluded, because the
 *   end is the next window's start. Otherwise endTime is included when a slot lands on it.
 * - Each local slot maps to the first instant the clock shows it or later (see
 *   firstInstantAtWallClock); slots that map to one instant count once.
 */

/** A run of local slots: wall clocks first, first + step, … (count of them). */
interface SlotRun {
  readonly firstWallMs: number;
  readonly stepMs: number;
  readonly count: number;
}

interface CompiledSchedule {
  readonly zone: IANAZone;
  /** The slot run of the window starting on local `day`, or undefined when none starts then. */
  runStartingOn(day: number): SlotRun | undefined;
  /** A one-off schedule's only run; its day range does not need scanning. */
  readonly only?: SlotRun;
}

function compile(schedule: ScheduleDefinition): CompiledSchedule {
  const zone = zoneOf(schedule.timeZone);
  if (schedule.type === 'oneOff') {
    const [date, time] = schedule.runAt.split('T') as [string, string];
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const only: SlotRun = { firstWallMs: Date.UTC(y, m - 1, d) + minutesOfDay(time) * MINUTE_MS, stepMs: 0, count: 1 };
    return { zone, only, runStartingOn: () => undefined };
  }

  const start = minutesOfDay(schedule.startTime);
  let stepMs = 0;
  let count = 1;
  if (schedule.mode === 'many') {
    const span = (minutesOfDay(schedule.endTime) - start + 1440) % 1440;
    // span 0 is the 24-hour window: end excluded. Otherwise a slot landing on endTime counts.
    count = span === 0 ? Math.ceil(1440 / schedule.intervalMinutes) : Math.floor(span / schedule.intervalMinutes) + 1;
    stepMs = schedule.intervalMinutes * MINUTE_MS;
  }
  const onDay =
    schedule.type === 'weekly' ? new Set(schedule.daysOfWeek.map((d) => DAYS_OF_WEEK.indexOf(d))) : undefined;
  return {
    zone,
    runStartingOn(day) {
      if (onDay && !onDay.has(isoWeekdayIndex(day))) return undefined;
      return { firstWallMs: day * DAY_MS + start * MINUTE_MS, stepMs, count };
    },
  };
}

/**
 * Runs whose windows may hold instants in (fromMs, toMs], in order. A window lasts at most 24 h, so
 * one that starts two local days before `from` ends before the clock shows `from`'s date; its slots
 * are due at or before `from`. One day past `to` covers a fall-back across midnight.
 */
function* runsAround(schedule: CompiledSchedule, fromMs: number, toMs: number, descending = false): Generator<SlotRun> {
  if (schedule.only) {
    yield schedule.only;
    return;
  }
  const firstDay = dayOfWallClock(wallClockAt(schedule.zone, fromMs)) - 1;
  const lastDay = dayOfWallClock(wallClockAt(schedule.zone, toMs)) + 1;
  for (let i = 0; i <= lastDay - firstDay; i++) {
    const run = schedule.runStartingOn(descending ? lastDay - i : firstDay + i);
    if (run) yield run;
  }
}

/** A run mapped to instants; instants never decrease as the index rises. */
interface PlacedRun {
  readonly count: number;
  instantAt(index: number): number;
  /** Smallest index whose instant is after `ms`, or `count` when there is none. */
  firstIndexAfter(ms: number): number;
}

function place(zone: IANAZone, run: SlotRun): PlacedRun {
  const lastWallMs = run.firstWallMs + (run.count - 1) * run.stepMs;
  // Same offset well before and well after the window: no DST change inside it, so the slots are
  // evenly spaced instants and need no per-slot tz lookup (this is what keeps the minute timer cheap).
  const offsetBefore = zone.offset(run.firstWallMs - 14 * HOUR_MS);
  if (offsetBefore === zone.offset(lastWallMs + 12 * HOUR_MS)) {
    const firstInstant = run.firstWallMs - offsetBefore * MINUTE_MS;
    return {
      count: run.count,
      instantAt: (index) => firstInstant + index * run.stepMs,
      firstIndexAfter(ms) {
        if (firstInstant > ms) return 0;
        if (run.stepMs === 0) return run.count;
        return Math.min(run.count, Math.floor((ms - firstInstant) / run.stepMs) + 1);
      },
    };
  }
  const instantAt = (index: number) => firstInstantAtWallClock(zone, run.firstWallMs + index * run.stepMs);
  return {
    count: run.count,
    instantAt,
    firstIndexAfter(ms) {
      // Most runs near a DST change lie wholly on one side of `ms`: settle those with two lookups.
      if (instantAt(0) > ms) return 0;
      if (instantAt(run.count - 1) <= ms) return run.count;
      let low = 1;
      let high = run.count - 1;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (instantAt(mid) > ms) high = mid;
        else low = mid + 1;
      }
      return low;
    },
  };
}

function checkRange(fromExclusive: Date, toInclusive: Date): [number, number] {
  const fromMs = fromExclusive.getTime();
  const toMs = toInclusive.getTime();
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new RangeError('schedule range needs valid dates');
  return [fromMs, toMs];
}

/** Every instant in (fromExclusive, toInclusive] at which the schedule is due, ascending, unique. */
export function dueSlots(schedule: ScheduleDefinition, fromExclusive: Date, toInclusive: Date): Date[] {
  const [fromMs, toMs] = checkRange(fromExclusive, toInclusive);
  if (toMs <= fromMs) return [];
  const compiled = compile(schedule);
  const slots: Date[] = [];
  let previous = fromMs;
  for (const run of runsAround(compiled, fromMs, toMs)) {
    const placed = place(compiled.zone, run);
    const end = placed.firstIndexAfter(toMs);
    for (let i = placed.firstIndexAfter(fromMs); i < end; i++) {
      const instant = placed.instantAt(i);
      // Instants never decrease, so a repeat (several gap slots → one instant) is the previous one.
      if (instant > previous) {
        slots.push(new Date(instant));
        previous = instant;
      }
    }
  }
  return slots;
}

/** The last instant in (fromExclusive, toInclusive] at which the schedule is due, if any. */
export function latestDueSlot(schedule: ScheduleDefinition, fromExclusive: Date, toInclusive: Date): Date | undefined {
  const [fromMs, toMs] = checkRange(fromExclusive, toInclusive);
  if (toMs <= fromMs) return undefined;
  const compiled = compile(schedule);
  for (const run of runsAround(compiled, fromMs, toMs, true)) {
    const placed = place(compiled.zone, run);
    const last = placed.firstIndexAfter(toMs) - 1;
    if (last < 0) continue;
    const instant = placed.instantAt(last);
    // Earlier windows only hold earlier instants, so the first hit from the top decides.
    return instant > fromMs ? new Date(instant) : undefined;
  }
  return undefined;
}

/** The first instant after `after` (within `horizonDays`) at which the schedule is due, if any. */
export function nextDueAfter(schedule: ScheduleDefinition, after: Date, horizonDays = 400): Date | undefined {
  const [afterMs, horizonMs] = checkRange(after, new Date(after.getTime() + horizonDays * DAY_MS));
  const compiled = compile(schedule);
  for (const run of runsAround(compiled, afterMs, horizonMs)) {
    const placed = place(compiled.zone, run);
    const first = placed.firstIndexAfter(afterMs);
    if (first >= run.count) continue;
    const instant = placed.instantAt(first);
    return instant <= horizonMs ? new Date(instant) : undefined;
  }
  return undefined;
}
