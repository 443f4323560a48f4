import { describe, expect, inject, it } from 'vitest';
import type { TransactionAction } from '@azure/data-tables';
import { odata } from '../../shared/adapters/tables/tableStore.js';
import { ConflictError, PreconditionFailedError, ValidationError } from '../../shared/errors.js';
import { encodeKey } from '../../shared/adapters/tables/keys.js';
import { freshTables } from '../support/tables.js';

describe('TableStore on Azurite', () => {
  it('splits bulk writes into transactions of at most 100 per partition', async () => {
    const tables = freshTables();
    const store = tables.store('Bulk');
    const actions: TransactionAction[] = [];
    for (let i = 0; i < 250; i++) actions.push(['upsert', { partitionKey: 'a', rowKey: String(i).padStart(4, '0'), n: i }]);
    for (let i = 0; i < 30; i++) actions.push(['upsert', { partitionKey: 'b', rowKey: String(i).padStart(4, '0'), n: i }]);
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
      const page = await store.page({ filter: odata`PartitionKey eq ${'p'}`, top: 500, ...(token ? { continuationToken: token } : {}) });
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
    await expect(store.update({ partitionKey: 'p', rowKey: 'r', v: 4 }, etag!)).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await store.get('p', 'r'))?.['v']).toBe(3);
  });

  it('stores and finds keys built from odd user input, and odata filters cannot be injected', async () => {
    const store = freshTables().store('Odd');
    const upn = "o'brien#ops@contoso.com";
    await store.upsert({ partitionKey: encodeKey(upn), rowKey: 'x', upn });
    await store.upsert({ partitionKey: 'victim', rowKey: 'x', upn: 'victim' });
    const found: string[] = [];
    for await (const e of store.all(odata`PartitionKey eq ${encodeKey(upn)}`)) found.push(e['upn'] as string);
    expect(found).toEqual([upn]);
    const injected: string[] = [];
    for await (const e of store.all(odata`PartitionKey eq ${"x' or PartitionKey ne 'x"}`)) injected.push(e.partitionKey as string);
    expect(injected).toEqual([]);
  });

  it('get returns undefined for a missing entity and delete is idempotent', async () => {
    const store = freshTables().store('Missing');
    expect(await store.get('nope', 'nope')).toBeUndefined();
    await store.delete('nope', 'nope');
  });
});

describe('sharded TableStore (DelegationsByMailbox / DelegationsByDelegate)', () => {
  it('spreads partitions over the shard tables, finds every entity, and routes partition queries to one shard', async () => {
    const tables = freshTables();
    const store = tables.store('DelegationsByDelegate');
    const partitions = Array.from({ length: 64 }, (_, i) => `p${i}`);
    await store.submit(partitions.flatMap((pk) => [0, 1, 2].map((n): TransactionAction => ['upsert', { partitionKey: pk, rowKey: `r${n}`, n }])));
    let all = 0;
    for await (const _ of store.all()) all++;
    expect(all).toBe(64 * 3);
    const readsBefore = store.own.reads;
    const one: string[] = [];
    for await (const e of store.all(odata`PartitionKey eq ${'p7'}`, undefined, 'p7')) one.push(e.rowKey as string);
    expect(one.sort()).toEqual(['r0', 'r1', 'r2']);
    expect(store.own.reads - readsBefore).toBe(1); // one shard queried, not 32
    expect((await store.get('p63', 'r2'))?.['n']).toBe(2);
    // the partitions really are spread: more than one physical table holds data
    const { TableClient } = await import('@azure/data-tables');
    const physical = await Promise.all(
      Array.from({ length: 32 }, async (_, i) => {
        const client = TableClient.fromConnectionString(inject('tablesConnectionString'), `${store.tableName.replace(/00$/, '')}${String(i).padStart(2, '0')}`, { allowInsecureConnection: true });
        for await (const _ of client.listEntities()) return 1;
        return 0;
      }),
    );
    expect(physical.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThan(10);
  });

  it('refuses to page across shards without a partition key', async () => {
    await expect(freshTables().store('DelegationsByMailbox').page({ top: 10 })).rejects.toThrow(/needs the partition key/);
  });
});
