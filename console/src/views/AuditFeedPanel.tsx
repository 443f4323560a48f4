import type { AuditFeed } from '../types';
import { ErrorBox, Loading, Time, useApp, useLoad } from '../ui';

/** "1 h 30 min", "45 s": how far the feed is behind the newest audit record it read. */
export function lagText(seconds: number | null): string {
  if (seconds === null) return 'no record read yet';
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** "12 events, 4 permission changes, 7 ignored, 1 unreadable, 3 mailboxes re-read". */
function last24hText(c: AuditFeed['last24h']): string {
  const ignored = Object.values(c.ignored).reduce((sum, n) => sum + n, 0);
  return (
    `${c.recordsRead} events, ${c.permissionHints} permission changes, ${ignored} ignored, ` +
    `${c.unreadableRecords} unreadable, ${c.mailboxesQueued} mailboxes re-read`
  );
}

const OUTCOME_LABEL = { succeeded: 'Succeeded', throttled: 'Throttled', failed: 'Failed' } as const;
const OUTCOME_BADGE = { succeeded: 'succeeded', throttled: 'needsReview', failed: 'failed' } as const;

/**
 * The change feed from the audit log (GET /api/audit-feed): how fresh the index is between full scans — the last
 * checkpoint, the lag, what the last 24 hours brought, the last poll's outcome and error, and any span it lost.
 */
export function AuditFeedPanel() {
  const { api } = useApp();
  const feed = useLoad(() => api.get<AuditFeed>('audit-feed'), [api]);
  const data = feed.data;
  return (
    <section class="card" aria-labelledby="feed-h" data-testid="audit-feed">
      <h2 id="feed-h">
        Change feed (audit log){' '}
        {data ? (
          <span class={`badge badge-${data.subscription.status === 'enabled' ? 'pass' : 'muted'}`}>
            {data.subscription.status === 'enabled' ? 'Subscribed' : 'Not subscribed yet'}
          </span>
        ) : null}
      </h2>
      <ErrorBox error={feed.error} />
      {feed.loading && !data ? <Loading what="the change feed" /> : null}
      {data ? (
        <>
          <dl class="facts">
            <div>
              <dt>Read up to</dt>
              <dd data-testid="feed-checkpoint">
                <Time iso={data.checkpoint} />
              </dd>
            </div>
            <div>
              <dt>Lag</dt>
              <dd data-testid="feed-lag">{lagText(data.lagSeconds)}</dd>
            </div>
            <div>
              <dt>Last 24 h</dt>
              <dd data-testid="feed-24h">{last24hText(data.last24h)}</dd>
            </div>
            <div>
              <dt>Last poll</dt>
              <dd data-testid="feed-last-poll">
                {data.lastPoll ? (
                  <>
                    <span class={`badge badge-${OUTCOME_BADGE[data.lastPoll.outcome]}`}>
                      {OUTCOME_LABEL[data.lastPoll.outcome]}
                    </span>{' '}
                    <Time iso={data.lastPoll.at} />
                  </>
                ) : (
                  <span class="muted">not polled yet</span>
                )}
              </dd>
            </div>
          </dl>
          {data.lastPoll?.error ? (
            <p class="alert alert-warn" data-testid="feed-error">
              Last error: {data.lastPoll.error}
            </p>
          ) : null}
          {data.checkpointLostAt ? (
            <p class="alert alert-warn">
              The checkpoint was lost (<Time iso={data.checkpointLostAt} />
              ): the feed read back the last 7 days.
            </p>
          ) : null}
          {data.gaps.length > 0 ? (
            <div class="alert alert-error" data-testid="feed-gaps">
              <p>
                Audit events were lost in these spans (older than the 7 days the audit log keeps); the next full scan of
                each task covers them:
              </p>
              <ul>
                {data.gaps.map((g) => (
                  <li key={`${g.from}-${g.to}`}>
                    <Time iso={g.from} /> – <Time iso={g.to} />
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
