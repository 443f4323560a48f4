import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.js';
import {
  describeSchedule,
  dueSlots,
  latestDueSlot,
  nextDueAfter,
  parseScheduleInput,
  toLocalIso,
  type ScheduleDefinition,
} from '../../shared/domain/schedule.js';

type Body = Record<string, unknown>;

const dailyOnceBody = (overrides: Body = {}): Body => ({
  description: 'Nightly',
  type: 'daily',
  mode: 'once',
  startTime: '02:00',
  timeZone: 'Europe/London',
  ...overrides,
});

const weeklyManyBody = (overrides: Body = {}): Body => ({
  description: 'Office hours',
  type: 'weekly',
  daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'],
  mode: 'many',
  startTime: '08:00',
  endTime: '18:00',
  intervalMinutes: 60,
  timeZone: 'America/New_York',
  ...overrides,
});

const oneOffBody = (overrides: Body = {}): Body => ({
  description: 'Once',
  type: 'oneOff',
  runAt: '2026-12-01T09:00',
  timeZone: 'UTC',
  ...overrides,
});

const schedule = (body: Body): ScheduleDefinition => parseScheduleInput(body);

/** Slots as UTC ISO strings, for readable expectations. */
const slotsBetween = (s: ScheduleDefinition, fromIso: string, toIso: string): string[] =>
  dueSlots(s, new Date(fromIso), new Date(toIso)).map((d) => d.toISOString());

const iso = (hhmm: string, day: string) => `${day}T${hhmm}:00.000Z`;

function issuesOf(body: unknown): ReadonlyArray<{ path: string; message: string }> {
  try {
    parseScheduleInput(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('SCHEDULE.INVALID');
    return (error as ValidationError).issues;
  }
  throw new Error('expected parseScheduleInput to reject the body');
}

describe('parseScheduleInput', () => {
  it.each([
    ['daily once', dailyOnceBody()],
    ['weekly many', weeklyManyBody()],
    ['oneOff', oneOffBody()],
    [
      'daily many crossing midnight',
      dailyOnceBody({ mode: 'many', startTime: '22:00', endTime: '02:00', intervalMinutes: 60 }),
    ],
  ])('accepts the %s body', (_name, body) => {
    expect(parseScheduleInput(body)).toEqual(body);
  });

  it('trims the description', () => {
    expect(parseScheduleInput(dailyOnceBody({ description: '  Nightly  ' })).description).toBe('Nightly');
  });

  const dailyMany = (overrides: Body) =>
    dailyOnceBody({ mode: 'many', endTime: '18:00', intervalMinutes: 60, ...overrides });
  const withoutField = (body: Body, field: string): Body => {
    const copy = { ...body };
    delete copy[field];
    return copy;
  };

  it.each<[string, unknown, string]>([
    ['startTime 24:00', dailyOnceBody({ startTime: '24:00' }), 'startTime'],
    ['startTime without leading zero', dailyOnceBody({ startTime: '8:00' }), 'startTime'],
    ['startTime as a number', dailyOnceBody({ startTime: 800 }), 'startTime'],
    ['startTime missing', withoutField(dailyOnceBody(), 'startTime'), 'startTime'],
    ['endTime minute 60', dailyMany({ endTime: '18:60' }), 'endTime'],
    ['endTime missing in many mode', withoutField(dailyMany({}), 'endTime'), 'endTime'],
    ['intervalMinutes missing in many mode', withoutField(dailyMany({}), 'intervalMinutes'), 'intervalMinutes'],
    ['intervalMinutes 0', dailyMany({ intervalMinutes: 0 }), 'intervalMinutes'],
    ['intervalMinutes 1441', dailyMany({ intervalMinutes: 1441 }), 'intervalMinutes'],
    ['intervalMinutes fractional', dailyMany({ intervalMinutes: 1.5 }), 'intervalMinutes'],
    ['intervalMinutes as a string', dailyMany({ intervalMinutes: '60' }), 'intervalMinutes'],
    ['endTime in once mode', dailyOnceBody({ endTime: '18:00' }), 'endTime'],
    ['intervalMinutes in once mode', dailyOnceBody({ intervalMinutes: 60 }), 'intervalMinutes'],
    ['runAt on 30 February', oneOffBody({ runAt: '2026-02-30T09:00' }), 'runAt'],
    ['runAt with a space', oneOffBody({ runAt: '2026-12-01 09:00' }), 'runAt'],
    ['runAt with seconds', oneOffBody({ runAt: '2026-12-01T09:00:00' }), 'runAt'],
    ['runAt with an offset', oneOffBody({ runAt: '2026-12-01T09:00Z' }), 'runAt'],
    ['runAt hour 24', oneOffBody({ runAt: '2026-12-01T24:00' }), 'runAt'],
    ['runAt on a daily schedule', dailyOnceBody({ runAt: '2026-12-01T09:00' }), 'runAt'],
    ['startTime on a oneOff schedule', oneOffBody({ startTime: '09:00' }), 'startTime'],
    ['unknown time zone', dailyOnceBody({ timeZone: 'Mars/Olympus_Mons' }), 'timeZone'],
    ['offset instead of a zone', dailyOnceBody({ timeZone: '+05:00' }), 'timeZone'],
    ['time zone missing', withoutField(oneOffBody(), 'timeZone'), 'timeZone'],
    ['no days', weeklyManyBody({ daysOfWeek: [] }), 'daysOfWeek'],
    ['a repeated day', weeklyManyBody({ daysOfWeek: ['mon', 'mon'] }), 'daysOfWeek'],
    ['an unknown day', weeklyManyBody({ daysOfWeek: ['mon', 'funday'] }), 'daysOfWeek.1'],
    ['daysOfWeek missing', withoutField(weeklyManyBody(), 'daysOfWeek'), 'daysOfWeek'],
    ['daysOfWeek on a daily schedule', dailyOnceBody({ daysOfWeek: ['mon'] }), 'daysOfWeek'],
    ['blank description', dailyOnceBody({ description: '   ' }), 'description'],
    ['description of 201 characters', dailyOnceBody({ description: 'x'.repeat(201) }), 'description'],
    ['description missing', withoutField(dailyOnceBody(), 'description'), 'description'],
    ['an unknown field', dailyOnceBody({ colour: 'blue' }), 'colour'],
    ['an unknown type', dailyOnceBody({ type: 'monthly' }), 'type'],
    ['type missing', withoutField(dailyOnceBody(), 'type'), 'type'],
    ['an unknown mode', dailyOnceBody({ mode: 'sometimes' }), 'mode'],
  ])('rejects %s with an issue on that field', (_name, body, path) => {
    const issues = issuesOf(body);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)?.message).toMatch(/\S/);
  });

  it('explains that endTime and intervalMinutes belong to mode "many"', () => {
    const issues = issuesOf(dailyOnceBody({ endTime: '18:00', intervalMinutes: 60 }));
    expect(issues).toEqual([
      { path: 'endTime', message: 'endTime is only allowed when mode is "many"' },
      { path: 'intervalMinutes', message: 'intervalMinutes is only allowed when mode is "many"' },
    ]);
  });

  it('reports every bad field at once and names them in the message', () => {
    let caught: unknown;
    try {
      parseScheduleInput(weeklyManyBody({ startTime: '25:00', timeZone: 'Nowhere/Land', intervalMinutes: 0 }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const error = caught as ValidationError;
    expect(error.issues.map((i) => i.path).sort()).toEqual(['intervalMinutes', 'startTime', 'timeZone']);
    expect(error.message).toContain('startTime');
    expect(error.message).toContain('timeZone');
  });

  it.each([null, 'daily', 42, [dailyOnceBody()]])('rejects a body that is not an object (%j)', (body) => {
    expect(issuesOf(body)).toEqual([{ path: '', message: 'schedule must be a JSON object' }]);
  });
});

describe('dueSlots around DST changes', () => {
  const everyHalfHourUntilFour = (timeZone: string) =>
    schedule(dailyOnceBody({ timeZone, mode: 'many', startTime: '00:00', endTime: '04:00', intervalMinutes: 30 }));

  it('Europe/London spring forward (01:00 → 02:00): gap slots run once when the clock jumps', () => {
    expect(
      slotsBetween(everyHalfHourUntilFour('Europe/London'), '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z'),
    ).toEqual(['00:00', '00:30', '01:00', '01:30', '02:00', '02:30', '03:00'].map((t) => iso(t, '2026-03-29')));
  });

  it('Europe/London fall back (02:00 → 01:00): the repeated hour runs once, the first time', () => {
    expect(
      slotsBetween(everyHalfHourUntilFour('Europe/London'), '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z'),
    ).toEqual([
      iso('23:00', '2026-10-24'),
      iso('23:30', '2026-10-24'),
      ...['00:00', '00:30', '02:00', '02:30', '03:00', '03:30', '04:00'].map((t) => iso(t, '2026-10-25')),
    ]);
  });

  it('America/New_York spring forward (02:00 → 03:00)', () => {
    expect(
      slotsBetween(everyHalfHourUntilFour('America/New_York'), '2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z'),
    ).toEqual(['05:00', '05:30', '06:00', '06:30', '07:00', '07:30', '08:00'].map((t) => iso(t, '2026-03-08')));
  });

  it('America/New_York fall back (02:00 → 01:00)', () => {
    expect(
      slotsBetween(everyHalfHourUntilFour('America/New_York'), '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'),
    ).toEqual(
      ['04:00', '04:30', '05:00', '05:30', '07:00', '07:30', '08:00', '08:30', '09:00'].map((t) =>
        iso(t, '2026-11-01'),
      ),
    );
  });

  it('a daily 01:30 slot runs once on the New York fall-back day, at the first 01:30 (EDT)', () => {
    const s = schedule(dailyOnceBody({ startTime: '01:30', timeZone: 'America/New_York' }));
    expect(slotsBetween(s, '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z')).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('a daily 02:30 slot runs at 03:00 local on the New York spring-forward day', () => {
    const s = schedule(dailyOnceBody({ startTime: '02:30', timeZone: 'America/New_York' }));
    const [springDay, nextDay] = dueSlots(s, new Date('2026-03-07T12:00:00Z'), new Date('2026-03-09T12:00:00Z'));
    expect(springDay && toLocalIso(springDay, 'America/New_York')).toBe('2026-03-08T03:00:00-04:00');
    expect(nextDay && toLocalIso(nextDay, 'America/New_York')).toBe('2026-03-09T02:30:00-04:00');
  });

  it('Australia/Lord_Howe 30-minute spring forward: 02:15 runs at 02:30 local', () => {
    const s = schedule(dailyOnceBody({ startTime: '02:15', timeZone: 'Australia/Lord_Howe' }));
    const slots = dueSlots(s, new Date('2026-10-03T00:00:00Z'), new Date('2026-10-04T00:00:00Z'));
    expect(slots.map((d) => toLocalIso(d, 'Australia/Lord_Howe'))).toEqual(['2026-10-04T02:30:00+11:00']);
  });

  it('a oneOff inside the gap runs at the end of the gap; inside the repeated hour, the first time', () => {
    const inGap = schedule(oneOffBody({ runAt: '2026-03-08T02:30', timeZone: 'America/New_York' }));
    const repeated = schedule(oneOffBody({ runAt: '2026-11-01T01:30', timeZone: 'America/New_York' }));
    const year = [new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z')] as const;
    expect(dueSlots(inGap, ...year).map((d) => d.toISOString())).toEqual(['2026-03-08T07:00:00.000Z']);
    expect(dueSlots(repeated, ...year).map((d) => d.toISOString())).toEqual(['2026-11-01T05:30:00.000Z']);
  });

  it('every minute of a whole local day: 1440 slots on a 25-hour day, 1380 on a 23-hour day', () => {
    const everyMinute = schedule(
      dailyOnceBody({
        timeZone: 'America/New_York',
        mode: 'many',
        startTime: '00:00',
        endTime: '23:59',
        intervalMinutes: 1,
      }),
    );
    // Windows start at local midnight: 04:00Z (EDT) and 05:00Z (EST).
    expect(dueSlots(everyMinute, new Date('2026-11-01T03:59:00Z'), new Date('2026-11-02T04:59:00Z'))).toHaveLength(
      1440,
    );
    expect(dueSlots(everyMinute, new Date('2026-03-08T04:59:00Z'), new Date('2026-03-09T03:59:00Z'))).toHaveLength(
      1380,
    );
  });
});

describe('dueSlots windows', () => {
  it('a window from 22:00 to 02:00 crosses midnight and includes both ends', () => {
    const s = schedule(
      dailyOnceBody({
        timeZone: 'Europe/Berlin',
        mode: 'many',
        startTime: '22:00',
        endTime: '02:00',
        intervalMinutes: 60,
      }),
    );
    expect(slotsBetween(s, '2026-06-10T12:00:00Z', '2026-06-11T12:00:00Z')).toEqual([
      '2026-06-10T20:00:00.000Z',
      '2026-06-10T21:00:00.000Z',
      '2026-06-10T22:00:00.000Z',
      '2026-06-10T23:00:00.000Z',
      '2026-06-11T00:00:00.000Z',
    ]);
  });

  it('a range starting after midnight still sees the rest of the window that began the evening before', () => {
    const s = schedule(
      dailyOnceBody({ timeZone: 'UTC', mode: 'many', startTime: '22:00', endTime: '02:00', intervalMinutes: 60 }),
    );
    expect(slotsBetween(s, '2026-06-11T00:30:00Z', '2026-06-11T03:00:00Z')).toEqual([
      '2026-06-11T01:00:00.000Z',
      '2026-06-11T02:00:00.000Z',
    ]);
  });

  it('a weekly midnight-crossing window belongs to the day it starts on', () => {
    const wednesdayNights = schedule(
      weeklyManyBody({
        timeZone: 'UTC',
        daysOfWeek: ['wed'],
        startTime: '23:00',
        endTime: '01:00',
        intervalMinutes: 60,
      }),
    );
    expect(slotsBetween(wednesdayNights, '2026-06-08T00:00:00Z', '2026-06-15T00:00:00Z')).toEqual([
      '2026-06-10T23:00:00.000Z',
      '2026-06-11T00:00:00.000Z',
      '2026-06-11T01:00:00.000Z',
    ]);
  });

  it('an interval that does not divide the window stops at the last slot before endTime', () => {
    const s = schedule(
      dailyOnceBody({ timeZone: 'UTC', mode: 'many', startTime: '08:00', endTime: '09:00', intervalMinutes: 25 }),
    );
    expect(slotsBetween(s, '2026-06-10T00:00:00Z', '2026-06-10T23:59:00Z')).toEqual(
      ['08:00', '08:25', '08:50'].map((t) => iso(t, '2026-06-10')),
    );
  });

  it('endTime runs when a slot lands on it exactly', () => {
    const s = schedule(
      dailyOnceBody({ timeZone: 'UTC', mode: 'many', startTime: '08:00', endTime: '09:00', intervalMinutes: 30 }),
    );
    expect(slotsBetween(s, '2026-06-10T00:00:00Z', '2026-06-10T23:59:00Z')).toEqual(
      ['08:00', '08:30', '09:00'].map((t) => iso(t, '2026-06-10')),
    );
  });

  it('endTime == startTime is a 24-hour window that excludes its end', () => {
    const mondays = schedule(
      weeklyManyBody({
        timeZone: 'UTC',
        daysOfWeek: ['mon'],
        startTime: '06:00',
        endTime: '06:00',
        intervalMinutes: 360,
      }),
    );
    expect(slotsBetween(mondays, '2026-06-07T00:00:00Z', '2026-06-14T00:00:00Z')).toEqual([
      '2026-06-08T06:00:00.000Z',
      '2026-06-08T12:00:00.000Z',
      '2026-06-08T18:00:00.000Z',
      '2026-06-09T00:00:00.000Z',
    ]);
  });

  it('weekly days are local weekdays: Monday 08:00 in Auckland is Sunday in UTC', () => {
    const s = schedule(
      dailyOnceBody({ type: 'weekly', daysOfWeek: ['mon'], startTime: '08:00', timeZone: 'Pacific/Auckland' }),
    );
    const slots = dueSlots(s, new Date('2026-06-01T00:00:00Z'), new Date('2026-06-15T00:00:00Z'));
    expect(slots.map((d) => d.toISOString())).toEqual(['2026-06-07T20:00:00.000Z', '2026-06-14T20:00:00.000Z']);
    expect(slots.map((d) => d.getUTCDay())).toEqual([0, 0]);
  });

  it('the range is exclusive at the start and inclusive at the end', () => {
    const s = schedule(dailyOnceBody({ timeZone: 'UTC', startTime: '02:00' }));
    expect(slotsBetween(s, '2026-06-10T02:00:00Z', '2026-06-11T02:00:00Z')).toEqual(['2026-06-11T02:00:00.000Z']);
    expect(slotsBetween(s, '2026-06-11T02:00:00Z', '2026-06-10T02:00:00Z')).toEqual([]);
  });

  it('a daily schedule over a year has one slot per day', () => {
    const s = schedule(dailyOnceBody());
    expect(dueSlots(s, new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'))).toHaveLength(365);
  });

  it('minute-by-minute ticks over a day find exactly the slots of one call over the day', () => {
    const s = schedule(
      dailyOnceBody({
        timeZone: 'America/New_York',
        mode: 'many',
        startTime: '00:00',
        endTime: '23:59',
        intervalMinutes: 7,
      }),
    );
    const start = Date.parse('2026-11-01T00:00:00Z');
    const ticks: number[] = [];
    for (let minute = 0; minute < 1440; minute++) {
      const tick = dueSlots(s, new Date(start + minute * 60_000), new Date(start + (minute + 1) * 60_000));
      ticks.push(...tick.map((d) => d.getTime()));
    }
    const whole = dueSlots(s, new Date(start), new Date(start + 1440 * 60_000)).map((d) => d.getTime());
    expect(ticks).toEqual(whole);
    expect(whole.length).toBeGreaterThan(150);
  });
});

describe('latestDueSlot and nextDueAfter', () => {
  const officeHours = schedule(weeklyManyBody());

  it('latestDueSlot is the last of dueSlots', () => {
    const from = new Date('2026-06-01T00:00:00Z');
    const to = new Date('2026-06-10T15:30:00Z');
    expect(latestDueSlot(officeHours, from, to)).toEqual(dueSlots(officeHours, from, to).at(-1));
    expect(latestDueSlot(officeHours, from, to)?.toISOString()).toBe('2026-06-10T15:00:00.000Z');
  });

  it('latestDueSlot is undefined when nothing is due in the range (a weekend)', () => {
    expect(
      latestDueSlot(officeHours, new Date('2026-06-13T00:00:00Z'), new Date('2026-06-15T00:00:00Z')),
    ).toBeUndefined();
  });

  it('nextDueAfter skips the weekend to Monday 08:00 local', () => {
    expect(nextDueAfter(officeHours, new Date('2026-06-12T23:00:00Z'))?.toISOString()).toBe('2026-06-15T12:00:00.000Z');
  });

  it('nextDueAfter is strictly after its argument', () => {
    expect(nextDueAfter(officeHours, new Date('2026-06-15T12:00:00Z'))?.toISOString()).toBe('2026-06-15T13:00:00.000Z');
  });

  it('nextDueAfter of a past oneOff, or one beyond the horizon, is undefined', () => {
    const once = schedule(oneOffBody());
    expect(nextDueAfter(once, new Date('2026-11-30T00:00:00Z'))?.toISOString()).toBe('2026-12-01T09:00:00.000Z');
    expect(nextDueAfter(once, new Date('2026-12-01T09:00:00Z'))).toBeUndefined();
    expect(nextDueAfter(once, new Date('2026-11-20T00:00:00Z'), 5)).toBeUndefined();
  });
});

describe('describeSchedule', () => {
  it.each<[Body, string]>([
    [dailyOnceBody(), 'Daily at 02:00 (Europe/London)'],
    [weeklyManyBody(), 'Mon–Fri every 60 min from 08:00 to 18:00 (America/New_York)'],
    [oneOffBody(), 'Once on 2026-12-01 at 09:00 (UTC)'],
    [
      weeklyManyBody({ daysOfWeek: ['fri', 'mon', 'wed'] }),
      'Mon, Wed, Fri every 60 min from 08:00 to 18:00 (America/New_York)',
    ],
    [
      weeklyManyBody({ daysOfWeek: ['sun', 'sat', 'tue', 'mon', 'wed'] }),
      'Mon–Wed, Sat, Sun every 60 min from 08:00 to 18:00 (America/New_York)',
    ],
    [
      weeklyManyBody({ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }),
      'Every day every 60 min from 08:00 to 18:00 (America/New_York)',
    ],
    [
      dailyOnceBody({ mode: 'many', startTime: '22:00', endTime: '02:00', intervalMinutes: 30 }),
      'Daily every 30 min from 22:00 to 02:00 (next day) (Europe/London)',
    ],
    [
      dailyOnceBody({ mode: 'many', startTime: '06:00', endTime: '06:00', intervalMinutes: 15 }),
      'Daily every 15 min around the clock from 06:00 (Europe/London)',
    ],
  ])('%j → %s', (body, text) => {
    expect(describeSchedule(schedule(body))).toBe(text);
  });
});

describe('toLocalIso', () => {
  it('shows the local time with the offset in force at that instant', () => {
    expect(toLocalIso(new Date('2026-12-01T09:00:00Z'), 'America/New_York')).toBe('2026-12-01T04:00:00-05:00');
    expect(toLocalIso(new Date('2026-07-01T09:00:00Z'), 'America/New_York')).toBe('2026-07-01T05:00:00-04:00');
    expect(toLocalIso(new Date('2026-07-01T09:00:00Z'), 'Asia/Kolkata')).toBe('2026-07-01T14:30:00+05:30');
    expect(toLocalIso(new Date('2026-07-01T09:00:00Z'), 'UTC')).toBe('2026-07-01T09:00:00+00:00');
  });

  it('rejects an unknown zone', () => {
    expect(() => toLocalIso(new Date(), 'Nowhere/Land')).toThrow(ValidationError);
  });
});
