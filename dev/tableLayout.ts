import type { TableLayout } from '../shared/adapters/tables/tableStore.js';

/**
 * Physical tables per logical table on Azurite (measured in docs/performance.md, "Table layout on Azurite").
 * Azurite answers every query by scanning the whole physical table, and its index upkeep on each insert, update or
 * delete grows with the table; Table Storage does neither, so production keeps one table per entity.
 */
const SHARDS: Readonly<Record<string, number>> = {
  // A lookup is one partition query: on 256 tables of ~1,000 rows each at 100,000 mailboxes instead of one of 260,000.
  DelegationsByMailbox: 256,
  DelegationsByDelegate: 256,
  // Point reads and writes only, but every sync updates entities here (a 100,000-mailbox sync slowed down as these
  // passed a few hundred thousand rows in one table).
  Directory: 64,
  MailboxSyncState: 64,
  // Every item of a run is updated twice; a run's 64 item partitions spread over these (paging walks the shards).
  RunItems: 32,
};

/** The sharded layout the local host, the bench and the tests use on Azurite: `<name><shard, zero-padded>`. */
export const AZURITE_LAYOUT: TableLayout = {
  physicalTables(logicalName, name) {
    const count = SHARDS[logicalName];
    if (!count) return [name];
    const digits = String(count - 1).length;
    return Array.from({ length: count }, (_, i) => `${name}${String(i).padStart(digits, '0')}`);
  },
};
