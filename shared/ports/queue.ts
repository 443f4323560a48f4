/** One message for a queue: a JSON body, an optional id (duplicate detection) and an optional delivery time. */
export interface OutgoingMessage {
  body: unknown;
  /** Service Bus duplicate detection drops a second message with the same id inside the window. */
  messageId?: string;
  /** Deliver no earlier than this instant (Service Bus scheduled message). */
  scheduledEnqueueTime?: Date;
}

/** The port use cases send queue messages through (Service Bus in Azure, the in-process queue locally). */
export interface QueueSender {
  /** Sends one or many messages; many are split into as few transport batches as possible. */
  send(queueName: string, messages: OutgoingMessage | readonly OutgoingMessage[]): Promise<void>;
  /** Confirms the queue can be reached (used by health and diagnostics). */
  ping(queueName: string): Promise<void>;
  close(): Promise<void>;
}

/** Queue names, shared by the function registrations, the senders and infra/bicep (checked by a test). */
export const QUEUES = {
  expand: 'mps-expand',
  mailbox: 'mps-mailbox',
  alert: 'mps-alert',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The dead-letter sub-queue path of a queue, as Service Bus names it. */
export function deadLetterQueueOf(queueName: string): string {
  return `${queueName}/$deadletterqueue`;
}

/** Service Bus settings the code relies on; infra/bicep and host.json must agree (tested). */
export const QUEUE_SETTINGS = {
  maxDeliveryCount: 10,
  duplicateDetectionWindowMinutes: 10,
  lockDurationSeconds: 300,
} as const;
