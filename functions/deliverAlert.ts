import { registerQueue } from '../shared/host/registry.js';
import { getServices } from '../shared/composition.js';
import { QUEUES } from '../shared/ports/queue.js';
import { deliverAlert } from '../shared/usecases/deliverAlert.js';

export const deliverAlertFn = registerQueue({
  name: 'deliverAlert',
  queueName: QUEUES.alert,
  handler: async (message, context) => {
    const outcome = await deliverAlert(getServices(), message);
    if (outcome.outcome !== 'delivered') context.debug(JSON.stringify(outcome));
    return outcome;
  },
});
