import { describe, expect, it } from 'vitest';
import type { ServiceBusClient, ServiceBusMessage, ServiceBusMessageBatch, ServiceBusSender } from '@azure/service-bus';
import { ServiceBusQueueSender } from '../../shared/adapters/queue/serviceBusQueue.js';
import { RetryableError } from '../../shared/errors.js';

// Service Bus cannot run on this machine: a recording stand-in for the SDK's sender checks our batching logic.
function fakeClient(capacity: number, failSend = false) {
  const sent: ServiceBusMessage[][] = [];
  const scheduled: Array<{ at: Date; messages: ServiceBusMessage[] }> = [];
  const sender = {
    createMessageBatch: async () => {
      const items: ServiceBusMessage[] = [];
      return {
        get count() {
          return items.length;
        },
        tryAddMessage: (m: ServiceBusMessage) => {
          if (items.length >= capacity || JSON.stringify(m.body).length >= 1000) return false;
          items.push(m);
          return true;
        },
        _items: items,
      } as unknown as ServiceBusMessageBatch;
    },
    sendMessages: async (batch: ServiceBusMessageBatch) => {
      if (failSend) throw new Error('ServiceBusError: connection lost');
      sent.push([...(batch as unknown as { _items: ServiceBusMessage[] })._items]);
    },
    scheduleMessages: async (messages: ServiceBusMessage[], at: Date) => {
      scheduled.push({ at, messages });
      return [];
    },
    close: async () => undefined,
  } as unknown as ServiceBusSender;
  const client = { createSender: () => sender, close: async () => undefined } as unknown as Pick<
    ServiceBusClient,
    'createSender' | 'close'
  >;
  return { client, sent, scheduled };
}

describe('ServiceBusQueueSender', () => {
  it('splits many messages across as many batches as needed, keeping ids and order', async () => {
    const { client, sent } = fakeClient(3);
    const sender = new ServiceBusQueueSender(client);
    await sender.send(
      'mps-mailbox',
      Array.from({ length: 8 }, (_, i) => ({ body: { i }, messageId: `m${i}` })),
    );
    expect(sent.map((b) => b.length)).toEqual([3, 3, 2]);
    expect(sent.flat().map((m) => m.messageId)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(sent.flat()[0]!.contentType).toBe('application/json');
  });

  it('schedules delayed messages instead of sending them', async () => {
    const { client, sent, scheduled } = fakeClient(10);
    const at = new Date(Date.now() + 60_000);
    await new ServiceBusQueueSender(client).send('mps-mailbox', [{ body: 1 }, { body: 2, scheduledEnqueueTime: at }]);
    expect(sent.flat().map((m) => m.body)).toEqual([1]);
    expect(scheduled).toEqual([{ at, messages: [expect.objectContaining({ body: 2 })] }]);
  });

  it('rejects a message too large for any batch, and turns send failures into retryable errors', async () => {
    const big = fakeClient(10);
    const tooLarge = new ServiceBusQueueSender(big.client).send('q', { body: 'x'.repeat(5000) });
    await expect(tooLarge).rejects.toThrow(/larger than a Service Bus batch allows/);
    await expect(tooLarge).rejects.not.toBeInstanceOf(RetryableError);
    const broken = fakeClient(10, true);
    await expect(new ServiceBusQueueSender(broken.client).send('q', { body: 1 })).rejects.toBeInstanceOf(
      RetryableError,
    );
  });
});
