import { describe, expect, it } from 'vitest';
import { DirectoryTable } from '../../shared/adapters/tables/directoryTable.js';
import type { DirectoryUser } from '../../shared/ports/directory.js';
import { freshTables } from '../support/tables.js';

const ada: DirectoryUser = {
  id: 'AAAAAAAA-0000-4000-8000-000000000001',
  upn: "Ada.O'Brien@contoso.com",
  address: 'ada@contoso.com',
  displayName: 'Ada',
};
const ben: DirectoryUser = {
  id: 'bbbbbbbb-0000-4000-8000-000000000002',
  upn: 'ben@contoso.com',
  address: 'ben@contoso.com',
  displayName: 'Ben',
};

function setup(ttlMs = 60_000) {
  let clock = 1_000;
  const tables = freshTables();
  const directory = new DirectoryTable(tables, { max: 100, ttlMs, now: () => clock });
  return { tables, directory, advance: (ms: number) => (clock += ms) };
}

describe('DirectoryTable address resolution', () => {
  it('reads an address once, then answers it from memory until the TTL passes', async () => {
    const { tables, directory, advance } = setup(60_000);
    await directory.upsert([ada]);

    const before = tables.counters.reads;
    expect(await directory.resolveId("ADA.O'BRIEN@contoso.com")).toEqual({ id: ada.id.toLowerCase(), known: true });
    expect(await directory.resolveId("ada.o'brien@contoso.com")).toEqual({ id: ada.id.toLowerCase(), known: true });
    expect(tables.counters.reads - before).toBe(1);

    advance(60_001);
    await directory.resolveId("ada.o'brien@contoso.com");
    expect(tables.counters.reads - before).toBe(2);
  });

  it('does not remember an unknown address: a user synced a moment later is found at once', async () => {
    const { directory } = setup();
    expect(await directory.resolveId('ben@contoso.com')).toBeUndefined();
    await directory.upsert([ben]);
    expect(await directory.resolveId('ben@contoso.com')).toEqual({ id: ben.id, known: true });
  });

  it('drops a cached address when this process writes it again (the address moved to another user)', async () => {
    const { directory } = setup();
    await directory.upsert([ada]);
    expect((await directory.resolveId('ada@contoso.com'))?.id).toBe(ada.id.toLowerCase());

    await directory.upsert([{ ...ben, address: 'ada@contoso.com' }]);

    expect((await directory.resolveId('ada@contoso.com'))?.id).toBe(ben.id);
  });

  it('sees what another process wrote once the cached entry has expired', async () => {
    const { tables, directory, advance } = setup(30_000);
    const otherInstance = new DirectoryTable(tables);
    await directory.upsert([ada]);
    await directory.resolveId('ada@contoso.com');

    await otherInstance.upsert([{ ...ben, address: 'ada@contoso.com' }]);
    expect((await directory.resolveId('ada@contoso.com'))?.id).toBe(ada.id.toLowerCase());
    advance(30_001);

    expect((await directory.resolveId('ada@contoso.com'))?.id).toBe(ben.id);
  });

  it('takes an object id as it is, without a read', async () => {
    const { tables, directory } = setup();
    const before = tables.counters.reads;
    expect(await directory.resolveId(' BBBBBBBB-0000-4000-8000-000000000002 ')).toEqual({ id: ben.id, known: false });
    expect(tables.counters.reads).toBe(before);
  });
});
