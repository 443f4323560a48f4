/**
 * At most `limit` calls of `run` at once in this process; the others wait their turn, first come first served.
 * A use case that needs less than the host's per-instance concurrency (host.json maxConcurrentCalls, applied to
 * every Service Bus function alike) holds one of these in its dependencies, so Azure and the local host behave alike.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A concurrency limit must be 1 or more: ${limit}`);
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Runs `fn` once a slot is free and frees the slot when it settles, resolved or rejected. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next caller, so a newcomer cannot take it in between.
      if (next) next();
      else this.active--;
    }
  }
}
