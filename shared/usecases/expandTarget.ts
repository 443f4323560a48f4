import type { Repositories, UseCaseSettings } from '../ports/services.js';
import type { Logger } from '../logging.js';
import { PermanentUpstreamError, PreconditionFailedError } from '../errors.js';
import type { RawAce, Right } from '../domain/delegation/types.js';
import { readsWholeScope, type Run, type Target } from '../domain/task.js';
import { fromRecipientPermissionRow, type DirectoryObject, type MicrosoftPorts } from '../ports/microsoft.js';
import { QUEUES, type OutgoingMessage, type QueueSender } from '../ports/queue.js';
import type { Versioned } from '../ports/repositories.js';
import type { TenantRates } from '../ports/tenantRates.js';
import { ReleaseSchedule, sustainedMailboxRate, type CallsPerMailbox } from '../domain/pacing.js';
import { expandMessageSchema, parseMessage, type MailboxMessageBody } from './messages.js';
import { runKey } from './runs.js';
import { closeRunAfterSettle } from './finalizeRuns.js';
import type { ResolverCache } from './trusteeResolver.js';
import type { ConcurrencyLimit } from './concurrencyLimit.js';

/**
 * Expansions one app instance runs at once. An expansion streams a whole group (100k members: pages of members
 * and of Get-Mailbox rows, batches of messages) and the host hands every Service Bus function up to host.json's
 * maxConcurrentCalls messages per instance, so expandTarget limits itself; a waiting message keeps its lock, which
 * the host renews (maxAutoLockRenewalDuration).
 */
export const EXPANSIONS_PER_INSTANCE = 2;

export interface ExpandDeps {
  repos: Repositories;
  queue: QueueSender;
  now: () => Date;
  microsoft(): MicrosoftPorts;
  logger?: Logger;
  /** From this many mailboxes on, SendAs and SendOnBehalf come from one tenant-wide pass each (default 100). */
  tenantWideThreshold?: number;
  /** The tenant's shared request rates: the mailbox messages are released at their pace (docs/pacing.md). */
  tenantRates?: TenantRates;
  /** The run-scoped resolvers of this process: told which directory entries expansion wrote, so syncs skip them. */
  resolvers?: ResolverCache;
  /** The hold rule the run's close applies when its mailboxes all settled before expansion finished. */
  settings: Pick<UseCaseSettings, 'revocationHoldPercent'>;
  /** This instance's expansion slots (EXPANSIONS_PER_INSTANCE); absent, expansions are not limited here. */
  expansions?: ConcurrencyLimit;
}

export type ExpandOutcome =
  | { outcome: 'expanded'; mailboxes: number; strategy: 'perMailbox' | 'tenantWide' }
  | { outcome: 'failed'; error: string }
  | { outcome: 'ignored'; reason: string };

interface MailboxMember {
  id: string;
  upn: string;
  address: string;
  displayName: string;
  accountEnabled?: boolean;
}

/**
 * Why a member is not scanned; counted on the run. `noExchangeMailbox`: a user with `mail` that Exchange Online
 * has no mailbox for (a guest, a mail user, a hybrid tenant's on-premises mailbox): skipped, never failed.
 */
type SkipReason = 'noMailbox' | 'noExchangeMailbox' | 'device' | 'contact' | 'group' | 'other' | 'notFound';

/** The recipient types that are Exchange Online mailboxes whose rights we read (docs/wire.md). */
const MAILBOX_TYPES = new Set(['UserMailbox', 'SharedMailbox', 'RoomMailbox', 'EquipmentMailbox']);

class RunFailure extends Error {}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses `CN=Sales\, EMEA,OU=…` → `Sales, EMEA` (RFC 4514 escapes). */
export function commonNameOf(dn: string): string {
  const match = /^CN=((?:[^,\\]|\\.)+)/i.exec(dn.trim());
  if (!match) throw new RunFailure(`'${dn}' is not a distinguished name starting with CN=`);
  const escaped = match[1] ?? '';
  return escaped
    .replace(/\\([0-9a-fA-F]{2}|.)/g, (_, c: string) => (c.length === 2 ? String.fromCharCode(parseInt(c, 16)) : c))
    .trim();
}

async function resolveGroup(
  microsoft: MicrosoftPorts,
  target: Exclude<Target, { kind: 'mailboxes' }>,
): Promise<{ id: string; name: string }> {
  const { graph } = microsoft;
  if (target.kind === 'group') {
    const group = await graph.getGroup(target.groupId);
    if (!group) throw new RunFailure(`Group ${target.groupId} does not exist in the directory`);
    return { id: group.id, name: group.displayName ?? group.id };
  }
  if (target.kind === 'groupEmail') {
    const groups = await graph.findGroupsByMail(target.email);
    if (groups.length === 0) throw new RunFailure(`No group has the e-mail address ${target.email}`);
    if (groups.length > 1)
      throw new RunFailure(`E-mail address ${target.email} matches ${groups.length} groups: ${listGroups(groups)}`);
    const [group] = groups;
    if (!group) throw new RunFailure(`No group has the e-mail address ${target.email}`);
    return { id: group.id, name: group.displayName ?? target.email };
  }
  const cn = commonNameOf(target.dn);
  let groups = await graph.findGroupsBySamAccountName(cn);
  if (groups.length === 0) groups = await graph.findGroupsByDisplayName(cn);
  if (groups.length === 0)
    throw new RunFailure(
      `DN ${target.dn} matches no group (looked for onPremisesSamAccountName or displayName '${cn}')`,
    );
  if (groups.length > 1)
    throw new RunFailure(
      `DN matches ${groups.length} groups: ${listGroups(groups)}; use the group's object id as the target`,
    );
  const [group] = groups;
  if (!group) throw new RunFailure(`DN ${target.dn} matches no group`);
  return { id: group.id, name: group.displayName ?? cn };
}

function listGroups(groups: ReadonlyArray<{ id: string; displayName?: string | null }>): string {
  return groups.map((g) => `${g.displayName} (${g.id})`).join(', ');
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
      const user = GUID.test(entry)
        ? await microsoft.graph.getUser(entry)
        : ((await microsoft.graph.getUser(entry)) ?? (await microsoft.graph.findUserByMail(entry)));
      page.push(user ? classify({ ...user, kind: 'user' } as DirectoryObject) : 'notFound');
    }
    yield page;
    return;
  }
  const group = await resolveGroup(microsoft, target);
  for await (const p of microsoft.graph.transitiveMembers(group.id)) yield p.map(classify);
}

interface Prefetched {
  /** Object ids of the tenant's Exchange Online mailboxes (all of them: a tenant-wide pass). */
  mailboxIds: Set<string>;
  names: Map<string, string>;
  sendAs: Map<string, RawAce[]>;
  sendOnBehalf: Map<string, string[]>;
}

const SELF = 'nt authority\\self';

/**
 * Tenant-wide passes: one Get-Mailbox (which members are mailboxes, and GrantSendOnBehalfTo) and, when SendAs is
 * synced, one Get-RecipientPermission, instead of calls per mailbox. Memory holds the mailbox ids and the grants.
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
  const result: Prefetched = { mailboxIds: new Set(), names: new Map(), sendAs: new Map(), sendOnBehalf: new Map() };
  // Lower-cased Name → object id of the one mailbox with that Name (null when several share it).
  const mailboxByName = new Map<string, string | null>();
  const fields = [
    'Identity',
    'Name',
    'UserPrincipalName',
    'PrimarySmtpAddress',
    'ExternalDirectoryObjectId',
    'RecipientTypeDetails',
    'GrantSendOnBehalfTo',
  ] as const;
  for await (const page of microsoft.exchange.listMailboxes(fields)) {
    for (const row of page) {
      const id = row.ExternalDirectoryObjectId?.toLowerCase();
      if (!id) continue;
      if (MAILBOX_TYPES.has(row.RecipientTypeDetails)) result.mailboxIds.add(id);
      if (row.Name) {
        const name = row.Name.toLowerCase();
        mailboxByName.set(name, mailboxByName.has(name) ? null : id);
      }
      if (row.Name && row.Name.toLowerCase() !== id) result.names.set(id, row.Name);
      if (rights.includes('SendOnBehalf') && row.GrantSendOnBehalfTo && row.GrantSendOnBehalfTo.length > 0)
        result.sendOnBehalf.set(id, [...row.GrantSendOnBehalfTo]);
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
    result.sendOnBehalf.set(
      id,
      names.map((name) => mailboxByName.get(name.toLowerCase()) ?? name),
    );
  }
  return result;
}

/** What a small target's own Get-Mailbox calls found: which members are mailboxes, their Names and SendOnBehalf. */
interface MemberMailboxes {
  rows: Map<string, { name: string; sendOnBehalfNames: string[] }>;
}

/** One Get-Mailbox per member (batched by ten): a member is scanned only when Exchange has a mailbox for it. */
async function readMemberMailboxes(
  microsoft: MicrosoftPorts,
  members: readonly MailboxMember[],
): Promise<MemberMailboxes> {
  const rows = new Map<string, { name: string; sendOnBehalfNames: string[] }>();
  const found = await microsoft.exchange.getMailboxes(members.map((m) => m.id));
  members.forEach((member, index) => {
    const row = found[index];
    if (!row || !MAILBOX_TYPES.has(row.RecipientTypeDetails)) return;
    rows.set(member.id, { name: row.Name, sendOnBehalfNames: [...row.GrantSendOnBehalfTo] });
  });
  return { rows };
}

/**
 * The run to expand, moved from `queued` to `expanding`. A redelivered message finds it `expanding` (the copy
 * before it died mid-way) and expands it again; any later status means the expansion is over: the reason why.
 */
async function startExpanding(deps: ExpandDeps, taskId: string, runId: string): Promise<Versioned<Run> | string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await deps.repos.runs.get(taskId, runId);
    if (!found) return `run ${runId} of task ${taskId} does not exist`;
    // An audit run is never expanded (its items are given); a stray message must not scan the task's target.
    if (!readsWholeScope(found.value)) return 'an audit run has no target to expand';
    if (found.value.status === 'expanding') return found;
    if (found.value.status !== 'queued') return `run is already ${found.value.status}`;
    try {
      return await deps.repos.runs.transition(found, 'expanding', deps.now());
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error; // a concurrent copy moved it: look again
    }
  }
  throw new PreconditionFailedError('RUN.CONCURRENT_UPDATE', `Run '${runId}' kept changing as its expansion began`);
}

/**
 * Expands a run's target into run items and one `mps-mailbox` message per mailbox, page by page (memory holds
 * the id set, not the rows): `queued → expanding`, then `running` once every message is out. Idempotent: a
 * redelivery expands an `expanding` run again (items are upserts, messages carry deterministic ids) and leaves
 * a later one alone. A target with no mailboxes, or an ambiguous DN, fails the run with the reason.
 */
export async function expandTarget(deps: ExpandDeps, body: unknown): Promise<ExpandOutcome> {
  return deps.expansions ? deps.expansions.run(() => expandNow(deps, body)) : expandNow(deps, body);
}

/** The mailboxes per second the task's latest finished run sustained (one page of its runs, newest first). */
async function previousRunPace(deps: ExpandDeps, taskId: string, runId: string): Promise<number | undefined> {
  const { items } = await deps.repos.runs.list(taskId, { top: 10 });
  // An audit run's few mailboxes say nothing of the pace a whole target sustains.
  const finished = items.find(
    (r) =>
      r.runId !== runId && readsWholeScope(r) && ['succeeded', 'completedWithErrors', 'needsReview'].includes(r.status),
  );
  return finished ? sustainedMailboxRate(finished) : undefined;
}

async function expandNow(deps: ExpandDeps, body: unknown): Promise<ExpandOutcome> {
  const { taskId, runId } = parseMessage(expandMessageSchema, body, QUEUES.expand);
  const found = await startExpanding(deps, taskId, runId);
  if (typeof found === 'string') return { outcome: 'ignored', reason: found };
  const run = found.value;
  const microsoft = deps.microsoft();
  const threshold = deps.tenantWideThreshold ?? 100;
  const seen = new Set<string>();
  const skipped: Record<string, number> = {};
  let total = 0;
  let prefetched: Prefetched | undefined;
  let buffer: MailboxMember[] = [];
  /** Run mailboxes the tenant-wide passes gave a SendAs / SendOnBehalf grant. */
  const matched = { SendAs: 0, SendOnBehalf: 0 };
  // Read once: the messages of one expansion follow one schedule, however many pages they are sent in.
  const rates = (await deps.tenantRates?.current()) ?? {};
  const sustained = await previousRunPace(deps, taskId, runId);
  const releaseFrom = deps.now().getTime();
  let schedule: ReleaseSchedule | undefined;

  const flush = async (batch: MailboxMember[], perMember?: MemberMailboxes) => {
    const mailboxes = batch.filter((m) => (prefetched ? prefetched.mailboxIds.has(m.id) : perMember?.rows.has(m.id)));
    if (batch.length > mailboxes.length)
      skipped.noExchangeMailbox = (skipped.noExchangeMailbox ?? 0) + batch.length - mailboxes.length;
    if (mailboxes.length === 0) return;
    total += mailboxes.length;
    await deps.repos.runs.addItems(
      taskId,
      runId,
      mailboxes.map((m) => ({ mailboxId: m.id, upn: m.upn, address: m.address, displayName: m.displayName })),
    );
    await deps.repos.directory.upsert(mailboxes.map((m) => ({ ...m, hasMailbox: true })));
    deps.resolvers?.forRun(runKey(taskId, runId), microsoft).markWritten(mailboxes);
    const messages: OutgoingMessage[] = mailboxes.map((m) => {
      const message: MailboxMessageBody = {
        taskId,
        runId,
        mailbox: { id: m.id, upn: m.upn, address: m.address, displayName: m.displayName },
        rights: run.rights,
        throttleRetries: 0,
        prefetched: prefetched
          ? tenantWideRows(prefetched, m.id, run.rights, matched)
          : memberRows(perMember, m.id, run.rights),
      };
      schedule ??= new ReleaseSchedule(callsPerMailbox(run.rights, prefetched !== undefined), rates, sustained);
      const offsetMs = schedule.next();
      return {
        body: message,
        messageId: `${runKey(taskId, runId)}_${m.id}`,
        ...(offsetMs > 0 ? { scheduledEnqueueTime: new Date(releaseFrom + offsetMs) } : {}),
      };
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
      if (prefetched) {
        await flush(mailboxes);
        continue;
      }
      buffer.push(...mailboxes);
      if (buffer.length >= threshold) {
        // Large target: tenant-wide passes are cheaper than calls per member.
        prefetched = await prefetchTenantWide(microsoft, run.rights);
        await flush(buffer);
        buffer = [];
      }
    }
    if (buffer.length > 0) await flush(buffer, await readMemberMailboxes(microsoft, buffer));
  } catch (error) {
    // A target that cannot be resolved, or a permanent upstream refusal (not found, forbidden with its fix):
    // retrying will not help, so the run fails with the reason. Anything else is retried by redelivery.
    if (error instanceof RunFailure || error instanceof PermanentUpstreamError)
      return failRun(deps, found, error.message, skipped);
    throw error;
  }

  if (total === 0) {
    const why = Object.entries(skipped)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    const skippedText = why ? ` (skipped: ${why})` : '';
    const error =
      run.target.kind === 'mailboxes'
        ? `None of the ${run.target.mailboxes.length} listed mailboxes was found with a mailbox${skippedText}`
        : `The target ${describeTarget(run.target)} contains no mailboxes${skippedText}`;
    return failRun(deps, found, error, skipped);
  }
  // A tenant-wide pass that gave none of the run's mailboxes a grant is more likely a format or permission
  // surprise than a tenant without grants: the revocations it would cause are held (docs/design.md §8.2).
  const suspectRights = prefetched
    ? (['SendAs', 'SendOnBehalf'] as const).filter((r) => run.rights.includes(r) && matched[r] === 0)
    : [];
  // Under the ETag of the expanding run: a concurrent copy that finished first makes this one throw, and its
  // redelivery finds the run running.
  await deps.repos.runs.transition(found, 'running', deps.now(), {
    mailboxesTotal: total,
    mailboxesSkipped: Object.values(skipped).reduce((a, b) => a + b, 0),
    skippedByReason: skipped,
    suspectRights: [...suspectRights],
  });
  // Every mailbox may have settled before the run was running; their settles could not close it then.
  await closeRunAfterSettle(deps, taskId, runId, { mayCompleteRun: true });
  const strategy = prefetched ? 'tenantWide' : 'perMailbox';
  deps.logger?.info({ taskId, runId, mailboxes: total, strategy, suspectRights }, 'target expanded');
  return { outcome: 'expanded', mailboxes: total, strategy };
}

/**
 * The metered calls one mailbox message makes (docs/architecture.md, "Strategy for Exchange calls"): Exchange
 * reads FullAccess per mailbox, and SendAs too unless a tenant-wide pass did; Graph reads the calendar. Trustee
 * lookups are not counted: most are answered from the directory and the run's caches.
 */
function callsPerMailbox(rights: readonly Right[], tenantWide: boolean): CallsPerMailbox {
  const perMailboxExchange = tenantWide ? (['FullAccess'] as const) : (['FullAccess', 'SendAs'] as const);
  return {
    exchange: perMailboxExchange.filter((r) => rights.includes(r)).length,
    graph: rights.includes('CalendarDelegate') ? 1 : 0,
  };
}

type PrefetchedRows = NonNullable<MailboxMessageBody['prefetched']>;

/** A mailbox's rows from the tenant-wide passes; counts the mailboxes that got a grant from each. */
function tenantWideRows(
  p: Prefetched,
  id: string,
  rights: readonly Right[],
  matched: Record<'SendAs' | 'SendOnBehalf', number>,
): PrefetchedRows {
  const sendAs = p.sendAs.get(id) ?? [];
  const name = p.names.get(id);
  const sendOnBehalfNames = p.sendOnBehalf.get(id) ?? [];
  if (sendAs.length > 0) matched.SendAs++;
  if (sendOnBehalfNames.length > 0) matched.SendOnBehalf++;
  return {
    // A run this large would spend a Graph call or more per mailbox resolving trustees key by key; a listing of
    // the tenant's users costs one call per 999 users, per run and instance (docs/performance.md).
    directorySnapshot: true,
    ...(name !== undefined ? { name } : {}),
    ...(rights.includes('SendAs') ? { sendAs } : {}),
    ...(rights.includes('SendOnBehalf') ? { sendOnBehalfNames } : {}),
  };
}

/** A mailbox's Name and GrantSendOnBehalfTo from its own Get-Mailbox during expansion. */
function memberRows(perMember: MemberMailboxes | undefined, id: string, rights: readonly Right[]): PrefetchedRows {
  const row = perMember?.rows.get(id);
  // Every mailbox of a small target was found by its own Get-Mailbox, so a missing row is a bug, not a tenant fact.
  if (!row) throw new Error(`expandTarget: no Get-Mailbox row was kept for mailbox ${id}`);
  return { name: row.name, ...(rights.includes('SendOnBehalf') ? { sendOnBehalfNames: row.sendOnBehalfNames } : {}) };
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

async function failRun(
  deps: ExpandDeps,
  expanding: Versioned<Run>,
  error: string,
  skipped: Record<string, number>,
): Promise<ExpandOutcome> {
  const run = expanding.value;
  await deps.repos.runs.transition(expanding, 'failed', deps.now(), {
    error,
    skippedByReason: skipped,
    mailboxesSkipped: Object.values(skipped).reduce((a, b) => a + b, 0),
  });
  deps.logger?.warn({ taskId: run.taskId, runId: run.runId, error }, 'run failed during expansion');
  return { outcome: 'failed', error };
}
