import { registerQueue } from '../shared/host/registry.js';
import { getServices } from '../shared/composition.js';
import { QUEUES } from '../shared/ports/queue.js';
import { expandTarget } from '../shared/usecases/expandTarget.js';

export const expandTargetFn = registerQueue({
  name: 'expandTarget',
  queueName: QUEUES.expand,
  handler: async (message, context) => {
    const outcome = await expandTarget(getServices(), message);
    context.log(JSON.stringify(outcome));
    return outcome;
  },
});
