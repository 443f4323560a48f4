import type { Repositories } from '../composition.js';
import type { Logger } from '../logging.js';
import { PermanentUpstreamError } from '../errors.js';
import type { RawAce, Right } from '../domain/delegation/types.js';
import type { Run, Target } from '../domain/task.js';
import type { DirectoryObject, MicrosoftPorts } from '../ports/microsoft.js';
import { QUEUES, type OutgoingMessage, type QueueSender } from '../ports/queue.js';
import { fromRecipientPermissionRow } from '../adapters/microsoft/toDomain.js';
import { expandMessageSchema, parseMessage, type MailboxMessageBody } from './messages.js';
import { runKey } from './runs.js';
import type { ResolverCache } from './trusteeResolver.js';

export interface ExpandDeps {
  repos: Repositories;
  queue: QueueSender;
  now: () => Date;
  microsoft(): MicrosoftPorts;
  logger?: Logger;
  /** From this many mailboxes on, SendAs and SendOnBehalf come from one tenant-wide pass each (default 100). */
  tenantWideThreshold?: number;
  /** The run-scoped resolvers of this process: told which directory entries expansion wrote, so syncs skip them. */
  resolvers?: ResolverCache;
}

export type ExpandOutcome = { outcome: 'expanded'; mailboxes: number; strategy: 'perMailbox' | 'tenantWide' } | { outcome: 'failed'; error: string } | { outcome: 'ignored'; reason: string };

interface MailboxMember {
  id: string;
  upn: string;
  address: string;
  displayName: string;
  accountEnabled?: boolean;
}

/** Why a member is not scanned; counted on the run. */
type SkipReason = 'noMailbox' | 'device' | 'contact' | 'group' | 'other' | 'notFound';

class RunFailure extends Error {}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses `CN=Sales\, EMEA,OU=…` → `Sales, EMEA` (RFC 4514 escapes). */
export function commonNameOf(dn: string): string {
  const match = /^CN=((?:[^,\\]|\\.)+)/i.exec(dn.trim());
  if (!match) throw new RunFailure(`'${dn}' is not a distinguished name starting with CN=`);
  return match[1]!.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, c: string) => (c.length === 2 ? String.fromCharCode(parseInt(c, 16)) : c)).trim();
}

async function resolveGroup(microsoft: MicrosoftPorts, target: Exclude<Target, { kind: 'mailboxes' }>): Promise<{ id: string; name: string }> {
  const { graph } = microsoft;
  if (target.kind === 'group') {
    const group = await graph.getGroup(target.groupId);
    if (!group) throw new RunFailure(`Group ${target.groupId} does not exist in the directory`);
    return { id: group.id, name: group.displayName ?? group.id };
  }
  if (target.kind === 'groupEmail') {
    const groups = await graph.findGroupsByMail(target.email);
    if (groups.length === 0) throw new RunFailure(`No group has the e-mail address ${target.email}`);
    if (groups.length > 1) throw new RunFailure(`E-mail address ${target.email} matches ${groups.length} groups: ${groups.map((g) => `${g.displayName} (${g.id})`).join(', ')}`);
    return { id: groups[0]!.id, name: groups[0]!.displayName ?? target.email };
  }
  const cn = commonNameOf(target.dn);
  let groups = await graph.findGroupsBySamAccountName(cn);
  if (groups.length === 0) groups = await graph.findGroupsByDisplayName(cn);
  if (groups.length === 0) throw new RunFailure(`DN ${target.dn} matches no group (looked for onPremisesSamAccountName or displayName '${cn}')`);
  if (groups.length > 1) throw new RunFailure(`DN matches ${groups.length} groups: ${groups.map((g) => `${g.displayName} (${g.id})`).join(', ')}; use the group's object id as the target`);
  return { id: groups[0]!.id, name: groups[0]!.displayName ?? cn };
}

function classify(member: DirectoryObject): MailboxMember | SkipReason {
  if (member.kind === 'device') return 'device';
  if (member.kind === 'orgContact') return 'contact';
  if (member.kind === 'group') return 'group';
  if (member.kind !== 'user') return 'other';
  if (!member.mail || !member.userPrincipalName) return 'noMailbox';
  return {
    id: member.id.toLowerCase(),
    upn: member.userPrincipalName,
    address: member.mail,
    displayName: member.displayName ?? member.userPrincipalName,
    ...(typeof member.accountEnabled === 'boolean' ? { accountEnabled: member.accountEnabled } : {}),
  };
}

/** Streams the target's members in pages; pages hold mailboxes and skip reasons. */
async function* members(microsoft: MicrosoftPorts, target: Target): AsyncGenerator<Array<MailboxMember | SkipReason>> {
  if (target.kind === 'mailboxes') {
    const page: Array<MailboxMember | SkipReason> = [];
    for (const entry of target.mailboxes) {
      const user = GUID.test(entry) ? await microsoft.graph.getUser(entry) : ((await microsoft.graph.getUser(entry)) ?? (await microsoft.graph.findUserByMail(entry)));
      page.push(user ? classify({ ...user, kind: 'user' } as DirectoryObject) : 'notFound');
    }
    yield page;
    return;
  }
  const group = await resolveGroup(microsoft, target);
  for await (const p of microsoft.graph.transitiveMembers(group.id)) yield p.map(classify);
}

interface Prefetched {
  names: Map<string, string>;
  sendAs: Map<string, RawAce[]>;
  sendOnBehalf: Map<string, string[]>;
}

const SELF = 'nt authority\\self';

/**
 * Tenant-wide passes: one Get-RecipientPermission (SendAs) and one Get-Mailbox (GrantSendOnBehalfTo) for the
 * whole tenant instead of one call per mailbox each. Memory holds only the grants, not every row.
 */
async function prefetchTenantWide(microsoft: MicrosoftPorts, rights: readonly Right[]): Promise<Prefetched> {
  const sendAsByIdentity = new Map<string, RawAce[]>();
  if (rights.includes('SendAs')) {
    for await (const page of microsoft.exchange.getRecipientPermissionsTenantWide()) {
      for (const row of page) {
        if (row.IsInherited === true || row.Trustee.toLowerCase() === SELF) continue;
        const key = row.Identity.toLowerCase();
        const list = sendAsByIdentity.get(key) ?? [];
        list.push(fromRecipientPermissionRow(row));
        sendAsByIdentity.set(key, list);
      }
    }
  }
  const result: Prefetched = { names: new Map(), sendAs: new Map(), sendOnBehalf: new Map() };
  // Lower-cased Name → object id of the one mailbox with that Name (null when several share it).
  const mailboxByName = new Map<string, string | null>();
  const fields = ['Identity', 'Name', 'UserPrincipalName', 'PrimarySmtpAddress', 'ExternalDirectoryObjectId', 'GrantSendOnBehalfTo'] as const;
  for await (const page of microsoft.exchange.listMailboxes(fields)) {
    for (const row of page) {
      const id = row.ExternalDirectoryObjectId?.toLowerCase();
      if (!id) continue;
      if (row.Name) {
        const name = row.Name.toLowerCase();
        mailboxByName.set(name, mailboxByName.has(name) ? null : id);
      }
      if (row.Name && row.Name.toLowerCase() !== id) result.names.set(id, row.Name);
      if (rights.includes('SendOnBehalf') && row.GrantSendOnBehalfTo && row.GrantSendOnBehalfTo.length > 0) result.sendOnBehalf.set(id, [...row.GrantSendOnBehalfTo]);
      if (sendAsByIdentity.size > 0) {
        for (const k of [row.Identity, row.Name, row.UserPrincipalName, row.PrimarySmtpAddress, id]) {
          const aces = k ? sendAsByIdentity.get(k.toLowerCase()) : undefined;
          if (aces) {
            result.sendAs.set(id, aces);
            break;
          }
        }
      }
    }
  }
  // GrantSendOnBehalfTo holds recipient Names: a Name exactly one mailbox has becomes that mailbox's object id,
  // so syncMailbox resolves it with one Graph read instead of a Get-Recipient per name (shared or unknown
  // Names stay as they are and are resolved, or reported ambiguous, as before).
  for (const [id, names] of result.sendOnBehalf) {
    result.sendOnBehalf.set(id, names.map((name) => mailboxByName.get(name.toLowerCase()) ?? name));
  }
  return result;
}

/**
 * Expands a run's target into run items and one `mps-mailbox` message per mailbox, page by page (memory holds
 * the id set, not the rows). Idempotent: a run no longer `queued` is left alone; items are upserts and messages
 * carry deterministic ids. A target with no mailboxes, or an ambiguous DN, fails the run with the reason.
 */
export async function expandTarget(deps: ExpandDeps, body: unknown): Promise<ExpandOutcome> {
  const { taskId, runId } = parseMessage(expandMessageSchema, body, QUEUES.expand);
  const found = await deps.repos.runs.get(taskId, runId);
  if (!found) return { outcome: 'ignored', reason: `run ${runId} of task ${taskId} does not exist` };
  if (found.value.status !== 'queued') return { outcome: 'ignored', reason: `run is already ${found.value.status}` };
  const run = found.value;
  const startedAt = deps.now().toISOString();
  const microsoft = deps.microsoft();
  const threshold = deps.tenantWideThreshold ?? 100;
  const seen = new Set<string>();
  const skipped: Record<string, number> = {};
  let prefetched: Prefetched | undefined;
  let buffer: MailboxMember[] = [];
  const wantsTenantWide = run.rights.includes('SendAs') || run.rights.includes('SendOnBehalf');

  const flush = async (batch: MailboxMember[]) => {
    if (batch.length === 0) return;
    await deps.repos.runs.addItems(taskId, runId, batch.map((m) => ({ mailboxId: m.id, upn: m.upn, address: m.address, displayName: m.displayName })));
    await deps.repos.directory.upsert(batch.map((m) => ({ ...m, hasMailbox: true })));
    deps.resolvers?.forRun(runKey(taskId, runId), microsoft).markWritten(batch);
    const messages: OutgoingMessage[] = batch.map((m) => {
      const message: MailboxMessageBody = {
        taskId,
        runId,
        mailbox: { id: m.id, upn: m.upn, address: m.address, displayName: m.displayName },
        rights: run.rights,
        throttleRetries: 0,
        ...(prefetched
          ? {
              prefetched: {
                ...(prefetched.names.has(m.id) ? { name: prefetched.names.get(m.id)! } : {}),
                ...(run.rights.includes('SendAs') ? { sendAs: prefetched.sendAs.get(m.id) ?? [] } : {}),
                ...(run.rights.includes('SendOnBehalf') ? { sendOnBehalfNames: prefetched.sendOnBehalf.get(m.id) ?? [] } : {}),
              },
            }
          : {}),
      };
      return { body: message, messageId: `${runKey(taskId, runId)}_${m.id}` };
    });
    await deps.queue.send(QUEUES.mailbox, messages);
  };

  try {
    for await (const page of members(microsoft, run.target)) {
      const mailboxes: MailboxMember[] = [];
      for (const m of page) {
        if (typeof m === 'string') {
          skipped[m] = (skipped[m] ?? 0) + 1;
          continue;
        }
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        mailboxes.push(m);
      }
      if (prefetched || !wantsTenantWide) {
        await flush(mailboxes);
        continue;
      }
      buffer.push(...mailboxes);
      if (buffer.length >= threshold) {
        // Large target: two tenant-wide passes are cheaper than two calls per mailbox.
        prefetched = await prefetchTenantWide(microsoft, run.rights);
        await flush(buffer);
        buffer = [];
      }
    }
    await flush(buffer);
  } catch (error) {
    // A target that cannot be resolved, or a permanent upstream refusal (not found, forbidden with its fix):
    // retrying will not help, so the run fails with the reason. Anything else is retried by redelivery.
    if (error instanceof RunFailure || error instanceof PermanentUpstreamError) return failRun(deps, run, found.etag, error.message, skipped);
    throw error;
  }

  if (seen.size === 0) {
    const why = Object.entries(skipped).map(([k, v]) => `${v} ${k}`).join(', ');
    const skippedText = why ? ` (skipped: ${why})` : '';
    const error =
      run.target.kind === 'mailboxes'
        ? `None of the ${run.target.mailboxes.length} listed mailboxes was found with a mailbox${skippedText}`
        : `The target ${describeTarget(run.target)} contains no mailboxes${skippedText}`;
    return failRun(deps, run, found.etag, error, skipped);
  }
  const updated: Run = {
    ...run,
    status: 'running',
    startedAt,
    mailboxesTotal: seen.size,
    mailboxesSkipped: Object.values(skipped).reduce((a, b) => a + b, 0),
    skippedByReason: skipped,
  };
  await deps.repos.runs.update(updated, found.etag);
  deps.logger?.info({ taskId, runId, mailboxes: seen.size, strategy: prefetched ? 'tenantWide' : 'perMailbox' }, 'target expanded');
  return { outcome: 'expanded', mailboxes: seen.size, strategy: prefetched ? 'tenantWide' : 'perMailbox' };
}

function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'group':
      return `group ${target.groupId}`;
    case 'groupEmail':
      return `group '${target.email}'`;
    case 'groupDn':
      return `group '${target.dn}'`;
    case 'mailboxes':
      return `${target.mailboxes.length} listed mailboxes`;
  }
}

async function failRun(deps: ExpandDeps, run: Run, etag: string, error: string, skipped: Record<string, number>): Promise<ExpandOutcome> {
  const now = deps.now().toISOString();
  await deps.repos.runs.update({ ...run, status: 'failed', startedAt: run.startedAt ?? now, finishedAt: now, error, skippedByReason: skipped, mailboxesSkipped: Object.values(skipped).reduce((a, b) => a + b, 0) }, etag);
  await deps.repos.runs.markInactive(run.taskId, run.runId);
  await releaseTask(deps, run);
  deps.logger?.warn({ taskId: run.taskId, runId: run.runId, error }, 'run failed during expansion');
  return { outcome: 'failed', error };
}

/** Clears the task's active-run pointer when it still points at this run. */
export async function releaseTask(deps: Pick<ExpandDeps, 'repos'>, run: Pick<Run, 'taskId' | 'runId'>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const task = await deps.repos.tasks.get(run.taskId);
    if (!task || task.value.activeRunId !== run.runId) return;
    const { activeRunId: _a, activeSince: _s, ...rest } = task.value;
    try {
      await deps.repos.tasks.update(rest, task.etag);
      return;
    } catch (error) {
      if ((error as Error).name !== 'PreconditionFailedError') throw error;
    }
  }
}
