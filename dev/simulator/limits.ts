import { TokenBucket, type SimContext } from './http.js';

export type Api = 'graph' | 'exchange';
export type FaultKind = 'http503' | 'drop' | 'truncate';

/** Re-creates the token buckets after the rate-limit knobs changed. */
export function resetBuckets(ctx: SimContext): void {
  const { graph, exchange } = ctx.knobs.rateLimits;
  ctx.buckets = {
    ...(graph !== undefined && graph > 0 ? { graph: new TokenBucket(graph) } : {}),
    ...(exchange !== undefined && exchange > 0 ? { exchange: new TokenBucket(exchange) } : {}),
  };
}

/**
 * Takes a request slot for the API. Returns undefined when allowed, or the throttle decision:
 * Retry-After (whole seconds) on about half of the 429s, none on the rest, as the real services do.
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
