import { registerTimer } from '../shared/host/registry.js';
import { getServices } from '../shared/composition.js';
import { pollAuditFeed } from '../shared/usecases/pollAuditFeed.js';
import { startAuditRun } from '../shared/usecases/auditRuns.js';

export const pollAuditFeedFn = registerTimer({
  name: 'pollAuditFeed',
  // Every minute, between the schedule evaluator (:00) and the finalizer (:30).
  schedule: '15 * * * * *',
  handler: async (_timer, context) => {
    const services = getServices();
    const tenantId = services.config.tenant?.tenantId;
    // Without a tenant there is no audit log to read (health and the API still work); nothing to do.
    if (!tenantId) return;
    const report = await pollAuditFeed({
      tenantId,
      auditFeed: services.auditFeed(),
      feedState: services.feedState,
      repos: services.repos,
      microsoft: services.microsoft,
      resync: async (request) => {
        await startAuditRun(services, request);
      },
      now: services.now,
      logger: services.logger,
    });
    if (report.blobsProcessed > 0 || report.outcome !== 'succeeded') context.log(JSON.stringify(report));
  },
});
