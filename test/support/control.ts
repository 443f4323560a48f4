import type { OutgoingMessage, QueueSender } from '../../shared/ports/queue.js';
import type { TestApp } from './app.js';

/** A clock the test moves: every use case reads `services.now()` at call time, so replacing it is enough. */
export interface TestClock {
  now(): Date;
  set(at: Date): void;
  advance(ms: number): void;
  /** Back to the real clock. */
  restore(): void;
}

/** Replaces the app's clock with one the test controls, starting at `start`. */
export function setClock(app: TestApp, start: Date): TestClock {
  const real = app.services.now;
  let current = start.getTime();
  app.services.now = () => new Date(current);
  return {
    now: () => new Date(current),
    set: (at) => {
      current = at.getTime();
    },
    advance: (ms) => {
      current += ms;
    },
    restore: () => {
      app.services.now = real;
    },
  };
}

/** What a queue interceptor decides for one outgoing message. */
export type Interception = 'send' | 'drop' | 'hold';

export interface QueueTap {
  /** Every message the app sent to the tapped queue (whatever was decided). */
  readonly sent: OutgoingMessage[];
  /** Messages held back, in order; `release()` sends them. */
  readonly messages: OutgoingMessage[];
  release(): Promise<void>;
  /** Stops intercepting (held messages stay held until released). */
  restore(): void;
}

/**
 * Intercepts what the app's use cases send to one queue (they send through `services.queue`): each message can be
 * passed on, dropped (a lost message) or held until `release()`. Other queues are untouched.
 */
export function tapQueue(
  app: TestApp,
  queueName: string,
  decide: (message: OutgoingMessage) => Interception,
): QueueTap {
  const real = app.services.queue;
  const sent: OutgoingMessage[] = [];
  const held: OutgoingMessage[] = [];
  const tapped: QueueSender = {
    async send(name, messages) {
      if (name !== queueName) return real.send(name, messages);
      const list = Array.isArray(messages) ? (messages as readonly OutgoingMessage[]) : [messages as OutgoingMessage];
      const pass: OutgoingMessage[] = [];
      for (const m of list) {
        sent.push(m);
        const decision = decide(m);
        if (decision === 'send') pass.push(m);
        else if (decision === 'hold') held.push(m);
      }
      if (pass.length > 0) await real.send(name, pass);
    },
    ping: (name) => real.ping(name),
    close: () => real.close(),
  };
  app.services.queue = tapped;
  return {
    sent,
    messages: held,
    async release() {
      await real.send(queueName, held.splice(0));
    },
    restore() {
      if (app.services.queue === tapped) app.services.queue = real;
    },
  };
}

/** Holds every message the app sends to a queue until `release()` (which also stops holding). */
export function holdQueue(app: TestApp, queueName: string): QueueTap {
  const tap = tapQueue(app, queueName, () => 'hold');
  return {
    ...tap,
    sent: tap.sent,
    messages: tap.messages,
    async release() {
      tap.restore();
      await tap.release();
    },
  };
}
