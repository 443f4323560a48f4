import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { TableClient, TableServiceClient, type TransactionAction } from '@azure/data-tables';
import { TableClientFactory, odata } from '../../shared/adapters/tables/tableStore.js';
import { AZURITE_LAYOUT } from '../../dev/tableLayout.js';
import { ConflictError, PreconditionFailedError, ValidationError } from '../../shared/errors.js';
import { encodeKey } from '../../shared/adapters/tables/keys.js';
import { freshTables } from '../support/tables.js';

describe('TableStore on Azurite', () => {
  it('splits bulk writes into transactions of at most 100 per partition', async () => {
    const tables = freshTables();
    const store = tables.store('Bulk');
    const actions: TransactionAction[] = [];
    for (let i = 0; i < 250; i++)
      actions.push(['upsert', { partitionKey: 'a', rowKey: String(i).padStart(4, '0'), n: i }]);
    for (let i = 0; i < 30; i++)
      actions.push(['upsert', { partitionKey: 'b', rowKey: String(i).padStart(4, '0'), n: i }]);
    await store.submit(actions);
    expect(tables.counters.transactions).toBe(4); // 100 + 100 + 50 for 'a', 30 for 'b'
    let count = 0;
    for await (const _ of store.all(odata`PartitionKey eq ${'a'}`)) count++;
    expect(count).toBe(250);
  });

  it('pages past 1000 rows with an opaque continuation token, without gaps or repeats', async () => {
    const store = freshTables().store('Paging');
    const actions: TransactionAction[] = [];
    for (let i = 0; i < 1203; i++) actions.push(['upsert', { partitionKey: 'p', rowKey: String(i).padStart(5, '0') }]);
    await store.submit(actions);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.page({
        filter: odata`PartitionKey eq ${'p'}`,
        top: 500,
        ...(token ? { continuationToken: token } : {}),
      });
      seen.push(...page.items.map((e) => e.rowKey as string));
      token = page.continuationToken ?? undefined;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(1203);
    expect(new Set(seen).size).toBe(1203);
  });

  it('rejects a forged continuation token with a validation error', async () => {
    const store = freshTables().store('Paging');
    await expect(store.page({ top: 10, continuationToken: 'not-a-token' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('maps a duplicate insert to ConflictError and a stale ETag to PreconditionFailedError', async () => {
    const store = freshTables().store('Concurrency');
    const etag = await store.insert({ partitionKey: 'p', rowKey: 'r', v: 1 });
    await expect(store.insert({ partitionKey: 'p', rowKey: 'r', v: 2 })).rejects.toBeInstanceOf(ConflictError);
    await store.update({ partitionKey: 'p', rowKey: 'r', v: 3 }, etag!);
    await expect(store.update({ partitionKey: 'p', rowKey: 'r', v: 4 }, etag!)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect((await store.get('p', 'r'))?.v).toBe(3);
  });

  it('stores and finds keys built from odd user input, and odata filters cannot be injected', async () => {
    const store = freshTables().store('Odd');
    const upn = "o'brien#ops@contoso.com";
    await store.upsert({ partitionKey: encodeKey(upn), rowKey: 'x', upn });
    await store.upsert({ partitionKey: 'victim', rowKey: 'x', upn: 'victim' });
    const found: string[] = [];
    for await (const e of store.all(odata`PartitionKey eq ${encodeKey(upn)}`)) found.push(e.upn as string);
    expect(found).toEqual([upn]);
    const injected: string[] = [];
    for await (const e of store.all(odata`PartitionKey eq ${"x' or PartitionKey ne 'x"}`))
      injected.push(e.partitionKey as string);
    expect(injected).toEqual([]);
  });

  it("a transaction answers each written entity's ETag, which guards the next write; one partition only", async () => {
    const store = freshTables().store('Transact');
    await store.insert({ partitionKey: 'p', rowKey: 'a', v: 0 });
    const stale = (await store.get('p', 'a'))!.etag;

    const etags = await store.transact(
      [
        ['update', { partitionKey: 'p', rowKey: 'a', v: 1 }, 'Replace', { etag: stale }],
        ['create', { partitionKey: 'p', rowKey: 'b', v: 1 }],
        ['delete', { partitionKey: 'p', rowKey: 'a' }],
      ].slice(0, 2) as TransactionAction[],
    );

    expect(etags).toEqual([(await store.get('p', 'a'))!.etag, (await store.get('p', 'b'))!.etag]);
    await store.update({ partitionKey: 'p', rowKey: 'a', v: 2 }, etags[0]!);
    await expect(store.update({ partitionKey: 'p', rowKey: 'a', v: 3 }, stale)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await expect(
      store.transact([
        ['upsert', { partitionKey: 'p', rowKey: 'c' }],
        ['upsert', { partitionKey: 'q', rowKey: 'c' }],
      ]),
    ).rejects.toThrow(/one partition/);
  });

  it('get returns undefined for a missing entity and delete is idempotent', async () => {
    const store = freshTables().store('Missing');
    expect(await store.get('nope', 'nope')).toBeUndefined();
    await store.delete('nope', 'nope');
  });
});

describe('table layouts', () => {
  const connectionString = () => inject('tablesConnectionString');
  const physicalTables = async (prefix: string) => {
    const service = TableServiceClient.fromConnectionString(connectionString(), { allowInsecureConnection: true });
    const names: string[] = [];
    for await (const t of service.listTables({
      queryOptions: { filter: odata`TableName ge ${prefix} and TableName lt ${`${prefix}{`}` },
    }))
      names.push(t.name ?? '');
    return names;
  };

  it(
    'one table per entity (production): DelegationsByMailbox is one physical table, ' + 'created on the first write',
    async () => {
      const prefix = `t${randomBytes(6).toString('hex')}`;
      const tables = new TableClientFactory({ kind: 'connectionString', connectionString: connectionString(), prefix });
      const store = tables.store('DelegationsByMailbox');
      expect(await store.get('m1', 'r')).toBeUndefined();
      let none = 0;
      for await (const _ of store.all()) none++;
      expect(none).toBe(0);
      expect(await physicalTables(prefix)).toEqual([]);

      await store.submit(
        Array.from({ length: 40 }, (_, i): TransactionAction => ['upsert', { partitionKey: `m${i}`, rowKey: 'r', i }]),
      );

      expect(await physicalTables(prefix)).toEqual([`${prefix}DelegationsByMailbox`]);
      expect((await store.get('m39', 'r'))?.i).toBe(39);
    },
  );

  it('the Azurite layout gives 256 / 64 / 32 shards to the tables Azurite scans, one table to the rest', () => {
    const shards = (name: string) => AZURITE_LAYOUT.physicalTables(name, `p${name}`);
    expect(shards('DelegationsByMailbox')).toHaveLength(256);
    expect(shards('DelegationsByDelegate')[255]).toBe('pDelegationsByDelegate255');
    expect(shards('Directory')).toHaveLength(64);
    expect(shards('MailboxSyncState')[0]).toBe('pMailboxSyncState00');
    expect(shards('RunItems')).toHaveLength(32);
    expect(shards('DelegationHistory')).toEqual(['pDelegationHistory']);
    expect(shards('Runs')).toEqual(['pRuns']);
  });
});

describe('sharded TableStore (DelegationsByMailbox / DelegationsByDelegate on the Azurite layout)', () => {
  const physical = (name: string) =>
    TableClient.fromConnectionString(inject('tablesConnectionString'), name, { allowInsecureConnection: true });
  const rowsIn = async (name: string) => {
    let n = 0;
    try {
      for await (const _ of physical(name).listEntities()) n++;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return -1; // no such table
      throw error;
    }
    return n;
  };

  it(
    'spreads partitions over 256 shard tables created on first write, finds every entity, ' +
      'and routes partition queries to one shard',
    async () => {
      const tables = freshTables();
      const store = tables.store('DelegationsByDelegate');
      const base = store.tableName.replace(/000$/, '');
      // Nothing written yet: reads see an empty table, and no shard table exists.
      expect(await store.get('p1', 'r1')).toBeUndefined();
      let none = 0;
      for await (const _ of store.all(odata`PartitionKey eq ${'p1'}`, undefined, 'p1')) none++;
      expect(none).toBe(0);
      expect(await rowsIn(`${base}000`)).toBe(-1);

      const partitions = Array.from({ length: 64 }, (_, i) => `p${i}`);
      await store.submit(
        partitions.flatMap((pk) =>
          [0, 1, 2].map((n): TransactionAction => ['upsert', { partitionKey: pk, rowKey: `r${n}`, n }]),
        ),
      );
      let all = 0;
      for await (const _ of store.all()) all++;
      expect(all).toBe(64 * 3);
      const readsBefore = store.own.reads;
      const one: string[] = [];
      for await (const e of store.all(odata`PartitionKey eq ${'p7'}`, undefined, 'p7')) one.push(e.rowKey as string);
      expect(one.sort()).toEqual(['r0', 'r1', 'r2']);
      expect(store.own.reads - readsBefore).toBe(1); // one shard queried, not 256
      expect((await store.get('p63', 'r2'))?.n).toBe(2);
      // the partitions really are spread over 3-digit shard tables, and only written shards exist
      const shards: string[] = [];
      const service = TableServiceClient.fromConnectionString(inject('tablesConnectionString'), {
        allowInsecureConnection: true,
      });
      for await (const t of service.listTables({
        queryOptions: { filter: odata`TableName ge ${base} and TableName lt ${`${base}{`}` },
      }))
        shards.push(t.name!);
      expect(shards.every((name) => /^\d{3}$/.test(name.slice(base.length)))).toBe(true);
      const counts = await Promise.all(shards.map(rowsIn));
      expect(shards.length).toBeGreaterThan(40);
      expect(counts.every((n) => n > 0)).toBe(true);
      expect(counts.reduce((a, n) => a + n, 0)).toBe(64 * 3);
    },
  );

  it('pages across shards without a partition key: every entity once, with opaque tokens', async () => {
    const store = freshTables().store('RunItems');
    const partitions = Array.from({ length: 20 }, (_, i) => `run_s${String(i).padStart(2, '0')}`);
    await store.submit(
      partitions.flatMap((pk) =>
        Array.from({ length: 7 }, (_, n): TransactionAction => ['upsert', { partitionKey: pk, rowKey: `m_${n}`, n }]),
      ),
    );
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.page({
        filter: odata`PartitionKey ge ${'run_s'} and PartitionKey lt ${'run_t'}`,
        top: 5,
        ...(token ? { continuationToken: token } : {}),
      });
      sizes.push(page.items.length);
      seen.push(...page.items.map((e) => `${e.partitionKey}/${e.rowKey}`));
      token = page.continuationToken ?? undefined;
      pages++;
    } while (token && pages < 500);
    expect(sizes.slice(0, -1).every((n) => n === 5)).toBe(true); // pages are filled across shards
    expect(seen).toHaveLength(20 * 7);
    expect(new Set(seen).size).toBe(20 * 7);
    await expect(
      store.page({ top: 5, continuationToken: Buffer.from(JSON.stringify({ v: 1, s: 999 })).toString('base64url') }),
    ).rejects.toThrow(/not a token this API issued/);
  });
});
