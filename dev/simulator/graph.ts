import { GRAPH_RESOURCE } from './identity.js';
import {
  bump,
  header,
  isJsonContent,
  JSON_TYPE,
  parseJsonBody,
  requestId,
  type SimContext,
  type SimReply,
  type SimRequest,
} from './http.js';
import { appHasAny, drawFault, throttle } from './limits.js';
import {
  FilterSyntaxError,
  filterOperators,
  filterProps,
  matchesFilter,
  parseFilter,
  type FilterExpr,
} from './odata.js';
import {
  hasMailbox,
  type DirectoryObject,
  type SimContact,
  type SimDevice,
  type SimGroup,
  type SimUser,
} from './tenant.js';

export const GRAPH_AUDIENCES = [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, '00000003-0000-0000-c000-000000000000'] as const;

const MAX_TOP = 999;
const DEFAULT_TOP = 100;
const MAX_BATCH = 20;
const CREATED = '2024-03-01T08:00:00Z';

const USER_DEFAULT_SELECT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const GROUP_PERMS = ['Group.Read.All', 'GroupMember.Read.All', 'Directory.Read.All', 'Group.ReadWrite.All'];
const MEMBER_PERMS = ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'Group.ReadWrite.All'];
const USER_PERMS = ['User.Read.All', 'User.ReadBasic.All', 'Directory.Read.All', 'User.ReadWrite.All'];
// Calendars.ReadBasic.All is the application permission's name (docs/wire.md).
const CALENDAR_PERMS = ['Calendars.Read', 'Calendars.ReadBasic', 'Calendars.ReadBasic.All', 'Calendars.ReadWrite'];
const INTERNAL_ALLOWED_ROLES = [
  'freeBusyRead',
  'limitedRead',
  'read',
  'write',
  'delegateWithoutPrivateEventAccess',
  'delegateWithPrivateEventAccess',
];
const EXTERNAL_ALLOWED_ROLES = ['none', 'freeBusyRead', 'limitedRead', 'read'];
const DEFAULT_ALLOWED_ROLES = ['none', 'freeBusyRead', 'limitedRead', 'read', 'write'];

type Json = Record<string, unknown>;

/** Graph's error envelope. */
export function graphError(
  status: number,
  code: string,
  message: string,
  reqId: string,
  headers?: Record<string, string>,
): SimReply {
  const date = new Date().toISOString().slice(0, 19);
  return {
    status,
    headers: { 'request-id': reqId, 'client-request-id': reqId, ...(headers ?? {}) },
    body: { error: { code, message, innerError: { date, 'request-id': reqId, 'client-request-id': reqId } } },
  };
}

function throttledReply(reqId: string, retryAfterSeconds: number | undefined): SimReply {
  return graphError(
    429,
    'TooManyRequests',
    'Too many requests, retry after some time.',
    reqId,
    retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
  );
}

function ok(body: Json, reqId: string): SimReply {
  return { status: 200, headers: { 'request-id': reqId, 'client-request-id': reqId, 'Content-Type': JSON_TYPE }, body };
}

function splitName(displayName: string): { givenName: string | null; surname: string | null } {
  const parts = displayName.split(' ');
  return parts.length < 2
    ? { givenName: displayName, surname: null }
    : { givenName: parts[0] ?? null, surname: parts.slice(1).join(' ') };
}

function userBag(u: SimUser): Json {
  return {
    id: u.id,
    displayName: u.displayName,
    userPrincipalName: u.userPrincipalName,
    mail: u.mail,
    accountEnabled: u.accountEnabled,
    proxyAddresses: u.proxyAddresses,
    mailNickname: u.alias,
    ...splitName(u.displayName),
    jobTitle: null,
    businessPhones: [],
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    userType: u.userType ?? 'Member',
  };
}

function groupBag(g: SimGroup): Json {
  return {
    id: g.id,
    createdDateTime: CREATED,
    description: null,
    displayName: g.displayName,
    groupTypes: g.groupTypes,
    mail: g.mail,
    mailEnabled: g.mailEnabled,
    mailNickname: g.mail === null ? g.name.replace(/\s+/g, '') : g.mail.split('@')[0],
    onPremisesSamAccountName: g.onPremisesSamAccountName,
    onPremisesSecurityIdentifier: g.onPremisesSyncEnabled === true ? g.sid : null,
    onPremisesSyncEnabled: g.onPremisesSyncEnabled,
    proxyAddresses: g.mail === null ? [] : [`SMTP:${g.mail}`],
    securityEnabled: g.securityEnabled,
    visibility: g.groupTypes.includes('Unified') ? 'Private' : null,
  };
}

function deviceBag(d: SimDevice): Json {
  return {
    id: d.id,
    displayName: d.displayName,
    accountEnabled: d.accountEnabled,
    deviceId: d.deviceId,
    operatingSystem: d.operatingSystem,
  };
}

function contactBag(c: SimContact): Json {
  return {
    id: c.id,
    displayName: c.displayName,
    mail: c.mail,
    mailNickname: c.alias,
    proxyAddresses: [`SMTP:${c.mail}`],
  };
}

/** Keeps the selected properties that the object has (Graph omits selected properties a type lacks). */
function project(bag: Json, select: string[] | undefined, defaults?: string[]): Json {
  const keys = select ?? defaults;
  if (keys === undefined) return bag;
  const out: Json = {};
  for (const k of keys) if (k in bag) out[k] = bag[k];
  return out;
}

function directoryObjectJson(obj: DirectoryObject, select: string[] | undefined): Json {
  switch (obj.type) {
    case 'user':
      return { '@odata.type': '#microsoft.graph.user', ...project(userBag(obj.user), select, USER_DEFAULT_SELECT) };
    case 'group':
      return { '@odata.type': '#microsoft.graph.group', ...project(groupBag(obj.group), select) };
    case 'device':
      return { '@odata.type': '#microsoft.graph.device', ...project(deviceBag(obj.device), select) };
    case 'contact':
      return { '@odata.type': '#microsoft.graph.orgContact', ...project(contactBag(obj.contact), select) };
  }
}

function parseSelect(url: URL): string[] | undefined {
  const raw = url.searchParams.get('$select');
  if (raw === null || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

class GraphQueryError extends Error {
  constructor(readonly reply: SimReply) {
    super('graph query error');
  }
}

function parseTop(url: URL, reqId: string): number {
  const raw = url.searchParams.get('$top');
  if (raw === null) return DEFAULT_TOP;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
    throw new GraphQueryError(
      graphError(
        400,
        'Request_UnsupportedQuery',
        `Invalid page size specified: '${raw}'. Must be between 1 and ${MAX_TOP} inclusive.`,
        reqId,
      ),
    );
  }
  return top;
}

function decodeSkip(url: URL, reqId: string): number {
  const raw = url.searchParams.get('$skiptoken');
  if (raw === null) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through to the error below
  }
  throw new GraphQueryError(graphError(400, 'Request_BadRequest', 'Invalid skip token.', reqId));
}

/** One page of `items`, with an absolute https `@odata.nextLink` carrying `$skiptoken` when more remain. */
function page<T>(
  ctx: SimContext,
  url: URL,
  items: readonly T[],
  toJson: (item: T) => Json,
  reqId: string,
): { value: Json[]; nextLink?: string } {
  const top = parseTop(url, reqId);
  const offset = decodeSkip(url, reqId);
  const value = items.slice(offset, offset + top).map(toJson);
  if (offset + top >= items.length) return { value };
  const params: string[] = [];
  for (const [k, v] of url.searchParams) {
    if (k === '$skiptoken') continue;
    params.push(`${k}=${encodeURIComponent(v).replace(/%2C/g, ',')}`);
  }
  params.push(`$skiptoken=${Buffer.from(JSON.stringify({ o: offset + top })).toString('base64url')}`);
  return { value, nextLink: `${ctx.url}${url.pathname}?${params.join('&')}` };
}

interface FilterResource {
  name: 'User' | 'Group';
  /** Properties `$filter` accepts at all. */
  props: readonly string[];
  /** Of those, the ones Graph filters only in an advanced query. */
  advancedProps: readonly string[];
}

const USER_RESOURCE: FilterResource = {
  name: 'User',
  props: ['id', 'mail', 'userPrincipalName', 'displayName', 'proxyAddresses', 'accountEnabled', 'mailNickname'],
  advancedProps: [],
};
const GROUP_RESOURCE: FilterResource = {
  name: 'Group',
  props: [
    'id',
    'mail',
    'displayName',
    'onPremisesSamAccountName',
    'onPremisesSecurityIdentifier',
    'mailEnabled',
    'securityEnabled',
    'groupTypes',
    'mailNickname',
    'proxyAddresses',
  ],
  advancedProps: ['onPremisesSamAccountName', 'onPremisesSecurityIdentifier'],
};
/** `$filter` operators that only advanced queries accept, as Graph spells them in its error. */
const ADVANCED_OPERATORS: Readonly<Record<string, string>> = { ne: 'ne', not: 'not', endswith: 'endsWith' };

/** Both advanced query parameters are present: header `ConsistencyLevel: eventual` and `$count=true` on the URL. */
function isAdvancedQuery(call: GraphCall): boolean {
  const eventual = call.consistency?.trim().toLowerCase() === 'eventual';
  return eventual && call.url.searchParams.get('$count')?.toLowerCase() === 'true';
}

/**
 * Parses `$filter` and refuses what Graph refuses: properties it cannot filter on, and properties or operators
 * that need an advanced query when the request is not one (docs/wire.md, "Advanced queries").
 */
function parseFilterParam(call: GraphCall, resource: FilterResource): FilterExpr | undefined {
  const raw = call.url.searchParams.get('$filter');
  if (raw === null) return undefined;
  const unsupported = (prop: string): GraphQueryError => {
    const message =
      `Unsupported or invalid query filter clause specified for property '${prop}' ` +
      `of resource '${resource.name}'.`;
    return new GraphQueryError(graphError(400, 'Request_UnsupportedQuery', message, call.reqId));
  };
  let expr: FilterExpr;
  try {
    expr = parseFilter(raw);
  } catch (err) {
    if (err instanceof FilterSyntaxError) {
      throw new GraphQueryError(graphError(400, 'BadRequest', `Invalid filter clause: ${err.message}`, call.reqId));
    }
    throw err;
  }
  const props = filterProps(expr);
  const unknown = props.find((prop) => !resource.props.includes(prop));
  if (unknown !== undefined) throw unsupported(unknown);
  if (isAdvancedQuery(call)) return expr;
  const advancedProp = props.find((prop) => resource.advancedProps.includes(prop));
  if (advancedProp !== undefined) throw unsupported(advancedProp);
  const operator = filterOperators(expr).find((op) => op in ADVANCED_OPERATORS);
  if (operator !== undefined) {
    const message =
      `Operator '${ADVANCED_OPERATORS[operator] ?? operator}' is not supported ` +
      'because the required parameters might be missing. ' +
      'Try adding $count=true query parameter and ConsistencyLevel:eventual header. ' +
      'Refer to https://aka.ms/graph-docs/advanced-queries for more information';
    throw new GraphQueryError(graphError(400, 'Request_UnsupportedQuery', message, call.reqId));
  }
  return expr;
}

/** `@odata.count` of a collection: Graph adds it only to an advanced query (and ignores `$count=true` otherwise). */
function countOf(call: GraphCall, total: number): Json {
  return isAdvancedQuery(call) ? { '@odata.count': total } : {};
}

function searchTerm(url: URL, req: { consistency: string | undefined }, reqId: string): string | undefined {
  const raw = url.searchParams.get('$search');
  if (raw === null) return undefined;
  if (req.consistency?.toLowerCase() !== 'eventual') {
    throw new GraphQueryError(
      graphError(
        400,
        'Request_UnsupportedQuery',
        'Request with $search query parameter only works through MSGraph with a special request header: ' +
          "'ConsistencyLevel: eventual'",
        reqId,
      ),
    );
  }
  const m = /^"?(?:(displayName|mail|description):)?([^"]*)"?$/.exec(raw.trim());
  return (m?.[2] ?? raw).toLowerCase();
}

function visibleGroups(ctx: SimContext): SimGroup[] {
  return [...ctx.tenant.groups.values()].filter((g) => g.isRoleGroup !== true);
}

function filterUsers(ctx: SimContext, expr: FilterExpr | undefined): SimUser[] {
  if (expr === undefined) return [...ctx.tenant.users.values()];
  // Fast paths for the lookups the product makes against large tenants.
  if (expr.op === 'eq' && expr.prop === 'mail' && typeof expr.value === 'string')
    return ctx.tenant.usersByMail(expr.value);
  if (expr.op === 'any' && expr.prop === 'proxyAddresses') return ctx.tenant.usersByProxyAddress(expr.value);
  return [...ctx.tenant.users.values()].filter((u) => matchesFilter(expr, (p) => userBag(u)[p]));
}

interface GraphCall {
  ctx: SimContext;
  method: string;
  url: URL;
  reqId: string;
  consistency: string | undefined;
}

/** Routes one Graph call (a top-level request or a batch item) and records its endpoint. */
function route(call: GraphCall): SimReply {
  const { ctx, method, url, reqId } = call;
  let segments: string[];
  try {
    segments = url.pathname
      .replace(/^\/v1\.0\/?/, '')
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return graphError(400, 'BadRequest', 'The request URI is not valid.', reqId);
  }
  const [collection, key, sub1, sub2] = segments;
  const select = parseSelect(url);
  const endpoint = (name: string): void => bump(ctx.stats.graphEndpoints, `${method} ${name}`);
  const forbidden = (
    code = 'Authorization_RequestDenied',
    message = 'Insufficient privileges to complete the operation.',
  ): SimReply => {
    ctx.stats.forbidden++;
    return graphError(403, code, message, reqId);
  };
  if (method !== 'GET') {
    endpoint(url.pathname.replace(/^\/v1\.0/, ''));
    return graphError(405, 'Request_BadRequest', `The simulator answers GET only on ${url.pathname}.`, reqId);
  }
  try {
    if (collection === 'groups' && key === undefined) {
      endpoint('/groups');
      if (!appHasAny(ctx, GROUP_PERMS)) return forbidden();
      const expr = parseFilterParam(call, GROUP_RESOURCE);
      const term = searchTerm(url, call, reqId);
      const groups = visibleGroups(ctx).filter(
        (g) =>
          (expr === undefined || matchesFilter(expr, (p) => groupBag(g)[p])) &&
          (term === undefined ||
            g.displayName.toLowerCase().includes(term) ||
            (g.mail ?? '').toLowerCase().includes(term)),
      );
      const p = page(ctx, url, groups, (g) => project(groupBag(g), select), reqId);
      return ok(
        {
          '@odata.context': `${ctx.url}/v1.0/$metadata#groups`,
          ...countOf(call, groups.length),
          ...(p.nextLink === undefined ? {} : { '@odata.nextLink': p.nextLink }),
          value: p.value,
        },
        reqId,
      );
    }
    if (collection === 'groups' && key !== undefined) {
      const group = ctx.tenant.groups.get(key);
      const tmpl = sub1 === undefined ? '/groups/{id}' : `/groups/{id}/${sub1}`;
      endpoint(tmpl);
      if (!appHasAny(ctx, sub1 === undefined ? GROUP_PERMS : MEMBER_PERMS)) return forbidden();
      if (group === undefined || group.isRoleGroup === true) {
        return graphError(
          404,
          'Request_ResourceNotFound',
          `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
          reqId,
        );
      }
      if (sub1 === undefined)
        return ok(
          { '@odata.context': `${ctx.url}/v1.0/$metadata#groups/$entity`, ...project(groupBag(group), select) },
          reqId,
        );
      if ((sub1 === 'transitiveMembers' || sub1 === 'members') && sub2 === undefined) {
        const members =
          sub1 === 'transitiveMembers'
            ? ctx.tenant.transitiveMembers(group.id)
            : group.members
                .map((id) => ctx.tenant.directoryObject(id))
                .filter((o): o is DirectoryObject => o !== undefined);
        const p = page(ctx, url, members, (o) => directoryObjectJson(o, select), reqId);
        const ctxSelect = select === undefined ? '' : `(${select.join(',')})`;
        return ok(
          {
            '@odata.context': `${ctx.url}/v1.0/$metadata#directoryObjects${ctxSelect}`,
            ...(p.nextLink === undefined ? {} : { '@odata.nextLink': p.nextLink }),
            value: p.value,
          },
          reqId,
        );
      }
      return graphError(400, 'BadRequest', `Resource not found for the segment '${sub1}'.`, reqId);
    }
    if (collection === 'users' && key === undefined) {
      endpoint('/users');
      if (!appHasAny(ctx, USER_PERMS)) return forbidden();
      const expr = parseFilterParam(call, USER_RESOURCE);
      const users = filterUsers(ctx, expr);
      const p = page(ctx, url, users, (u) => project(userBag(u), select, USER_DEFAULT_SELECT), reqId);
      return ok(
        {
          '@odata.context': `${ctx.url}/v1.0/$metadata#users`,
          ...countOf(call, users.length),
          ...(p.nextLink === undefined ? {} : { '@odata.nextLink': p.nextLink }),
          value: p.value,
        },
        reqId,
      );
    }
    if (collection === 'users' && key !== undefined && sub1 === undefined) {
      endpoint('/users/{id}');
      if (!appHasAny(ctx, USER_PERMS)) return forbidden();
      const user = ctx.tenant.userByIdOrUpn(key);
      if (user === undefined) {
        return graphError(
          404,
          'Request_ResourceNotFound',
          `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
          reqId,
        );
      }
      return ok(
        {
          '@odata.context': `${ctx.url}/v1.0/$metadata#users/$entity`,
          ...project(userBag(user), select, USER_DEFAULT_SELECT),
        },
        reqId,
      );
    }
    if (
      collection === 'users' &&
      key !== undefined &&
      sub1 === 'calendar' &&
      sub2 === 'calendarPermissions' &&
      segments.length === 4
    ) {
      endpoint('/users/{id}/calendar/calendarPermissions');
      if (!appHasAny(ctx, CALENDAR_PERMS))
        return forbidden('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      const user = ctx.tenant.userByIdOrUpn(key);
      if (user === undefined)
        return graphError(404, 'ErrorInvalidUser', `The requested user '${key}' is invalid.`, reqId);
      if (!hasMailbox(user)) {
        return graphError(
          404,
          'MailboxNotEnabledForRESTAPI',
          'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
          reqId,
        );
      }
      // A mailbox outside the app's access policy / RBAC for Applications scope (docs/wire.md).
      const refusal = ctx.tenant.calendarRefusals.get(user.id);
      if (refusal === 'accessDenied') {
        return forbidden('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      }
      if (refusal === 'restNotEnabled') {
        return graphError(404, 'MailboxNotEnabledForRESTAPI', 'REST API is not yet supported for this mailbox.', reqId);
      }
      const perms = ctx.tenant.permissions.get(user.id);
      const entries: Json[] = [
        {
          id: 'RGVmYXVsdA==',
          isRemovable: false,
          isInsideOrganization: true,
          role: 'freeBusyRead',
          allowedRoles: DEFAULT_ALLOWED_ROLES,
          emailAddress: { name: 'My Organization' },
        },
      ];
      for (const e of perms?.calendar ?? []) {
        const inside = e.address === undefined || e.address.toLowerCase().endsWith(`@${ctx.tenant.domain}`);
        entries.push({
          id: e.id,
          isRemovable: true,
          isInsideOrganization: inside,
          role: e.role,
          allowedRoles: inside ? INTERNAL_ALLOWED_ROLES : EXTERNAL_ALLOWED_ROLES,
          emailAddress: e.address === undefined ? { name: e.name } : { name: e.name, address: e.address },
        });
      }
      return ok(
        {
          '@odata.context': `${ctx.url}/v1.0/$metadata#users('${user.id}')/calendar/calendarPermissions`,
          value: entries,
        },
        reqId,
      );
    }
    endpoint('(unknown)');
    return graphError(400, 'BadRequest', `Resource not found for the segment '${collection ?? ''}'.`, reqId);
  } catch (err) {
    if (err instanceof GraphQueryError) return err.reply;
    throw err;
  }
}

const batchSchemaError = (reqId: string, message: string): SimReply => graphError(400, 'BadRequest', message, reqId);

function batch(ctx: SimContext, req: SimRequest, reqId: string): SimReply {
  bump(ctx.stats.graphEndpoints, 'POST /$batch');
  ctx.stats.batches.graph++;
  if (!isJsonContent(req)) return batchSchemaError(reqId, 'Content-Type must be application/json.');
  const body = parseJsonBody(req.body) as { requests?: unknown } | undefined;
  if (body === undefined || !Array.isArray(body.requests))
    return batchSchemaError(reqId, 'Invalid batch payload format.');
  if (body.requests.length === 0) return batchSchemaError(reqId, 'Invalid batch payload format: no requests.');
  if (body.requests.length > MAX_BATCH)
    return batchSchemaError(reqId, `The number of requests in the batch exceeds the maximum of ${MAX_BATCH}.`);
  const items = body.requests as Array<{ id?: unknown; method?: unknown; url?: unknown; headers?: unknown }>;
  const ids = new Set<string>();
  for (const item of items) {
    if (typeof item.id !== 'string' || typeof item.method !== 'string' || typeof item.url !== 'string') {
      return batchSchemaError(reqId, 'Invalid batch payload format: each request needs id, method and url.');
    }
    if (ids.has(item.id)) return batchSchemaError(reqId, `Batch request ids must be unique: '${item.id}'.`);
    ids.add(item.id);
  }
  const responses = items.map((item) => {
    const id = item.id as string;
    const rawUrl = item.url as string;
    const subId = `${reqId}-${id}`;
    let reply: SimReply;
    if (/^[a-z]+:\/\//i.test(rawUrl)) {
      reply = graphError(400, 'BadRequest', 'Invalid request URI: batch request URLs must be relative.', subId);
    } else {
      const t = throttle(ctx, 'graph');
      if (t !== undefined) reply = throttledReply(subId, t.retryAfterSeconds);
      else {
        const headers = (item.headers ?? {}) as Record<string, unknown>;
        // Header names are case-insensitive inside a batch item too.
        const level = Object.entries(headers).find(([name]) => name.toLowerCase() === 'consistencylevel')?.[1];
        const consistency = typeof level === 'string' ? level : undefined;
        reply = route({
          ctx,
          method: (item.method as string).toUpperCase(),
          url: new URL(`${ctx.url}/v1.0${rawUrl.startsWith('/') ? '' : '/'}${rawUrl}`),
          reqId: subId,
          consistency,
        });
      }
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const retryAfter = reply.headers?.['Retry-After'];
    if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
    return { id, status: reply.status, headers, body: reply.body };
  });
  // Graph does not promise the order of batch responses; shuffle so clients match by id.
  for (let i = responses.length - 1; i > 0; i--) {
    const j = ctx.rng.int(i + 1);
    [responses[i], responses[j]] = [
      responses[j] as (typeof responses)[number],
      responses[i] as (typeof responses)[number],
    ];
  }
  return ok({ responses }, reqId);
}

/** Handles every request under /v1.0: auth, throttling, faults, then the route. */
export async function handleGraph(ctx: SimContext, req: SimRequest): Promise<SimReply> {
  ctx.stats.requests.graph++;
  const reqId = requestId(req);
  const auth = await ctx.tokens.verifyAppToken(header(req, 'authorization'), GRAPH_AUDIENCES);
  if (!auth.ok) {
    ctx.stats.unauthorized++;
    return graphError(401, 'InvalidAuthenticationToken', auth.reason, reqId, {
      'WWW-Authenticate':
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"',
    });
  }
  const isBatch = req.url.pathname === '/v1.0/$batch';
  if (!isBatch) {
    const t = throttle(ctx, 'graph');
    if (t !== undefined) return throttledReply(reqId, t.retryAfterSeconds);
  }
  const fault = drawFault(ctx);
  if (fault === 'http503')
    return graphError(503, 'ServiceUnavailable', 'Service is temporarily unavailable. Please retry.', reqId);
  let reply: SimReply;
  if (isBatch) {
    reply =
      req.method === 'POST' ? batch(ctx, req, reqId) : graphError(405, 'BadRequest', 'Use POST for $batch.', reqId);
  } else {
    reply = route({ ctx, method: req.method, url: req.url, reqId, consistency: header(req, 'consistencylevel') });
  }
  if (fault === 'drop') return { ...reply, fault: 'drop' };
  if (fault === 'truncate') return { ...reply, status: 200, fault: 'truncate' };
  return reply;
}
