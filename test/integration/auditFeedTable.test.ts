import { describe, expect, it } from 'vitest';
import { AuditFeedTable } from '../../shared/adapters/tables/auditFeedTable.js';
import { CorruptEntityError } from '../../shared/errors.js';
import { type AuditFeedState, zeroCounts } from '../../shared/ports/auditFeedState.js';
import { freshTables } from '../support/tables.js';

// The change feed's table on Azurite: its rows under real ETags, its ranges, and its mappers on stored values.

const TENANT = '00000000-0000-4000-8000-0000000000bb';
const TYPE = 'Audit.Exchange';

function table() {
  const store = freshTables().store('AuditFeed');
  return { store, feed: new AuditFeedTable(store) };
}

function stateWith(checkpoint: string): AuditFeedState {
  return {
    checkpoint,
    subscription: { status: 'enabled', confirmedAt: checkpoint },
    lastPoll: { at: checkpoint, outcome: 'succeeded', error: null },
    newestRecordAt: null,
    gaps: [],
    checkpointLostAt: null,
  };
}

describe('AuditFeedTable (Azurite)', () => {
  it('sixteen concurrent adds to one hour all count', async () => {
    const { feed } = table();
    const at = new Date('2026-03-09T12:34:00Z');

    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        feed.addCounts(TENANT, TYPE, at, { ...zeroCounts(), recordsRead: i + 1, throttledPolls: 1 }),
      ),
    );

    const total = await feed.countsSince(TENANT, TYPE, new Date('2026-03-09T12:00:00Z'));
    expect(total.recordsRead).toBe((16 * 17) / 2);
    expect(total.throttledPolls).toBe(16);
  });

  it('counts since a time sum the hours from that hour on, and only those', async () => {
    const { feed } = table();
    const add = (iso: string, n: number) =>
      feed.addCounts(TENANT, TYPE, new Date(iso), {
        ...zeroCounts(),
        permissionHints: n,
        ignored: { notPermissionChange: 0, systemActor: n, failedOperation: 0 },
      });
    await add('2026-03-08T11:59:59Z', 100);
    await add('2026-03-08T12:00:00Z', 1);
    await add('2026-03-09T11:00:00Z', 2);

    const total = await feed.countsSince(TENANT, TYPE, new Date('2026-03-08T12:30:00Z'));

    expect(total.permissionHints).toBe(3);
    expect(total.ignored.systemActor).toBe(3);
  });

  it('concurrent updates each apply their change to what the other wrote (none is lost)', async () => {
    const { feed } = table();
    await feed.update(TENANT, TYPE, () => stateWith('2026-03-09T12:00:00.000Z'));

    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        feed.update(TENANT, TYPE, (current) => ({
          ...stateWith('2026-03-09T12:00:00.000Z'),
          gaps: [
            ...(current?.gaps ?? []),
            { from: `2026-03-0${i + 1}T00:00:00.000Z`, to: '2026-03-09T00:00:00.000Z', detectedAt: 'x' },
          ].map((g) => ({ ...g, detectedAt: '2026-03-09T12:00:00.000Z' })),
        })),
      ),
    );

    expect((await feed.get(TENANT, TYPE))?.value.gaps).toHaveLength(8);
  });

  it('remembers seen blobs by id and creation time, and forgets those past the window by range', async () => {
    const { feed } = table();
    const old = {
      contentId: '20260301$a$audit_exchange$Audit_Exchange$emea0001',
      contentCreated: '2026-03-01T10:00:00Z',
    };
    const fresh = { contentId: 'odd/id#with?chars', contentCreated: '2026-03-08T10:00:00.000Z' };
    const never = { contentId: 'never', contentCreated: '2026-03-08T10:00:00.000Z' };
    await feed.markSeen(TENANT, TYPE, [old, fresh]);
    await feed.addCounts(TENANT, TYPE, new Date('2026-03-01T10:00:00Z'), { ...zeroCounts(), recordsRead: 5 });

    expect(await feed.seen(TENANT, TYPE, [old, fresh, never])).toEqual(new Set([old.contentId, fresh.contentId]));
    const deleted = await feed.forgetBefore(TENANT, TYPE, new Date('2026-03-02T12:00:00Z'));

    expect(deleted).toBe(2);
    expect(await feed.seen(TENANT, TYPE, [old, fresh])).toEqual(new Set([fresh.contentId]));
    expect((await feed.countsSince(TENANT, TYPE, new Date('2026-02-01T00:00:00Z'))).recordsRead).toBe(0);
  });

  it('a state row with a missing or unreadable field is a CorruptEntityError naming table, key and field', async () => {
    const { store, feed } = table();
    await feed.update(TENANT, TYPE, () => stateWith('2026-03-09T12:00:00.000Z'));
    const stored = await store.get(TENANT, TYPE);
    if (!stored) throw new Error('state row not written');
    await store.upsert({ ...stored, partitionKey: TENANT, rowKey: TYPE, checkpoint: 'yesterday' });

    const error = await feed.get(TENANT, TYPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptEntityError);
    expect((error as Error).message).toMatch(/AuditFeed.*checkpoint/s);

    const { checkpoint: _dropped, ...rest } = stored;
    await store.upsert({ ...rest, partitionKey: TENANT, rowKey: TYPE });
    await expect(feed.get(TENANT, TYPE)).rejects.toThrow(/checkpoint.*missing|missing.*checkpoint/s);
  });

  it('a counter bucket with a missing count is corrupt, never read as 0', async () => {
    const { store, feed } = table();
    const at = new Date('2026-03-09T12:00:00Z');
    await feed.addCounts(TENANT, TYPE, at, zeroCounts());
    const bucket = await store.get(`${TENANT}|${TYPE}|hours`, '2026-03-09T12');
    if (!bucket) throw new Error('bucket not written');
    const { failedPolls: _dropped, ...rest } = bucket;
    await store.upsert({ ...rest, partitionKey: `${TENANT}|${TYPE}|hours`, rowKey: '2026-03-09T12' });

    await expect(feed.countsSince(TENANT, TYPE, at)).rejects.toBeInstanceOf(CorruptEntityError);
  });
});
