import { ConflictError, PreconditionFailedError } from '../errors.js';
import type { Logger } from '../logging.js';
import {
  RATE_RULES,
  SHARED_RATE_REFRESH_MS,
  nextSharedRate,
  type MeteredService,
  type RateReport,
  type SharedRateState,
} from '../domain/pacing.js';
import type { TenantRateRepository, TenantRates } from '../ports/tenantRates.js';

/** Read-modify-write attempts before a report is dropped: each failed one means another instance just wrote. */
const WRITE_ATTEMPTS = 5;

/**
 * Applies one instance's report to the tenant's shared rate under the row's ETag (AIMD, docs/pacing.md): a
 * concurrent writer makes the write fail, and the report is applied again to what that writer stored. Returns
 * the rate as stored afterwards.
 */
export async function reportSharedRate(
  repo: TenantRateRepository,
  tenantId: string,
  service: MeteredService,
  report: RateReport,
  now: () => number,
): Promise<SharedRateState | undefined> {
  for (let attempt = 1; ; attempt++) {
    const found = await repo.get(tenantId, service);
    const next = nextSharedRate(found?.value, report, RATE_RULES[service], now());
    if (!next) return found?.value;
    try {
      const written = found
        ? await repo.replace(tenantId, service, next, found.etag)
        : await repo.create(tenantId, service, next);
      return written.value;
    } catch (error) {
      const raced = error instanceof PreconditionFailedError || error instanceof ConflictError;
      if (!raced || attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}

/** The configured tenant's shared rates, read for expansion's pacing. */
export function tenantRatesOf(repo: TenantRateRepository, tenantId: string): TenantRates {
  return {
    async current() {
      const [exchange, graph] = await Promise.all([repo.get(tenantId, 'exchange'), repo.get(tenantId, 'graph')]);
      return { ...(exchange ? { exchange: exchange.value } : {}), ...(graph ? { graph: graph.value } : {}) };
    },
  };
}

/**
 * One instance's view of one shared rate, for its limiter: the stored rate as read at most once a second, and
 * the limiter's decreases and growth written back in the background. The limiter never waits for the store: a
 * read or write that fails is logged and the limiter keeps its own rate until the next one succeeds.
 */
export class SharedRateLink {
  private known: { perSecond: number; decreasedAt?: number } | undefined;
  private readAt = -Infinity;
  private reading = false;
  private reportedIncreaseAt = -Infinity;

  constructor(
    private readonly repo: TenantRateRepository,
    private readonly tenantId: string,
    private readonly service: MeteredService,
    private readonly now: () => number = Date.now,
    private readonly logger?: Logger,
  ) {}

  /** The tenant's rate as last read (undefined until a row exists); starts a refresh when the last is old. */
  current(): { perSecond: number; decreasedAt?: number } | undefined {
    const now = this.now();
    if (!this.reading && now - this.readAt >= SHARED_RATE_REFRESH_MS) {
      this.reading = true;
      this.readAt = now;
      this.repo.get(this.tenantId, this.service).then(
        (found) => {
          if (found) this.known = view(found.value);
          this.reading = false;
        },
        (error: unknown) => {
          this.reading = false;
          this.logger?.warn({ service: this.service, err: (error as Error).message }, 'shared rate not read');
        },
      );
    }
    return this.known;
  }

  /** The limiter decreased (congestion) or grew; increases are written at most once per refresh interval. */
  report(report: RateReport): void {
    const now = this.now();
    if (report.kind === 'increase') {
      if (now - this.reportedIncreaseAt < SHARED_RATE_REFRESH_MS) return;
      this.reportedIncreaseAt = now;
    }
    reportSharedRate(this.repo, this.tenantId, this.service, report, this.now).then(
      (stored) => {
        if (stored) this.known = view(stored);
      },
      (error: unknown) =>
        this.logger?.warn({ service: this.service, err: (error as Error).message }, 'shared rate not written'),
    );
  }
}

function view(rate: SharedRateState): { perSecond: number; decreasedAt?: number } {
  return { perSecond: rate.perSecond, ...(rate.decreasedAt !== undefined ? { decreasedAt: rate.decreasedAt } : {}) };
}
