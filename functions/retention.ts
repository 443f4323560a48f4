import { registerTimer } from '../shared/host/registry.js';
import { getServices } from '../shared/composition.js';
import { applyRetention } from '../shared/usecases/retention.js';

export const applyRetentionFn = registerTimer({
  name: 'applyRetention',
  // Daily, at an hour of little sync traffic; a pass cut short is finished by the next one.
  schedule: '0 17 3 * * *',
  handler: async (_timer, context) => {
    const services = getServices();
    const report = await applyRetention({
      retention: services.repos.retention,
      repos: services.repos,
      now: services.now,
      logger: services.logger,
      historyRetentionDays: services.config.historyRetentionDays,
      runRetentionDays: services.config.runRetentionDays,
    });
    context.log(JSON.stringify(report));
  },
});
