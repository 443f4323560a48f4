import type { InvocationContext } from '@azure/functions';
import { registerQueue } from '../shared/host/registry.js';
import { getServices } from '../shared/composition.js';
import { QUEUES, deadLetterQueueOf } from '../shared/ports/queue.js';
import { failDeadLetteredAlert } from '../shared/usecases/deliverAlert.js';
import {
  failDeadLetteredExpansion,
  settleDeadLetteredMailbox,
  type DeadLetterInfo,
} from '../shared/usecases/deadLetters.js';

/**
 * Dead-letter reason and description as the Service Bus trigger exposes them. The trigger's deliveryCount is
 * not passed on: here it counts deliveries of the dead-lettered copy, not the attempts that failed.
 */
function deadLetterInfo(context: InvocationContext): DeadLetterInfo {
  const meta = context.triggerMetadata ?? {};
  const props = (meta.applicationProperties ?? meta.userProperties ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const reason = text(props.DeadLetterReason ?? meta.deadLetterReason);
  const description = text(props.DeadLetterErrorDescription ?? meta.deadLetterErrorDescription);
  return { ...(reason ? { reason } : {}), ...(description ? { description } : {}) };
}

/** The reason goes into every log line: an outcome that changes nothing (run already over) must still say why. */
function describe(info: DeadLetterInfo): string {
  return `${info.reason ?? 'no reason'}: ${info.description ?? 'no description'}`;
}

export const mailboxDeadLetterFn = registerQueue({
  name: 'syncMailboxDeadLetter',
  queueName: deadLetterQueueOf(QUEUES.mailbox),
  handler: async (message, context) => {
    const info = deadLetterInfo(context);
    const outcome = await settleDeadLetteredMailbox(getServices(), message, info);
    context.warn(`dead-lettered mailbox message: ${outcome} (${describe(info)})`);
    return { outcome, reason: describe(info) };
  },
});

export const expandDeadLetterFn = registerQueue({
  name: 'expandTargetDeadLetter',
  queueName: deadLetterQueueOf(QUEUES.expand),
  handler: async (message, context) => {
    const info = deadLetterInfo(context);
    const outcome = await failDeadLetteredExpansion(getServices(), message, info);
    context.warn(`dead-lettered expansion: ${outcome} (${describe(info)})`);
    return { outcome, reason: describe(info) };
  },
});

export const alertDeadLetterFn = registerQueue({
  name: 'deliverAlertDeadLetter',
  queueName: deadLetterQueueOf(QUEUES.alert),
  handler: async (message, context) => {
    const info = deadLetterInfo(context);
    const outcome = await failDeadLetteredAlert(getServices(), message, info);
    context.warn(`dead-lettered alert: ${outcome} (${describe(info)})`);
    return { outcome, reason: describe(info) };
  },
});
