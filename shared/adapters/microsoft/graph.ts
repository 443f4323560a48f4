import {
  Client,
  ResponseType,
  type Context,
  type Middleware,
  type MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';
import { AppError, PermanentUpstreamError } from '../../errors.js';
import { readBatchResponses } from './batchEnvelope.js';
import { odataString, pathSegment, queryString } from './odata.js';
import { retryBatchItems, type ItemOutcome } from './retry.js';
import {
  calendarPermissionSchema,
  directoryObjectSchema,
  graphGroupSchema,
  graphUserSchema,
  parseRows,
} from './rows.js';
import type {
  CalendarPermission,
  DirectoryObject,
  DirectoryPort,
  GraphGroup,
  GraphUser,
} from '../../ports/microsoft.js';
import { sendWithRetries, type ServiceContext } from './serviceHttp.js';
import { classifyHttpFailure, malformedResponse, parseRetryAfter } from './upstreamErrors.js';

export const GRAPH_BATCH_LIMIT = 20;
const GROUP_SELECT =
  'id,displayName,mail,mailEnabled,securityEnabled,groupTypes,onPremisesSamAccountName,onPremisesSyncEnabled';
const USER_SELECT = 'id,displayName,userPrincipalName,mail,accountEnabled';
const MEMBER_SELECT = 'id,displayName,userPrincipalName,mail,accountEnabled';
/**
 * Graph filters some properties and operators (onPremisesSamAccountName, ne, not, endsWith) only in an advanced
 * query: this header on every page plus `$count=true` on the URL; without both it answers 400
 * Request_UnsupportedQuery (docs/wire.md, "Advanced queries").
 */
const ADVANCED_QUERY_HEADERS: Readonly<Record<string, string>> = { ConsistencyLevel: 'eventual' };

/** Least-privilege application permissions, named in a 403's fix. */
export const GRAPH_PERMISSIONS = {
  groups: 'GroupMember.Read.All',
  users: 'User.Read.All',
  /** The application permission behind Calendars.ReadBasic (docs/wire.md). */
  calendars: 'Calendars.ReadBasic.All',
} as const;

export interface GraphBatchRequest {
  /** Relative to /v1.0, e.g. `/users/{id}/calendar/calendarPermissions`. */
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GraphBatchResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface GraphClientOptions {
  graphBaseUrl: string;
  context: ServiceContext;
}

/**
 * Per-request tag carried through the SDK's middleware chain: names the operation for errors and
 * brings back the typed error and the parsed body (the SDK would flatten both into GraphError).
 */
class RequestTag implements MiddlewareOptions {
  error?: AppError;
  json?: unknown;
  constructor(
    readonly operation: string,
    readonly permission: string,
  ) {}
}

/**
 * The SDK's last (and only) middleware: token, limiter, retries and transport, shared with the
 * Exchange client so both speak through the same CA-aware fetch and the same classification.
 */
class ServiceMiddleware implements Middleware {
  constructor(private readonly ctx: ServiceContext) {}

  async execute(context: Context): Promise<void> {
    const tag = context.middlewareControl?.getMiddlewareOptions(RequestTag) as RequestTag | undefined;
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const init = context.options ?? {};
    const method = (init.method ?? 'GET').toUpperCase() === 'POST' ? 'POST' : 'GET';
    const headers: Record<string, string> = {};
    new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => {
      headers[name] = value;
    });
    try {
      const response = await sendWithRetries(this.ctx, {
        method,
        url,
        headers,
        ...(typeof init.body === 'string' ? { body: init.body } : {}),
        operation: tag?.operation ?? `${method} ${new URL(url).pathname}`,
        ...(tag ? { permission: tag.permission } : {}),
      });
      if (tag) tag.json = response.json;
      context.response = new Response(response.status === 204 ? null : response.text, {
        status: response.status,
        headers: response.headers,
      });
    } catch (error) {
      if (tag && error instanceof AppError) tag.error = error;
      throw error;
    }
  }
}

/** Microsoft Graph v1.0 reads the sync needs: groups, transitive members, users, calendar permissions. */
export class GraphClient implements DirectoryPort {
  private readonly client: Client;

  constructor(private readonly options: GraphClientOptions) {
    this.client = Client.initWithMiddleware({
      middleware: new ServiceMiddleware(options.context),
      baseUrl: options.graphBaseUrl.replace(/\/+$/, ''),
      defaultVersion: 'v1.0',
      // The SDK follows links and sends tokens only to Graph hosts and these (hostnames, port ignored).
      customHosts: new Set(options.context.tokenHosts),
    });
  }

  /** Obtains an app-only token for Graph (the credential works), as every request does first. */
  async acquireToken(): Promise<void> {
    await this.options.context.tokens.getToken();
  }

  /** One group by object id, or undefined when it does not exist. */
  async getGroup(id: string): Promise<GraphGroup | undefined> {
    try {
      const json = await this.get(
        `/groups/${pathSegment(id)}${queryString({ $select: GROUP_SELECT })}`,
        'getGroup',
        GRAPH_PERMISSIONS.groups,
      );
      return parseRows(graphGroupSchema, [json], { service: 'graph', source: 'getGroup' })[0];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Groups whose primary address is `mail` (0 or 1). */
  findGroupsByMail(mail: string): Promise<GraphGroup[]> {
    return this.findGroups(`mail eq ${odataString(mail)}`, 'findGroupsByMail');
  }

  /** Groups synced from AD with this sAMAccountName (how a DN's CN is resolved); an advanced query. */
  findGroupsBySamAccountName(name: string): Promise<GraphGroup[]> {
    const filter = `onPremisesSamAccountName eq ${odataString(name)}`;
    return this.findGroups(filter, 'findGroupsBySamAccountName', { advanced: true });
  }

  /** Groups with exactly this display name. */
  findGroupsByDisplayName(name: string): Promise<GraphGroup[]> {
    return this.findGroups(`displayName eq ${odataString(name)}`, 'findGroupsByDisplayName');
  }

  /** Up to `top` groups whose display name starts with `prefix` (the group picker). */
  async searchGroups(prefix: string, top = 25): Promise<GraphGroup[]> {
    const query = queryString({
      $filter: `startswith(displayName,${odataString(prefix)})`,
      $select: GROUP_SELECT,
      $top: Math.min(999, Math.max(1, top)),
    });
    const path = `/groups${query}`;
    const json = await this.get(path, 'searchGroups', GRAPH_PERMISSIONS.groups);
    return parseRows(graphGroupSchema, valueArray(json, 'searchGroups'), {
      service: 'graph',
      source: 'searchGroups',
    }).slice(0, top);
  }

  /** Every group of the tenant, one array per page. */
  async *listGroups(): AsyncIterable<GraphGroup[]> {
    for await (const page of this.pages(
      `/groups${queryString({ $select: GROUP_SELECT, $top: 999 })}`,
      'listGroups',
      GRAPH_PERMISSIONS.groups,
    )) {
      yield parseRows(graphGroupSchema, page, { service: 'graph', source: 'listGroups' });
    }
  }

  /** All members of a group, nested groups flattened by Graph (the nested groups listed too), one array per page. */
  async *transitiveMembers(groupId: string): AsyncIterable<DirectoryObject[]> {
    const query = queryString({ $select: MEMBER_SELECT, $top: 999 });
    const path = `/groups/${pathSegment(groupId)}/transitiveMembers${query}`;
    for await (const page of this.pages(path, 'transitiveMembers', GRAPH_PERMISSIONS.groups)) {
      yield parseRows(directoryObjectSchema, page, { service: 'graph', source: 'transitiveMembers' });
    }
  }

  /** A user by object id or UPN (a primary SMTP address that is not the UPN does not work here), or undefined. */
  async getUser(idOrUpn: string): Promise<GraphUser | undefined> {
    try {
      const json = await this.get(
        `/users/${pathSegment(idOrUpn)}${queryString({ $select: USER_SELECT })}`,
        'getUser',
        GRAPH_PERMISSIONS.users,
      );
      return parseRows(graphUserSchema, [json], { service: 'graph', source: 'getUser' })[0];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** A user by any of its SMTP addresses: primary `mail` first, then proxyAddresses. */
  async findUserByMail(address: string): Promise<GraphUser | undefined> {
    const byMail = await this.findUsers(`mail eq ${odataString(address)}`);
    if (byMail[0]) return byMail[0];
    const byProxy = await this.findUsers(`proxyAddresses/any(p:p eq ${odataString(`smtp:${address}`)})`);
    return byProxy[0];
  }

  /** Every user of the tenant, 999 to a page (a run's directory snapshot: one call per 999 users). */
  async *listUsers(): AsyncIterable<GraphUser[]> {
    // What getUser selects, so a user reads the same from the listing as from its own request.
    const path = `/users${queryString({ $select: USER_SELECT, $top: 999 })}`;
    for await (const page of this.pages(path, 'listUsers', GRAPH_PERMISSIONS.users)) {
      yield parseRows(graphUserSchema, page, { service: 'graph', source: 'listUsers' });
    }
  }

  /** Calendar sharing entries of a user's primary calendar (delegates included). */
  async calendarPermissions(userId: string): Promise<CalendarPermission[]> {
    const rows: CalendarPermission[] = [];
    const path = `/users/${pathSegment(userId)}/calendar/calendarPermissions`;
    for await (const page of this.pages(path, 'calendarPermissions', GRAPH_PERMISSIONS.calendars)) {
      rows.push(...parseRows(calendarPermissionSchema, page, { service: 'graph', source: 'calendarPermissions' }));
    }
    return rows;
  }

  /**
   * Up to 20 requests in one `$batch`. Graph answers 200 even when sub-requests were throttled, so
   * each 429/503/504 item is re-sent (Retry-After or jittered backoff) within the retry policy; an
   * item still throttled then settles as a ThrottledError, others keep their own status or error.
   */
  async batch(requests: readonly GraphBatchRequest[]): Promise<Array<ItemOutcome<GraphBatchResponse>>> {
    if (requests.length === 0) return [];
    if (requests.length > GRAPH_BATCH_LIMIT) {
      throw new RangeError(`Graph $batch takes at most ${GRAPH_BATCH_LIMIT} requests, got ${requests.length}`);
    }
    const ctx = this.options.context;
    return retryBatchItems<GraphBatchResponse>(
      requests.length,
      (pending) => this.batchRound(requests, pending),
      ctx.retry,
      { ...(ctx.sleep ? { sleep: ctx.sleep } : {}), ...(ctx.random ? { random: ctx.random } : {}) },
    );
  }

  /** Every group matching `filter`, all pages; `advanced` sends the advanced query parameters. */
  private async findGroups(
    filter: string,
    operation: string,
    options: { advanced?: boolean } = {},
  ): Promise<GraphGroup[]> {
    const groups: GraphGroup[] = [];
    const count = options.advanced ? 'true' : undefined;
    const path = `/groups${queryString({ $filter: filter, $select: GROUP_SELECT, $count: count })}`;
    const headers = options.advanced ? ADVANCED_QUERY_HEADERS : undefined;
    for await (const page of this.pages(path, operation, GRAPH_PERMISSIONS.groups, headers)) {
      groups.push(...parseRows(graphGroupSchema, page, { service: 'graph', source: operation }));
    }
    return groups;
  }

  private async findUsers(filter: string): Promise<GraphUser[]> {
    const json = await this.get(
      `/users${queryString({ $filter: filter, $select: USER_SELECT })}`,
      'findUserByMail',
      GRAPH_PERMISSIONS.users,
    );
    return parseRows(graphUserSchema, valueArray(json, 'findUserByMail'), {
      service: 'graph',
      source: 'findUserByMail',
    });
  }

  /** Follows `@odata.nextLink` to the end; `headers` go with every page (an advanced query needs them on each). */
  private async *pages(
    path: string,
    operation: string,
    permission: string,
    headers?: Readonly<Record<string, string>>,
  ): AsyncIterable<unknown[]> {
    let next: string | undefined = path;
    while (next) {
      const json = await this.get(next, operation, permission, headers);
      yield valueArray(json, operation);
      const link = (json as { '@odata.nextLink'?: unknown })['@odata.nextLink'];
      next = typeof link === 'string' && link !== '' ? link : undefined;
    }
  }

  private async get(
    path: string,
    operation: string,
    permission: string,
    headers?: Readonly<Record<string, string>>,
  ): Promise<unknown> {
    return this.call(path, operation, permission, (request) =>
      (headers ? request.headers({ ...headers }) : request).get(),
    );
  }

  private async call(
    path: string,
    operation: string,
    permission: string,
    run: (request: ReturnType<Client['api']>) => Promise<unknown>,
  ): Promise<unknown> {
    const tag = new RequestTag(operation, permission);
    try {
      await run(this.client.api(path).responseType(ResponseType.RAW).middlewareOptions([tag]));
    } catch (error) {
      if (tag.error) throw tag.error;
      throw new PermanentUpstreamError(
        'GRAPH.CLIENT',
        `Graph ${operation}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return tag.json;
  }

  private async batchRound(
    requests: readonly GraphBatchRequest[],
    pending: readonly number[],
  ): Promise<ReadonlyMap<number, ItemOutcome<GraphBatchResponse>>> {
    const body = {
      requests: pending.map((index) => {
        const request = requests[index] as GraphBatchRequest;
        return {
          id: String(index),
          method: request.method ?? 'GET',
          url: request.url,
          ...(request.headers ? { headers: request.headers } : {}),
          ...(request.body !== undefined ? { body: request.body } : {}),
        };
      }),
    };
    const json = await this.call('/$batch', '$batch', GRAPH_PERMISSIONS.users, (request) =>
      request.header('Content-Type', 'application/json').post(body),
    );
    const answers = readBatchResponses(json, 'Graph $batch');
    const results = new Map<number, ItemOutcome<GraphBatchResponse>>();
    let throttled = false;
    let throttleHint = 0;
    for (const index of pending) {
      const request = requests[index] as GraphBatchRequest;
      const answer = answers.get(String(index));
      if (!answer) {
        results.set(index, {
          ok: false,
          error: malformedResponse('graph', `$batch ${request.url} (no response for the item)`),
        });
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) {
        results.set(index, { ok: true, value: answer });
        continue;
      }
      const retryAfterMs = parseRetryAfter(answer.headers['retry-after']);
      // Inside a batch a 503/504 is Graph's other way of saying "slow down".
      const isThrottle = answer.status === 429 || answer.status === 503 || answer.status === 504;
      if (isThrottle) {
        throttled = true;
        throttleHint = Math.max(throttleHint, retryAfterMs ?? 0);
      }
      const error = classifyHttpFailure({
        service: 'graph',
        status: answer.status === 503 || answer.status === 504 ? 429 : answer.status,
        bodyText: typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        operation: `$batch ${request.url.split('?')[0] ?? request.url}`,
        permission: permissionForPath(request.url),
      });
      results.set(index, { ok: false, error });
    }
    if (throttled) this.options.context.limiter.reportThrottle(throttleHint > 0 ? throttleHint : undefined);
    return results;
  }
}

function permissionForPath(url: string): string {
  if (/^\/?users\/[^/]+\/calendar/i.test(url)) return GRAPH_PERMISSIONS.calendars;
  if (/^\/?groups/i.test(url)) return GRAPH_PERMISSIONS.groups;
  return GRAPH_PERMISSIONS.users;
}

function valueArray(json: unknown, operation: string): unknown[] {
  const value = (json as { value?: unknown } | null | undefined)?.value;
  if (!Array.isArray(value)) throw malformedResponse('graph', `${operation} (no "value" array in the response)`);
  return value;
}

function isNotFound(error: unknown): boolean {
  return error instanceof PermanentUpstreamError && error.code === 'GRAPH.NOT_FOUND';
}
