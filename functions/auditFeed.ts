import { registerApi } from '../shared/host/http.js';
import { auditFeedView, problemResponse } from '../shared/host/apiSchemas.js';
import { getAuditFeedStatus } from '../shared/usecases/auditFeedStatus.js';

export const auditFeedFn = registerApi({
  name: 'getAuditFeed',
  route: 'audit-feed',
  method: 'GET',
  role: 'reader',
  tags: ['Diagnostics'],
  summary:
    'The change feed from the audit log: subscription, checkpoint, lag (now − newest record read), the last 24 h ' +
    'counted (records, hints, ignored, unreadable), the last poll and its error, and the spans it lost',
  responses: {
    200: { description: "The feed's state", schema: auditFeedView },
    500: problemResponse('No tenant is configured (CONFIG.NO_TENANT)'),
  },
  handle: async ({ services }) => ({
    json: await getAuditFeedStatus({
      feedState: services.feedState,
      tenantId: services.config.tenant?.tenantId,
      now: services.now,
    }),
  }),
});
