import { describe, expect, it } from 'vitest';
import { InProcessQueue, type DeliveryMetadata } from '../../shared/adapters/queue/inProcessQueue.js';

const until = async (predicate: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('InProcessQueue (Service Bus semantics)', () => {
  it(
    'redelivers a throwing handler with an increasing deliveryCount, ' + 'then dead-letters after maxDeliveryCount',
    async () => {
      const queue = new InProcessQueue({ maxDeliveryCount: 4, redeliveryDelayMs: 1 });
      const seen: DeliveryMetadata[] = [];
      queue.subscribe('q', async (_body, meta) => {
        seen.push(meta);
        throw new Error('boom');
      });
      await queue.send('q', { body: { n: 1 }, messageId: 'm1' });
      await queue.idle();
      expect(seen.map((m) => m.deliveryCount)).toEqual([1, 2, 3, 4]);
      expect(new Set(seen.map((m) => m.messageId))).toEqual(new Set(['m1']));
      const dead = queue.deadLetters('q');
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({
        body: { n: 1 },
        messageId: 'm1',
        reason: 'MaxDeliveryCountExceeded',
        description: 'boom',
      });
    },
  );

  it('hands dead-lettered messages to the dead-letter handler with the reason', async () => {
    const queue = new InProcessQueue({ maxDeliveryCount: 2, redeliveryDelayMs: 1 });
    const dlq: Array<{ body: unknown; meta: DeliveryMetadata }> = [];
    queue.subscribe('q', async () => {
      throw new Error('poison');
    });
    queue.subscribe('q/$deadletterqueue', async (body, meta) => {
      dlq.push({ body, meta });
    });
    await queue.send('q', { body: 'x', messageId: 'p' });
    await queue.idle();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.body).toBe('x');
    expect(dlq[0]!.meta.applicationProperties.DeadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(dlq[0]!.meta.deadLetterSource).toBe('q');
    expect(queue.deadLetters('q')).toHaveLength(0);
  });

  it('succeeds on a later delivery without dead-lettering (at-least-once)', async () => {
    const queue = new InProcessQueue({ redeliveryDelayMs: 1 });
    let attempts = 0;
    queue.subscribe('q', async () => {
      attempts++;
      if (attempts < 3) throw new Error('transient');
    });
    await queue.send('q', { body: {} });
    await queue.idle();
    expect(attempts).toBe(3);
    expect(queue.deadLetters('q')).toHaveLength(0);
  });

  it('delivers scheduled messages at their time, in time order, not before', async () => {
    const queue = new InProcessQueue();
    const order: string[] = [];
    const sentAt = Date.now();
    const receivedAt: number[] = [];
    queue.subscribe(
      'q',
      async (body) => {
        order.push(body as string);
        receivedAt.push(Date.now());
      },
      { concurrency: 1 },
    );
    await queue.send('q', [
      { body: 'late', scheduledEnqueueTime: new Date(sentAt + 150) },
      { body: 'early', scheduledEnqueueTime: new Date(sentAt + 60) },
      { body: 'now' },
    ]);
    await until(() => order.length === 3);
    expect(order).toEqual(['now', 'early', 'late']);
    expect(receivedAt[1]! - sentAt).toBeGreaterThanOrEqual(55);
    expect(receivedAt[2]! - sentAt).toBeGreaterThanOrEqual(145);
  });

  it('drops a duplicate messageId inside the detection window and accepts it after', async () => {
    let now = 1_000_000;
    const queue = new InProcessQueue({ duplicateDetectionWindowMs: 10_000, now: () => now });
    const bodies: unknown[] = [];
    queue.subscribe('q', async (body) => {
      bodies.push(body);
    });
    await queue.send('q', { body: 1, messageId: 'same' });
    await queue.send('q', { body: 2, messageId: 'same' });
    await queue.idle();
    expect(bodies).toEqual([1]);
    now += 10_001;
    await queue.send('q', { body: 3, messageId: 'same' });
    await queue.idle();
    expect(bodies).toEqual([1, 3]);
  });

  it('never runs more handlers at once than the concurrency limit', async () => {
    const queue = new InProcessQueue();
    let active = 0;
    let peak = 0;
    queue.subscribe(
      'q',
      async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
      },
      { concurrency: 3 },
    );
    await queue.send(
      'q',
      Array.from({ length: 30 }, (_, i) => ({ body: i })),
    );
    await queue.idle();
    expect(peak).toBe(3);
  });

  it('passes a copy of the body, as over the wire', async () => {
    const queue = new InProcessQueue();
    const original = { list: [1, 2], when: new Date(0) };
    let received: unknown;
    queue.subscribe('q', async (body) => {
      received = body;
    });
    await queue.send('q', { body: original });
    await queue.idle();
    expect(received).toEqual({ list: [1, 2], when: '1970-01-01T00:00:00.000Z' });
    expect(received).not.toBe(original);
  });

  it('close() finishes in-flight work and refuses new messages', async () => {
    const queue = new InProcessQueue();
    let finished = false;
    queue.subscribe('q', async () => {
      await new Promise((r) => setTimeout(r, 30));
      finished = true;
    });
    await queue.send('q', { body: 1 });
    await until(() => queue.depth('q').inFlight === 1);
    await queue.close();
    expect(finished).toBe(true);
    await expect(queue.send('q', { body: 2 })).rejects.toThrow(/shut down/);
  });
});
