import { registerApi } from '../shared/host/http.js';
import { registeredFunctions, type HttpFunctionDefinition } from '../shared/host/registry.js';
import { buildOpenApiDocument } from '../shared/host/openapi.js';

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
    cached ??= JSON.stringify(
      buildOpenApiDocument(
        registeredFunctions().filter((f): f is HttpFunctionDefinition => f.kind === 'http'),
        { version: '1.0.0' },
      ),
    );
    return {
      text: cached,
      contentType: 'application/json; charset=utf-8',
      headers: { 'Cache-Control': 'public, max-age=300' },
    };
  },
});
