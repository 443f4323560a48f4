import { registerTimer } from '../shared/host/registry.js';
import { getServices } from '../shared/composition.js';
import { evaluateSchedules } from '../shared/usecases/evaluateSchedules.js';

export const evaluateSchedulesFn = registerTimer({
  name: 'evaluateSchedules',
  schedule: '0 * * * * *',
  handler: async (_timer, context) => {
    const report = await evaluateSchedules(getServices());
    if (report.runsCreated || report.runsSkipped || report.errors.length) context.log(JSON.stringify(report));
  },
});
