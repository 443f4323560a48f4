import { expect } from 'vitest';
import type { Tenant } from '../../dev/simulator/index.js';
import { fromDelegationEntity } from '../../shared/adapters/tables/entities/delegation.js';
import type { DelegationRow } from '../../shared/ports/delegations.js';
import type { Expected } from './expected.js';
import type { TestApp } from './app.js';

/** Object ids (lower case) of the mailboxes a group holds transitively, as the product should scan them. */
export function mailboxIdsOf(tenant: Tenant, groupId: string): string[] {
  return tenant
    .transitiveMembers(groupId)
    .flatMap((o) =>
      o.type === 'user' &&
      o.user.mail &&
      (o.user.recipientTypeDetails === 'UserMailbox' || o.user.recipientTypeDetails === 'SharedMailbox')
        ? [o.user.id.toLowerCase()]
        : [],
    )
    .sort();
}

/** A group's id by its display name (department groups and the like). */
export function groupIdNamed(tenant: Tenant, displayName: string): string {
  const group = [...tenant.groups.values()].find((g) => g.displayName === displayName && !g.isRoleGroup);
  if (!group) throw new Error(`no group named ${displayName}`);
  return group.id;
}

async function rowsOf(app: TestApp, table: 'DelegationsByMailbox' | 'DelegationsByDelegate'): Promise<DelegationRow[]> {
  const rows: DelegationRow[] = [];
  for await (const e of app.services.tables.store(table).all()) rows.push(fromDelegationEntity(e, table));
  return rows;
}

/**
 * Synced delegations of the given mailboxes (all when omitted) from the forward index, in the shape of
 * `expectedDelegations`.
 */
export async function storedFor(app: TestApp, mailboxIds?: readonly string[]): Promise<Expected> {
  const wanted = mailboxIds ? new Set(mailboxIds.map((id) => id.toLowerCase())) : undefined;
  const out: Expected = new Map();
  for (const d of await rowsOf(app, 'DelegationsByMailbox')) {
    if (d.source !== 'MailboxPermissionSync' || (wanted && !wanted.has(d.mailboxId.toLowerCase()))) continue;
    out.set(
      `${d.mailboxId}|${d.delegate.id}|${d.right}`.toLowerCase(),
      d.via.map((v) => (v.kind === 'direct' ? 'direct' : v.id.toLowerCase())),
    );
  }
  return out;
}

/** Sorted entries, for readable equality failures. */
export function sortedEntries(map: Expected): Array<[string, string[]]> {
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Asserts the reverse index (by delegate) holds exactly the rows of the forward index (by mailbox) for the given
 * mailboxes (all when omitted), field by field; `timestamps: false` leaves firstSeen/lastConfirmed out.
 */
export async function expectIndexesAgree(
  app: TestApp,
  mailboxIds?: readonly string[],
  options: { timestamps?: boolean } = {},
): Promise<number> {
  const wanted = mailboxIds ? new Set(mailboxIds.map((id) => id.toLowerCase())) : undefined;
  const line = (d: DelegationRow) =>
    [
      d.mailbox.id,
      d.mailbox.address,
      d.mailbox.displayName,
      d.delegate.id,
      d.delegate.upn,
      d.delegate.address,
      d.right,
      d.source,
      JSON.stringify(d.via),
      ...(options.timestamps === false ? [] : [d.firstSeen, d.lastConfirmed]),
    ]
      .join('|')
      .toLowerCase();
  const lines = async (table: 'DelegationsByMailbox' | 'DelegationsByDelegate') =>
    (await rowsOf(app, table))
      .filter((d) => !wanted || wanted.has(d.mailbox.id.toLowerCase()))
      .map(line)
      .sort();
  const forward = await lines('DelegationsByMailbox');
  expect(await lines('DelegationsByDelegate')).toEqual(forward);
  return forward.length;
}

/** History rows a run wrote, as `type:mailbox|delegate|right` (lower case), sorted. */
export async function historyOf(app: TestApp, runId: string): Promise<string[]> {
  const events: string[] = [];
  for await (const e of app.services.tables.store('DelegationHistory').all()) {
    if (e.runId === runId)
      events.push(`${String(e.type)}:${String(e.mailboxId)}|${String(e.delegateId)}|${String(e.right)}`.toLowerCase());
  }
  return events.sort();
}

/** Starts a run now, waits for the queues and the finalizer, and returns the run as the API shows it. */
export async function runNow(app: TestApp, taskId: string): Promise<Record<string, unknown> & { runId: string }> {
  const started = await app.api('POST', `tasks/${taskId}/run`);
  expect(started.status, started.text).toBe(202);
  const { runId } = started.json as { runId: string };
  await app.settle();
  const run = await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' });
  expect(run.status).toBe(200);
  return run.json as Record<string, unknown> & { runId: string };
}

/** Creates a daily schedule and a task for the target; returns the task id. */
export async function createTaskFor(
  app: TestApp,
  description: string,
  target: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const schedule = await app.api('POST', 'schedules', {
    body: { description: `${description} schedule`, type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
  });
  expect(schedule.status).toBe(201);
  const task = await app.api('POST', 'tasks', {
    body: { description, scheduleId: (schedule.json as { id: string }).id, target, ...extra },
  });
  expect(task.status, task.text).toBe(201);
  return (task.json as { id: string }).id;
}

/** The run's mailbox items with the given status, via the API. */
export async function runMailboxes(
  app: TestApp,
  taskId: string,
  runId: string,
  status?: 'done' | 'failed' | 'pending',
): Promise<Array<{ mailboxId: string; address: string; status: string; error: string | null }>> {
  const response = await app.api(
    'GET',
    `tasks/${taskId}/runs/${runId}/mailboxes?top=1000${status ? `&status=${status}` : ''}`,
    { role: 'Reader' },
  );
  expect(response.status).toBe(200);
  return (
    response.json as { items: Array<{ mailboxId: string; address: string; status: string; error: string | null }> }
  ).items;
}
