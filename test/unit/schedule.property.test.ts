import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  DAYS_OF_WEEK,
  dueSlots,
  latestDueSlot,
  nextDueAfter,
  parseScheduleInput,
  type DayOfWeek,
  type ScheduleDefinition,
} from '../../shared/domain/schedule.js';

/*
 * The checks below use luxon's DateTime fields as the reference clock, not the evaluator's own
 * offset arithmetic, so a wrong mapping between local times and instants shows up as a failure.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'America/St_Johns',
  'America/Santiago',
  'America/Havana',
  'America/Sao_Paulo',
  'Australia/Lord_Howe',
  'Australia/Adelaide',
  'Pacific/Auckland',
  'Pacific/Chatham',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tehran',
  'Africa/Casablanca',
] as const;

const RANGE_START = Date.UTC(2020, 0, 1);
const RANGE_END = Date.UTC(2030, 11, 31);

// ---- reference clock (luxon fields) ---------------------------------------------------------

/** Local wall clock at an instant, encoded as a UTC epoch, read from luxon's calendar fields. */
function wallAt(instant: number, zone: string): number {
  const local = DateTime.fromMillis(instant, { zone });
  return Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond);
}

const offsetAt = (instant: number, zone: string): number => DateTime.fromMillis(instant, { zone }).offset;

const transitionCache = new Map<string, number[]>();

/** Instants (to the minute) at which the zone's offset changes during a year. */
function transitionsIn(zone: string, year: number): number[] {
  const key = `${zone}/${year}`;
  const cached = transitionCache.get(key);
  if (cached) return cached;
  const found: number[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  for (let t = Date.UTC(year, 0, 1); t < end; t += 6 * HOUR) {
    if (offsetAt(t, zone) === offsetAt(t + 6 * HOUR, zone)) continue;
    let below = t;
    let above = t + 6 * HOUR;
    while (above - below > MINUTE) {
      const mid = below + Math.floor((above - below) / 2 / MINUTE) * MINUTE;
      if (offsetAt(mid, zone) === offsetAt(t, zone)) below = mid;
      else above = mid;
    }
    found.push(above);
  }
  transitionCache.set(key, found);
  return found;
}

// ---- generators -----------------------------------------------------------------------------

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

// Times near the usual DST switch hours are over-represented so gaps and repeats get hit often.
const timeOfDay = fc
  .oneof(
    fc.integer({ min: 0, max: 1439 }),
    fc.constantFrom(0, 30, 45, 60, 90, 120, 135, 150, 165, 180, 1380, 1410, 1439),
  )
  .map(hhmm);

const interval = fc.oneof(fc.integer({ min: 1, max: 1440 }), fc.constantFrom(1, 7, 15, 25, 30, 45, 60, 90, 180));

const days = fc.shuffledSubarray([...DAYS_OF_WEEK], { minLength: 1 });

const windowFields = fc.oneof(
  fc.record({ mode: fc.constant('once'), startTime: timeOfDay }),
  fc.record({ mode: fc.constant('many'), startTime: timeOfDay, endTime: timeOfDay, intervalMinutes: interval }),
);

const runAt = fc
  .record({
    day: fc.integer({ min: 0, max: Math.floor((RANGE_END - RANGE_START) / DAY) }),
    time: timeOfDay,
  })
  .map(({ day, time }) => `${new Date(RANGE_START + day * DAY).toISOString().slice(0, 10)}T${time}`);

const scheduleArb: fc.Arbitrary<ScheduleDefinition> = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    kind: fc.constantFrom('oneOff', 'daily', 'weekly', 'weekly'),
    window: windowFields,
    days,
    runAt,
  })
  .map(({ timeZone, kind, window, days: chosen, runAt: at }) => {
    const base = { description: 'generated', timeZone };
    if (kind === 'oneOff') return parseScheduleInput({ ...base, type: 'oneOff', runAt: at });
    if (kind === 'daily') return parseScheduleInput({ ...base, type: 'daily', ...window });
    return parseScheduleInput({ ...base, type: 'weekly', daysOfWeek: chosen, ...window });
  });

interface RangeChoice {
  nearTransition: boolean;
  year: number;
  pick: number;
  shiftMinutes: number;
  uniform: number;
  lengthMinutes: number;
}

const rangeChoice = (maxLengthMinutes: number): fc.Arbitrary<RangeChoice> =>
  fc.record({
    nearTransition: fc.boolean(),
    year: fc.integer({ min: 2020, max: 2030 }),
    pick: fc.nat(),
    shiftMinutes: fc.integer({ min: -2 * 1440, max: 1440 }),
    uniform: fc.integer({ min: RANGE_START, max: RANGE_END }),
    lengthMinutes: fc.integer({ min: 1, max: maxLengthMinutes }),
  });

/** A range (from, to] in 2020–2030; half of them start within two days of a DST change. */
function rangeFor(schedule: ScheduleDefinition, choice: RangeChoice): [number, number] {
  let from = choice.uniform;
  if (schedule.type === 'oneOff' && choice.nearTransition) {
    // One-offs are only interesting when the range reaches them.
    const at = DateTime.fromISO(schedule.runAt, { zone: schedule.timeZone }).toMillis();
    from = at + choice.shiftMinutes * MINUTE;
  } else if (choice.nearTransition) {
    const transitions = transitionsIn(schedule.timeZone, choice.year);
    const transition = transitions[choice.pick % Math.max(1, transitions.length)];
    if (transition !== undefined) from = transition + choice.shiftMinutes * MINUTE;
  }
  // Odd seconds keep range ends off the minute grid now and then.
  from += (choice.pick % 3) * 17_000;
  return [from, from + choice.lengthMinutes * MINUTE];
}

// ---- what the schedule says, computed from the spec ------------------------------------------

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
const JS_DAY_NAMES: readonly DayOfWeek[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const weekdayOfDay = (day: number): DayOfWeek => JS_DAY_NAMES[new Date(day * DAY).getUTCDay()] ?? 'sun';

/** Offsets (minutes after the window's start time) of the slots of one window. */
function windowOffsets(schedule: Exclude<ScheduleDefinition, { type: 'oneOff' }>): number[] {
  if (schedule.mode === 'once') return [0];
  const start = minutesOf(schedule.startTime);
  const end = minutesOf(schedule.endTime);
  const offsets: number[] = [];
  if (end === start) {
    for (let m = 0; m < 1440; m += schedule.intervalMinutes) offsets.push(m);
  } else {
    const span = end > start ? end - start : end + 1440 - start;
    for (let m = 0; m <= span; m += schedule.intervalMinutes) offsets.push(m);
  }
  return offsets;
}

/** Every configured local slot (wall clock as UTC epoch) of windows starting on days [fromDay, toDay]. */
function localSlots(schedule: ScheduleDefinition, fromDay: number, toDay: number): number[] {
  if (schedule.type === 'oneOff') return [Date.parse(`${schedule.runAt}:00Z`)];
  const offsets = windowOffsets(schedule);
  const slots: number[] = [];
  for (let day = fromDay; day <= toDay; day++) {
    if (schedule.type === 'weekly' && !schedule.daysOfWeek.includes(weekdayOfDay(day))) continue;
    const start = day * DAY + minutesOf(schedule.startTime) * MINUTE;
    for (const offset of offsets) slots.push(start + offset * MINUTE);
  }
  return slots;
}

/** Day on which the window holding local slot `wall` started. */
function windowStartDay(schedule: Exclude<ScheduleDefinition, { type: 'oneOff' }>, wall: number): number {
  const day = Math.floor(wall / DAY);
  const minuteOfDay = (wall - day * DAY) / MINUTE;
  const crossesMidnight = schedule.mode === 'many' && minutesOf(schedule.endTime) <= minutesOf(schedule.startTime);
  return crossesMidnight && minuteOfDay < minutesOf(schedule.startTime) ? day - 1 : day;
}

/**
 * The configured local slot that explains an instant: the local time it shows, or, when the
 * instant is the end of a spring-forward gap, a configured time inside that gap. Undefined if none.
 */
function explainingSlot(
  schedule: ScheduleDefinition,
  configured: ReadonlySet<number>,
  instant: number,
): number | undefined {
  const wall = wallAt(instant, schedule.timeZone);
  if (configured.has(wall)) return wall;
  const jump = (offsetAt(instant, schedule.timeZone) - offsetAt(instant - 1, schedule.timeZone)) * MINUTE;
  if (jump <= 0) return undefined;
  // The clock jumped from wall - jump straight to wall: those local times never happened.
  return [...configured].find((slot) => slot >= wall - jump && slot < wall);
}

/**
 * Brute-force reference: walk the clock minute by minute; a local slot is due at the first minute
 * whose local time reaches it (a running maximum makes a repeated hour count once).
 */
function referenceSlots(schedule: ScheduleDefinition, from: number, to: number): number[] {
  const scanStart = Math.floor((from - DAY) / MINUTE) * MINUTE;
  const slots = localSlots(
    schedule,
    Math.floor(wallAt(scanStart, schedule.timeZone) / DAY) - 2,
    Math.floor(wallAt(to, schedule.timeZone) / DAY) + 1,
  ).sort((a, b) => a - b);
  const due: number[] = [];
  let highestWall = -Infinity;
  let next = 0;
  for (let t = scanStart; t <= to; t += MINUTE) {
    const wall = wallAt(t, schedule.timeZone);
    if (wall <= highestWall) continue;
    let reached = false;
    while (next < slots.length && (slots[next] ?? Infinity) <= wall) {
      reached ||= (slots[next] ?? -Infinity) > highestWall;
      next++;
    }
    highestWall = wall;
    if (reached && t > from) due.push(t);
  }
  return due;
}

// ---- properties -----------------------------------------------------------------------------

const times = (dates: Date[]) => dates.map((d) => d.getTime());

describe('dueSlots properties', () => {
  it('slots lie in (from, to], strictly increasing, each explained by a configured local slot', () => {
    fc.assert(
      fc.property(scheduleArb, rangeChoice(7 * 1440), (schedule, choice) => {
        const [from, to] = rangeFor(schedule, choice);
        const slots = times(dueSlots(schedule, new Date(from), new Date(to)));
        const configured = new Set(
          localSlots(
            schedule,
            Math.floor(wallAt(from, schedule.timeZone) / DAY) - 2,
            Math.floor(wallAt(to, schedule.timeZone) / DAY) + 1,
          ),
        );
        slots.forEach((slot, i) => {
          expect(slot).toBeGreaterThan(from);
          expect(slot).toBeLessThanOrEqual(to);
          if (i > 0) expect(slot).toBeGreaterThan(slots[i - 1] ?? Infinity);
          const explained = explainingSlot(schedule, configured, slot);
          expect(explained, `slot ${new Date(slot).toISOString()} not explained`).toBeDefined();
          if (schedule.type === 'weekly' && explained !== undefined) {
            expect(schedule.daysOfWeek).toContain(weekdayOfDay(windowStartDay(schedule, explained)));
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a local time repeated by a fall-back runs at its first occurrence only', () => {
    fc.assert(
      fc.property(scheduleArb, rangeChoice(3 * 1440), (schedule, choice) => {
        const [from, to] = rangeFor(schedule, choice);
        for (const slot of times(dueSlots(schedule, new Date(from), new Date(to)))) {
          const fallBack = (offsetAt(slot - 3 * HOUR, schedule.timeZone) - offsetAt(slot, schedule.timeZone)) * MINUTE;
          if (fallBack > 0)
            expect(wallAt(slot - fallBack, schedule.timeZone)).not.toBe(wallAt(slot, schedule.timeZone));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('adjacent ranges together give exactly the slots of the whole range', () => {
    fc.assert(
      fc.property(
        scheduleArb,
        rangeChoice(10 * 1440),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (schedule, choice, cut) => {
          const [from, to] = rangeFor(schedule, choice);
          const mid = Math.round(from + (to - from) * cut);
          const whole = times(dueSlots(schedule, new Date(from), new Date(to)));
          const parts = [
            ...times(dueSlots(schedule, new Date(from), new Date(mid))),
            ...times(dueSlots(schedule, new Date(mid), new Date(to))),
          ];
          expect(parts).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('latestDueSlot and nextDueAfter agree with dueSlots', () => {
    fc.assert(
      fc.property(scheduleArb, rangeChoice(10 * 1440), (schedule, choice) => {
        const [from, to] = rangeFor(schedule, choice);
        const slots = dueSlots(schedule, new Date(from), new Date(to));
        expect(latestDueSlot(schedule, new Date(from), new Date(to))).toEqual(slots.at(-1));
        const next = nextDueAfter(schedule, new Date(from));
        if (slots[0]) expect(next).toEqual(slots[0]);
        else if (next) expect(next.getTime()).toBeGreaterThan(to);
      }),
      { numRuns: 300 },
    );
  });

  it('matches a minute-by-minute reference walk of the local clock', () => {
    fc.assert(
      fc.property(scheduleArb, rangeChoice(2 * 1440), (schedule, choice) => {
        const [from, to] = rangeFor(schedule, choice);
        expect(times(dueSlots(schedule, new Date(from), new Date(to)))).toEqual(referenceSlots(schedule, from, to));
      }),
      { numRuns: 60 },
    );
  });
});
