import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import { anyJson, idParams, listOf, pageQuery } from '../shared/host/apiSchemas.js';
import { DAYS_OF_WEEK, scheduleInputSchema } from '../shared/domain/schedule.js';
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  updateSchedule,
} from '../shared/usecases/schedules.js';

// The stored definition's fields flattened (which ones depend on type and mode), plus what the API adds.
const scheduleView = z.object({
  id: z.string(),
  description: z.string(),
  type: z.enum(['oneOff', 'daily', 'weekly']),
  mode: z.enum(['once', 'many']).optional().describe('daily and weekly'),
  runAt: z.string().optional().describe('oneOff: local date and time, YYYY-MM-DDTHH:mm'),
  startTime: z.string().optional().describe('daily and weekly: HH:mm'),
  endTime: z.string().optional().describe('mode many: HH:mm'),
  intervalMinutes: z.number().optional().describe('mode many'),
  daysOfWeek: z.array(z.enum(DAYS_OF_WEEK)).optional().describe('weekly'),
  timeZone: z.string(),
  summary: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const tags = ['Schedules'];

export const createScheduleFn = registerApi({
  name: 'createSchedule',
  route: 'schedules',
  method: 'POST',
  role: 'admin',
  tags,
  summary: 'Create a schedule (oneOff, daily or weekly, in an IANA time zone)',
  body: anyJson,
  bodyDocs: scheduleInputSchema,
  responses: { 201: { description: 'Created', schema: scheduleView } },
  handle: async ({ body, services }) => ({ status: 201, json: await createSchedule(services, body) }),
});

export const listSchedulesFn = registerApi({
  name: 'listSchedules',
  route: 'schedules',
  method: 'GET',
  role: 'reader',
  tags,
  summary: 'List schedules',
  query: pageQuery,
  responses: { 200: { description: 'A page of schedules', schema: listOf(scheduleView) } },
  handle: async ({ query, services }) => ({ json: await listSchedules(services, query) }),
});

export const getScheduleFn = registerApi({
  name: 'getSchedule',
  route: 'schedules/{id}',
  method: 'GET',
  role: 'reader',
  tags,
  summary: 'Get a schedule',
  params: idParams,
  responses: { 200: { description: 'The schedule', schema: scheduleView } },
  handle: async ({ params, services }) => ({ json: await getSchedule(services, params.id) }),
});

export const updateScheduleFn = registerApi({
  name: 'updateSchedule',
  route: 'schedules/{id}',
  method: 'PUT',
  role: 'admin',
  tags,
  summary: 'Replace a schedule (tasks use it from their next evaluation)',
  params: idParams,
  body: anyJson,
  bodyDocs: scheduleInputSchema,
  responses: { 200: { description: 'The updated schedule', schema: scheduleView } },
  handle: async ({ params, body, services }) => ({ json: await updateSchedule(services, params.id, body) }),
});

export const deleteScheduleFn = registerApi({
  name: 'deleteSchedule',
  route: 'schedules/{id}',
  method: 'DELETE',
  role: 'admin',
  tags,
  summary: 'Delete a schedule (409 while a task uses it)',
  params: idParams,
  responses: { 204: { description: 'Deleted' }, 409: { description: 'Used by a task' } },
  handle: async ({ params, services }) => {
    await deleteSchedule(services, params.id);
    return { status: 204 };
  },
});
