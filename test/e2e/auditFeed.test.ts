import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zeroCounts } from '../../shared/ports/auditFeedState.js';
import { startTestApp, type TestApp } from '../support/app.js';

// GET /api/audit-feed through the local host (real JWTs, Azurite): the change feed's state as operators see it.

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

describe('GET /api/audit-feed', () => {
  it('before any poll: subscription unknown, no checkpoint, no lag, nothing counted', async () => {
    const res = await app.api('GET', 'audit-feed', { role: 'Reader' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      contentType: 'Audit.Exchange',
      subscription: { status: 'unknown', confirmedAt: null },
      checkpoint: null,
      newestRecordAt: null,
      lagSeconds: null,
      lastPoll: null,
      last24h: zeroCounts(),
      gaps: [],
      checkpointLostAt: null,
    });
  });

  it('answers the stored state, the lag from the newest record and the last 24 hours only', async () => {
    const tenantId = app.services.config.tenant?.tenantId ?? '';
    const now = app.services.now();
    const at = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();
    await app.services.feedState.update(tenantId, 'Audit.Exchange', () => ({
      checkpoint: at(60_000),
      subscription: { status: 'enabled', confirmedAt: at(3_600_000) },
      lastPoll: { at: at(60_000), outcome: 'throttled', error: 'Management API answered 429' },
      newestRecordAt: at(5_400_000),
      gaps: [{ from: at(9 * 86_400_000), to: at(7 * 86_400_000), detectedAt: at(60_000) }],
      checkpointLostAt: null,
    }));
    const counts = { ...zeroCounts(), recordsRead: 7, permissionHints: 3, unreadableRecords: 1 };
    await app.services.feedState.addCounts(tenantId, 'Audit.Exchange', new Date(now.getTime() - 3_600_000), counts);
    await app.services.feedState.addCounts(tenantId, 'Audit.Exchange', new Date(now.getTime() - 26 * 3_600_000), {
      ...zeroCounts(),
      recordsRead: 1000,
    });

    const res = await app.api('GET', 'audit-feed', { role: 'Reader' });

    expect(res.status).toBe(200);
    const body = res.json as Record<string, unknown>;
    expect(body.lagSeconds).toBeGreaterThanOrEqual(5_400);
    expect(body.lagSeconds).toBeLessThan(5_400 + 60);
    expect(body.last24h).toEqual(counts);
    expect(body.lastPoll).toEqual({ at: at(60_000), outcome: 'throttled', error: 'Management API answered 429' });
    expect(body.gaps).toHaveLength(1);
  });

  it('needs the Reader role', async () => {
    expect((await app.api('GET', 'audit-feed', { role: 'none' })).status).toBe(403);
    expect((await app.api('GET', 'audit-feed', { token: null })).status).toBe(401);
  });
});
