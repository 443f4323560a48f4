import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import { actorOf } from '../shared/host/auth.js';
import {
  anyJson,
  idParams,
  listOf,
  mailboxRefView,
  pageQuery,
  problemResponse,
  runParams,
  viaView,
} from '../shared/host/apiSchemas.js';
import { RIGHTS } from '../shared/domain/delegation/types.js';
import { RUN_STATUSES, RUN_TRIGGERS, targetSchema, taskInputSchema } from '../shared/domain/task.js';
import { createTask, deleteTask, getTask, listTasks, updateTask } from '../shared/usecases/tasks.js';
import { getRun, listRunMailboxes, listRuns, runTaskNow } from '../shared/usecases/runs.js';
import {
  applyHeldRevocations,
  dismissHeldRevocations,
  listHeldRevocations,
} from '../shared/usecases/revocationHold.js';

const runSummaryView = z.object({
  runId: z.string(),
  status: z.enum(RUN_STATUSES),
  trigger: z.enum(RUN_TRIGGERS).describe('The last run that read the task’s whole target: never an audit run'),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  mailboxesTotal: z.number(),
  mailboxesDone: z.number(),
  mailboxesFailed: z.number(),
  delegationsAdded: z.number(),
  delegationsRemoved: z.number(),
  error: z.string().nullable(),
});
const taskView = z.object({
  id: z.string(),
  description: z.string(),
  type: z.literal('mailboxPermissionSync'),
  scheduleId: z.string(),
  schedule: z.object({ summary: z.string(), timeZone: z.string() }).nullable().describe('null: the schedule is gone'),
  target: targetSchema,
  rights: z.array(z.enum(RIGHTS)),
  enabled: z.boolean(),
  nextDueAt: z.string().nullable(),
  nextDueAtLocal: z.string().nullable(),
  lastRun: runSummaryView.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const reviewView = z.object({
  decision: z.enum(['applied', 'dismissed']),
  by: z.string().describe("The administrator (sign-in name or object id) or calling app's client id"),
  at: z.string(),
  applied: z.number(),
  skipped: z.number().describe('Held revocations a later sync had re-observed (or that were gone), left alone'),
});
const runView = z.looseObject({
  runId: z.string(),
  taskId: z.string(),
  status: z.enum(RUN_STATUSES),
  trigger: z
    .enum(RUN_TRIGGERS)
    .describe('auditEvent: the change feed re-read a few mailboxes of the task that audit records named'),
  scheduledFor: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  mailboxesTotal: z.number(),
  mailboxesDone: z.number(),
  mailboxesFailed: z.number(),
  mailboxesSkipped: z.number(),
  skippedByReason: z.record(z.string(), z.number()).describe('Members not scanned, per reason, e.g. noExchangeMailbox'),
  delegationsAdded: z.number(),
  delegationsRemoved: z.number(),
  trusteesUnresolved: z.number(),
  rightsNotRead: z.number().describe('Mailbox rights that could not be read, left as stored'),
  revocationsHeld: z.number().describe('Revocations held back for review (status needsReview)'),
  heldRights: z.array(z.enum(RIGHTS)),
  warnings: z.array(z.string()).describe('Readable reasons for an administrator, e.g. why it holds revocations'),
  review: reviewView.nullable().describe('What an administrator decided about the held revocations'),
  error: z.string().nullable(),
});
const runItemView = z.looseObject({
  mailboxId: z.string(),
  address: z.string(),
  displayName: z.string(),
  status: z.enum(['pending', 'done', 'failed']),
  error: z.string().nullable(),
  delegationsAdded: z.number(),
  delegationsRemoved: z.number(),
  trusteesUnresolved: z.number(),
  revocationsProposed: z.number(),
  rightsNotRead: z.array(z.object({ right: z.enum(RIGHTS), reason: z.string() })).describe('Rights left as stored'),
  warnings: z.array(z.string()).describe('Exchange warnings met while reading the mailbox'),
  settledAt: z.string().nullable(),
});
const heldRevocationView = z.object({
  mailbox: mailboxRefView,
  delegate: z.object({
    id: z.string(),
    upn: z.string(),
    address: z.string(),
    displayName: z.string(),
    accountEnabled: z.boolean().optional(),
  }),
  right: z.enum(RIGHTS),
  via: z.array(viaView),
  source: z.literal('MailboxPermissionSync'),
  firstSeen: z.string(),
  lastConfirmed: z.string(),
  grantedBy: z.string().nullable().describe('Who granted it, when known'),
  grantedAt: z.string().nullable(),
  actor: z.string().nullable().describe('Who removed it in Exchange, when an audit record said'),
  reason: z
    .enum(['notObserved', 'readEmpty', 'leftScope'])
    .describe(
      'notObserved: the sync no longer saw it in Exchange; readEmpty: its mailbox read no delegation at all while ' +
        "it held many (always held); leftScope: its mailbox left every task's scope",
    ),
});
const notInReview = problemResponse('The run is not waiting for review (RUN.NOT_IN_REVIEW)');
const runNotFound = problemResponse('No such task or run (RUN.NOT_FOUND)');
const tags = ['Tasks and runs'];

export const createTaskFn = registerApi({
  name: 'createTask',
  route: 'tasks',
  method: 'POST',
  role: 'admin',
  tags,
  summary: 'Create a Mailbox Permission Sync task',
  body: anyJson,
  bodyDocs: taskInputSchema,
  responses: {
    201: { description: 'Created', schema: taskView },
    400: { description: 'Invalid body or unknown schedule' },
  },
  handle: async ({ body, services }) => ({ status: 201, json: await createTask(services, body) }),
});

export const listTasksFn = registerApi({
  name: 'listTasks',
  route: 'tasks',
  method: 'GET',
  role: 'reader',
  tags,
  summary: 'List tasks with schedule, next due time and last run',
  query: pageQuery,
  responses: { 200: { description: 'A page of tasks', schema: listOf(taskView) } },
  handle: async ({ query, services }) => ({ json: await listTasks(services, query) }),
});

export const getTaskFn = registerApi({
  name: 'getTask',
  route: 'tasks/{id}',
  method: 'GET',
  role: 'reader',
  tags,
  summary: 'Get a task',
  params: idParams,
  responses: { 200: { description: 'The task', schema: taskView } },
  handle: async ({ params, services }) => ({ json: await getTask(services, params.id) }),
});

export const updateTaskFn = registerApi({
  name: 'updateTask',
  route: 'tasks/{id}',
  method: 'PUT',
  role: 'admin',
  tags,
  summary: 'Replace a task (a run in flight keeps its settings)',
  params: idParams,
  body: anyJson,
  bodyDocs: taskInputSchema,
  responses: { 200: { description: 'The updated task', schema: taskView } },
  handle: async ({ params, body, services }) => ({ json: await updateTask(services, params.id, body) }),
});

export const deleteTaskFn = registerApi({
  name: 'deleteTask',
  route: 'tasks/{id}',
  method: 'DELETE',
  role: 'admin',
  tags,
  summary: 'Delete a task (409 while a run is active)',
  params: idParams,
  responses: { 204: { description: 'Deleted' } },
  handle: async ({ params, services }) => {
    await deleteTask(services, params.id);
    return { status: 204 };
  },
});

export const runTaskNowFn = registerApi({
  name: 'runTaskNow',
  route: 'tasks/{id}/run',
  method: 'POST',
  role: 'admin',
  tags,
  summary: 'Run a task now',
  params: idParams,
  responses: {
    202: { description: 'Run queued', schema: z.object({ runId: z.string() }) },
    409: { description: 'A run is already active' },
  },
  handle: async ({ params, services }) => ({ status: 202, json: await runTaskNow(services, params.id) }),
});

export const listRunsFn = registerApi({
  name: 'listRuns',
  route: 'tasks/{id}/runs',
  method: 'GET',
  role: 'reader',
  tags,
  summary: 'Run history of a task, newest first',
  params: idParams,
  query: pageQuery,
  responses: { 200: { description: 'A page of runs', schema: listOf(runView) } },
  handle: async ({ params, query, services }) => ({ json: await listRuns(services, params.id, query) }),
});

export const getRunFn = registerApi({
  name: 'getRun',
  route: 'tasks/{id}/runs/{runId}',
  method: 'GET',
  role: 'reader',
  tags,
  summary: "A run's status and counts",
  params: runParams,
  responses: { 200: { description: 'The run', schema: runView } },
  handle: async ({ params, services }) => ({ json: await getRun(services, params.id, params.runId) }),
});

export const listRunMailboxesFn = registerApi({
  name: 'listRunMailboxes',
  route: 'tasks/{id}/runs/{runId}/mailboxes',
  method: 'GET',
  role: 'reader',
  tags,
  summary: 'Per-mailbox outcomes of a run (e.g. ?status=failed with the reasons)',
  params: runParams,
  query: pageQuery.extend({ status: z.enum(['pending', 'done', 'failed']).optional() }),
  responses: { 200: { description: 'A page of mailbox outcomes', schema: listOf(runItemView) } },
  handle: async ({ params, query, services }) => {
    const { status, ...page } = query;
    return { json: await listRunMailboxes(services, params.id, params.runId, status, page) };
  },
});

export const listHeldRevocationsFn = registerApi({
  name: 'listHeldRevocations',
  route: 'tasks/{id}/runs/{runId}/held-revocations',
  method: 'GET',
  role: 'reader',
  tags,
  summary: 'Revocations a run held back for review (status needsReview); held rows stay in lookups until applied',
  params: runParams,
  query: pageQuery,
  responses: {
    200: { description: 'A page of held revocations', schema: listOf(heldRevocationView) },
    404: runNotFound,
  },
  handle: async ({ params, query, services }) => ({
    json: await listHeldRevocations(services, params.id, params.runId, query),
  }),
});

export const applyHeldRevocationsFn = registerApi({
  name: 'applyHeldRevocations',
  route: 'tasks/{id}/runs/{runId}/held-revocations/apply',
  method: 'POST',
  role: 'admin',
  tags,
  summary: "Apply a run's held revocations, each re-checked against the stored state (a later sync may have seen it)",
  params: runParams,
  responses: {
    200: {
      description: 'The reviewed run; how many revocations were applied and how many skipped',
      schema: z.object({ run: runView, applied: z.number(), skipped: z.number() }),
    },
    404: runNotFound,
    409: notInReview,
  },
  handle: async ({ params, principal, services }) => ({
    json: await applyHeldRevocations(services, params.id, params.runId, actorOf(principal)),
  }),
});

export const dismissHeldRevocationsFn = registerApi({
  name: 'dismissHeldRevocations',
  route: 'tasks/{id}/runs/{runId}/held-revocations/dismiss',
  method: 'POST',
  role: 'admin',
  tags,
  summary: "Dismiss a run's held revocations: nothing is revoked, the run's review records who decided",
  params: runParams,
  responses: {
    200: {
      description: 'The reviewed run and how many held revocations were dropped',
      schema: z.object({ run: runView, dismissed: z.number() }),
    },
    404: runNotFound,
    409: notInReview,
  },
  handle: async ({ params, principal, services }) => ({
    json: await dismissHeldRevocations(services, params.id, params.runId, actorOf(principal)),
  }),
});
