import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveLimiter, type LimiterOptions, type LimiterSlot } from '../../shared/adapters/microsoft/index.js';

function rateLimiter(overrides: Partial<LimiterOptions> = {}): AdaptiveLimiter {
  return new AdaptiveLimiter({
    name: 'rate',
    initialConcurrency: 64,
    maxConcurrency: 256,
    random: () => 1,
    basePauseMs: 0,
    adaptiveRate: { initialPerSecond: 10 },
    ...overrides,
  });
}

function acquireMany(l: AdaptiveLimiter, count: number): LimiterSlot[] {
  const granted: LimiterSlot[] = [];
  for (let i = 0; i < count; i += 1) void l.acquire().then((slot) => granted.push(slot));
  return granted;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('AdaptiveLimiter with rate control (Exchange meters cmdlets per second)', () => {
  it('paces starts at the initial rate even with free concurrency', async () => {
    const l = rateLimiter();
    const granted = acquireMany(l, 5);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(granted).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(300);
    expect(granted).toHaveLength(5);
  });

  it('doubles the rate per second while requests wait for it (slow start), halves it on the first 429', async () => {
    const l = rateLimiter();
    const granted = acquireMany(l, 200);
    for (let ms = 0; ms < 2000; ms += 10) {
      await vi.advanceTimersByTimeAsync(10);
      while (granted.length > 0) granted.shift()!.success();
    }
    const grown = l.stats().ratePerSecond!;
    expect(grown).toBeGreaterThan(25);
    expect(grown).toBeLessThanOrEqual(40); // at most 10 · 2², not unbounded

    while (granted.length === 0) await vi.advanceTimersByTimeAsync(5);
    granted.shift()!.throttled(0);
    expect(l.stats().ratePerSecond).toBeCloseTo(grown / 2, 0);
  });

  it(
    'after slow start, each congestion event lowers the rate by 15 %, ' + 'once for the requests in flight together',
    async () => {
      const l = rateLimiter({ adaptiveRate: { initialPerSecond: 100 } });
      (await l.acquire()).throttled(0); // ends slow start: 100 → 50
      await vi.advanceTimersByTimeAsync(100);
      const together = acquireMany(l, 3);
      await vi.advanceTimersByTimeAsync(100);
      expect(together).toHaveLength(3);
      for (const slot of together) slot.throttled(0);
      expect(l.stats().ratePerSecond).toBeCloseTo(42.5, 1);
      expect(l.stats().throttled).toBe(4);
    },
  );

  it('stops growing once the backlog is gone: the rate stays within a small multiple of the demand', async () => {
    const l = rateLimiter({ adaptiveRate: { initialPerSecond: 10 } });
    const granted: LimiterSlot[] = [];
    let rateAt10s = 0;
    // Demand: 5 requests every 100 ms (50/s); each finishes within 100 ms.
    for (let t = 0; t < 20_000; t += 100) {
      for (let i = 0; i < 5; i += 1) void l.acquire().then((slot) => granted.push(slot));
      await vi.advanceTimersByTimeAsync(100);
      while (granted.length > 0) granted.shift()!.success();
      if (t === 10_000) rateAt10s = l.stats().ratePerSecond!;
    }
    expect(rateAt10s).toBeGreaterThanOrEqual(50);
    expect(rateAt10s).toBeLessThanOrEqual(200);
    expect(l.stats().ratePerSecond).toBe(rateAt10s);
    expect(l.stats().queued).toBe(0);
  });

  it('does not grow a rate nobody reaches (an idle limiter banks no burst)', async () => {
    const l = rateLimiter();
    for (let i = 0; i < 20; i += 1) {
      (await l.acquire()).success();
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(l.stats().ratePerSecond).toBe(10);
  });

  it('on a 429 keeps enough concurrency for the new rate at the observed latency (Little’s law)', async () => {
    const l = rateLimiter({ initialConcurrency: 8, adaptiveRate: { initialPerSecond: 200 } });
    // Requests take 500 ms each.
    const first = acquireMany(l, 8);
    await vi.advanceTimersByTimeAsync(500);
    for (const slot of first) slot.success();
    (await l.acquire()).throttled(0); // rate 200 → 100/s; 100/s × 0.5 s × 2 = 100 slots wanted, capped by max 256
    expect(l.stats().limit).toBeGreaterThanOrEqual(95);
    expect(l.stats().limit).toBeLessThanOrEqual(100);
  });

  it('without rate control a 429 still halves concurrency (Graph-style default)', async () => {
    const l = new AdaptiveLimiter({ name: 'plain', initialConcurrency: 8, random: () => 1 });
    (await l.acquire()).throttled(0);
    expect(l.stats()).toMatchObject({ limit: 4 });
    expect(l.stats().ratePerSecond).toBeUndefined();
  });
});
