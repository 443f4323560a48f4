import { describe, expect, it } from 'vitest';
import { TenantRateTable } from '../../shared/adapters/tables/tenantRateTable.js';
import { RATE_RULES, SHARED_RATE_REFRESH_MS } from '../../shared/domain/pacing.js';
import { reportSharedRate } from '../../shared/usecases/tenantRates.js';
import { freshTables } from '../support/tables.js';

// Issue 20: one Exchange budget per tenant across instances. Many instances report at once; the row is written
// under its ETag, so concurrent reports of one congestion event cut it once, and growth is one step however many
// instances report it (AIMD on Azurite's real ETags, no lock).

const TENANT = '00000000-0000-4000-8000-000000000001';
const INSTANCES = 16;

function rateTable(): TenantRateTable {
  return new TenantRateTable(freshTables().store('TenantRates'));
}

describe('the shared tenant rate under concurrent reports (Azurite ETags)', () => {
  it('sixteen instances reporting one congestion event at once cut the rate once', async () => {
    // Arrange
    const table = rateTable();
    await table.create(TENANT, 'exchange', { perSecond: 100, decreasedAt: 0, updatedAt: 0 });
    const now = () => 10_000;

    // Act
    await Promise.all(
      Array.from({ length: INSTANCES }, () =>
        reportSharedRate(table, TENANT, 'exchange', { kind: 'decrease', fromPerSecond: 50 }, now),
      ),
    );

    // Assert
    const stored = await table.get(TENANT, 'exchange');
    expect(stored?.value).toEqual({
      perSecond: 100 * RATE_RULES.exchange.decrease,
      congestedAtPerSecond: 100,
      decreasedAt: 10_000,
      updatedAt: 10_000,
    });
  });

  it('a congestion event reported after the others have read the last cut cuts again', async () => {
    const table = rateTable();
    await table.create(TENANT, 'graph', { perSecond: 200, decreasedAt: 0, updatedAt: 0 });

    await reportSharedRate(table, TENANT, 'graph', { kind: 'decrease', fromPerSecond: 50 }, () => 5_000);
    await reportSharedRate(
      table,
      TENANT,
      'graph',
      { kind: 'decrease', fromPerSecond: 50 },
      () => 5_000 + SHARED_RATE_REFRESH_MS - 1,
    );
    await reportSharedRate(
      table,
      TENANT,
      'graph',
      { kind: 'decrease', fromPerSecond: 50 },
      () => 5_000 + SHARED_RATE_REFRESH_MS,
    );

    expect((await table.get(TENANT, 'graph'))?.value.perSecond).toBeCloseTo(200 * 0.85 * 0.85, 6);
  });

  it('a decrease written between an instance reading and writing growth is not lost (ETag)', async () => {
    // Arrange: instance A reads the row; before it writes its growth, instance B stores a cut.
    const table = rateTable();
    await table.create(TENANT, 'exchange', { perSecond: 100, decreasedAt: 0, updatedAt: 0 });
    let interleaved = false;
    const instanceA = Object.create(table) as TenantRateTable;
    instanceA.get = async (tenantId, service) => {
      const found = await table.get(tenantId, service);
      if (!interleaved) {
        interleaved = true;
        await reportSharedRate(table, TENANT, 'exchange', { kind: 'decrease', fromPerSecond: 50 }, () => 1_000);
      }
      return found;
    };

    // Act
    await reportSharedRate(instanceA, TENANT, 'exchange', { kind: 'increase', perSecond: 150 }, () => 1_000);

    // Assert: A's growth was applied to B's cut (no time since it: no step), not written over it.
    expect((await table.get(TENANT, 'exchange'))?.value).toMatchObject({ perSecond: 85, congestedAtPerSecond: 100 });
  });

  it('sixteen instances reporting growth at once grow the rate by one step, not sixteen', async () => {
    const table = rateTable();
    await table.create(TENANT, 'exchange', { perSecond: 80, decreasedAt: 0, updatedAt: 0 });
    const oneSecondLater = () => 1_000;

    await Promise.all(
      Array.from({ length: INSTANCES }, () =>
        reportSharedRate(table, TENANT, 'exchange', { kind: 'increase', perSecond: 200 }, oneSecondLater),
      ),
    );

    expect((await table.get(TENANT, 'exchange'))?.value.perSecond).toBeCloseTo(80 * (1 + RATE_RULES.exchange.increase));
  });

  it('instances creating the row at once: one creates it, the others apply their report to it', async () => {
    const table = rateTable();

    const results = await Promise.all(
      Array.from({ length: INSTANCES }, (_, i) =>
        reportSharedRate(table, TENANT, 'exchange', { kind: 'increase', perSecond: 8 + i }, () => 0),
      ),
    );

    const stored = (await table.get(TENANT, 'exchange'))?.value;
    expect(stored?.perSecond).toBeGreaterThanOrEqual(8);
    expect(stored?.decreasedAt).toBeUndefined();
    // Every report saw the row that won (none failed, none overwrote it without its ETag).
    expect(results.every((r) => r?.perSecond === stored?.perSecond)).toBe(true);
  });
});
