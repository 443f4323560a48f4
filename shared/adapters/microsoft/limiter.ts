/** Tuning of an AdaptiveLimiter; every field has a default suited to Graph / Exchange. */
export interface LimiterOptions {
  name: string;
  initialConcurrency?: number;
  minConcurrency?: number;
  maxConcurrency?: number;
  /** Successes without a 429 after which the limit is raised by one (the upward probe). */
  increaseAfterSuccesses?: number;
  /** Optional hard cap on request starts per second. */
  maxRequestsPerSecond?: number;
  /** Pause after a 429 without Retry-After; doubles on consecutive 429s up to `maxPauseMs`. */
  basePauseMs?: number;
  /** Longest pause of new starts, also for a Retry-After (a single answer must not stall the service for long). */
  maxPauseMs?: number;
  /**
   * Pace request starts at an adaptive rate and leave the concurrency limit alone on a 429: for services
   * that meter requests per second (Exchange Online), where halving concurrency wastes half the budget.
   */
  adaptiveRate?: AdaptiveRateOptions;
  now?: () => number;
  random?: () => number;
}

/** Rate control: slow start (doubling per second) until the first 429, then small steps up and down. */
export interface AdaptiveRateOptions {
  initialPerSecond: number;
  minPerSecond?: number;
  maxPerSecond?: number;
  /** Factor applied once per congestion event after slow start (default 0.85); slow start ends with a halving. */
  decrease?: number;
  /** Relative growth per second while requests are waiting for the rate (default 0.03). */
  increase?: number;
}

export interface LimiterStats {
  name: string;
  limit: number;
  inFlight: number;
  queued: number;
  /** 429s (or 503s with Retry-After) seen since creation. */
  throttled: number;
  successes: number;
  /** Milliseconds until new starts are allowed again (0 when not paused). */
  pausedForMs: number;
  /** The adaptive start rate (requests/s), when rate control is on. */
  ratePerSecond?: number;
}

/** One admitted request; report its outcome exactly once. */
export interface LimiterSlot {
  success(): void;
  /** The service said "slow down": halve the limit (once per congestion event) and pause new starts. */
  throttled(retryAfterMs?: number): void;
  /** Failed for another reason (network, 5xx, 4xx): frees the slot, does not change the limit. */
  failure(): void;
}

interface Waiter {
  resolve: (slot: LimiterSlot) => void;
}

/**
 * AIMD concurrency control for one upstream service: a 429 halves the number of requests allowed in
 * flight and pauses new starts for Retry-After (or a growing backoff); a run of successes raises the
 * limit by one, so throughput finds the service's unpublished budget and follows it.
 */
export class AdaptiveLimiter {
  readonly name: string;
  private limit: number;
  private readonly min: number;
  private readonly max: number;
  private readonly increaseAfter: number;
  private minIntervalMs: number;
  private readonly rate: AdaptiveRate | undefined;
  private readonly basePauseMs: number;
  private readonly maxPauseMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  private inFlight = 0;
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private nextStartAt = 0;
  private successesSinceChange = 0;
  private consecutiveThrottles = 0;
  private throttledCount = 0;
  private successCount = 0;
  // Requests started before the last decrease report the same congestion: they must not halve again.
  private epoch = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = 0;
  /** Moving average of successful requests' durations (rate control sizes concurrency with it). */
  private latencyMs = 0;

  constructor(options: LimiterOptions) {
    this.name = options.name;
    this.min = Math.max(1, options.minConcurrency ?? 1);
    this.max = Math.max(this.min, options.maxConcurrency ?? 64);
    this.limit = clamp(options.initialConcurrency ?? 8, this.min, this.max);
    this.increaseAfter = Math.max(1, options.increaseAfterSuccesses ?? 20);
    this.minIntervalMs = options.maxRequestsPerSecond ? 1000 / options.maxRequestsPerSecond : 0;
    this.rate = options.adaptiveRate ? new AdaptiveRate(options.adaptiveRate, options.maxRequestsPerSecond) : undefined;
    if (this.rate) this.minIntervalMs = this.rate.intervalMs;
    this.basePauseMs = options.basePauseMs ?? 1000;
    this.maxPauseMs = options.maxPauseMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Waits for a free slot (respecting the limit, a pause and the rate cap). */
  acquire(): Promise<LimiterSlot> {
    return new Promise((resolve) => {
      this.queue.push({ resolve });
      this.pump();
    });
  }

  /** Runs `fn` in a slot, reporting success or failure; use `acquire` to report throttling. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const slot = await this.acquire();
    try {
      const result = await fn();
      slot.success();
      return result;
    } catch (error) {
      slot.failure();
      throw error;
    }
  }

  /**
   * A throttle seen outside a slot (a 429 inside a `$batch` whose envelope succeeded): same effect
   * as a throttled slot, halving at most once per congestion event.
   */
  reportThrottle(retryAfterMs?: number): void {
    this.onThrottle(this.epoch, retryAfterMs);
  }

  stats(): LimiterStats {
    return {
      name: this.name,
      limit: this.limit,
      inFlight: this.inFlight,
      queued: this.queue.length,
      throttled: this.throttledCount,
      successes: this.successCount,
      pausedForMs: Math.max(0, this.pausedUntil - this.now()),
      ...(this.rate ? { ratePerSecond: Math.round(this.rate.perSecond * 10) / 10 } : {}),
    };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.limit) {
      const now = this.now();
      const waitMs = Math.max(this.pausedUntil - now, this.nextStartAt - now);
      if (waitMs > 0) {
        this.wakeAfter(waitMs);
        return;
      }
      const waiter = this.queue.shift();
      if (!waiter) return;
      this.inFlight += 1;
      this.rate?.started(now);
      if (this.minIntervalMs > 0) this.nextStartAt = Math.max(now, this.nextStartAt) + this.minIntervalMs;
      waiter.resolve(this.createSlot());
    }
  }

  private wakeAfter(ms: number): void {
    const dueAt = this.now() + ms;
    if (this.timer && this.timerDueAt <= dueAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }

  private createSlot(): LimiterSlot {
    const startedInEpoch = this.epoch;
    const startedAt = this.now();
    let done = false;
    const release = (): boolean => {
      if (done) return false;
      done = true;
      this.inFlight -= 1;
      return true;
    };
    return {
      success: () => {
        if (!release()) return;
        const took = this.now() - startedAt;
        this.latencyMs = this.successCount === 0 ? took : this.latencyMs * 0.95 + took * 0.05;
        this.successCount += 1;
        this.consecutiveThrottles = 0;
        this.successesSinceChange += 1;
        if (this.successesSinceChange >= this.increaseAfter && this.limit < this.max) {
          this.limit += 1;
          this.successesSinceChange = 0;
        }
        // Grow the rate only while it is what holds requests back: a rate nobody reaches must not bank a burst.
        if (this.rate && this.queue.length > 0) {
          this.minIntervalMs = this.rate.grow(this.now());
          // Little's law: the rate needs rate × latency requests in flight; widen the window to reach it.
          this.limit = clamp(Math.max(this.limit, this.slotsForRate()), this.min, this.max);
        }
        this.pump();
      },
      throttled: (retryAfterMs?: number) => {
        if (!release()) return;
        this.onThrottle(startedInEpoch, retryAfterMs);
      },
      failure: () => {
        if (!release()) return;
        this.pump();
      },
    };
  }

  private onThrottle(startedInEpoch: number, retryAfterMs: number | undefined): void {
    this.throttledCount += 1;
    this.successesSinceChange = 0;
    if (startedInEpoch === this.epoch) {
      // Backoff grows per congestion event, not per 429: a burst of answers to the same overload counts once.
      this.consecutiveThrottles += 1;
      this.limit = Math.max(this.min, Math.floor(this.limit / 2));
      if (this.rate) {
        this.minIntervalMs = this.rate.shrink(this.now());
        // Keep enough slots for the new rate at the observed latency, or the rate is never reached.
        this.limit = clamp(Math.max(this.limit, this.slotsForRate()), this.min, this.max);
      }
      this.epoch += 1;
    }
    const pauseMs = Math.min(this.maxPauseMs, retryAfterMs ?? this.backoffMs());
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + pauseMs);
    this.pump();
  }

  /** Requests in flight the current rate needs at the observed latency, with headroom for jitter. */
  private slotsForRate(): number {
    return this.rate ? Math.ceil((this.rate.perSecond * this.latencyMs * 2) / 1000) : 0;
  }

  private backoffMs(): number {
    const exp = Math.min(this.maxPauseMs, this.basePauseMs * 2 ** Math.max(0, this.consecutiveThrottles - 1));
    // Jitter keeps many workers that were throttled together from returning together.
    return Math.round(exp / 2 + (this.random() * exp) / 2);
  }
}

/** The start rate of a rate-controlled limiter (AIMD on requests per second, with slow start). */
class AdaptiveRate {
  perSecond: number;
  private readonly min: number;
  private readonly max: number;
  private readonly decrease: number;
  private readonly increase: number;
  private slowStart = true;
  private lastGrowthAt: number | undefined;
  private readonly buckets: number[] = new Array<number>(10).fill(0);
  private readonly bucketSlots: number[] = new Array<number>(10).fill(-1);

  constructor(options: AdaptiveRateOptions, cap?: number) {
    this.min = Math.max(0.1, options.minPerSecond ?? 1);
    this.max = Math.max(this.min, Math.min(options.maxPerSecond ?? 10_000, cap ?? Infinity));
    this.perSecond = clamp(options.initialPerSecond, this.min, this.max);
    this.decrease = clamp(options.decrease ?? 0.85, 0.1, 0.99);
    this.increase = clamp(options.increase ?? 0.03, 0.001, 1);
  }

  get intervalMs(): number {
    return 1000 / this.perSecond;
  }

  /** Counts a start in the one-second window (ten 100 ms buckets) that tells whether the rate is reached. */
  started(now: number): void {
    const slot = Math.floor(now / 100);
    const index = slot % 10;
    if (this.bucketSlots[index] !== slot) {
      this.bucketSlots[index] = slot;
      this.buckets[index] = 0;
    }
    this.buckets[index] = (this.buckets[index] ?? 0) + 1;
  }

  grow(now: number): number {
    const elapsed = this.lastGrowthAt === undefined ? 0 : Math.min(1000, now - this.lastGrowthAt);
    this.lastGrowthAt = now;
    const slot = Math.floor(now / 100);
    let recent = 0;
    for (let i = 0; i < 10; i += 1) if ((this.bucketSlots[i] ?? -1) > slot - 10) recent += this.buckets[i] ?? 0;
    // Starts in the last second below half the rate: something else limits throughput, so do not grow further.
    if (recent < this.perSecond * 0.5) return this.intervalMs;
    const perSecondGrowth = this.slowStart ? 1 : this.increase;
    this.perSecond = Math.min(this.max, this.perSecond * (1 + perSecondGrowth) ** (elapsed / 1000));
    return this.intervalMs;
  }

  shrink(now: number): number {
    this.perSecond = Math.max(this.min, this.perSecond * (this.slowStart ? 0.5 : this.decrease));
    this.slowStart = false;
    this.lastGrowthAt = now;
    return this.intervalMs;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
