import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RIGHTS, type DelegationEvent, type DelegationRow } from '../../shared/domain/delegation/types.js';
import { RUN_STATUSES, RUN_TRIGGERS, type Run, type Task } from '../../shared/domain/task.js';
import type { ScheduleDefinition } from '../../shared/domain/schedule.js';
import type { ProposedRevocation, RunItem, StoredSchedule } from '../../shared/ports/repositories.js';
import type { DirectoryUser } from '../../shared/ports/directory.js';
import { CorruptEntityError } from '../../shared/errors.js';
import { fromActiveRunEntity, toActiveRunEntity } from '../../shared/adapters/tables/entities/activeRun.js';
import { fromDelegationEntity, toDelegationProperties } from '../../shared/adapters/tables/entities/delegation.js';
import {
  fromAddressKeyEntity,
  fromDirectoryUserEntity,
  toAddressKeyEntity,
  toDirectoryUserEntity,
} from '../../shared/adapters/tables/entities/directoryUser.js';
import { fromEventEntity, toEventProperties } from '../../shared/adapters/tables/entities/historyEvent.js';
import { fromRevocationEntity, toRevocationEntity } from '../../shared/adapters/tables/entities/proposedRevocation.js';
import { fromRunEntity, toRunEntity } from '../../shared/adapters/tables/entities/run.js';
import {
  EMPTY_COUNTER,
  fromCounterEntity,
  toCounterEntity,
  type RunCounter,
} from '../../shared/adapters/tables/entities/runCounter.js';
import {
  fromItemEntity,
  toPendingItemEntity,
  toPlannedCountsEntity,
  toSettledItemEntity,
} from '../../shared/adapters/tables/entities/runItem.js';
import { fromScheduleEntity, toScheduleEntity } from '../../shared/adapters/tables/entities/schedule.js';
import { fromSyncStateEntity } from '../../shared/adapters/tables/entities/syncState.js';
import { fromTaskEntity, toTaskEntity } from '../../shared/adapters/tables/entities/task.js';

// Every entity the current code writes reads back as it was (round trip), and a stored entity with a missing or
// unreadable property is a CorruptEntityError naming its table, keys and property: never a default. An invented
// FullAccess row (or a Manual row read back as synced, and so revocable) is the worst answer an inventory gives.

const instant = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const id = fc.uuid();
const name = fc.string({ maxLength: 30 });
const count = fc.nat({ max: 100_000 });
const rights = fc.subarray([...RIGHTS], { minLength: 1 });
const target = fc.oneof(
  id.map((groupId) => ({ kind: 'group' as const, groupId })),
  fc.uniqueArray(id, { minLength: 1, maxLength: 4 }).map((mailboxes) => ({ kind: 'mailboxes' as const, mailboxes })),
);
const via = fc.array(
  fc.oneof(
    fc.constant({ kind: 'direct' as const }),
    fc.record({ kind: fc.constant('group' as const), id, displayName: name }),
  ),
  { minLength: 1, maxLength: 3 },
);
const mailbox = fc.record({ id, address: name, displayName: name });
const delegate = fc.record(
  { id, upn: name, address: name, displayName: name, accountEnabled: fc.boolean() },
  { requiredKeys: ['id', 'upn', 'address', 'displayName'] },
);
const delegationRow: fc.Arbitrary<DelegationRow> = fc
  .record({
    mailbox,
    delegate,
    right: fc.constantFrom(...RIGHTS),
    source: fc.constantFrom('MailboxPermissionSync' as const, 'Manual' as const),
    via,
    firstSeen: instant,
    lastConfirmed: instant,
    grantedBy: fc.option(id, { nil: null }),
    grantedAt: fc.option(instant, { nil: null }),
  })
  .map((r) => ({ ...r, mailboxId: r.mailbox.id }));

const task: fc.Arbitrary<Task> = fc
  .record({
    id,
    description: fc.string({ minLength: 1, maxLength: 50 }),
    scheduleId: id,
    target,
    rights,
    enabled: fc.boolean(),
    createdAt: instant,
    updatedAt: instant,
    evaluatedThrough: instant,
    active: fc.option(fc.record({ activeRunId: id, activeSince: instant }), { nil: undefined }),
    lastRunId: fc.option(id, { nil: undefined }),
  })
  .map(({ active, lastRunId, ...t }) => ({
    ...t,
    type: 'mailboxPermissionSync' as const,
    ...active,
    ...(lastRunId ? { lastRunId } : {}),
  }));

const run: fc.Arbitrary<Run> = fc
  .record({
    taskId: id,
    runId: fc.stringMatching(/^[0-9]{13}-[a-z0-9]{6}$/),
    status: fc.constantFrom(...RUN_STATUSES),
    trigger: fc.constantFrom(...RUN_TRIGGERS),
    scheduledFor: fc.option(instant, { nil: null }),
    createdAt: instant,
    startedAt: fc.option(instant, { nil: null }),
    finishedAt: fc.option(instant, { nil: null }),
    error: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: null }),
    skippedByReason: fc.dictionary(fc.constantFrom('device', 'noMailbox', 'noExchangeMailbox'), count),
    target,
    rights,
    progress: fc.option(
      fc.record(
        { settled: count, at: instant, resends: count, closingSince: instant },
        { requiredKeys: ['settled', 'at', 'resends'] },
      ),
      { nil: undefined },
    ),
    mailboxesTotal: count,
    mailboxesDone: count,
    mailboxesFailed: count,
    mailboxesSkipped: count,
    delegationsAdded: count,
    delegationsRemoved: count,
    trusteesUnresolved: count,
    rightsNotRead: count,
    revocationsHeld: count,
    warnings: fc.array(name, { maxLength: 3 }),
    heldRights: fc.subarray([...RIGHTS]),
    suspectRights: fc.subarray([...RIGHTS]),
    review: fc.option(
      fc.record({
        decision: fc.constantFrom('applied' as const, 'dismissed' as const),
        by: name,
        at: instant,
        applied: count,
        skipped: count,
      }),
      { nil: null },
    ),
  })
  .map(({ progress, ...r }) => ({ ...r, ...(progress ? { progress } : {}) }));

const SCHEDULES: ScheduleDefinition[] = [
  { type: 'daily', mode: 'once', startTime: '02:30', timeZone: 'Europe/Berlin', description: 'nightly' },
  {
    type: 'weekly',
    mode: 'many',
    daysOfWeek: ['mon', 'thu'],
    startTime: '22:00',
    endTime: '06:00',
    intervalMinutes: 60,
    timeZone: 'UTC',
    description: 'overnight',
  } as ScheduleDefinition,
  { type: 'oneOff', runAt: '2030-01-01T08:00', timeZone: 'America/New_York', description: 'once' },
];
const schedule: fc.Arbitrary<StoredSchedule> = fc.record({
  id,
  definition: fc.constantFrom(...SCHEDULES),
  createdAt: instant,
  updatedAt: instant,
});

const asStored = (entity: Record<string, unknown>) => ({ ...entity, etag: 'W/"1"', timestamp: '2026-12-01T00:00:00Z' });

describe('every entity the code writes reads back as it was', () => {
  it('task', () => {
    fc.assert(fc.property(task, (t) => void expect(fromTaskEntity(asStored(toTaskEntity(t)))).toEqual(t)));
  });

  it('schedule', () => {
    fc.assert(fc.property(schedule, (s) => void expect(fromScheduleEntity(asStored(toScheduleEntity(s)))).toEqual(s)));
  });

  it('run', () => {
    fc.assert(fc.property(run, (r) => void expect(fromRunEntity(asStored(toRunEntity(r)))).toEqual(r)));
  });

  it('delegation, in either index', () => {
    fc.assert(
      fc.property(delegationRow, (d) => {
        const entity = asStored({ partitionKey: d.mailbox.id, rowKey: 'k', ...toDelegationProperties(d) });
        expect(fromDelegationEntity(entity, 'DelegationsByMailbox')).toEqual(d);
        expect(fromDelegationEntity(entity, 'DelegationsByDelegate')).toEqual(d);
      }),
    );
  });

  it('history event', () => {
    const event: fc.Arbitrary<DelegationEvent> = fc
      .record({ row: delegationRow, type: fc.constantFrom('granted' as const, 'revoked' as const), at: instant })
      .chain(({ row, type, at }) =>
        fc.option(fc.record({ runId: id, taskId: id }), { nil: undefined }).map((origin) => ({
          type,
          mailbox: row.mailbox,
          delegate: { id: row.delegate.id, upn: row.delegate.upn, address: row.delegate.address, displayName: '' },
          right: row.right,
          via: row.via,
          source: row.source,
          runId: origin?.runId ?? null,
          taskId: origin?.taskId ?? null,
          at,
          actor: row.grantedBy,
          observedBy: origin ? ('auditEvent' as const) : ('manual' as const),
        })),
      );
    fc.assert(
      fc.property(
        event,
        (e) =>
          void expect(fromEventEntity(asStored({ partitionKey: 'p', rowKey: 'r', ...toEventProperties(e) }))).toEqual(
            e,
          ),
      ),
    );
  });

  it('run item: pending, with planned counts, settled', () => {
    const settled = fc.record({
      status: fc.constantFrom('done' as const, 'failed' as const),
      at: instant,
      error: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: undefined }),
      rightsNotRead: fc.array(fc.record({ right: fc.constantFrom(...RIGHTS), reason: name }), { maxLength: 2 }),
      warnings: fc.array(name, { maxLength: 2 }),
    });
    const counts = fc.record({ delegationsAdded: count, delegationsRemoved: count, trusteesUnresolved: count });
    fc.assert(
      fc.property(
        fc.record({ mailboxId: id, upn: name, address: name, displayName: name }),
        fc.option(counts, { nil: undefined }),
        fc.option(fc.record({ outcome: settled, counts, proposed: count }), { nil: undefined }),
        (shown, planned, settle) => {
          // The item's properties as the three merges of RunTable leave them.
          const entity = asStored({
            ...toPendingItemEntity('p', shown),
            ...(planned ? toPlannedCountsEntity('p', shown.mailboxId, planned) : {}),
            ...(settle
              ? toSettledItemEntity('p', shown.mailboxId, settle.outcome, settle.counts, settle.proposed)
              : {}),
          });
          const expected: RunItem = {
            ...shown,
            status: settle?.outcome.status ?? 'pending',
            error: settle?.outcome.error ?? null,
            delegationsAdded: settle?.counts.delegationsAdded ?? 0,
            delegationsRemoved: settle?.counts.delegationsRemoved ?? 0,
            trusteesUnresolved: settle?.counts.trusteesUnresolved ?? 0,
            settledAt: settle?.outcome.at ?? null,
            rightsNotRead: settle?.outcome.rightsNotRead ?? [],
            warnings: settle?.outcome.warnings ?? [],
            revocationsProposed: settle?.proposed ?? 0,
            ...(planned ? { planned } : {}),
          };
          expect(fromItemEntity(entity)).toEqual(expected);
        },
      ),
    );
  });

  it('run counter', () => {
    const perRight = fc.record({
      FullAccess: count,
      SendAs: count,
      SendOnBehalf: count,
      CalendarDelegate: count,
    });
    const counter: fc.Arbitrary<RunCounter> = fc.record({
      total: count,
      done: count,
      failed: count,
      added: count,
      removed: count,
      unresolved: count,
      notRead: count,
      proposed: perRight,
      stored: perRight,
    });
    fc.assert(
      fc.property(counter, (c) => void expect(fromCounterEntity(asStored(toCounterEntity('p', 'c_01', c)))).toEqual(c)),
    );
    expect(fromCounterEntity(asStored(toCounterEntity('p', 'c_00', EMPTY_COUNTER)))).toEqual(EMPTY_COUNTER);
  });

  it('proposed revocation', () => {
    const proposal: fc.Arbitrary<ProposedRevocation> = fc
      .record({
        row: delegationRow,
        reason: fc.constantFrom('notObserved' as const, 'readEmpty' as const),
        actor: fc.option(id, { nil: null }),
      })
      .map(({ row, reason, actor }) => ({ ...row, reason, actor }));
    fc.assert(
      fc.property(proposal, (p) => void expect(fromRevocationEntity(asStored(toRevocationEntity('p', p)))).toEqual(p)),
    );
  });

  it('active run, directory user, address key', () => {
    fc.assert(
      fc.property(
        id,
        id,
        (taskId, runId) =>
          void expect(fromActiveRunEntity(asStored(toActiveRunEntity('k', { taskId, runId })))).toEqual({
            taskId,
            runId,
          }),
      ),
    );
    const user: fc.Arbitrary<DirectoryUser> = fc
      .record(
        { id, upn: name, address: name, displayName: name, accountEnabled: fc.boolean() },
        { requiredKeys: ['id', 'upn', 'address', 'displayName'] },
      )
      .chain((u) => fc.boolean().map((hasMailbox) => ({ ...u, hasMailbox })));
    fc.assert(
      fc.property(
        user,
        (u) => void expect(fromDirectoryUserEntity(asStored(toDirectoryUserEntity('u0', u.id, u)))).toEqual(u),
      ),
    );
    fc.assert(
      fc.property(
        id,
        (holder) => void expect(fromAddressKeyEntity(toAddressKeyEntity('k0', 'a', holder))).toBe(holder),
      ),
    );
  });
});

// One valid stored entity per table, and the reader that maps it.
const ZERO = { delegationsAdded: 0, delegationsRemoved: 0, trusteesUnresolved: 0 };
const USER: DirectoryUser = { id: 'id', upn: 'u@x', address: 'u@x', displayName: 'U', hasMailbox: true };
const sample = <T>(arbitrary: fc.Arbitrary<T>) => fc.sample(arbitrary, { numRuns: 1, seed: 7 })[0]!;
const storedRow = sample(delegationRow);
const ENTITIES: Array<{
  table: string;
  entity: Record<string, unknown>;
  read: (e: Record<string, unknown>) => unknown;
}> = [
  { table: 'Tasks', entity: toTaskEntity(sample(task)), read: fromTaskEntity },
  { table: 'Schedules', entity: toScheduleEntity(sample(schedule)), read: fromScheduleEntity },
  { table: 'Runs', entity: toRunEntity(sample(run)), read: fromRunEntity },
  {
    table: 'DelegationsByMailbox',
    entity: { partitionKey: storedRow.mailbox.id, rowKey: 'k', ...toDelegationProperties(storedRow) },
    read: (e) => fromDelegationEntity(e, 'DelegationsByMailbox'),
  },
  {
    table: 'RunItems',
    entity: toSettledItemEntity('p', 'mbx', { status: 'done', at: '2026-12-01T00:00:00Z' }, ZERO, 0),
    read: (e) => fromItemEntity({ ...e, upn: 'u', address: 'a', displayName: 'd' }),
  },
  { table: 'RunItems', entity: toCounterEntity('p', 'c_00', EMPTY_COUNTER), read: fromCounterEntity },
  { table: 'Directory', entity: toDirectoryUserEntity('u0', 'id', USER), read: fromDirectoryUserEntity },
];

/** Properties added later, which rows written before them lack: their absence has its own rule (tested below). */
const ADDED_LATER = new Set(['grantedBy', 'grantedAt']);

function property(e: Record<string, unknown>): string[] {
  return Object.keys(e).filter(
    (k) => k !== 'partitionKey' && k !== 'rowKey' && k !== 'hasMailbox' && !ADDED_LATER.has(k),
  );
}

describe('rows written before attribution (issue 22) read as what they record, never invented', () => {
  it('a delegation row without grantedBy / grantedAt: not known (null)', () => {
    const { grantedBy: _by, grantedAt: _at, ...old } = toDelegationProperties({ ...storedRow, grantedBy: 'a@b.c' });
    const entity = { partitionKey: storedRow.mailbox.id, rowKey: 'k', ...old };
    expect(fromDelegationEntity(entity, 'DelegationsByMailbox')).toEqual({
      ...storedRow,
      grantedBy: null,
      grantedAt: null,
    });
  });

  it.each([
    ['run-1', 'fullScan'],
    ['', 'manual'],
  ] as const)('a history row of run %j without actor / observedBy: %s, actor null', (runId, observedBy) => {
    const event: DelegationEvent = {
      type: 'granted',
      mailbox: storedRow.mailbox,
      delegate: { id: 'd-1', upn: 'd@contoso.com', address: 'd@contoso.com', displayName: 'D' },
      right: 'SendAs',
      via: [{ kind: 'direct' }],
      source: runId ? 'MailboxPermissionSync' : 'Manual',
      runId: runId || null,
      taskId: runId ? 'task-1' : null,
      at: '2026-11-01T00:00:00.000Z',
      actor: 'someone@contoso.com',
      observedBy: 'auditEvent',
    };
    const { actor: _actor, observedBy: _by, ...old } = toEventProperties(event);
    expect(fromEventEntity({ partitionKey: 'p', rowKey: 'r', ...old })).toEqual({ ...event, actor: null, observedBy });
  });

  it('a value present must be readable', () => {
    const props = toEventProperties({
      type: 'revoked',
      mailbox: storedRow.mailbox,
      delegate: { id: 'd-1', upn: '', address: '', displayName: '' },
      right: 'FullAccess',
      via: [],
      source: 'MailboxPermissionSync',
      runId: 'r',
      taskId: 't',
      at: '2026-11-01T00:00:00.000Z',
      actor: null,
      observedBy: 'fullScan',
    });
    expect(() => fromEventEntity({ partitionKey: 'p', rowKey: 'r', ...props, observedBy: 'guess' })).toThrow(
      CorruptEntityError,
    );
    const row = { partitionKey: 'p', rowKey: 'k', ...toDelegationProperties(storedRow), grantedAt: 'yesterday' };
    expect(() => fromDelegationEntity(row, 'DelegationsByMailbox')).toThrow(CorruptEntityError);
  });
});

describe.each(ENTITIES)(
  'a stored $table entity that lost a property is corrupt, never a default',
  ({ table, entity, read }) => {
    it.each(property(entity))('without %s', (name) => {
      const { [name]: _dropped, ...rest } = entity;
      const keys = `${table} entity ${String(entity.partitionKey)}/${String(entity.rowKey)}`;
      expect(() => read(rest)).toThrow(CorruptEntityError);
      expect(() => read(rest)).toThrow(`${keys}: property '${name}' is missing`);
    });
  },
);

describe('stored values that cannot be read are corrupt, never replaced', () => {
  const row = { partitionKey: 'mbx-1', rowKey: 'dlg-1|SendAs|Manual', ...toDelegationProperties(storedRow) };

  it.each([
    ['right', 'Owner'],
    ['source', 'Imported'],
    ['via', '[{"kind":"direct"'],
    ['via', '"direct"'],
    ['firstSeen', 'yesterday'],
    ['delegateAccountEnabled', 'yes'],
  ])('a delegation whose %s holds %j names table, keys and property', (name, value) => {
    const read = () => fromDelegationEntity({ ...row, [name]: value }, 'DelegationsByDelegate');
    expect(read).toThrow(CorruptEntityError);
    expect(read).toThrow(`DelegationsByDelegate entity mbx-1/dlg-1|SendAs|Manual: property '${name}' holds a value`);
  });

  it('carries the location for the log', () => {
    try {
      fromDelegationEntity({ ...row, right: 'Owner' }, 'DelegationsByMailbox');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        name: 'CorruptEntityError',
        code: 'TABLE.CORRUPT_ENTITY',
        table: 'DelegationsByMailbox',
        partitionKey: 'mbx-1',
        rowKey: 'dlg-1|SendAs|Manual',
        property: 'right',
      });
      expect((error as Error).cause).toBeDefined();
      expect((error as Error).message).not.toContain('Owner'); // stored values may be personal data
    }
  });

  it.each([['garbage'], [''], [Number.NaN], [-1], [1.5], [true]])(
    'a counter total holding %j is corrupt, not 0',
    (value) => {
      const entity = { ...toCounterEntity('p', 'c_03', EMPTY_COUNTER), done: value };
      expect(() => fromCounterEntity(entity)).toThrow("RunItems entity p/c_03: property 'done' holds a value");
    },
  );

  it('a count as Table Storage returns an Int64 (bigint or decimal string) reads as its number', () => {
    const entity = { ...toCounterEntity('p', 'c_03', EMPTY_COUNTER), done: 7n, failed: '3' };
    expect(fromCounterEntity(entity)).toMatchObject({ done: 7, failed: 3 });
  });

  it('a run whose status is unknown is corrupt, not failed', () => {
    const entity = { ...toRunEntity(sample(run)), status: 'done' };
    expect(() => fromRunEntity(entity)).toThrow(/Runs entity .+: property 'status' holds a value/);
  });

  it('a task with an empty mailbox list is corrupt, not a task with no mailboxes', () => {
    const entity = { ...toTaskEntity(sample(task)), target: '{"kind":"mailboxes","mailboxes":[]}' };
    expect(() => fromTaskEntity(entity)).toThrow(/property 'target' holds a value that cannot be read at mailboxes/);
  });

  it('a planned count written without the other two is corrupt', () => {
    const entity = { ...toPendingItemEntity('p', { mailboxId: 'm', upn: 'u', address: 'a', displayName: 'd' }) };
    expect(() => fromItemEntity({ ...entity, plannedAdded: 2 })).toThrow("property 'plannedRemoved' is missing");
  });

  it('a sync state without its digest is corrupt; one without a pending run is not', () => {
    expect(() => fromSyncStateEntity({ partitionKey: 'm', rowKey: 'state', etag: 'e' })).toThrow(
      "MailboxSyncState entity m/state: property 'digest' is missing",
    );
    expect(fromSyncStateEntity({ partitionKey: 'm', rowKey: 'state', etag: 'e', digest: '' })).toEqual({
      digest: '',
      etag: 'e',
    });
  });
});
