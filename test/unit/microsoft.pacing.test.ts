import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceBudget } from '../../dev/simulator/limits.js';
import { AdaptiveLimiter, EXCHANGE_LIMITS } from '../../shared/adapters/microsoft/limiter.js';

// Exchange's limiter against the simulator's model of an Exchange budget (slower answers past the budget,
// 429 past two seconds of delay), on the fake clock: whole minutes of traffic run in a second, the same way
// on any machine. The HTTPS version of the same question is test/integration/exchangePacing.simulator.test.ts.

interface Outcome {
  seconds: number;
  throttled: number;
  /** Completions per second over the second half of the calls. */
  lateRate: number;
  finalRate: number;
}

/** `calls` requests issued at once (a sync's backlog), each retried after a 429 until it succeeds. */
async function run(budgetPerSecond: number, baseMs: number, calls: number): Promise<Outcome> {
  const budget = new ServiceBudget(budgetPerSecond, 2000, () => Date.now());
  const limiter = new AdaptiveLimiter({ ...EXCHANGE_LIMITS, name: 'exchange', random: () => 0.5 });
  const started = Date.now();
  const completions: number[] = [];
  let throttled = 0;
  const call = async (): Promise<void> => {
    for (;;) {
      const slot = await limiter.acquire();
      const taken = budget.take();
      await new Promise((resolve) => setTimeout(resolve, baseMs + budget.answerDelayMs()));
      if (taken.ok) {
        slot.success();
        completions.push(Date.now());
        return;
      }
      throttled += 1;
      slot.throttled();
    }
  };
  const all = Promise.all(Array.from({ length: calls }, call));
  while (completions.length < calls) await vi.advanceTimersByTimeAsync(100);
  await all;
  const late = completions.slice(Math.floor(calls / 2));
  const lateSeconds = ((late.at(-1) ?? 0) - (late[0] ?? 0)) / 1000;
  return {
    seconds: (Date.now() - started) / 1000,
    throttled,
    lateRate: (late.length - 1) / lateSeconds,
    finalRate: limiter.stats().ratePerSecond ?? 0,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Exchange pacing against a service that slows down before it throttles', () => {
  it.each([
    { budget: 20, baseMs: 20, calls: 600, maxThrottled: 0.01, note: 'a fast local service' },
    { budget: 100, baseMs: 200, calls: 3000, maxThrottled: 0.01, note: 'the benchmark defaults' },
    // Answers a second late make slow start overshoot before the first of them shows the queue (docs/pacing.md).
    { budget: 50, baseMs: 700, calls: 3000, maxThrottled: 0.03, note: 'Exchange-like latency' },
  ])('from a cold start converges on a budget of $budget/s ($note), with few 429s', async (scenario) => {
    const { budget, baseMs, calls, maxThrottled } = scenario;
    const outcome = await run(budget, baseMs, calls);

    expect(outcome.lateRate).toBeGreaterThan(budget * 0.9);
    expect(outcome.lateRate).toBeLessThan(budget * 1.05);
    expect(outcome.throttled).toBeLessThan(calls * maxThrottled);
    expect(outcome.finalRate).toBeGreaterThan(budget * 0.5); // no collapse
    // Slow start from 4/s costs a few seconds, not a multiple of the run.
    expect(outcome.seconds).toBeLessThan(calls / budget + 10);
  });
});
