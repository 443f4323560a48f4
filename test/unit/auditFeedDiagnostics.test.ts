import { describe, expect, it } from 'vitest';
import { PermanentUpstreamError } from '../../shared/errors.js';
import { checkAuditFeed } from '../../shared/usecases/diagnostics.js';
import { FakeAuditFeed } from '../support/auditFeed.js';

const NOW = new Date('2026-03-09T12:00:00Z');

describe('checkAuditFeed (diagnostics of the change feed)', () => {
  it('passes with a token, the subscription enabled and the last hour listed', async () => {
    const feed = new FakeAuditFeed(() => NOW);
    feed.subscription = 'enabled';
    feed.add('blob-1', new Date(NOW.getTime() - 10 * 60_000), []);
    feed.add('blob-old', new Date(NOW.getTime() - 2 * 3_600_000), []);

    const checks = await checkAuditFeed(() => feed, NOW);

    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['managementToken', 'pass'],
      ['auditSubscription', 'pass'],
      ['auditContent', 'pass'],
    ]);
    expect(checks[2]?.detail).toContain('(1 content blobs)');
    expect(feed.calls.lists).toEqual([{ start: new Date(NOW.getTime() - 3_600_000), end: NOW }]);
  });

  it('no subscription: starts it (as the poll would) and passes, then lists the content', async () => {
    const feed = new FakeAuditFeed(() => NOW);

    const checks = await checkAuditFeed(() => feed, NOW);

    expect(checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass']);
    expect(checks[1]?.detail).toBe('the Audit.Exchange subscription was missing; started it now (started)');
    expect(feed.calls.start).toBe(1);
  });

  it('a subscription the tenant refuses to start: fails with the unified audit log fix', async () => {
    const feed = new FakeAuditFeed(() => NOW);
    feed.fault = (op) =>
      op === 'start' ? new PermanentUpstreamError('MANAGEMENT.BAD_REQUEST', 'the tenant does not allow it') : undefined;

    const checks = await checkAuditFeed(() => feed, NOW);

    const [token, subscription, content] = checks;
    expect(token?.status).toBe('pass');
    expect(subscription).toMatchObject({ status: 'fail', detail: 'the tenant does not allow it' });
    expect(subscription?.fix).toContain('UnifiedAuditLogIngestionEnabled');
    expect(content?.status).toBe('fail');
  });

  it('a refused token or a 403: the fix names ActivityFeed.Read', async () => {
    const feed = new FakeAuditFeed(() => NOW);
    feed.fault = (op) =>
      op === 'token' || op === 'subscriptions' || op === 'list'
        ? new PermanentUpstreamError('MANAGEMENT.FORBIDDEN', 'AF10001: missing ActivityFeed.Read')
        : undefined;

    const checks = await checkAuditFeed(() => feed, NOW);

    expect(checks.every((c) => c.status === 'fail')).toBe(true);
    for (const c of checks) expect(c.fix).toContain('ActivityFeed.Read');
  });
});
