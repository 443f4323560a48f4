import { describe, expect, it } from 'vitest';
import { fromDelegationEntity, fromEventEntity } from '../../shared/adapters/tables/delegationTables.js';
import { fromRunEntity } from '../../shared/adapters/tables/runTable.js';
import { CorruptDataError } from '../../shared/errors.js';

// A stored delegation with a missing or unknown right, source or event type is corrupt data named by its table and
// key, never a default: an invented FullAccess (or a Manual row read back as synced, and so revocable) is the worst
// answer a permissions inventory can give.

const row = {
  partitionKey: 'mbx-1',
  rowKey: 'dlg-1|SendAs|Manual',
  mailboxId: 'mbx-1',
  delegateId: 'dlg-1',
  right: 'SendAs',
  source: 'Manual',
  via: '[{"kind":"direct"}]',
  firstSeen: '2026-12-01T00:00:00Z',
  lastConfirmed: '2026-12-01T00:00:00Z',
};

describe('delegation mappers read stored enums strictly', () => {
  it('reads a valid row as stored', () => {
    expect(fromDelegationEntity(row)).toMatchObject({ right: 'SendAs', source: 'Manual' });
  });

  it.each([
    ['right', undefined, "property 'right' is missing"],
    ['right', 'Owner', "property 'right' holds an unknown value"],
    ['source', undefined, "property 'source' is missing"],
  ])('a delegation whose %s is %s is corrupt, named by table and key', (field, value, message) => {
    const entity: Record<string, unknown> = { ...row, [field]: value };
    expect(() => fromDelegationEntity(entity)).toThrow(CorruptDataError);
    expect(() => fromDelegationEntity(entity)).toThrow(`mbx-1/dlg-1|SendAs|Manual: ${message}`);
  });

  it('a history event without its type is corrupt, not a grant', () => {
    const event = { ...row, partitionKey: '20261201', rowKey: 'e1', at: '2026-12-01T00:00:00Z' };
    expect(() => fromEventEntity(event)).toThrow(/DelegationHistory entity 20261201\/e1: property 'type' is missing/);
  });
});

describe('run mapper reads status and trigger strictly', () => {
  const run = { partitionKey: 'task-1', rowKey: 'run-1', status: 'succeeded', trigger: 'manual' };

  it.each([
    ['status', undefined, "property 'status' is missing"],
    ['status', 'done', "property 'status' holds an unknown value"],
    ['trigger', undefined, "property 'trigger' is missing"],
  ])('a run whose %s is %s is corrupt, named by table and key, never a default', (field, value, message) => {
    const entity: Record<string, unknown> = { ...run, [field]: value };
    expect(() => fromRunEntity(entity)).toThrow(CorruptDataError);
    expect(() => fromRunEntity(entity)).toThrow(`Runs entity task-1/run-1: ${message}`);
  });
});
