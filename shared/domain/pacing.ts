/**
 * One request budget per tenant and service, shared by every app instance (docs/pacing.md): AIMD on one stored
 * rate, and the release times that pace per-mailbox work through the queue at that rate.
 */

/** The services whose requests a tenant meters. */
export type MeteredService = 'exchange' | 'graph';

/** A tenant's shared start rate for one service, as stored. */
export interface SharedRateState {
  /** Requests per second that all instances together may start. */
  perSecond: number;
  /** The rate just before the last decrease: where the tenant last showed congestion. */
  congestedAtPerSecond?: number;
  /** When the last decrease was written (ms since the epoch). */
  decreasedAt?: number;
  /** When the row was last written (ms since the epoch). */
  updatedAt: number;
}

/** What one instance's limiter saw. */
export type RateReport =
  /** It cut its rate from `fromPerSecond` (429, no answer, or latency above its floor). */
  | { kind: 'decrease'; fromPerSecond: number }
  /** Its rate grew to `perSecond` while requests waited for it and latency stayed near its floor. */
  | { kind: 'increase'; perSecond: number };

/** The AIMD constants of one service: the same steps as its limiter (shared/adapters/microsoft/limiter.ts). */
export interface RateRule {
  /** Multiplicative decrease per congestion event. */
  decrease: number;
  /** Growth per second, as a share of the rate: the additive probe step. */
  increase: number;
  /** Lowest rate a decrease may reach. */
  minPerSecond: number;
}

/**
 * Exchange: the delay-based limiter's steps (x 0.85 per event, +10 %/s); Graph: its 429-driven steps (x 0.85,
 * +3 %/s). The floor is the limiters' own minimum of 1 request/s.
 */
export const RATE_RULES: Readonly<Record<MeteredService, RateRule>> = {
  exchange: { decrease: 0.85, increase: 0.1, minPerSecond: 1 },
  graph: { decrease: 0.85, increase: 0.03, minPerSecond: 1 },
};

/**
 * Instances read the shared rate once a second, so a decrease written less than this long ago has not reached
 * the others yet: their reports of congestion in that time are the same event, and must not cut again.
 */
export const SHARED_RATE_REFRESH_MS = 1000;

/**
 * The next stored rate after one instance's report, or undefined when it changes nothing. A decrease cuts the
 * stored rate (or the reporter's, when higher) once per congestion event across all instances; an increase
 * moves it toward the reporting limiter's rate by at most one growth step per second elapsed since the last
 * write (a doubling until the first decrease, as the limiters' slow start; then the rule's probe step), so many
 * instances reporting together grow it no faster than one would.
 */
export function nextSharedRate(
  current: SharedRateState | undefined,
  report: RateReport,
  rule: RateRule,
  now: number,
): SharedRateState | undefined {
  if (!current) {
    // No instance has written a rate yet: the first report is the tenant's rate (a decrease has nothing to cut).
    return report.kind === 'increase' ? { perSecond: report.perSecond, updatedAt: now } : undefined;
  }
  if (report.kind === 'decrease') {
    if (current.decreasedAt !== undefined && now - current.decreasedAt < SHARED_RATE_REFRESH_MS) return undefined;
    // In slow start the row lags the fastest limiter by up to a second of doubling: the cut is from whichever
    // is higher, the rate that met the congestion, not from a stale one (which would cut twice as deep).
    const congestedAt = Math.max(current.perSecond, report.fromPerSecond);
    return {
      perSecond: Math.max(rule.minPerSecond, congestedAt * rule.decrease),
      congestedAtPerSecond: congestedAt,
      decreasedAt: now,
      updatedAt: now,
    };
  }
  if (report.perSecond <= current.perSecond) return undefined;
  const elapsedSeconds = Math.min(1, Math.max(0, now - current.updatedAt) / 1000);
  // Until the tenant first shows congestion the limiters are in slow start (doubling per second): so is the row.
  const growth = current.decreasedAt === undefined ? 1 : rule.increase;
  const step = current.perSecond * growth * elapsedSeconds;
  if (step <= 0) return undefined;
  return { ...current, perSecond: Math.min(report.perSecond, current.perSecond + step), updatedAt: now };
}

/** The work one mailbox message starts, per metered service. */
export type CallsPerMailbox = Record<MeteredService, number>;

/** What a finished run of the task did: its settled mailboxes and the time from its start to its close. */
export interface FinishedRunPace {
  mailboxesDone: number;
  mailboxesFailed: number;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * Mailboxes per second a finished run settled, from its start to its close (its expansion included, so never
 * more than the tenant gave): undefined for a run without both times or without a mailbox.
 */
export function sustainedMailboxRate(run: FinishedRunPace): number | undefined {
  if (!run.startedAt || !run.finishedAt) return undefined;
  const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
  const mailboxes = run.mailboxesDone + run.mailboxesFailed;
  return seconds > 0 && mailboxes > 0 ? mailboxes / seconds : undefined;
}

/**
 * When to release each mailbox message, as offsets (ms) from the expansion's start: at the tenant's rate of the
 * service that needs the most time per mailbox, rising by that service's probe step per second (as its limiter
 * would grow the rate if nothing pushes back), up to one step above the rate where the tenant last showed
 * congestion. The tenant's rate is the stored shared rate or, when higher, what the task's previous run
 * sustained (`sustainedMailboxesPerSecond` times the calls per mailbox): the stored rate is the one each
 * instance's limiter runs at, so with N instances the tenant sustained up to N times it (docs/pacing.md).
 * Without a stored rate nothing is paced (offsets 0): the limiters find the rate first.
 */
export class ReleaseSchedule {
  private readonly paces: Array<{ calls: number; state: SharedRateState; rule: RateRule }>;
  private doneSeconds = 0;

  constructor(
    calls: CallsPerMailbox,
    rates: Partial<Record<MeteredService, SharedRateState>>,
    sustainedMailboxesPerSecond?: number,
    rules: Readonly<Record<MeteredService, RateRule>> = RATE_RULES,
  ) {
    this.paces = (['exchange', 'graph'] as const).flatMap((service) => {
      const stored = rates[service];
      if (!stored || calls[service] <= 0) return [];
      const sustained = (sustainedMailboxesPerSecond ?? 0) * calls[service];
      const state = sustained > stored.perSecond ? { ...stored, perSecond: sustained } : stored;
      return [{ calls: calls[service], state, rule: rules[service] }];
    });
  }

  /** The release offset (ms) of the next mailbox; successive calls walk the schedule. */
  next(): number {
    if (this.paces.length === 0) return 0;
    const at = this.doneSeconds;
    // The slowest service at this moment sets the time this mailbox's calls take from the budget.
    let seconds = 0;
    for (const { calls, state, rule } of this.paces) {
      const grown = state.perSecond * (1 + rule.increase * at);
      const ceiling = Math.max(state.perSecond, state.congestedAtPerSecond ?? Infinity) * (1 + rule.increase);
      seconds = Math.max(seconds, calls / Math.min(grown, ceiling));
    }
    this.doneSeconds += seconds;
    return Math.round(at * 1000);
  }
}
