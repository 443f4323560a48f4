import { RetryableError, type AppError } from '../../errors.js';

/** Bounds on the retries a client makes before a retryable error reaches its caller. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** Sum of all waits; a Retry-After that would exceed it surfaces the error at once (the queue can delay). */
  maxTotalWaitMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  maxTotalWaitMs: 30_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
};

export type Sleep = (ms: number) => Promise<void>;

/** A real timer-based sleep. */
export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Jittered exponential backoff for retry number `retry` (0-based): between half and all of base·2^retry. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/**
 * Runs `attempt` until it succeeds, throws a non-retryable error, or the policy is spent; waits the
 * server's Retry-After when the error carries one, otherwise a jittered backoff.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  options: { sleep?: Sleep; random?: () => number } = {},
): Promise<T> {
  const wait = options.sleep ?? sleep;
  let waited = 0;
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof RetryableError) || n + 1 >= policy.maxAttempts) throw error;
      const delay = error.retryAfterMs ?? backoffDelay(n, policy, options.random);
      if (waited + delay > policy.maxTotalWaitMs) throw error;
      waited += delay;
      await wait(delay);
    }
  }
}

/** The result of one item of a batch: its value, or the typed error it ended with. */
export type ItemOutcome<T> = { ok: true; value: T } | { ok: false; error: AppError };

/**
 * Runs batch rounds until every item has settled: items that ended with a RetryableError (a 429 or a
 * transient failure inside a `$batch` that itself answered 200) are sent again after the longest
 * Retry-After among them or a backoff, within the policy; the rest keep their first outcome.
 */
export async function retryBatchItems<T>(
  size: number,
  round: (pending: readonly number[]) => Promise<ReadonlyMap<number, ItemOutcome<T>>>,
  policy: RetryPolicy,
  options: { sleep?: Sleep; random?: () => number } = {},
): Promise<Array<ItemOutcome<T>>> {
  const wait = options.sleep ?? sleep;
  const results: Array<ItemOutcome<T> | undefined> = new Array<ItemOutcome<T> | undefined>(size).fill(undefined);
  let pending = Array.from({ length: size }, (_, i) => i);
  let waited = 0;
  for (let n = 0; pending.length > 0; n += 1) {
    const outcome = await round(pending);
    const again: number[] = [];
    let serverDelay = 0;
    for (const index of pending) {
      const result = outcome.get(index);
      if (!result) throw new Error(`batch round returned no result for item ${index}`);
      results[index] = result;
      if (!result.ok && result.error instanceof RetryableError) {
        again.push(index);
        serverDelay = Math.max(serverDelay, result.error.retryAfterMs ?? 0);
      }
    }
    if (again.length === 0 || n + 1 >= policy.maxAttempts) break;
    const delay = serverDelay > 0 ? serverDelay : backoffDelay(n, policy, options.random);
    if (waited + delay > policy.maxTotalWaitMs) break;
    waited += delay;
    await wait(delay);
    pending = again;
  }
  return results.map((r, i) => {
    if (!r) throw new Error(`batch item ${i} never settled`);
    return r;
  });
}
