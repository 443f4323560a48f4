import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { APP_ROLES } from './auth.js';
import { problemSchema } from './apiSchemas.js';
import type { HttpFunctionDefinition } from './registry.js';

const ROLE_TEXT: Record<HttpFunctionDefinition['role'], string> = {
  anonymous: 'No authentication.',
  anyUser: 'Any valid user token of the tenant (own data only, by oid).',
  reader: `App role ${APP_ROLES.reader} or ${APP_ROLES.admin}.`,
  admin: `App role ${APP_ROLES.admin}.`,
};

function asObject(schema: unknown): z.ZodObject | undefined {
  return schema instanceof z.ZodObject ? schema : undefined;
}

const TEMPLATE_PARAM = /\{(\*?)([A-Za-z_][A-Za-z0-9_]*)[^}]*\}/g;

/**
 * The route's path parameters: its params schema, plus a string for every template parameter the schema does not
 * declare (a route without docs, e.g. the console's catch-all, still names its parameter: OpenAPI requires it).
 */
function pathParams(route: HttpFunctionDefinition): z.ZodObject | undefined {
  const declared = asObject(route.docs?.request?.params);
  const added: Record<string, z.ZodString> = {};
  for (const [, catchAll, name] of route.route.matchAll(TEMPLATE_PARAM)) {
    if (!name || declared?.shape[name]) continue;
    added[name] = catchAll
      ? z.string().describe('The rest of the path, slashes included; empty for the index')
      : z.string();
  }
  if (Object.keys(added).length === 0) return declared;
  return declared ? declared.extend(added) : z.object(added);
}

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from each registered route's zod schemas (the same
 * ones that validate requests), with the bearer security scheme and the role each route requires.
 */
export function buildOpenApiDocument(
  routes: readonly HttpFunctionDefinition[],
  info: { version: string },
): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Entra ID access token for this API (aud = API_AUDIENCE, v2.0 issuer). ' +
      `App roles: ${APP_ROLES.admin}, ${APP_ROLES.reader}.`,
  });
  const problem = {
    description: 'Problem details (RFC 9457)',
    content: { 'application/problem+json': { schema: problemSchema } },
  };

  for (const route of routes) {
    const docs = route.docs;
    for (const method of route.methods) {
      const responses: RouteConfig['responses'] = {};
      for (const [status, response] of Object.entries(docs?.responses ?? { 200: { description: 'OK' } })) {
        const schema = response.schema instanceof z.ZodType ? response.schema : undefined;
        responses[status] = schema
          ? { description: response.description, content: { [response.contentType ?? 'application/json']: { schema } } }
          : { description: response.description };
      }
      responses['400'] ??= { ...problem, description: 'Invalid request (problem+json with field errors)' };
      if (route.role !== 'anonymous') {
        responses['401'] ??= { ...problem, description: 'Missing or invalid bearer token' };
        if (route.role !== 'anyUser')
          responses['403'] ??= { ...problem, description: 'The token lacks the required role' };
      }
      const body = docs?.request?.body instanceof z.ZodType ? docs.request.body : undefined;
      const params = pathParams(route);
      const query = asObject(docs?.request?.query);
      registry.registerPath({
        method: method.toLowerCase() as RouteConfig['method'],
        path: `/api/${route.route.replace(TEMPLATE_PARAM, '{$2}')}`,
        operationId: route.name,
        summary: docs?.summary ?? route.name,
        description: ROLE_TEXT[route.role],
        tags: docs?.tags ?? [],
        ...(route.role === 'anonymous' ? { security: [] } : { security: [{ [bearer.name]: [] }] }),
        request: {
          ...(params ? { params } : {}),
          ...(query ? { query } : {}),
          ...(body ? { body: { required: true, content: { 'application/json': { schema: body } } } } : {}),
        },
        responses,
        ...{ 'x-required-role': route.role },
      } as RouteConfig);
    }
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Mailbox Permission Sync API',
      version: info.version,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Mailbox delegation inventory for Microsoft 365: who holds FullAccess, SendAs, SendOnBehalf or ' +
        'calendar-delegate rights on which mailbox, directly or through groups, and since when.',
    },
    // Relative: the document is served by the Function App it describes (locally or on Azure), so `/` is that host.
    servers: [{ url: '/', description: 'The Function App serving this document' }],
  });
}
