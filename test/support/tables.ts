import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { TableClientFactory } from '../../shared/adapters/tables/tableStore.js';

/** A table factory on the run's Azurite with a fresh prefix, so each test sees empty tables. */
export function freshTables(): TableClientFactory {
  return new TableClientFactory({
    kind: 'connectionString',
    connectionString: inject('tablesConnectionString'),
    prefix: `t${randomBytes(6).toString('hex')}`,
  });
}
