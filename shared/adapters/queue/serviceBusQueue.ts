import { ServiceBusClient, type ServiceBusMessage, type ServiceBusSender } from '@azure/service-bus';
import type { TokenCredential } from '@azure/identity';
import type { OutgoingMessage, QueueSender } from '../../ports/queue.js';
import { AppError, RetryableError } from '../../errors.js';
import { traceContextProperties } from '../telemetry/spans.js';

/** Sends to Azure Service Bus over an identity-based connection (no connection strings, no keys). */
export class ServiceBusQueueSender implements QueueSender {
  private readonly senders = new Map<string, ServiceBusSender>();

  constructor(private readonly client: Pick<ServiceBusClient, 'createSender' | 'close'>) {}

  /** A sender for a namespace with an identity-based connection (managed identity in Azure). */
  static forNamespace(fullyQualifiedNamespace: string, credential: TokenCredential): ServiceBusQueueSender {
    return new ServiceBusQueueSender(new ServiceBusClient(fullyQualifiedNamespace, credential));
  }

  async send(queueName: string, messages: OutgoingMessage | readonly OutgoingMessage[]): Promise<void> {
    const list = Array.isArray(messages) ? (messages as readonly OutgoingMessage[]) : [messages as OutgoingMessage];
    const sender = this.sender(queueName);
    try {
      const immediate: ServiceBusMessage[] = [];
      const scheduled = new Map<number, ServiceBusMessage[]>();
      // The sender's W3C trace context: the receiving function continues the run's trace from it.
      const traceContext = traceContextProperties();
      const traced = Object.keys(traceContext).length > 0;
      for (const m of list) {
        const sbMessage: ServiceBusMessage = {
          body: m.body,
          contentType: 'application/json',
          ...(m.messageId ? { messageId: m.messageId } : {}),
          ...(traced ? { applicationProperties: { ...traceContext } } : {}),
        };
        if (m.scheduledEnqueueTime && m.scheduledEnqueueTime.getTime() > Date.now()) {
          const at = m.scheduledEnqueueTime.getTime();
          scheduled.set(at, [...(scheduled.get(at) ?? []), sbMessage]);
        } else {
          immediate.push(sbMessage);
        }
      }
      await this.sendInBatches(sender, queueName, immediate);
      for (const [at, group] of scheduled) await sender.scheduleMessages(group, new Date(at));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new RetryableError(
        'QUEUE.SEND_FAILED',
        `Sending to Service Bus queue '${queueName}' failed: ${(error as Error).message}`,
        undefined,
        { cause: error },
      );
    }
  }

  async ping(queueName: string): Promise<void> {
    // Creating a batch opens the send link: proves DNS, network, token and the Data Sender role.
    await this.sender(queueName).createMessageBatch();
  }

  async close(): Promise<void> {
    await Promise.all([...this.senders.values()].map((s) => s.close()));
    await this.client.close();
  }

  private sender(queueName: string): ServiceBusSender {
    let sender = this.senders.get(queueName);
    if (!sender) {
      sender = this.client.createSender(queueName);
      this.senders.set(queueName, sender);
    }
    return sender;
  }

  /** Fills each batch until tryAddMessage refuses, then starts another: as many batches as the sizes need. */
  private async sendInBatches(
    sender: ServiceBusSender,
    queueName: string,
    messages: ServiceBusMessage[],
  ): Promise<void> {
    let batch = await sender.createMessageBatch();
    for (const message of messages) {
      if (batch.tryAddMessage(message)) continue;
      if (batch.count === 0)
        throw new AppError(
          'QUEUE.MESSAGE_TOO_LARGE',
          `A message for '${queueName}' is larger than a Service Bus batch allows`,
        );
      await sender.sendMessages(batch);
      batch = await sender.createMessageBatch();
      if (!batch.tryAddMessage(message))
        throw new AppError(
          'QUEUE.MESSAGE_TOO_LARGE',
          `A message for '${queueName}' is larger than a Service Bus batch allows`,
        );
    }
    if (batch.count > 0) await sender.sendMessages(batch);
  }
}
