import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { startAzurite, type AzuriteHandle } from '../../dev/azurite.js';
import { azuriteConnectionString } from '../../shared/config.js';

// The benchmark settles Azurite's heap before it measures lookups: a full collection on request, and a count of
// the major collections that fall inside each measurement.
describe('Azurite heap control', () => {
  let azurite: AzuriteHandle;
  let table: TableClient;

  beforeAll(async () => {
    azurite = await startAzurite({ heapControl: true });
    table = TableClient.fromConnectionString(azuriteConnectionString(azurite.port), 'HeapControl', {
      allowInsecureConnection: true,
    });
    await table.createTable();
  }, 60_000);

  afterAll(async () => {
    await azurite?.stop();
  });

  it('collects the garbage that writes left behind, counts it as a major collection, and keeps the data', async () => {
    // Arrange: entities replaced many times leave their old versions (and every request's objects) as garbage.
    for (let round = 0; round < 5; round += 1) {
      await table.submitTransaction(
        Array.from(
          { length: 100 },
          (_, i): TransactionAction => [
            'upsert',
            { partitionKey: 'p', rowKey: String(i), payload: 'x'.repeat(2_000), round },
            'Replace',
          ],
        ),
      );
    }
    const majorsBefore = await azurite.majorGcCount();

    // Act
    const gc = await azurite.collectGarbage();

    // Assert
    expect(gc.heapUsedAfterMb).toBeLessThan(gc.heapUsedBeforeMb);
    expect(gc.ms).toBeGreaterThanOrEqual(0);
    expect(await azurite.majorGcCount()).toBeGreaterThan(majorsBefore);
    const rows = [];
    for await (const e of table.listEntities({ queryOptions: { filter: "PartitionKey eq 'p'" } })) rows.push(e);
    expect(rows).toHaveLength(100);
    expect(rows.every((e) => e.round === 4)).toBe(true);
  }, 60_000);

  it('refuses heap requests, with the reason, when Azurite was started without heap control', async () => {
    const plain = await startAzurite();
    try {
      await expect(plain.collectGarbage()).rejects.toThrow(/without heapControl/);
      await expect(plain.majorGcCount()).rejects.toThrow(/without heapControl/);
    } finally {
      await plain.stop();
    }
  }, 60_000);
});
