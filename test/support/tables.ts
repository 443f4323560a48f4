import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { TableClientFactory } from '../../shared/adapters/tables/tableStore.js';
import { AZURITE_LAYOUT } from '../../dev/tableLayout.js';

/**
 * A table factory on the run's Azurite with a fresh prefix (each test sees empty tables),
 * or a given one (a second process).
 */
export function freshTables(prefix = `t${randomBytes(6).toString('hex')}`): TableClientFactory {
  return new TableClientFactory(
    {
      kind: 'connectionString',
      connectionString: inject('tablesConnectionString'),
      prefix,
    },
    AZURITE_LAYOUT,
  );
}
