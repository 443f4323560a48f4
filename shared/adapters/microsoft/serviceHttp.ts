import type { Span } from '@opentelemetry/api';
import { PermanentUpstreamError } from '../../errors.js';
import { ATTR, dependencySpan } from '../telemetry/spans.js';
import type { AccessTokenSource } from './credentials.js';
import type { AdaptiveLimiter } from './limiter.js';
import { withRetries, type RetryPolicy, type Sleep } from './retry.js';
import { ResponseTimeoutError, type FetchLike } from './transport.js';
import {
  classifyHttpFailure,
  isManagementThrottle,
  malformedResponse,
  networkFailure,
  parseRetryAfter,
  SERVICE_PREFIX,
  type MicrosoftService,
} from './upstreamErrors.js';

/** Everything a request to one service needs: transport, tokens, throughput control, retry bounds. */
export interface ServiceContext {
  service: MicrosoftService;
  fetch: FetchLike;
  tokens: AccessTokenSource;
  limiter: AdaptiveLimiter;
  retry: RetryPolicy;
  /** Host names the bearer token may be sent to; a nextLink elsewhere is refused. */
  tokenHosts: ReadonlySet<string>;
  sleep?: Sleep;
  random?: () => number;
}

export interface ServiceRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Cmdlet or Graph operation, named in error messages. */
  operation: string;
  /** Graph application permission needed, named in a 403's fix. */
  permission?: string;
}

export interface ServiceResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body of a 2xx answer (undefined when empty). */
  json: unknown;
}

/**
 * The dependency name an admin reads: the cmdlet for Exchange (`Exchange Get-MailboxPermission`), the method and
 * path template for Graph (`Graph GET /users/{id}/calendar/calendarPermissions`: no user ids or addresses).
 */
export function dependencyName(
  service: MicrosoftService,
  request: Pick<ServiceRequest, 'method' | 'url' | 'operation'>,
) {
  if (service === 'exchange') return `Exchange ${request.operation}`;
  if (service === 'management') return `Management ${request.operation}`;
  const segments = new URL(request.url).pathname.split('/').filter(Boolean);
  if (segments[0] === 'v1.0' || segments[0] === 'beta') segments.shift();
  const template = segments.map((segment, i) =>
    i > 0 && (segments[i - 1] === 'users' || segments[i - 1] === 'groups') ? '{id}' : segment,
  );
  return `Graph ${request.method} /${template.join('/')}`;
}

/** One request with bounded retries of throttled and transient failures; other failures surface typed. */
export function sendWithRetries(ctx: ServiceContext, request: ServiceRequest): Promise<ServiceResponse> {
  const name = dependencyName(ctx.service, request);
  const attributes = { [ATTR.service]: ctx.service, [ATTR.operation]: request.operation };
  // One span per attempt: a throttled attempt is its own dependency row with its status and Retry-After.
  const attempt = () => dependencySpan(name, attributes, (span) => sendOnce(ctx, request, span));
  return withRetries(attempt, ctx.retry, {
    ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
    ...(ctx.random ? { random: ctx.random } : {}),
  });
}

/**
 * One attempt through the limiter. A 401 (or a 403, rate-limited by the token source) is retried once
 * with a fresh token, so permission changes apply without a restart. Throws typed errors only.
 */
export async function sendOnce(ctx: ServiceContext, request: ServiceRequest, span?: Span): Promise<ServiceResponse> {
  const host = new URL(request.url).hostname.toLowerCase();
  if (!ctx.tokenHosts.has(host)) {
    // Never hand our token to a host the configuration did not name (e.g. a forged nextLink).
    throw new PermanentUpstreamError(
      `${SERVICE_PREFIX[ctx.service]}.UNTRUSTED_HOST`,
      `${request.operation}: refusing to send a token to ${host}, which is not a configured ${ctx.service} host`,
    );
  }
  for (let authAttempt = 0; ; authAttempt += 1) {
    const token = await ctx.tokens.getToken();
    const slot = await ctx.limiter.acquire();
    let response: Response;
    let text: string;
    try {
      response = await ctx.fetch(request.url, {
        method: request.method,
        headers: { ...request.headers, Authorization: `Bearer ${token}` },
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      text = await response.text();
    } catch (error) {
      // A timeout is what an overloaded service does instead of answering 429: back off. A reset or refused
      // connection says nothing about load (a network blip, a closed keep-alive): it is retried at the same pace.
      if (error instanceof ResponseTimeoutError || (error as Error).name === 'TimeoutError') slot.unanswered();
      else slot.failure();
      throw networkFailure(ctx.service, request.operation, error);
    }
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    span?.setAttribute(ATTR.statusCode, status);

    if (status >= 200 && status < 300) {
      let json: unknown;
      if (text.trim() !== '') {
        try {
          json = JSON.parse(text);
        } catch (error) {
          slot.failure();
          throw malformedResponse(ctx.service, request.operation, error);
        }
      }
      slot.success();
      return { status, headers: response.headers, text, json };
    }

    // Graph sometimes throttles with 503/504 + Retry-After; the Management API with 403 `AF429` (docs/wire.md).
    const throttled =
      status === 429 ||
      ((status === 503 || status === 504) && retryAfterMs !== undefined) ||
      (ctx.service === 'management' && isManagementThrottle(status, text));
    if (throttled) {
      slot.throttled(retryAfterMs);
      span?.setAttributes({
        [ATTR.throttled]: true,
        ...(retryAfterMs !== undefined ? { [ATTR.retryAfterMs]: retryAfterMs } : {}),
      });
    } else {
      slot.failure();
    }
    if ((status === 401 || status === 403) && !throttled && authAttempt === 0) {
      if (ctx.tokens.invalidate(token, status === 401 ? 'unauthorized' : 'forbidden')) continue;
    }
    throw classifyHttpFailure({
      service: ctx.service,
      status,
      bodyText: text,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      operation: request.operation,
      ...(request.permission ? { permission: request.permission } : {}),
    });
  }
}
