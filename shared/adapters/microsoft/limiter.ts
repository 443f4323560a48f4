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
  now?: () => number;
  random?: () => number;
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
  private readonly minIntervalMs: number;
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

  constructor(options: LimiterOptions) {
    this.name = options.name;
    this.min = Math.max(1, options.minConcurrency ?? 1);
    this.max = Math.max(this.min, options.maxConcurrency ?? 64);
    this.limit = clamp(options.initialConcurrency ?? 8, this.min, this.max);
    this.increaseAfter = Math.max(1, options.increaseAfterSuccesses ?? 20);
    this.minIntervalMs = options.maxRequestsPerSecond ? 1000 / options.maxRequestsPerSecond : 0;
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
        this.successCount += 1;
        this.consecutiveThrottles = 0;
        this.successesSinceChange += 1;
        if (this.successesSinceChange >= this.increaseAfter && this.limit < this.max) {
          this.limit += 1;
          this.successesSinceChange = 0;
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
      this.epoch += 1;
    }
    const pauseMs = Math.min(this.maxPauseMs, retryAfterMs ?? this.backoffMs());
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + pauseMs);
    this.pump();
  }

  private backoffMs(): number {
    const exp = Math.min(this.maxPauseMs, this.basePauseMs * 2 ** Math.max(0, this.consecutiveThrottles - 1));
    // Jitter keeps many workers that were throttled together from returning together.
    return Math.round(exp / 2 + (this.random() * exp) / 2);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
