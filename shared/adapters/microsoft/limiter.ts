import type { RateReport } from '../../domain/pacing.js';

/**
 * The tenant's one rate for this service, shared by every app instance (docs/pacing.md): the limiter follows it
 * and reports its own decreases and growth to it.
 */
export interface SharedRate {
  /**
   * The tenant's rate as last read, with when it was last cut (absent: never, the rate is still in slow start);
   * undefined while no instance has stored one.
   */
  current(): { perSecond: number; decreasedAt?: number } | undefined;
  report(report: RateReport): void;
}

/** Tuning of an AdaptiveLimiter; every field has a default suited to Graph / Exchange. */
export interface LimiterOptions {
  name: string;
  initialConcurrency?: number;
  minConcurrency?: number;
  maxConcurrency?: number;
  /** Without rate control: successes without a 429 after which the limit is raised by one (the upward probe). */
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
  /** With rate control: follow the tenant's shared rate (never above it once known) and report to it. */
  shared?: SharedRate;
}

/** Rate control: slow start (doubling per second) until the first congestion signal, then small steps up and down. */
export interface AdaptiveRateOptions {
  initialPerSecond: number;
  minPerSecond?: number;
  maxPerSecond?: number;
  /** Factor applied once per congestion event after slow start (default 0.85); in slow start, a halving. */
  decrease?: number;
  /** Relative growth per second while requests are waiting for the rate (default 0.03). */
  increase?: number;
  /**
   * Treat rising latency as congestion too (delay-based control): for a service that slows its answers
   * down before it answers 429. Without it only 429s and unanswered requests lower the rate.
   */
  latency?: LatencySignalOptions;
}

/** When latency says "congested": the lowest recent latency above `baseline × factor + marginMs`. */
export interface LatencySignalOptions {
  /** Default 2. */
  factor?: number;
  /** Default 100 ms. */
  marginMs?: number;
  /** The baseline is the lowest latency within this window (default 10 s), so a slower service re-baselines. */
  baselineWindowMs?: number;
  /** Recent latencies the lowest is taken of (default 8); half of them must be in before a decision. */
  samples?: number;
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
  /** Rate decreases for latency above the baseline, when the latency signal is on. */
  slowdowns?: number;
  /** The latency floor the signal compares with (ms), once known. */
  baselineLatencyMs?: number;
  /** The lowest recent latency (ms), once enough requests started since the last decrease have finished. */
  recentLatencyMs?: number;
}

/** One admitted request; report its outcome exactly once. */
export interface LimiterSlot {
  success(): void;
  /** The service said "slow down": decrease (once per congestion event) and pause new starts. */
  throttled(retryAfterMs?: number): void;
  /**
   * No answer at all (timeout, connection reset): an overloaded service may drop requests, so this is a
   * congestion event like a 429 (once per event), without a pause since there is no Retry-After to honour.
   */
  unanswered(): void;
  /** Failed for another reason (5xx, 4xx, a malformed body): frees the slot, does not change the limit. */
  failure(): void;
}

interface Waiter {
  resolve: (slot: LimiterSlot) => void;
}

/**
 * Exchange Online (docs/wire.md, "Exchange pacing"): no published budget, 0.6-0.9 s per cmdlet, and overload
 * shows first as slower answers ("micro delay"), later or never as 429. So the rate is steered by latency:
 * - 4/s at first: a cautious start for an unknown tenant; slow start doubles it each second (100/s in ~6 s).
 * - Congested above 2 × baseline + 100 ms: at 0.6 s per cmdlet that is a queue of about one cmdlet's time,
 *   early enough to act before the service turns to 429s, late enough not to mistake a busy client or
 *   network for it; the margin matters when the baseline is milliseconds (the local simulator).
 * - +10 %/s once slow start is over: the latency signal warns long before a 429 would, so probing can be
 *   faster than Graph's; the 15 % decrease that follows costs little.
 * - The baseline window (10 s, as BBR's for its minimum round trip): every decrease drains our queue and
 *   shows the floor again within seconds, so it holds through our own congestion episodes, and a tenant
 *   that became slower for good is re-baselined (and grown from) within about 12 s.
 */
export const EXCHANGE_LIMITS: Omit<LimiterOptions, 'name'> = {
  initialConcurrency: 8,
  minConcurrency: 1,
  maxConcurrency: 256,
  adaptiveRate: {
    initialPerSecond: 4,
    increase: 0.1,
    latency: { factor: 2, marginMs: 100, baselineWindowMs: 10_000, samples: 8 },
  },
};

/**
 * Graph answers 429 with Retry-After and publishes its budgets, and its latency varies by endpoint
 * (a 999-member page against a single user), so latency is no congestion signal there: start wide
 * (a sync makes 2-3 small reads per mailbox) and let 429s find the tenant's budget.
 */
export const GRAPH_LIMITS: Omit<LimiterOptions, 'name'> = {
  initialConcurrency: 8,
  minConcurrency: 1,
  maxConcurrency: 256,
  adaptiveRate: { initialPerSecond: 50 },
};

/**
 * The Management Activity API meters requests per minute per tenant (baseline 2,000, docs/wire.md) and a poll
 * makes a handful of calls a minute (a listing page, a few blobs): a small, rate-paced start that a 429 lowers.
 */
export const MANAGEMENT_LIMITS: Omit<LimiterOptions, 'name'> = {
  initialConcurrency: 4,
  minConcurrency: 1,
  maxConcurrency: 16,
  adaptiveRate: { initialPerSecond: 5, maxPerSecond: 30 },
};

/**
 * Congestion control for one upstream service. Without rate control it is AIMD on concurrency: a 429
 * halves the requests allowed in flight and pauses new starts for Retry-After (or a growing backoff); a
 * run of successes raises the limit by one. With rate control it paces starts by an adaptive rate
 * (lowered on a 429, an unanswered request, or with the latency signal on, latency well above its
 * floor) and keeps concurrency at what that rate needs, so throughput follows the service's budget.
 */
export class AdaptiveLimiter {
  readonly name: string;
  private limit: number;
  private readonly min: number;
  private readonly max: number;
  private readonly increaseAfter: number;
  private minIntervalMs: number;
  private readonly rate: AdaptiveRate | undefined;
  private readonly watch: LatencyWatch | undefined;
  private readonly basePauseMs: number;
  private readonly maxPauseMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly shared: SharedRate | undefined;
  /** The shared rate's last cut this limiter has followed. */
  private followedCutAt: number | undefined;

  private inFlight = 0;
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private nextStartAt = 0;
  private successesSinceChange = 0;
  private consecutiveThrottles = 0;
  private throttledCount = 0;
  private successCount = 0;
  private slowdownCount = 0;
  /** The recent latency that made the last latency decrease, while latency has stayed above the threshold. */
  private slowdownAtMs: number | undefined;
  // Requests started before the last decrease report the same congestion: they must not decrease again.
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
    const rate = options.adaptiveRate;
    this.rate = rate ? new AdaptiveRate(rate, options.maxRequestsPerSecond) : undefined;
    this.watch = rate?.latency ? new LatencyWatch(rate.latency) : undefined;
    if (this.rate) this.minIntervalMs = this.rate.intervalMs;
    this.basePauseMs = options.basePauseMs ?? 1000;
    this.maxPauseMs = options.maxPauseMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.shared = this.rate ? options.shared : undefined;
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
   * as a throttled slot, decreasing at most once per congestion event.
   */
  reportThrottle(retryAfterMs?: number): void {
    this.onThrottle(this.epoch, retryAfterMs);
  }

  stats(): LimiterStats {
    const now = this.now();
    const baseline = this.watch?.baselineMs(now);
    const recent = this.watch?.recentMs();
    return {
      name: this.name,
      limit: this.limit,
      inFlight: this.inFlight,
      queued: this.queue.length,
      throttled: this.throttledCount,
      successes: this.successCount,
      pausedForMs: Math.max(0, this.pausedUntil - now),
      ...(this.rate ? { ratePerSecond: Math.round(this.rate.perSecond * 10) / 10 } : {}),
      ...(this.watch ? { slowdowns: this.slowdownCount } : {}),
      ...(baseline !== undefined ? { baselineLatencyMs: Math.round(baseline) } : {}),
      ...(recent !== undefined ? { recentLatencyMs: Math.round(recent) } : {}),
    };
  }

  private pump(): void {
    this.followShared();
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

  /**
   * Another instance (or an earlier run) stored the tenant's rate: start from it instead of slow start, and
   * take every cut written to it, so a decrease any instance writes slows every instance. Only a new cut
   * lowers the rate: the row lags this limiter's own growth by up to a second (reported in steerRate), and
   * a read older than the last report would otherwise pull it back.
   */
  private followShared(): void {
    const shared = this.shared?.current();
    if (!this.rate || shared === undefined) return;
    const newCut = shared.decreasedAt !== undefined && shared.decreasedAt !== this.followedCutAt;
    if (newCut) this.followedCutAt = shared.decreasedAt;
    if (this.rate.follow(shared.perSecond, newCut)) {
      this.minIntervalMs = this.rate.intervalMs;
      this.resize();
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
        const now = this.now();
        const took = now - startedAt;
        this.latencyMs = this.successCount === 0 ? took : this.latencyMs * 0.95 + took * 0.05;
        this.successCount += 1;
        this.consecutiveThrottles = 0;
        if (this.rate) this.steerRate(now, took, startedAt);
        else this.probeConcurrency();
        this.pump();
      },
      throttled: (retryAfterMs?: number) => {
        if (!release()) return;
        this.onThrottle(startedInEpoch, retryAfterMs);
      },
      unanswered: () => {
        if (!release()) return;
        this.decrease(startedInEpoch);
        this.pump();
      },
      failure: () => {
        if (!release()) return;
        this.pump();
      },
    };
  }

  private probeConcurrency(): void {
    this.successesSinceChange += 1;
    if (this.successesSinceChange >= this.increaseAfter && this.limit < this.max) {
      this.limit += 1;
      this.successesSinceChange = 0;
    }
  }

  /** After a success under rate control: decrease on latency well above the floor, else maybe grow. */
  private steerRate(now: number, took: number, startedAt: number): void {
    if (!this.rate) return;
    this.rate.delivered(now);
    this.watch?.record(now, took, startedAt);
    // Without a latency signal (Graph) only 429s steer, so latency always reads as "near".
    const state = this.watch ? this.watch.state(now) : 'near';
    if (state === 'congested') this.onSlowAnswers(now);
    else if (state !== 'unknown') this.slowdownAtMs = undefined;
    // Latency off its floor for half the baseline window: drain, so the next answers show whether the floor
    // is still there (it was our own standing queue) or not (the service is slower; the window adopts it).
    if ((state === 'rising' || state === 'congested') && this.watch?.probeDue(now)) this.drain(now);
    // Grow the rate only while it is what holds requests back (a rate nobody reaches must not bank a
    // burst), and, with the latency signal on, only while latency is near its floor: 'rising' holds the
    // rate, 'unknown' means too few answers since the last decrease to tell whether it was enough.
    if (state === 'near' && this.queue.length > 0) {
      const before = this.rate.perSecond;
      this.minIntervalMs = this.rate.grow(now);
      if (this.rate.perSecond > before) this.shared?.report({ kind: 'increase', perSecond: this.rate.perSecond });
    }
    this.resize();
  }

  /** Latency above the threshold: a drain of what we queued and one decrease, unless the last still works. */
  private onSlowAnswers(now: number): void {
    const recent = this.watch?.recentMs() ?? 0;
    // Decrease again only while latency keeps rising. Falling: the last decrease is draining the service's
    // queue, and another would only undershoot. Level after the drain: the queue is not ours (the service
    // became slower, or serves others), so cutting further would not help; the baseline window adopts the
    // new level, and growth resumes from there.
    if (this.slowdownAtMs !== undefined && recent <= this.slowdownAtMs * 1.1) return;
    this.slowdownAtMs = recent;
    this.slowdownCount += 1;
    // The answers behind the signal all started after the last decrease, whichever request reported last.
    this.drain(now);
    this.decrease(this.epoch, true);
  }

  /**
   * Pause starts for about (recent - baseline) ms: the time the service needs to work off the requests of
   * ours it holds in its queue. Anything started sooner would only wait behind them and keep latency high.
   */
  private drain(now: number): void {
    if (!this.watch) return;
    const recent = this.watch.recentMs() ?? 0;
    const queuedMs = Math.max(0, recent - (this.watch.baselineMs(now) ?? recent));
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.min(this.maxPauseMs, queuedMs));
    this.watch.restart(now);
  }

  private onThrottle(startedInEpoch: number, retryAfterMs: number | undefined): void {
    this.throttledCount += 1;
    this.successesSinceChange = 0;
    // Backoff grows per congestion event, not per 429: a burst of answers to the same overload counts once.
    if (startedInEpoch === this.epoch) this.consecutiveThrottles += 1;
    this.decrease(startedInEpoch);
    const pauseMs = Math.min(this.maxPauseMs, retryAfterMs ?? this.backoffMs());
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + pauseMs);
    this.pump();
  }

  /** One multiplicative decrease per congestion event: requests started before it report the same event. */
  private decrease(startedInEpoch: number, queued = false): void {
    if (startedInEpoch !== this.epoch) return;
    this.epoch += 1;
    this.watch?.restart(this.now());
    if (!this.rate) {
      this.limit = Math.max(this.min, Math.floor(this.limit / 2));
      return;
    }
    const fromPerSecond = this.rate.perSecond;
    this.minIntervalMs = this.rate.shrink(this.now(), queued);
    this.shared?.report({ kind: 'decrease', fromPerSecond });
    // Without the latency signal concurrency was sized by the average latency: halve it like plain AIMD.
    if (!this.watch) this.limit = Math.max(this.min, Math.floor(this.limit / 2));
    this.resize();
  }

  /**
   * Little's law: the rate needs rate × latency requests in flight. With the latency signal the window
   * is sized for twice the congestion threshold, so it never holds the rate back while latency is
   * acceptable, yet bounds what a stalled service can accumulate; without it, twice the average latency.
   */
  private resize(): void {
    if (!this.rate) return;
    const thresholdMs = this.watch?.thresholdMs(this.now());
    if (this.watch && thresholdMs === undefined) return;
    const slots =
      thresholdMs !== undefined
        ? Math.ceil((this.rate.perSecond * thresholdMs * 2) / 1000) + 1
        : Math.max(this.limit, Math.ceil((this.rate.perSecond * this.latencyMs * 2) / 1000));
    this.limit = clamp(slots, this.min, this.max);
  }

  private backoffMs(): number {
    const exp = Math.min(this.maxPauseMs, this.basePauseMs * 2 ** Math.max(0, this.consecutiveThrottles - 1));
    // Jitter keeps many workers that were throttled together from returning together.
    return Math.round(exp / 2 + (this.random() * exp) / 2);
  }
}

/** Events in the last second, in ten 100 ms buckets. */
class LastSecondCounter {
  private readonly counts: number[] = new Array<number>(10).fill(0);
  private readonly slots: number[] = new Array<number>(10).fill(-1);

  add(now: number): void {
    const slot = Math.floor(now / 100);
    const index = slot % 10;
    if (this.slots[index] !== slot) {
      this.slots[index] = slot;
      this.counts[index] = 0;
    }
    this.counts[index] = (this.counts[index] ?? 0) + 1;
  }

  count(now: number): number {
    const slot = Math.floor(now / 100);
    let total = 0;
    for (let i = 0; i < 10; i += 1) if ((this.slots[i] ?? -1) > slot - 10) total += this.counts[i] ?? 0;
    return total;
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
  private readonly starts = new LastSecondCounter();
  private readonly deliveries = new LastSecondCounter();

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

  started(now: number): void {
    this.starts.add(now);
  }

  delivered(now: number): void {
    this.deliveries.add(now);
  }

  /**
   * Adopts the tenant's shared rate. In slow start: at least the stored rate (an instance joins the ramp the
   * others reached), and all of it once the row shows a cut, which ends slow start. After slow start: a new cut
   * caps the rate. True when the rate changed.
   */
  follow(shared: number, newCut: boolean): boolean {
    let next = this.perSecond;
    if (this.slowStart) next = newCut ? shared : Math.max(this.perSecond, shared);
    else if (newCut) next = Math.min(this.perSecond, shared);
    if (newCut) this.slowStart = false;
    next = clamp(next, this.min, this.max);
    if (next === this.perSecond) return false;
    this.perSecond = next;
    return true;
  }

  grow(now: number): number {
    const elapsed = this.lastGrowthAt === undefined ? 0 : Math.min(1000, now - this.lastGrowthAt);
    this.lastGrowthAt = now;
    // Starts in the last second below half the rate: something else limits throughput, so do not grow further.
    if (this.starts.count(now) < this.perSecond * 0.5) return this.intervalMs;
    // Nor beyond 1.5 × what the service answered in the last second: when its answers lag (a slow service,
    // or one that queues our requests), slow start would otherwise keep doubling for as long as the feedback
    // takes, and overshoot a small budget by more than the service queues before it answers 429.
    if (this.deliveries.count(now) * 1.5 < this.perSecond) return this.intervalMs;
    const perSecondGrowth = this.slowStart ? 1 : this.increase;
    this.perSecond = Math.min(this.max, this.perSecond * (1 + perSecondGrowth) ** (elapsed / 1000));
    return this.intervalMs;
  }

  /**
   * One decrease: × 0.85, or × 0.5 to end slow start. `queued`: the service is answering, only later
   * (latency, not a 429), so what it answered in the last second is its capacity, known better than a
   * halving guesses it: go 15 % below that (and below our rate). Relative to our rate alone, a rate far
   * above capacity (slow start overshot while the signal lagged by a latency) would keep the queue growing.
   */
  shrink(now: number, queued = false): number {
    let next = this.perSecond * (this.slowStart ? 0.5 : this.decrease);
    if (queued && this.starts.count(now) >= this.perSecond * 0.5) {
      next = Math.min(this.perSecond, this.deliveries.count(now)) * this.decrease;
    }
    this.perSecond = Math.max(this.min, next);
    this.slowStart = false;
    this.lastGrowthAt = now;
    return this.intervalMs;
  }
}

/**
 * The latency signal: a baseline (the lowest latency within a sliding window, kept as four sub-window
 * minima so old floors expire) and the lowest of the latest latencies of requests started since the last
 * decrease. Their difference estimates the time our requests wait in the service's queue: queueing delays
 * every answer and so lifts the minimum, while the natural spread of cmdlet durations and an occasional
 * slow call (a tenant-wide page of 1,000 rows) do not. A mean would read both as congestion, and a median
 * sits above the baseline by half the spread before any queue exists.
 */
class LatencyWatch {
  private readonly factor: number;
  private readonly marginMs: number;
  private readonly windowMs: number;
  private readonly size: number;
  private readonly floors: Array<{ since: number; minMs: number }> = [];
  private recent: number[] = [];
  /** Answers count for the signal only from requests started since then (the last decrease or drain). */
  private since = -Infinity;
  /** When latency was last near its floor (or last drained to find out). */
  private nearAt: number | undefined;

  constructor(options: LatencySignalOptions) {
    this.factor = Math.max(1, options.factor ?? 2);
    this.marginMs = Math.max(0, options.marginMs ?? 100);
    this.windowMs = Math.max(1, options.baselineWindowMs ?? 10_000);
    this.size = Math.max(1, Math.floor(options.samples ?? 8));
  }

  /** Every answer counts for the baseline; for the signal only those of requests started since `restart`. */
  record(now: number, latencyMs: number, startedAt: number): void {
    const span = this.windowMs / 4;
    const last = this.floors.at(-1);
    if (last === undefined || now - last.since >= span) this.floors.push({ since: now, minMs: latencyMs });
    else last.minMs = Math.min(last.minMs, latencyMs);
    this.expire(now);
    this.nearAt ??= now;
    if (startedAt < this.since) return;
    this.recent.push(latencyMs);
    if (this.recent.length > this.size) this.recent.shift();
  }

  /** After a decrease or a drain: what came before no longer tells whether it was enough. */
  restart(now: number): void {
    this.recent = [];
    this.since = now;
  }

  /** Latency has been off its floor for half the baseline window: time to drain and look again (once). */
  probeDue(now: number): boolean {
    if (this.nearAt === undefined || now - this.nearAt < this.windowMs / 2) return false;
    this.nearAt = now;
    return true;
  }

  baselineMs(now: number): number | undefined {
    this.expire(now);
    let min: number | undefined;
    for (const floor of this.floors) min = min === undefined ? floor.minMs : Math.min(min, floor.minMs);
    return min;
  }

  thresholdMs(now: number): number | undefined {
    const baseline = this.baselineMs(now);
    return baseline === undefined ? undefined : baseline * this.factor + this.marginMs;
  }

  /** The lowest recent latency, once half the samples are in. */
  recentMs(): number | undefined {
    return this.recent.length < Math.ceil(this.size / 2) ? undefined : Math.min(...this.recent);
  }

  /**
   * 'congested' above the threshold; 'near' (room to grow) within a quarter of the way from the baseline
   * to it; 'rising' in between, where the rate holds: the queue may be building, but cutting the rate for
   * it would waste budget on the noise of a busy client or network.
   */
  state(now: number): 'unknown' | 'near' | 'rising' | 'congested' {
    const baseline = this.baselineMs(now);
    const recent = this.recentMs();
    if (baseline === undefined || recent === undefined) return 'unknown';
    const threshold = baseline * this.factor + this.marginMs;
    if (recent > threshold) return 'congested';
    if (recent > baseline + (threshold - baseline) / 4) return 'rising';
    this.nearAt = now;
    return 'near';
  }

  private expire(now: number): void {
    const span = this.windowMs / 4;
    // Keep the newest floor even when it is old: after an idle spell it is the best guess there is.
    while (this.floors.length > 1 && (this.floors[0]?.since ?? now) + span <= now - this.windowMs) this.floors.shift();
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
