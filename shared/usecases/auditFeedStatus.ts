import { ConfigError } from '../errors.js';
import { AUDIT_CONTENT_TYPE } from '../ports/auditFeed.js';
import type { AuditFeedCounts, AuditFeedState, AuditFeedStateRepository } from '../ports/auditFeedState.js';

const DAY_MS = 24 * 3_600_000;

/** What `GET /api/audit-feed` answers: the change feed's state, its lag and its last 24 hours. */
export interface AuditFeedStatus {
  contentType: string;
  subscription: AuditFeedState['subscription'];
  checkpoint: string | null;
  newestRecordAt: string | null;
  /** now − the newest record time read; null until a record was read. */
  lagSeconds: number | null;
  lastPoll: AuditFeedState['lastPoll'];
  /** Counted from the hour 24 h ago on (whole hourly buckets). */
  last24h: AuditFeedCounts;
  gaps: AuditFeedState['gaps'];
  checkpointLostAt: string | null;
}

/** The feed's state for operators (docs/design.md §8.4); before the first poll: nothing read, subscription unknown. */
export async function getAuditFeedStatus(deps: {
  feedState: AuditFeedStateRepository;
  tenantId: string | undefined;
  now: () => Date;
}): Promise<AuditFeedStatus> {
  const { tenantId } = deps;
  if (!tenantId) {
    throw new ConfigError(
      'CONFIG.NO_TENANT',
      'No Microsoft 365 tenant is configured, so there is no audit feed: set AZURE_TENANT_ID and AZURE_CLIENT_ID',
    );
  }
  const now = deps.now();
  const [stored, last24h] = await Promise.all([
    deps.feedState.get(tenantId, AUDIT_CONTENT_TYPE),
    deps.feedState.countsSince(tenantId, AUDIT_CONTENT_TYPE, new Date(now.getTime() - DAY_MS)),
  ]);
  const state = stored?.value;
  const newest = state?.newestRecordAt ?? null;
  return {
    contentType: AUDIT_CONTENT_TYPE,
    subscription: state?.subscription ?? { status: 'unknown', confirmedAt: null },
    checkpoint: state?.checkpoint ?? null,
    newestRecordAt: newest,
    lagSeconds: newest === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(newest)) / 1000)),
    lastPoll: state?.lastPoll ?? null,
    last24h,
    gaps: state?.gaps ?? [],
    checkpointLostAt: state?.checkpointLostAt ?? null,
  };
}
