import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveLimiter, type LimiterOptions, type LimiterSlot } from '../../shared/adapters/microsoft/index.js';

function limiter(overrides: Partial<LimiterOptions> = {}): AdaptiveLimiter {
  return new AdaptiveLimiter({ name: 'test', initialConcurrency: 4, maxConcurrency: 8, increaseAfterSuccesses: 3, random: () => 1, ...overrides });
}

/** Starts `count` acquisitions and tracks which have been granted. */
function acquireMany(l: AdaptiveLimiter, count: number): { granted: LimiterSlot[] } {
  const state = { granted: [] as LimiterSlot[] };
  for (let i = 0; i < count; i += 1) void l.acquire().then((slot) => state.granted.push(slot));
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('AdaptiveLimiter', () => {
  it('admits at most `limit` requests at once, the next when one finishes', async () => {
    const l = limiter();
    const state = acquireMany(l, 6);
    await vi.advanceTimersByTimeAsync(0);
    expect(state.granted).toHaveLength(4);
    expect(l.stats()).toMatchObject({ inFlight: 4, queued: 2 });

    state.granted[0]?.success();
    await vi.advanceTimersByTimeAsync(0);

    expect(state.granted).toHaveLength(5);
  });

  it('halves the limit on a 429, once for requests that were in flight together', async () => {
    const l = limiter({ initialConcurrency: 8 });
    const state = acquireMany(l, 8);
    await vi.advanceTimersByTimeAsync(0);

    for (const slot of state.granted) slot.throttled(0);

    expect(l.stats()).toMatchObject({ limit: 4, throttled: 8, inFlight: 0 });
  });

  it('a later 429 (request started after the decrease) halves again, never below the minimum', async () => {
    const l = limiter({ initialConcurrency: 4 });
    for (const expected of [2, 1, 1]) {
      const slot = await l.acquire();
      slot.throttled(0);
      expect(l.stats().limit).toBe(expected);
    }
  });

  it('pauses new starts for Retry-After even with free capacity', async () => {
    const l = limiter();
    const first = await l.acquire();
    first.throttled(1000);
    const state = acquireMany(l, 1);

    await vi.advanceTimersByTimeAsync(999);
    expect(state.granted).toHaveLength(0);
    expect(l.stats().pausedForMs).toBe(1);

    await vi.advanceTimersByTimeAsync(1);
    expect(state.granted).toHaveLength(1);
  });

  it('caps a long Retry-After pause at maxPauseMs', async () => {
    const l = limiter({ maxPauseMs: 500 });
    (await l.acquire()).throttled(120_000);
    expect(l.stats().pausedForMs).toBe(500);
  });

  it('without Retry-After pauses for a backoff that grows with consecutive 429s', async () => {
    const l = limiter({ basePauseMs: 100, random: () => 1 });
    (await l.acquire()).throttled();
    expect(l.stats().pausedForMs).toBe(100);
    await vi.advanceTimersByTimeAsync(100);
    (await l.acquire()).throttled();
    expect(l.stats().pausedForMs).toBe(200);
  });

  it('regression: a burst of 429s for one overload grows the backoff once, not once per answer', async () => {
    const l = limiter({ initialConcurrency: 8, basePauseMs: 100, random: () => 1 });
    const state = acquireMany(l, 8);
    await vi.advanceTimersByTimeAsync(0);

    for (const slot of state.granted) slot.throttled();

    expect(l.stats().pausedForMs).toBe(100);
  });

  it('probes upward by one after N successes and never exceeds the maximum', async () => {
    const l = limiter({ initialConcurrency: 6, maxConcurrency: 7, increaseAfterSuccesses: 3 });
    for (let i = 0; i < 3; i += 1) (await l.acquire()).success();
    expect(l.stats().limit).toBe(7);
    for (let i = 0; i < 30; i += 1) (await l.acquire()).success();
    expect(l.stats().limit).toBe(7);
  });

  it('a 429 resets the upward probe', async () => {
    const l = limiter({ initialConcurrency: 4, increaseAfterSuccesses: 3 });
    (await l.acquire()).success();
    (await l.acquire()).success();
    (await l.acquire()).throttled(0);
    (await l.acquire()).success();
    (await l.acquire()).success();
    expect(l.stats().limit).toBe(2);
    (await l.acquire()).success();
    expect(l.stats().limit).toBe(3);
  });

  it('caps starts per second', async () => {
    const l = limiter({ initialConcurrency: 8, maxRequestsPerSecond: 10 });
    const state = acquireMany(l, 4);
    await vi.advanceTimersByTimeAsync(0);
    expect(state.granted).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(state.granted).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(state.granted).toHaveLength(4);
  });

  it('reporting an outcome twice releases the slot once', async () => {
    const l = limiter();
    const slot = await l.acquire();
    slot.success();
    slot.failure();
    expect(l.stats().inFlight).toBe(0);
  });

  it('a request is only admitted while in flight stays within the limit, and the limit within [min, max] (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('acquire', 'success', 'throttle', 'failure'), { maxLength: 80 }), async (ops) => {
        const l = limiter({ initialConcurrency: 3, minConcurrency: 1, maxConcurrency: 5, increaseAfterSuccesses: 2 });
        const held: LimiterSlot[] = [];
        let violated = false;
        for (const op of ops) {
          if (op === 'acquire') {
            void l.acquire().then((slot) => {
              const s = l.stats();
              if (s.inFlight > s.limit) violated = true;
              held.push(slot);
            });
          } else {
            const slot = held.shift();
            if (op === 'throttle') slot?.throttled(0);
            else if (op === 'success') slot?.success();
            else slot?.failure();
          }
          await vi.advanceTimersByTimeAsync(0);
          const s = l.stats();
          if (s.limit < 1 || s.limit > 5) return false;
        }
        return !violated;
      }),
      { numRuns: 100 },
    );
  });
});
