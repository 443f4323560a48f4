import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveLimiter, type LimiterOptions, type LimiterSlot } from '../../shared/adapters/microsoft/index.js';
import { EXCHANGE_LIMITS } from '../../shared/adapters/microsoft/limiter.js';

function limiter(overrides: Partial<LimiterOptions> = {}): AdaptiveLimiter {
  return new AdaptiveLimiter({
    name: 'test',
    initialConcurrency: 4,
    maxConcurrency: 8,
    increaseAfterSuccesses: 3,
    random: () => 1,
    ...overrides,
  });
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

  it(
    'a request is only admitted while in flight stays within the limit, ' +
      'and the limit within [min, max] (property)',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom('acquire', 'success', 'throttle', 'failure'), { maxLength: 80 }),
          async (ops) => {
            const l = limiter({
              initialConcurrency: 3,
              minConcurrency: 1,
              maxConcurrency: 5,
              increaseAfterSuccesses: 2,
            });
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
          },
        ),
        { numRuns: 100 },
      );
    },
  );
});

/** Exchange's limiter (the latency signal on) with its production parameters; fake timers are the clock. */
function exchangeLimiter(overrides: Partial<LimiterOptions> = {}): AdaptiveLimiter {
  return new AdaptiveLimiter({ ...EXCHANGE_LIMITS, name: 'exchange', random: () => 1, ...overrides });
}

/**
 * A backlog that never empties: `workers` requests always wait, and each admitted one is answered after
 * `latencyMs()` ms of fake time with `outcome()` (success unless told otherwise).
 */
function keepBusy(
  l: AdaptiveLimiter,
  latencyMs: () => number,
  outcome: () => 'success' | 'throttled' | 'unanswered' = () => 'success',
  workers = 100,
): void {
  const worker = async (): Promise<void> => {
    for (;;) {
      const slot = await l.acquire();
      const result = outcome();
      setTimeout(() => slot[result](), latencyMs());
    }
  };
  for (let i = 0; i < workers; i += 1) void worker();
}

describe('AdaptiveLimiter with the latency signal (Exchange slows answers down before it answers 429)', () => {
  it('starts at a few requests per second and doubles while latency stays at its baseline', async () => {
    const l = exchangeLimiter();
    keepBusy(l, () => 100);
    await vi.advanceTimersByTimeAsync(1000);
    expect(l.stats().ratePerSecond).toBeLessThanOrEqual(5);

    await vi.advanceTimersByTimeAsync(5000);

    expect(l.stats()).toMatchObject({ slowdowns: 0, throttled: 0, baselineLatencyMs: 100, recentLatencyMs: 100 });
    expect(l.stats().ratePerSecond).toBeGreaterThan(60);
  });

  it('stops growing, without a decrease, when latency leaves its floor but stays below the threshold', async () => {
    const l = exchangeLimiter();
    let latency = 100;
    keepBusy(l, () => latency);
    await vi.advanceTimersByTimeAsync(4000);
    latency = 160; // baseline 100, threshold 300: above a quarter of the way (150), below congestion
    await vi.advanceTimersByTimeAsync(1000);
    const held = l.stats().ratePerSecond ?? 0;

    await vi.advanceTimersByTimeAsync(5000);

    expect(l.stats().ratePerSecond).toBe(held);
    expect(l.stats()).toMatchObject({ slowdowns: 0, recentLatencyMs: 160 });
  });

  it('shrinks the rate when latency passes 2 × baseline + margin, and pauses while its queue drains', async () => {
    const l = exchangeLimiter();
    let latency = 100;
    keepBusy(l, () => latency);
    await vi.advanceTimersByTimeAsync(4000);
    latency = 400;

    let peak = 0;
    for (let ms = 0; ms < 2000 && l.stats().slowdowns === 0; ms += 10) {
      peak = Math.max(peak, l.stats().ratePerSecond ?? 0);
      await vi.advanceTimersByTimeAsync(10);
    }

    const after = l.stats();
    expect(after.slowdowns).toBe(1);
    // 85 % of the lower of the rate and what was answered in the last second: one cut, not a collapse
    expect(after.ratePerSecond).toBeLessThanOrEqual(peak * 0.85);
    expect(after.ratePerSecond).toBeGreaterThan(peak * 0.3);
    expect(after.pausedForMs).toBeGreaterThan(280); // the estimated queue: 400 - 100 ms
    expect(after.pausedForMs).toBeLessThanOrEqual(300);
  });

  it('decreases again while latency keeps rising, not while it stays level', async () => {
    const l = exchangeLimiter();
    let latency = 100;
    keepBusy(l, () => latency);
    await vi.advanceTimersByTimeAsync(4000);
    latency = 400;
    await vi.advanceTimersByTimeAsync(3000);
    expect(l.stats().slowdowns).toBe(1); // level at 400 ms: the queue is not ours, cutting further would not help

    latency = 600;
    await vi.advanceTimersByTimeAsync(3000);

    expect(l.stats().slowdowns).toBe(2);
  });

  it('after 5 s off its floor, pauses starts once to drain and look again (no standing queue as floor)', async () => {
    const l = exchangeLimiter();
    let latency = 100;
    keepBusy(l, () => latency);
    await vi.advanceTimersByTimeAsync(4000);
    latency = 180; // 'rising': no growth, no cut

    const pausesAt: number[] = [];
    for (let ms = 0; ms < 8000; ms += 50) {
      const paused = l.stats().pausedForMs > 0;
      await vi.advanceTimersByTimeAsync(50);
      if (!paused && l.stats().pausedForMs > 0) pausesAt.push(ms);
    }

    expect(pausesAt).toHaveLength(1);
    expect(pausesAt[0]).toBeGreaterThanOrEqual(4500);
    expect(l.stats().slowdowns).toBe(0);
  });

  it('re-baselines on a service that became slower for good, then grows again', async () => {
    const l = exchangeLimiter();
    let latency = 100;
    keepBusy(l, () => latency);
    await vi.advanceTimersByTimeAsync(4000);
    latency = 400;
    await vi.advanceTimersByTimeAsync(3000);
    const lowered = l.stats().ratePerSecond ?? 0;

    await vi.advanceTimersByTimeAsync(15_000); // the 10 s baseline window, and a quarter more, have passed

    expect(l.stats()).toMatchObject({ slowdowns: 1, baselineLatencyMs: 400 });
    expect(l.stats().ratePerSecond).toBeGreaterThan(lowered * 1.5);
  });

  it('ignores one slow call among fast ones (the signal is the lowest recent latency, not the mean)', async () => {
    const l = exchangeLimiter();
    let calls = 0;
    keepBusy(l, () => (++calls % 5 === 0 ? 3000 : 100));

    await vi.advanceTimersByTimeAsync(6000);

    expect(l.stats().slowdowns).toBe(0);
    expect(l.stats().ratePerSecond).toBeGreaterThan(16); // grown well past the first 4/s
  });

  it.each(['throttled', 'unanswered'] as const)('shrinks the rate once per congestion event on %s', async (kind) => {
    const l = exchangeLimiter();
    let failing = false;
    keepBusy(
      l,
      () => 100,
      () => (failing ? kind : 'success'),
    );
    await vi.advanceTimersByTimeAsync(4000);
    const before = l.stats().ratePerSecond ?? 0;
    failing = true;

    await vi.advanceTimersByTimeAsync(200); // every request started since fails; those in flight together: one event

    const after = l.stats();
    expect(after.ratePerSecond).toBeLessThan(before * 0.6); // one halving (still in slow start), not two
    expect(after.ratePerSecond).toBeGreaterThan(before * 0.4);
    expect(after.pausedForMs > 0).toBe(kind === 'throttled'); // only a 429 pauses new starts
  });

  it('keeps the requests in flight within what the rate needs at the congestion threshold', async () => {
    const l = exchangeLimiter();
    keepBusy(l, () => 100, undefined, 400);

    await vi.advanceTimersByTimeAsync(6000);

    const { ratePerSecond = 0, limit, inFlight } = l.stats();
    // rate × 2 × (2 × 100 ms + 100 ms) + 1, so latency up to the threshold never holds the rate back
    expect(limit).toBe(Math.min(256, Math.ceil(ratePerSecond * 0.6) + 1));
    expect(inFlight).toBeLessThanOrEqual(limit);
  });
});

describe('AdaptiveLimiter following the tenant shared rate (issue 20)', () => {
  function sharedRate(perSecond: number, decreasedAt: number) {
    const reports: unknown[] = [];
    const state = { perSecond, decreasedAt };
    return { state, reports, link: { current: () => ({ ...state }), report: (r: unknown) => reports.push(r) } };
  }

  it('starts from the stored rate instead of slow start, and a lower stored rate caps it', async () => {
    const shared = sharedRate(80, 1);
    const l = limiter({ ...EXCHANGE_LIMITS, shared: shared.link });
    (await l.acquire()).success();
    expect(l.stats().ratePerSecond).toBe(80);

    // Another instance cuts it.
    shared.state.perSecond = 60;
    shared.state.decreasedAt = 2;
    const next = l.acquire();
    await vi.advanceTimersByTimeAsync(100);
    (await next).success();

    expect(l.stats().ratePerSecond).toBe(60);
  });

  it('a stale read (lower, but no new cut) does not pull its rate back', async () => {
    const shared = sharedRate(80, 1);
    const l = limiter({ ...EXCHANGE_LIMITS, shared: shared.link });
    (await l.acquire()).success();

    shared.state.perSecond = 50;
    const next = l.acquire();
    await vi.advanceTimersByTimeAsync(100);
    (await next).success();

    expect(l.stats().ratePerSecond).toBe(80);
  });

  it('reports its decreases, so every instance slows', async () => {
    const shared = sharedRate(80, 1);
    const l = limiter({ ...EXCHANGE_LIMITS, shared: shared.link });
    (await l.acquire()).throttled(0);
    expect(shared.reports).toEqual([{ kind: 'decrease', fromPerSecond: 80 }]);
  });
});
