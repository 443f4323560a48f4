import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import {
  delegateMailboxItem,
  listOf,
  mailboxDelegateItem,
  mailboxRefView,
  pageQuery,
  viaView,
} from '../shared/host/apiSchemas.js';
import { withEtag } from '../shared/host/etag.js';
import { OBSERVERS, RIGHTS } from '../shared/domain/delegation/types.js';
import { actorOf } from '../shared/host/auth.js';
import { ValidationError } from '../shared/errors.js';
import {
  addManualDelegation,
  delegateMailboxesCsv,
  delegateMailboxesFor,
  delegateMailboxesOf,
  delegatesFor,
  delegationChanges,
  mailboxDelegatesCsv,
  removeManualDelegation,
} from '../shared/usecases/lookups.js';
import {
  delegateMailboxesAt,
  delegateMailboxesAtCsv,
  delegatesAt,
  mailboxDelegatesAtCsv,
} from '../shared/usecases/pointInTime.js';

const principalSegment = z.string().trim().min(1, 'must not be empty').max(320, 'must be at most 320 characters');
const userParams = z.object({ user: principalSegment });
const mailboxParams = z.object({ mailbox: principalSegment });
const userMailboxParams = z.object({ user: principalSegment, mailbox: principalSegment });
const lookupQuery = pageQuery.extend({ format: z.enum(['json', 'csv']).default('json') });
/** The Reader lookups also answer for a past time (`?at=`); /me does not (see docs/api.md). */
const lookupAtQuery = lookupQuery.extend({
  at: z
    .string()
    .datetime({ offset: true, error: () => 'must be an ISO 8601 date-time such as 2026-11-01T09:00:00Z' })
    .optional(),
});

const rightAtView = z
  .object({
    right: z.enum(RIGHTS),
    source: z.enum(['MailboxPermissionSync', 'Manual']),
    via: z.array(viaView).optional(),
    firstSeen: z.string().optional(),
    grantedBy: z.string().nullable().optional().describe('Who granted it (the grant event’s actor), when known'),
    observedBy: z.enum(['fullScan', 'auditEvent', 'manual']).optional().describe('How the grant was seen'),
  })
  .strict();
/** What every point-in-time answer adds to the list: the time asked and from when the history is complete. */
const pointInTime = {
  asOf: z.string(),
  historyCompleteFrom: z.string().nullable(),
  complete: z.boolean(),
};
const delegateMailboxesAtList = listOf(z.object({ mailbox: mailboxRefView, rights: z.array(rightAtView) })).extend(
  pointInTime,
);
const mailboxDelegatesAtList = listOf(
  z.object({
    delegate: z.object({ id: z.string(), upn: z.string(), address: z.string(), displayName: z.string() }),
    rights: z.array(rightAtView),
  }),
).extend(pointInTime);
const changeEvent = z.object({
  type: z.enum(['granted', 'revoked']),
  mailbox: mailboxRefView,
  delegate: z.object({ id: z.string(), upn: z.string(), address: z.string(), displayName: z.string() }),
  right: z.enum(RIGHTS),
  via: z.array(viaView),
  source: z.enum(['MailboxPermissionSync', 'Manual']),
  runId: z.string().nullable(),
  taskId: z.string().nullable(),
  at: z.string(),
  actor: z.string().nullable().describe('Who made the change, when known (an audit record’s UserId, or the admin)'),
  observedBy: z.enum(OBSERVERS).describe('A full scan, an audit-triggered re-read, or an admin’s call to this API'),
});
const manualBody = z
  .object({
    mailbox: principalSegment,
    rights: z
      .array(z.enum(RIGHTS, { error: () => `must be one of ${RIGHTS.join(', ')}` }))
      .min(1, 'must name at least one right')
      .max(4),
  })
  .strict();
const tags = ['Delegations'];

/** Offset paging over an in-memory list (lookups read one partition; lists are short). */
function page<T>(items: T[], top: number, token: string | undefined): { items: T[]; continuationToken: string | null } {
  let offset = 0;
  if (token) {
    const parsed = /^o(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!parsed)
      throw new ValidationError('PAGING.INVALID_TOKEN', 'continuationToken is not a token this API issued', [
        { path: 'continuationToken', message: 'not a token this API issued' },
      ]);
    offset = Number(parsed[1]);
  }
  const slice = items.slice(offset, offset + top);
  return {
    items: slice,
    continuationToken: offset + top < items.length ? Buffer.from(`o${offset + top}`).toString('base64url') : null,
  };
}

const csvResult = (text: string, name: string) => ({
  text,
  contentType: 'text/csv; charset=utf-8',
  headers: { 'Content-Disposition': `attachment; filename="${name}.csv"` },
});

export const userDelegateMailboxesFn = registerApi({
  name: 'getUserDelegateMailboxes',
  route: 'users/{user}/delegate-mailboxes',
  method: 'GET',
  role: 'reader',
  tags,
  summary:
    'Mailboxes a user (UPN, SMTP address or object id) can access, with rights, source, via and first seen; ' +
    '?at= for a past time (rebuilt from history, with historyCompleteFrom and complete); ?format=csv exports',
  params: userParams,
  query: lookupAtQuery,
  responses: {
    200: {
      description: 'The mailboxes (JSON list or CSV); with ?at=, as they stood then',
      schema: z.union([listOf(delegateMailboxItem), delegateMailboxesAtList]),
    },
    304: { description: 'Not modified (If-None-Match)' },
    400: { description: 'A malformed or future ?at=' },
    404: { description: 'Unknown user' },
  },
  handle: async ({ params, query, services, request }) => {
    if (query.at) {
      const answer = await delegateMailboxesAt(services, params.user, query.at);
      if (query.format === 'csv')
        return withEtag(request, csvResult(delegateMailboxesAtCsv(answer), 'delegate-mailboxes-at'));
      const { items, ...when } = answer;
      return withEtag(request, { json: { ...page(items, query.top, query.continuationToken), ...when } });
    }
    const items = await delegateMailboxesFor(services, params.user);
    if (query.format === 'csv') return withEtag(request, csvResult(delegateMailboxesCsv(items), 'delegate-mailboxes'));
    return withEtag(request, { json: page(items, query.top, query.continuationToken) });
  },
});

export const mailboxDelegatesFn = registerApi({
  name: 'getMailboxDelegates',
  route: 'mailboxes/{mailbox}/delegates',
  method: 'GET',
  role: 'reader',
  tags,
  summary:
    'Who can access a mailbox (address or object id); ?at= for a past time (rebuilt from history, with ' +
    'historyCompleteFrom and complete); ?format=csv exports',
  params: mailboxParams,
  query: lookupAtQuery,
  responses: {
    200: {
      description: 'The delegates; with ?at=, as they stood then',
      schema: z.union([listOf(mailboxDelegateItem), mailboxDelegatesAtList]),
    },
    304: { description: 'Not modified' },
    400: { description: 'A malformed or future ?at=' },
    404: { description: 'Unknown mailbox' },
  },
  handle: async ({ params, query, services, request }) => {
    if (query.at) {
      const answer = await delegatesAt(services, params.mailbox, query.at);
      if (query.format === 'csv')
        return withEtag(request, csvResult(mailboxDelegatesAtCsv(answer), 'mailbox-delegates-at'));
      const { items, ...when } = answer;
      return withEtag(request, { json: { ...page(items, query.top, query.continuationToken), ...when } });
    }
    const items = await delegatesFor(services, params.mailbox);
    if (query.format === 'csv') return withEtag(request, csvResult(mailboxDelegatesCsv(items), 'mailbox-delegates'));
    return withEtag(request, { json: page(items, query.top, query.continuationToken) });
  },
});

export const addManualDelegationFn = registerApi({
  name: 'addManualDelegation',
  route: 'users/{user}/delegate-mailboxes',
  method: 'POST',
  role: 'admin',
  tags,
  summary:
    'Add Manual delegation(s) of a mailbox to a user (never removed by sync); ' +
    'any user and mailbox of the tenant (id, UPN or SMTP address), synced or not',
  params: userParams,
  body: manualBody,
  responses: {
    201: { description: 'The user’s rights on that mailbox', schema: delegateMailboxItem },
    404: { description: 'The tenant has no such user or mailbox' },
  },
  handle: async ({ params, body, principal, services }) => ({
    status: 201,
    json: await addManualDelegation(services, params.user, body.mailbox, body.rights, actorOf(principal)),
  }),
});

export const removeManualDelegationFn = registerApi({
  name: 'removeManualDelegation',
  route: 'users/{user}/delegate-mailboxes/{mailbox}',
  method: 'DELETE',
  role: 'admin',
  tags,
  summary: 'Remove a user’s Manual delegation(s) on a mailbox (?right= for one); synced ones answer 409 with why',
  params: userMailboxParams,
  query: z.object({ right: z.enum(RIGHTS).optional() }).strict(),
  responses: {
    204: { description: 'Removed' },
    404: { description: 'No such delegation' },
    409: { description: 'The delegation comes from Exchange (synced)' },
  },
  handle: async ({ params, query, principal, services }) => {
    await removeManualDelegation(services, params.user, params.mailbox, actorOf(principal), query.right);
    return { status: 204 };
  },
});

export const meDelegateMailboxesFn = registerApi({
  name: 'getMyDelegateMailboxes',
  route: 'me/delegate-mailboxes',
  method: 'GET',
  role: 'anyUser',
  tags,
  summary: 'The caller’s own delegate mailboxes (by the token’s oid); never another user’s',
  query: lookupQuery,
  responses: {
    200: { description: 'The caller’s mailboxes', schema: listOf(delegateMailboxItem) },
    304: { description: 'Not modified' },
  },
  handle: async ({ principal, query, services, request }) => {
    const oid = principal.kind === 'anonymous' ? '' : principal.oid.toLowerCase();
    const items = await delegateMailboxesOf(services, oid);
    if (query.format === 'csv')
      return withEtag(request, csvResult(delegateMailboxesCsv(items), 'my-delegate-mailboxes'));
    return withEtag(request, { json: page(items, query.top, query.continuationToken) });
  },
});

export const delegationChangesFn = registerApi({
  name: 'listDelegationChanges',
  route: 'delegation-changes',
  method: 'GET',
  role: 'reader',
  tags,
  summary: 'History of granted/revoked delegations, newest first (since defaults to 30 days ago; at most 366 days)',
  query: pageQuery.extend({
    since: z
      .string()
      .datetime({ offset: true, error: () => 'must be an ISO 8601 date-time such as 2026-11-01T00:00:00Z' })
      .optional(),
    mailbox: principalSegment.optional(),
    delegate: principalSegment.optional(),
  }),
  responses: { 200: { description: 'A page of events', schema: listOf(changeEvent) } },
  handle: async ({ query, services }) => ({ json: await delegationChanges(services, query) }),
});
