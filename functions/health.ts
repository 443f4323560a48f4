import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import { checkHealth } from '../shared/usecases/checkHealth.js';

export const health = registerApi({
  name: 'health',
  route: 'health',
  method: 'GET',
  role: 'anonymous',
  summary: 'Liveness: configuration loaded, tables and queue reachable (no secrets, no tenant data)',
  tags: ['Health'],
  responses: {
    200: {
      description: 'All checks pass',
      schema: z.object({ status: z.literal('ok'), checks: z.record(z.string(), z.string()) }),
    },
    503: { description: 'A dependency is unreachable' },
  },
  handle: async ({ services }) => {
    const report = await checkHealth(services);
    return { status: report.status === 'ok' ? 200 : 503, json: report };
  },
});
