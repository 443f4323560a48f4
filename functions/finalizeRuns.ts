import { registerTimer } from '../shared/host/registry.js';
import { getServices } from '../shared/composition.js';
import { finalizeRuns } from '../shared/usecases/finalizeRuns.js';

export const finalizeRunsFn = registerTimer({
  name: 'finalizeRuns',
  schedule: '30 * * * * *',
  handler: async (_timer, context) => {
    const services = getServices();
    const report = await finalizeRuns({
      ...services,
      runTimeoutMinutes: services.settings.runTimeoutMinutes,
      revocationHoldPercent: services.settings.revocationHoldPercent,
    });
    if (report.finalized.length || report.resent || report.timedOut) context.log(JSON.stringify(report));
  },
});
