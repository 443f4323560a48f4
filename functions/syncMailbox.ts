import { registerQueue } from '../shared/host/registry.js';
import { getServices } from '../shared/composition.js';
import { QUEUES } from '../shared/ports/queue.js';
import { syncMailbox } from '../shared/usecases/syncMailbox.js';

export const syncMailboxFn = registerQueue({
  name: 'syncMailbox',
  queueName: QUEUES.mailbox,
  handler: async (message, context) => {
    const outcome = await syncMailbox(getServices(), message);
    if (outcome.outcome !== 'synced' || outcome.added || outcome.removed) context.debug(JSON.stringify(outcome));
    return outcome;
  },
});
