import { DateTime } from 'luxon';
import { DAYS_OF_WEEK, minutesOfDay, type DayOfWeek, type ScheduleDefinition } from './model.js';
import { zoneOf } from './wallClock.js';

const DAY_LABELS: Record<DayOfWeek, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

/** Human-readable summary, e.g. "Mon–Fri every 60 min from 08:00 to 18:00 (America/New_York)". */
export function describeSchedule(schedule: ScheduleDefinition): string {
  const zone = `(${schedule.timeZone})`;
  if (schedule.type === 'oneOff') {
    const [date, time] = schedule.runAt.split('T');
    return `Once on ${date} at ${time} ${zone}`;
  }
  const days = schedule.type === 'daily' ? 'Daily' : describeDays(schedule.daysOfWeek);
  if (schedule.mode === 'once') return `${days} at ${schedule.startTime} ${zone}`;

  const every = `every ${schedule.intervalMinutes} min`;
  const start = minutesOfDay(schedule.startTime);
  const end = minutesOfDay(schedule.endTime);
  if (start === end) return `${days} ${every} around the clock from ${schedule.startTime} ${zone}`;
  const nextDay = end < start ? ' (next day)' : '';
  return `${days} ${every} from ${schedule.startTime} to ${schedule.endTime}${nextDay} ${zone}`;
}

/** "Mon–Fri", "Mon, Wed, Fri", "Mon–Wed, Sat" or "Every day", in week order whatever the input order. */
function describeDays(days: readonly DayOfWeek[]): string {
  const selected = DAYS_OF_WEEK.map((d) => days.includes(d));
  if (selected.every(Boolean)) return 'Every day';
  const parts: string[] = [];
  for (let i = 0; i < DAYS_OF_WEEK.length; i++) {
    if (!selected[i]) continue;
    let j = i;
    while (selected[j + 1]) j++;
    const names = DAYS_OF_WEEK.slice(i, j + 1).map((d) => DAY_LABELS[d]);
    // Two adjacent days read better as a list than as a range ("Sat, Sun").
    parts.push(names.length >= 3 ? `${names[0]}–${names[names.length - 1]}` : names.join(', '));
    i = j;
  }
  return parts.join(', ');
}

/** The instant as local ISO 8601 in the zone with its offset, e.g. "2026-12-01T04:00:00-05:00" (UTC: "+00:00"). */
export function toLocalIso(instant: Date, timeZone: string): string {
  const local = DateTime.fromJSDate(instant, { zone: zoneOf(timeZone) });
  const iso = local.toISO({ suppressMilliseconds: true });
  if (iso === null) throw new RangeError('toLocalIso needs a valid date');
  return iso;
}
