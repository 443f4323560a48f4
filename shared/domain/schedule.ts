/**
 * Schedules: the API body model (zod) and the pure evaluator that turns a schedule into due
 * instants. No SDK or I/O here; luxon supplies the tz database.
 */
export {
  DAYS_OF_WEEK,
  scheduleInputSchema,
  parseScheduleInput,
  isValidTimeZone,
  type DayOfWeek,
  type ScheduleInput,
  type ScheduleDefinition,
  type OneOffSchedule,
  type DailySchedule,
  type WeeklySchedule,
  type ScheduleIssue,
} from './schedule/model.js';
export { dueSlots, latestDueSlot, nextDueAfter } from './schedule/evaluate.js';
export { describeSchedule, toLocalIso } from './schedule/describe.js';
