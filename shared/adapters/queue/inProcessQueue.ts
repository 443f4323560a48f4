import { randomUUID } from 'node:crypto';
import type { OutgoingMessage, QueueSender } from '../../ports/queue.js';
import { QUEUE_SETTINGS, deadLetterQueueOf } from '../../ports/queue.js';
import { traceContextProperties } from '../telemetry/spans.js';

/** What a handler receives besides the body: the fields Functions' Service Bus trigger metadata carries. */
export interface DeliveryMetadata {
  messageId: string;
  deliveryCount: number;
  enqueuedTimeUtc: string;
  sequenceNumber: number;
  deadLetterSource?: string;
  applicationProperties: Record<string, string>;
}

export type InProcessHandler = (body: unknown, metadata: DeliveryMetadata) => Promise<void>;

interface StoredMessage {
  sequenceNumber: number;
  messageId: string;
  /** Bodies are kept serialized, as on the wire: a handler never shares an object with the sender. */
  json: string;
  enqueuedTimeUtc: Date;
  visibleAt: number;
  deliveryCount: number;
  deadLetterSource?: string;
  applicationProperties: Record<string, string>;
}

export interface InProcessQueueOptions {
  maxDeliveryCount?: number;
  duplicateDetectionWindowMs?: number;
  /** Delay before an abandoned message is visible again (Service Bus: immediately; a little here avoids hot loops). */
  redeliveryDelayMs?: number;
  now?: () => number;
}

export interface DeadLetteredMessage {
  body: unknown;
  messageId: string;
  deliveryCount: number;
  reason: string;
  description: string;
}

/** Minimal binary heap ordered by (visibleAt, sequenceNumber): O(log n) at 100k queued messages. */
class MessageHeap {
  private items: StoredMessage[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): StoredMessage | undefined {
    return this.items[0];
  }
  push(m: StoredMessage): void {
    this.items.push(m);
    let i = this.items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): StoredMessage | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  drain(): StoredMessage[] {
    const all = this.items;
    this.items = [];
    return all;
  }
  /** The message at a heap position; callers pass positions inside the heap, so a miss is a bug in the heap. */
  private at(i: number): StoredMessage {
    const m = this.items[i];
    if (m === undefined) throw new Error(`MessageHeap: no message at position ${i} of ${this.items.length}`);
    return m;
  }
  private swap(i: number, j: number): void {
    const x = this.at(i);
    this.items[i] = this.at(j);
    this.items[j] = x;
  }
  private less(i: number, j: number): boolean {
    const x = this.at(i);
    const y = this.at(j);
    return x.visibleAt < y.visibleAt || (x.visibleAt === y.visibleAt && x.sequenceNumber < y.sequenceNumber);
  }
}

class QueueState {
  readonly pending = new MessageHeap();
  readonly seenIds = new Map<string, number>();
  readonly deadLetters: StoredMessage[] = [];
  handler?: InProcessHandler;
  concurrency = 1;
  inFlight = 0;
  timer?: NodeJS.Timeout;
  timerAt = Infinity;
  constructor(readonly name: string) {}
}

/**
 * An in-process queue broker with the Service Bus semantics the handlers rely on: at-least-once delivery,
 * redelivery of a throwing handler's message up to maxDeliveryCount, then the dead-letter sub-queue (which
 * can have its own handler), scheduled messages, duplicate detection by messageId, and a concurrency
 * limit per queue. What it does not survive: a process crash loses every queued message.
 */
export class InProcessQueue implements QueueSender {
  private readonly queues = new Map<string, QueueState>();
  private sequence = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly maxDeliveryCount: number;
  private readonly duplicateWindowMs: number;
  private readonly redeliveryDelayMs: number;
  private readonly now: () => number;
  /** Errors thrown by handlers, newest last (bounded); the host logs them. */
  onHandlerError?: (queueName: string, messageId: string, deliveryCount: number, error: unknown) => void;

  constructor(options: InProcessQueueOptions = {}) {
    this.maxDeliveryCount = options.maxDeliveryCount ?? QUEUE_SETTINGS.maxDeliveryCount;
    this.duplicateWindowMs =
      options.duplicateDetectionWindowMs ?? QUEUE_SETTINGS.duplicateDetectionWindowMinutes * 60_000;
    this.redeliveryDelayMs = options.redeliveryDelayMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts delivering a queue's messages (or its `name/$deadletterqueue`) to a handler, at most `concurrency` at
   * once.
   */
  subscribe(queueName: string, handler: InProcessHandler, options: { concurrency?: number } = {}): void {
    const q = this.queue(queueName);
    if (q.handler) throw new Error(`Queue '${queueName}' already has a handler`);
    q.handler = handler;
    q.concurrency = Math.max(1, options.concurrency ?? 16);
    if (queueName.endsWith('/$deadletterqueue')) {
      const parent = this.queue(queueName.slice(0, -'/$deadletterqueue'.length));
      for (const m of parent.deadLetters.splice(0)) q.pending.push({ ...m, visibleAt: this.now(), deliveryCount: 0 });
    }
    this.pump(q);
  }

  async send(queueName: string, messages: OutgoingMessage | readonly OutgoingMessage[]): Promise<void> {
    if (this.stopped) throw new Error(`Queue '${queueName}' is shut down; message not accepted`);
    const list = Array.isArray(messages) ? (messages as readonly OutgoingMessage[]) : [messages as OutgoingMessage];
    const q = this.queue(queueName);
    const now = this.now();
    // As on Service Bus: the sender's trace context travels in the application properties (W3C traceparent).
    const traceContext = traceContextProperties();
    for (const message of list) {
      const json = JSON.stringify(message.body);
      if (json === undefined) throw new TypeError(`Message body for '${queueName}' is not JSON-serializable`);
      const messageId = message.messageId ?? randomUUID();
      const seenAt = q.seenIds.get(messageId);
      if (seenAt !== undefined && now - seenAt < this.duplicateWindowMs) continue;
      q.seenIds.set(messageId, now);
      q.pending.push({
        sequenceNumber: ++this.sequence,
        messageId,
        json,
        enqueuedTimeUtc: new Date(now),
        visibleAt: Math.max(now, message.scheduledEnqueueTime?.getTime() ?? now),
        deliveryCount: 0,
        applicationProperties: { ...traceContext },
      });
    }
    this.pruneSeenIds(q, now);
    this.pump(q);
  }

  async ping(): Promise<void> {
    if (this.stopped) throw new Error('In-process queue is shut down');
  }

  /** Messages sitting in a queue's dead-letter sub-queue that no handler consumed. */
  deadLetters(queueName: string): DeadLetteredMessage[] {
    return this.queue(queueName).deadLetters.map((m) => ({
      body: JSON.parse(m.json) as unknown,
      messageId: m.messageId,
      deliveryCount: m.deliveryCount,
      reason: m.applicationProperties.DeadLetterReason ?? '',
      description: m.applicationProperties.DeadLetterErrorDescription ?? '',
    }));
  }

  /** Counts of queued (including scheduled) and in-flight messages per queue. */
  depth(queueName: string): { pending: number; inFlight: number; deadLettered: number } {
    const q = this.queue(queueName);
    return { pending: q.pending.size, inFlight: q.inFlight, deadLettered: q.deadLetters.length };
  }

  /** Resolves when no queue with a handler has pending or in-flight messages (tests, benchmark, shutdown). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking new work, lets in-flight handlers finish, drops the rest (what a crash would lose). */
  async close(): Promise<void> {
    this.stopped = true;
    for (const q of this.queues.values()) {
      if (q.timer) clearTimeout(q.timer);
      q.timer = undefined;
    }
    while ([...this.queues.values()].some((q) => q.inFlight > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private queue(name: string): QueueState {
    let q = this.queues.get(name);
    if (!q) {
      q = new QueueState(name);
      this.queues.set(name, q);
    }
    return q;
  }

  private isIdle(): boolean {
    for (const q of this.queues.values()) {
      if (q.inFlight > 0) return false;
      if (q.handler && q.pending.size > 0) return false;
    }
    return true;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pruneSeenIds(q: QueueState, now: number): void {
    if (q.seenIds.size < 10_000) return;
    for (const [id, at] of q.seenIds) {
      if (now - at >= this.duplicateWindowMs) q.seenIds.delete(id);
    }
  }

  private pump(q: QueueState): void {
    const handler = q.handler;
    if (this.stopped || !handler) return;
    const now = this.now();
    while (q.inFlight < q.concurrency) {
      const next = q.pending.peek();
      if (!next || next.visibleAt > now) break;
      q.pending.pop();
      this.deliver(q, handler, next);
    }
    const next = q.pending.peek();
    if (next && next.visibleAt > now && q.inFlight < q.concurrency) this.armTimer(q, next.visibleAt);
  }

  private armTimer(q: QueueState, at: number): void {
    if (q.timer && q.timerAt <= at) return;
    if (q.timer) clearTimeout(q.timer);
    q.timerAt = at;
    q.timer = setTimeout(
      () => {
        q.timer = undefined;
        q.timerAt = Infinity;
        this.pump(q);
      },
      Math.max(0, at - this.now()),
    );
  }

  private deliver(q: QueueState, handler: InProcessHandler, message: StoredMessage): void {
    q.inFlight++;
    message.deliveryCount++;
    const metadata: DeliveryMetadata = {
      messageId: message.messageId,
      deliveryCount: message.deliveryCount,
      enqueuedTimeUtc: message.enqueuedTimeUtc.toISOString(),
      sequenceNumber: message.sequenceNumber,
      ...(message.deadLetterSource ? { deadLetterSource: message.deadLetterSource } : {}),
      applicationProperties: { ...message.applicationProperties },
    };
    let body: unknown;
    try {
      body = JSON.parse(message.json);
    } catch {
      body = message.json;
    }
    Promise.resolve()
      .then(() => handler(body, metadata))
      .then(
        () => undefined,
        (error: unknown) => this.abandon(q, message, error),
      )
      .finally(() => {
        q.inFlight--;
        this.pump(q);
        this.notifyIdle();
      });
  }

  private abandon(q: QueueState, message: StoredMessage, error: unknown): void {
    this.onHandlerError?.(q.name, message.messageId, message.deliveryCount, error);
    if (message.deliveryCount < this.maxDeliveryCount) {
      message.visibleAt = this.now() + this.redeliveryDelayMs;
      q.pending.push(message);
      return;
    }
    if (q.name.endsWith('/$deadletterqueue')) {
      // A dead-letter handler that keeps failing: park the message where an operator can see it.
      q.deadLetters.push(message);
      return;
    }
    const description = error instanceof Error ? error.message : String(error);
    const dead: StoredMessage = {
      ...message,
      applicationProperties: {
        ...message.applicationProperties,
        DeadLetterReason: 'MaxDeliveryCountExceeded',
        DeadLetterErrorDescription: description.slice(0, 1024),
      },
      deadLetterSource: q.name,
    };
    const dlq = this.queues.get(deadLetterQueueOf(q.name));
    if (dlq?.handler) {
      dlq.pending.push({ ...dead, sequenceNumber: ++this.sequence, visibleAt: this.now(), deliveryCount: 0 });
      this.pump(dlq);
    } else {
      q.deadLetters.push(dead);
    }
  }
}
