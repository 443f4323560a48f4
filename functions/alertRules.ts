import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import { anyJson, idParams, listOf, mailboxRefView, pageQuery, viaView } from '../shared/host/apiSchemas.js';
import { alertRuleInputSchema } from '../shared/domain/alerts.js';
import { OBSERVERS, RIGHTS } from '../shared/domain/delegation/types.js';
import {
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertDeliveries,
  listAlertRules,
  testAlertRule,
} from '../shared/usecases/alertRules.js';

const alertRuleView = z.object({
  id: z.string(),
  description: z.string(),
  watch: z.union([
    z.object({ kind: z.literal('mailboxes'), mailboxes: z.array(mailboxRefView) }),
    z.object({ kind: z.literal('group'), groupId: z.string(), displayName: z.string() }),
  ]),
  rights: z.array(z.enum(RIGHTS)),
  webhookUrl: z.string(),
  hasSecret: z.literal(true).describe('the secret is stored and never returned'),
  createdAt: z.string(),
});

const alertEventView = z.object({
  type: z.literal('granted'),
  mailbox: mailboxRefView,
  delegate: z.object({ id: z.string(), address: z.string(), displayName: z.string(), upn: z.string() }),
  right: z.enum(RIGHTS),
  via: z.array(viaView),
  source: z.enum(['MailboxPermissionSync', 'Manual']),
  actor: z.string().nullable(),
  observedBy: z
    .enum(OBSERVERS)
    .describe('fullScan: a scheduled or manual run; auditEvent: a re-read the audit feed triggered; manual: the API'),
  at: z.string(),
  runId: z.string().nullable(),
});

const deliveryView = z.object({
  ruleId: z.string(),
  deliveryId: z.string().describe('the X-MPS-Delivery header: the same for every attempt of a delivery'),
  createdAt: z.string(),
  test: z.boolean(),
  event: alertEventView.nullable().describe('null for a test delivery'),
  attempts: z.array(
    z.object({
      attempt: z.number().int(),
      at: z.string(),
      status: z.number().int().nullable().describe('the HTTP status the webhook answered'),
      error: z.string().nullable().describe('why no status came back (refused, timeout, network)'),
    }),
  ),
  nextAttemptAt: z.string().nullable(),
  state: z.enum(['pending', 'delivered', 'abandoned', 'failed']),
  reason: z.string().nullable(),
});

const tags = ['Alerts'];

export const createAlertRuleFn = registerApi({
  name: 'createAlertRule',
  route: 'alert-rules',
  method: 'POST',
  role: 'admin',
  tags,
  summary: 'Create an alert rule: a signed webhook call for every grant of the watched rights on the watched mailboxes',
  body: anyJson,
  bodyDocs: alertRuleInputSchema,
  responses: {
    201: { description: 'Created (the secret is not returned)', schema: alertRuleView },
    404: { description: 'A mailbox or the group does not exist in the tenant' },
  },
  handle: async ({ body, services }) => ({ status: 201, json: await createAlertRule(services, body) }),
});

export const listAlertRulesFn = registerApi({
  name: 'listAlertRules',
  route: 'alert-rules',
  method: 'GET',
  role: 'admin',
  tags,
  summary: 'List alert rules',
  query: pageQuery,
  responses: { 200: { description: 'A page of alert rules', schema: listOf(alertRuleView) } },
  handle: async ({ query, services }) => ({ json: await listAlertRules(services, query) }),
});

export const getAlertRuleFn = registerApi({
  name: 'getAlertRule',
  route: 'alert-rules/{id}',
  method: 'GET',
  role: 'admin',
  tags,
  summary: 'Get an alert rule',
  params: idParams,
  responses: { 200: { description: 'The alert rule', schema: alertRuleView } },
  handle: async ({ params, services }) => ({ json: await getAlertRule(services, params.id) }),
});

export const deleteAlertRuleFn = registerApi({
  name: 'deleteAlertRule',
  route: 'alert-rules/{id}',
  method: 'DELETE',
  role: 'admin',
  tags,
  summary: 'Delete an alert rule (its recorded deliveries stay)',
  params: idParams,
  responses: { 204: { description: 'Deleted' } },
  handle: async ({ params, services }) => {
    await deleteAlertRule(services, params.id);
    return { status: 204 };
  },
});

export const listAlertDeliveriesFn = registerApi({
  name: 'listAlertDeliveries',
  route: 'alert-rules/{id}/deliveries',
  method: 'GET',
  role: 'admin',
  tags,
  summary: "A rule's deliveries, newest first, each with its attempts",
  params: idParams,
  query: pageQuery,
  responses: { 200: { description: 'A page of deliveries', schema: listOf(deliveryView) } },
  handle: async ({ params, query, services }) => ({ json: await listAlertDeliveries(services, params.id, query) }),
});

export const testAlertRuleFn = registerApi({
  name: 'testAlertRule',
  route: 'alert-rules/{id}/test',
  method: 'POST',
  role: 'admin',
  tags,
  summary: 'Send a test delivery now (same signing; the body says "test": true) and answer its attempt',
  params: idParams,
  responses: { 200: { description: 'The test delivery, delivered or failed', schema: deliveryView } },
  handle: async ({ params, services }) => ({ json: await testAlertRule(services, params.id) }),
});
