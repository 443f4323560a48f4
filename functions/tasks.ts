import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import { anyJson, idParams, listOf, pageQuery, runParams } from '../shared/host/apiSchemas.js';
import { taskInputSchema } from '../shared/domain/task.js';
import { createTask, deleteTask, getTask, listTasks, updateTask } from '../shared/usecases/tasks.js';
import { getRun, listRunMailboxes, listRuns, runTaskNow } from '../shared/usecases/runs.js';

const taskView = z.looseObject({ id: z.string(), description: z.string(), scheduleId: z.string(), nextDueAt: z.string().nullable(), nextDueAtLocal: z.string().nullable(), lastRun: z.looseObject({ runId: z.string(), status: z.string() }).nullable() });
const runView = z.looseObject({
  runId: z.string(), taskId: z.string(), status: z.string(), trigger: z.enum(['schedule', 'manual']), scheduledFor: z.string().nullable(),
  startedAt: z.string().nullable(), finishedAt: z.string().nullable(), mailboxesTotal: z.number(), mailboxesDone: z.number(), mailboxesFailed: z.number(),
  delegationsAdded: z.number(), delegationsRemoved: z.number(), trusteesUnresolved: z.number(), error: z.string().nullable(),
});
const runItemView = z.object({ mailboxId: z.string(), address: z.string(), displayName: z.string(), status: z.enum(['pending', 'done', 'failed']), error: z.string().nullable(), delegationsAdded: z.number(), delegationsRemoved: z.number(), trusteesUnresolved: z.number(), settledAt: z.string().nullable() });
const tags = ['Tasks and runs'];

export const createTaskFn = registerApi({
  name: 'createTask', route: 'tasks', method: 'POST', role: 'admin', tags,
  summary: 'Create a Mailbox Permission Sync task', body: anyJson, bodyDocs: taskInputSchema,
  responses: { 201: { description: 'Created', schema: taskView }, 400: { description: 'Invalid body or unknown schedule' } },
  handle: async ({ body, services }) => ({ status: 201, json: await createTask(services, body) }),
});

export const listTasksFn = registerApi({
  name: 'listTasks', route: 'tasks', method: 'GET', role: 'reader', tags,
  summary: 'List tasks with schedule, next due time and last run', query: pageQuery,
  responses: { 200: { description: 'A page of tasks', schema: listOf(taskView) } },
  handle: async ({ query, services }) => ({ json: await listTasks(services, query) }),
});

export const getTaskFn = registerApi({
  name: 'getTask', route: 'tasks/{id}', method: 'GET', role: 'reader', tags,
  summary: 'Get a task', params: idParams,
  responses: { 200: { description: 'The task', schema: taskView } },
  handle: async ({ params, services }) => ({ json: await getTask(services, params.id) }),
});

export const updateTaskFn = registerApi({
  name: 'updateTask', route: 'tasks/{id}', method: 'PUT', role: 'admin', tags,
  summary: 'Replace a task (a run in flight keeps its settings)', params: idParams, body: anyJson, bodyDocs: taskInputSchema,
  responses: { 200: { description: 'The updated task', schema: taskView } },
  handle: async ({ params, body, services }) => ({ json: await updateTask(services, params.id, body) }),
});

export const deleteTaskFn = registerApi({
  name: 'deleteTask', route: 'tasks/{id}', method: 'DELETE', role: 'admin', tags,
  summary: 'Delete a task (409 while a run is active)', params: idParams,
  responses: { 204: { description: 'Deleted' } },
  handle: async ({ params, services }) => {
    await deleteTask(services, params.id);
    return { status: 204 };
  },
});

export const runTaskNowFn = registerApi({
  name: 'runTaskNow', route: 'tasks/{id}/run', method: 'POST', role: 'admin', tags,
  summary: 'Run a task now', params: idParams,
  responses: { 202: { description: 'Run queued', schema: z.object({ runId: z.string() }) }, 409: { description: 'A run is already active' } },
  handle: async ({ params, services }) => ({ status: 202, json: await runTaskNow(services, params.id) }),
});

export const listRunsFn = registerApi({
  name: 'listRuns', route: 'tasks/{id}/runs', method: 'GET', role: 'reader', tags,
  summary: 'Run history of a task, newest first', params: idParams, query: pageQuery,
  responses: { 200: { description: 'A page of runs', schema: listOf(runView) } },
  handle: async ({ params, query, services }) => ({ json: await listRuns(services, params.id, query) }),
});

export const getRunFn = registerApi({
  name: 'getRun', route: 'tasks/{id}/runs/{runId}', method: 'GET', role: 'reader', tags,
  summary: "A run's status and counts", params: runParams,
  responses: { 200: { description: 'The run', schema: runView } },
  handle: async ({ params, services }) => ({ json: await getRun(services, params.id, params.runId) }),
});

export const listRunMailboxesFn = registerApi({
  name: 'listRunMailboxes', route: 'tasks/{id}/runs/{runId}/mailboxes', method: 'GET', role: 'reader', tags,
  summary: "Per-mailbox outcomes of a run (e.g. ?status=failed with the reasons)", params: runParams,
  query: pageQuery.extend({ status: z.enum(['pending', 'done', 'failed']).optional() }),
  responses: { 200: { description: 'A page of mailbox outcomes', schema: listOf(runItemView) } },
  handle: async ({ params, query, services }) => {
    const { status, ...page } = query;
    return { json: await listRunMailboxes(services, params.id, params.runId, status, page) };
  },
});
