import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';

/** Weekdays in the order the week is displayed (ISO: Monday first). */
export const DAYS_OF_WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:mm` → minutes after local midnight; the string must already match `HH:mm`. */
export function minutesOfDay(hhmm: string): number {
  const match = HH_MM.exec(hhmm);
  if (!match) throw new RangeError(`not an HH:mm time: ${hhmm}`);
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** True when `value` is `YYYY-MM-DDTHH:mm` naming a real calendar date (no 02-30). */
export function isLocalDateTime(value: string): boolean {
  const match = LOCAL_DATE_TIME.exec(value);
  if (!match) return false;
  const [, y, mo, d] = match.map(Number) as [number, number, number, number];
  // Date.UTC rolls 2026-02-30 over to March; a round trip exposes that.
  const probe = new Date(Date.UTC(y, mo - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

/** True when luxon (i.e. the runtime's ICU tz database) knows the IANA zone name. */
export function isValidTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

const description = z
  .string({ error: 'description must be a string' })
  .trim()
  .min(1, 'description must not be empty')
  .max(200, 'description must be at most 200 characters');

const timeOfDay = (field: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined ? `${field} is required` : `${field} must be a string in HH:mm form`,
    })
    .regex(HH_MM, `${field} must be a time between 00:00 and 23:59 in HH:mm form`);

const timeZone = z
  .string({
    error: (issue) => (issue.input === undefined ? 'timeZone is required' : 'timeZone must be a string'),
  })
  .refine(isValidTimeZone, 'timeZone must be an IANA time zone such as Europe/London or UTC');

const intervalMinutes = z
  .number({
    error: (issue) =>
      issue.input === undefined
        ? 'intervalMinutes is required when mode is "many"'
        : 'intervalMinutes must be a number',
  })
  .int('intervalMinutes must be a whole number')
  .min(1, 'intervalMinutes must be at least 1')
  .max(1440, 'intervalMinutes must be at most 1440');

const daysOfWeek = z
  .array(z.enum(DAYS_OF_WEEK, { error: `daysOfWeek entries must be one of ${DAYS_OF_WEEK.join(', ')}` }), {
    error: (issue) =>
      issue.input === undefined ? 'daysOfWeek is required for a weekly schedule' : 'daysOfWeek must be an array',
  })
  .min(1, 'daysOfWeek must name at least one day')
  .refine((days) => new Set(days).size === days.length, 'daysOfWeek must not repeat a day');

const modeError = { error: 'mode must be "once" or "many"' };

const onceFields = {
  description,
  mode: z.literal('once'),
  startTime: timeOfDay('startTime'),
  timeZone,
};

const manyFields = {
  description,
  mode: z.literal('many'),
  startTime: timeOfDay('startTime'),
  endTime: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'endTime is required when mode is "many"'
          : 'endTime must be a string in HH:mm form',
    })
    .regex(HH_MM, 'endTime must be a time between 00:00 and 23:59 in HH:mm form'),
  intervalMinutes,
  timeZone,
};

const oneOffSchedule = z.strictObject({
  description,
  type: z.literal('oneOff'),
  runAt: z
    .string({
      error: (issue) => (issue.input === undefined ? 'runAt is required' : 'runAt must be a string'),
    })
    .refine(isLocalDateTime, 'runAt must be a real local date and time in YYYY-MM-DDTHH:mm form'),
  timeZone,
});

const dailySchedule = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ ...onceFields, type: z.literal('daily') }),
    z.strictObject({ ...manyFields, type: z.literal('daily') }),
  ],
  modeError,
);

const weeklySchedule = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ ...onceFields, type: z.literal('weekly'), daysOfWeek }),
    z.strictObject({ ...manyFields, type: z.literal('weekly'), daysOfWeek }),
  ],
  modeError,
);

/**
 * Body of `POST/PUT /api/schedules`. For `mode: "many"`, `endTime < startTime` means the window
 * crosses midnight and `endTime == startTime` means a 24-hour window (see `dueSlots`).
 */
export const scheduleInputSchema = z.discriminatedUnion('type', [oneOffSchedule, dailySchedule, weeklySchedule], {
  error: (issue) =>
    typeof issue.input === 'object' && issue.input !== null && !Array.isArray(issue.input)
      ? 'type must be "oneOff", "daily" or "weekly"'
      : 'schedule must be a JSON object',
});

/** What a client sends (before trimming). */
export type ScheduleInput = z.input<typeof scheduleInputSchema>;
/** A validated schedule: what is stored and what the evaluator takes. */
export type ScheduleDefinition = z.output<typeof scheduleInputSchema>;
export type OneOffSchedule = Extract<ScheduleDefinition, { type: 'oneOff' }>;
export type DailySchedule = Extract<ScheduleDefinition, { type: 'daily' }>;
export type WeeklySchedule = Extract<ScheduleDefinition, { type: 'weekly' }>;

export interface ScheduleIssue {
  path: string;
  message: string;
}

/** Parses a create/update body; throws `ValidationError('SCHEDULE.INVALID')` naming each bad field. */
export function parseScheduleInput(body: unknown): ScheduleDefinition {
  const result = scheduleInputSchema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => toScheduleIssues(issue, body));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new ValidationError('SCHEDULE.INVALID', `Invalid schedule: ${summary}`, issues);
}

function toScheduleIssues(issue: z.core.$ZodIssue, body: unknown): ScheduleIssue[] {
  const at = issue.path.map(String).join('.');
  if (issue.code !== 'unrecognized_keys') return [{ path: at, message: issue.message }];
  // zod reports all extra keys on the parent object; clients want one issue per offending field.
  return issue.keys.map((key) => ({
    path: at ? `${at}.${key}` : key,
    message: unexpectedFieldMessage(key, body),
  }));
}

function unexpectedFieldMessage(key: string, body: unknown): string {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const { type, mode } = record;
  if ((key === 'endTime' || key === 'intervalMinutes') && mode === 'once') {
    return `${key} is only allowed when mode is "many"`;
  }
  if (key === 'daysOfWeek') return 'daysOfWeek is only allowed when type is "weekly"';
  if (key === 'runAt') return 'runAt is only allowed when type is "oneOff"';
  if (type === 'oneOff' && ['mode', 'startTime', 'endTime', 'intervalMinutes'].includes(key)) {
    return `${key} is not allowed for a oneOff schedule (use runAt)`;
  }
  return `${key} is not a known schedule field`;
}
