import { registerApi } from '../shared/host/http.js';
import { registeredFunctions, type HttpFunctionDefinition } from '../shared/host/registry.js';
import { buildOpenApiDocument } from '../shared/host/openapi.js';

/** The document of every HTTP route registered in this process: served here and checked in as docs/openapi.json. */
export function openApiDocument(): ReturnType<typeof buildOpenApiDocument> {
  return buildOpenApiDocument(
    registeredFunctions().filter((f): f is HttpFunctionDefinition => f.kind === 'http'),
    { version: '1.0.0' },
  );
}

let cached: string | undefined;

export const openApiFn = registerApi({
  name: 'openapi',
  route: 'openapi.json',
  method: 'GET',
  role: 'anonymous',
  tags: ['Meta'],
  summary: 'The OpenAPI 3.1 document of this API',
  responses: { 200: { description: 'OpenAPI 3.1 JSON' } },
  handle: async () => {
    // Built once per process: the set of routes is fixed after start-up.
    cached ??= JSON.stringify(openApiDocument());
    return {
      text: cached,
      contentType: 'application/json; charset=utf-8',
      headers: { 'Cache-Control': 'public, max-age=300' },
    };
  },
});
