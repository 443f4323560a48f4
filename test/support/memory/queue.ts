import type { OutgoingMessage, QueueSender } from '../../../shared/ports/queue.js';

/** A sent message and the queue it went to. */
export interface SentMessage extends OutgoingMessage {
  queueName: string;
}

/**
 * A queue sender that records what the use cases send and delivers nothing: a test reads `sent` (or `to(queue)`)
 * and hands the bodies to the next use case itself.
 */
export class MemoryQueue implements QueueSender {
  readonly sent: SentMessage[] = [];

  async send(queueName: string, messages: OutgoingMessage | readonly OutgoingMessage[]): Promise<void> {
    const list: readonly OutgoingMessage[] = Array.isArray(messages) ? messages : [messages as OutgoingMessage];
    for (const message of list) this.sent.push({ ...structuredClone(message), queueName });
  }

  async ping(_queueName: string): Promise<void> {}

  async close(): Promise<void> {}

  /** The messages sent to one queue, in order. */
  to(queueName: string): SentMessage[] {
    return this.sent.filter((m) => m.queueName === queueName);
  }

  /** Forgets what was sent (between the Act steps of one test). */
  clear(): void {
    this.sent.length = 0;
  }
}
