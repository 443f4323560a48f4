import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import {
  AppError,
  ConfigError,
  ConflictError,
  CorruptEntityError,
  ForbiddenError,
  NotFoundError,
  PermanentUpstreamError,
  PreconditionFailedError,
  RetryableError,
  UnauthenticatedError,
  ValidationError,
} from '../errors.js';
import { getServices, type Services } from '../composition.js';
import { zodIssues } from '../domain/validation.js';
import type { Principal } from '../ports/auth.js';
import { hasRole, type RequiredRole } from './auth.js';
import { registerHttp, type HttpFunctionDefinition, type RouteDocs } from './registry.js';

export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** Headers on every API response: no sniffing, no framing, no caching of tenant data, no referrer leaks. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
};

export interface ApiInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  services: Services;
  request: HttpRequest;
  context: InvocationContext;
}

/** What a route handler returns; the edge turns it into an HTTP response. */
export interface ApiResult {
  status?: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiRouteSpec<P, Q, B> {
  name: string;
  route: string;
  method: HttpMethod;
  role: RequiredRole;
  summary: string;
  tags?: string[];
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The schema a use case validates the body with, when it parses the body itself (for OpenAPI). */
  bodyDocs?: z.ZodType;
  responses?: RouteDocs['responses'];
  handle: (input: ApiInput<P, Q, B>) => Promise<ApiResult>;
}

function problem(
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): HttpResponseInit {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/problem+json', ...headers },
    body: JSON.stringify({ type: 'about:blank', title, status, detail, ...extra }),
  };
}

const STATUS_BY_CODE: Record<string, number> = {
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': 415,
  'REQUEST.TOO_LARGE': 413,
};

/** Maps a typed error to RFC 9457 problem+json; anything unexpected becomes a 500 without internals. */
export function toProblem(error: unknown, context: InvocationContext, logger?: Services['logger']): HttpResponseInit {
  if (error instanceof ValidationError) {
    const status = STATUS_BY_CODE[error.code] ?? 400;
    return problem(
      status,
      status === 400 ? 'Bad Request' : status === 413 ? 'Payload Too Large' : 'Unsupported Media Type',
      error.message,
      {
        code: error.code,
        ...(error.issues.length ? { errors: error.issues } : {}),
      },
    );
  }
  if (error instanceof UnauthenticatedError) {
    return problem(
      401,
      'Unauthorized',
      error.message,
      { code: error.code },
      { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${error.code}"` },
    );
  }
  if (error instanceof ForbiddenError) return problem(403, 'Forbidden', error.message, { code: error.code });
  if (error instanceof NotFoundError) return problem(404, 'Not Found', error.message, { code: error.code });
  if (error instanceof ConflictError) return problem(409, 'Conflict', error.message, { code: error.code });
  if (error instanceof PreconditionFailedError)
    return problem(412, 'Precondition Failed', error.message, { code: error.code });
  if (error instanceof RetryableError) {
    const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 5_000) / 1000));
    return problem(503, 'Service Unavailable', error.message, { code: error.code }, { 'Retry-After': String(seconds) });
  }
  if (error instanceof PermanentUpstreamError) return problem(502, 'Bad Gateway', error.message, { code: error.code });
  if (error instanceof ConfigError) return problem(500, 'Configuration Error', error.message, { code: error.code });
  if (error instanceof CorruptEntityError) {
    // Our data, not the client's request: the location goes to the log, never into the answer.
    const { table, partitionKey, rowKey, property, code } = error;
    logger?.error({ table, partitionKey, rowKey, property, invocationId: context.invocationId }, error.message);
    return problem(
      500,
      'Internal Server Error',
      `A stored record could not be read (invocation ${context.invocationId}).`,
      { code },
    );
  }
  logger?.error(
    {
      err: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
      invocationId: context.invocationId,
    },
    'unhandled error',
  );
  const code = error instanceof AppError ? error.code : 'INTERNAL';
  return problem(500, 'Internal Server Error', `An unexpected error occurred (invocation ${context.invocationId}).`, {
    code,
  });
}

function parseWith<T>(schema: z.ZodType<T> | undefined, value: unknown, what: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = zodIssues(result.error).map((i) => ({ ...i, path: i.path === '(body)' ? what : i.path }));
    throw new ValidationError(
      'REQUEST.INVALID',
      `Invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return result.data;
}

async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(contentType)) {
    throw new ValidationError(
      'REQUEST.UNSUPPORTED_MEDIA_TYPE',
      'The request body must be JSON (Content-Type: application/json)',
    );
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_JSON_BODY_BYTES)
    throw new ValidationError('REQUEST.TOO_LARGE', `The request body is larger than ${MAX_JSON_BODY_BYTES} bytes`);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_JSON_BODY_BYTES)
    throw new ValidationError('REQUEST.TOO_LARGE', `The request body is larger than ${MAX_JSON_BODY_BYTES} bytes`);
  if (bytes.length === 0)
    throw new ValidationError('REQUEST.EMPTY_BODY', 'The request body is empty; a JSON object is required');
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new ValidationError('REQUEST.INVALID_JSON', 'The request body is not valid JSON');
  }
}

function queryObject(request: HttpRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of request.query.entries()) out[k] = v;
  return out;
}

/**
 * Defines and registers one API route: authentication and the declared role, input parsing (params, query,
 * JSON body) with zod, the handler, and error → problem+json mapping. Function files call only this.
 */
export function registerApi<P = undefined, Q = undefined, B = undefined>(
  spec: ApiRouteSpec<P, Q, B>,
): HttpFunctionDefinition {
  const handler = async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let services: Services | undefined;
    try {
      services = getServices();
      let principal: Principal = { kind: 'anonymous' };
      if (spec.role !== 'anonymous') {
        principal = await services.authenticator.authenticate(request.headers.get('authorization'));
        if (!hasRole(principal, spec.role)) {
          throw new ForbiddenError(
            'AUTH.ROLE_REQUIRED',
            spec.role === 'admin'
              ? 'This operation requires the MailboxPermissionSync.Admin role'
              : 'This operation requires the MailboxPermissionSync.Reader or Admin role',
          );
        }
      }
      const params = parseWith(spec.params, request.params, 'path');
      const query = parseWith(spec.query, queryObject(request), 'query');
      const body = spec.body ? parseWith(spec.body, await readJsonBody(request), 'body') : (undefined as B);
      const result = await spec.handle({ params, query, body, principal, services, request, context });
      const headers: Record<string, string> = { ...SECURITY_HEADERS, ...(result.headers ?? {}) };
      if (result.text !== undefined) {
        return {
          status: result.status ?? 200,
          headers: { 'Content-Type': result.contentType ?? 'text/plain; charset=utf-8', ...headers },
          body: result.text,
        };
      }
      if (result.json === undefined) return { status: result.status ?? 204, headers };
      return {
        status: result.status ?? 200,
        headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
        body: JSON.stringify(result.json),
      };
    } catch (error) {
      return toProblem(error, context, services?.logger);
    }
  };
  return registerHttp({
    name: spec.name,
    route: spec.route,
    methods: [spec.method],
    role: spec.role,
    handler,
    docs: {
      summary: spec.summary,
      ...(spec.tags ? { tags: spec.tags } : {}),
      request: { params: spec.params, query: spec.query, body: spec.bodyDocs ?? spec.body },
      ...(spec.responses ? { responses: spec.responses } : {}),
    },
  });
}
