import type { SimContext } from './http.js';

export type Api = 'graph' | 'exchange';
export type FaultKind = 'http503' | 'drop' | 'truncate';

/**
 * How far over its budget a client may go, in answer delay, before the service refuses with 429.
 * Exchange slows answers down first ("micro delay", docs/wire.md); two seconds of delay is a queue long
 * enough for a latency-watching client to notice (2-3 × its 0.6-0.9 s per cmdlet), short enough that a
 * blind one meets 429s within seconds.
 * Graph answers 429 at once (docs/wire.md: 429 + Retry-After).
 */
const DELAY_BEFORE_THROTTLE_MS: Record<Api, number> = { exchange: 2000, graph: 0 };

/**
 * One service's request budget: a token bucket of one second's capacity that may run into debt. A
 * request over budget is still served, its answer held back until the debt it added is repaid (a
 * queue at the service's rate, so the delay grows with how far over budget the client is); a request
 * whose wait would exceed `maxDelayMs` is refused instead and adds no debt.
 */
export class ServiceBudget {
  private credit: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly maxDelayMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.credit = ratePerSecond;
    this.last = now();
  }

  /** Takes one request; when refused, says how long until the wait would be acceptable again. */
  take(): { ok: true } | { ok: false; waitMs: number } {
    this.refill();
    const waitMs = ((1 - this.credit) / this.ratePerSecond) * 1000;
    if (waitMs > this.maxDelayMs) return { ok: false, waitMs: waitMs - this.maxDelayMs };
    this.credit -= 1;
    return { ok: true };
  }

  /** How long an answer given now is held back: until the budget is out of debt. */
  answerDelayMs(): number {
    this.refill();
    return (Math.max(0, -this.credit) / this.ratePerSecond) * 1000;
  }

  private refill(): void {
    const now = this.now();
    this.credit = Math.min(this.ratePerSecond, this.credit + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }
}

/** Re-creates the budgets after the rate-limit knobs changed. */
export function resetBuckets(ctx: SimContext): void {
  const { graph, exchange } = ctx.knobs.rateLimits;
  ctx.buckets = {
    ...(graph !== undefined && graph > 0 ? { graph: new ServiceBudget(graph, DELAY_BEFORE_THROTTLE_MS.graph) } : {}),
    ...(exchange !== undefined && exchange > 0
      ? { exchange: new ServiceBudget(exchange, DELAY_BEFORE_THROTTLE_MS.exchange) }
      : {}),
  };
}

/**
 * Takes a request slot for the API. Returns undefined when allowed (the answer may still be delayed,
 * see `overloadDelayMs`), or the throttle decision: Retry-After (whole seconds) on about half of the
 * 429s, none on the rest, as the real services do.
 */
export function throttle(ctx: SimContext, api: Api): { retryAfterSeconds?: number } | undefined {
  const bucket = ctx.buckets[api];
  if (bucket === undefined) return undefined;
  const taken = bucket.take();
  if (taken.ok) return undefined;
  ctx.stats.throttled[api]++;
  if (ctx.rng.chance(0.5)) {
    ctx.stats.throttled.withRetryAfter++;
    return { retryAfterSeconds: Math.max(1, Math.ceil(taken.waitMs / 1000)) };
  }
  ctx.stats.throttled.withoutRetryAfter++;
  return {};
}

/** Extra time before an answer of the API is written: the micro delay of a client over its budget. */
export function overloadDelayMs(ctx: SimContext, api: Api): number {
  return ctx.buckets[api]?.answerDelayMs() ?? 0;
}

/** Decides whether this request fails on purpose, and how. */
export function drawFault(ctx: SimContext): FaultKind | undefined {
  if (ctx.knobs.faultRate <= 0 || !ctx.rng.chance(ctx.knobs.faultRate)) return undefined;
  const kind = (['http503', 'drop', 'truncate'] as const)[ctx.rng.int(3)] ?? 'http503';
  if (kind === 'http503') ctx.stats.faults.http503++;
  else if (kind === 'drop') ctx.stats.faults.dropped++;
  else ctx.stats.faults.truncated++;
  return kind;
}

/** Does the app hold any of these application permissions right now? */
export function appHasAny(ctx: SimContext, perms: readonly string[]): boolean {
  return perms.some((p) => ctx.tenant.app.permissions.includes(p));
}
