import type { Repositories, UseCaseSettings } from '../ports/services.js';
import type { Logger } from '../logging.js';
import { PermanentUpstreamError, ThrottledError } from '../errors.js';
import {
  attributeSyncPlan,
  computeEffectiveDelegations,
  lateAttributions,
  observationDigest,
  planMailboxSync,
  planTrustees,
  type AttributionHint,
  type DelegateRef,
  type DelegationRow,
  type EffectiveDelegation,
  type MailboxRef,
  type MailboxRightsSnapshot,
  type MailboxSyncPlan,
  type RawCalendarPermission,
  type ResolvedTrustee,
  type Right,
} from '../domain/delegation/index.js';
import {
  fromCalendarPermission,
  fromMailboxPermissionRow,
  fromRecipientPermissionRow,
  type MicrosoftPorts,
} from '../ports/microsoft.js';
import { QUEUES, type QueueSender } from '../ports/queue.js';
import { mailboxMessageSchema, parseMessage, type MailboxMessageBody } from './messages.js';
import { runKey } from './runs.js';
import { closeRunAfterSettle } from './finalizeRuns.js';
import type { ResolverCache, TrusteeResolver } from './trusteeResolver.js';
import type { AlertRaiser } from '../ports/alerts.js';

export interface SyncDeps {
  repos: Repositories;
  queue: QueueSender;
  now: () => Date;
  microsoft(): MicrosoftPorts;
  logger?: Logger;
  resolvers: ResolverCache;
  /** The hold rule the run's close applies when this mailbox's settle completes it. */
  settings: Pick<UseCaseSettings, 'revocationHoldPercent'>;
  /** Alert rules fire on the plan's granted events (docs/design.md §8.5). */
  alerts: { raiser: AlertRaiser };
}

export type SyncOutcome =
  | {
      outcome: 'synced';
      added: number;
      removed: number;
      changed: number;
      unresolved: number;
      proposedRevocations: number;
    }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'deferred'; retryAt: Date }
  | { outcome: 'alreadySettled' }
  | { outcome: 'ignored'; reason: string };

/** Gives up deferring a throttled mailbox after this many delayed copies; the redelivery count takes over. */
const MAX_THROTTLE_DEFERRALS = 30;

interface SnapshotRead {
  snapshot: MailboxRightsSnapshot;
  /** Rights the task syncs that could not be read for this mailbox: left as stored. */
  rightsNotRead: Array<{ right: Right; reason: string }>;
  /** Exchange `@adminapi.warnings` of the calls made for this mailbox. */
  warnings: string[];
}

async function readSnapshot(message: MailboxMessageBody, microsoft: MicrosoftPorts): Promise<SnapshotRead> {
  const { mailbox, rights, prefetched } = message;
  const want = (r: Right) => rights.includes(r);
  const warnings: string[] = [];
  const readSendOnBehalf = want('SendOnBehalf') && !prefetched?.sendOnBehalfNames;
  const [fullAccess, sendAs, mailboxRow, calendar] = await Promise.all([
    want('FullAccess') ? microsoft.exchange.getMailboxPermission(mailbox.upn, warnings) : undefined,
    want('SendAs') && !prefetched?.sendAs
      ? microsoft.exchange.getRecipientPermission(mailbox.upn, warnings)
      : undefined,
    readSendOnBehalf ? microsoft.exchange.getMailbox(mailbox.upn, warnings) : undefined,
    want('CalendarDelegate') ? readCalendar(microsoft, mailbox.id) : undefined,
  ]);
  if (readSendOnBehalf && !mailboxRow) {
    throw new PermanentUpstreamError(
      'EXCHANGE.NOT_FOUND',
      `Mailbox ${mailbox.upn} no longer exists in Exchange Online`,
    );
  }
  const sendOnBehalfNames =
    prefetched?.sendOnBehalfNames ?? (mailboxRow ? [...mailboxRow.GrantSendOnBehalfTo] : undefined);
  const rightsNotRead =
    calendar && 'notRead' in calendar ? [{ right: 'CalendarDelegate' as const, reason: calendar.notRead }] : [];
  const snapshot: MailboxRightsSnapshot = {
    mailbox: {
      id: mailbox.id,
      upn: mailbox.upn,
      primarySmtp: mailbox.address,
      name: prefetched?.name ?? mailboxRow?.Name ?? '',
      displayName: mailbox.displayName,
    },
    rights,
    ...(fullAccess ? { fullAccess: fullAccess.map(fromMailboxPermissionRow) } : {}),
    ...(prefetched?.sendAs
      ? { sendAs: prefetched.sendAs }
      : sendAs
        ? { sendAs: sendAs.map(fromRecipientPermissionRow) }
        : {}),
    ...(sendOnBehalfNames ? { sendOnBehalfNames } : {}),
    ...(calendar && 'rows' in calendar ? { calendar: calendar.rows } : {}),
  };
  return { snapshot, rightsNotRead, warnings: [...new Set(warnings)] };
}

/**
 * Calendar delegates. A mailbox Graph will not open for this app (403 ErrorAccessDenied: the tenant scopes the
 * app's mailbox access; or no REST-enabled mailbox) leaves the right unobserved with the reason: never emptied,
 * and never a reason to drop the mailbox's Exchange rights (docs/wire.md, Graph calendarPermissions).
 */
async function readCalendar(
  microsoft: MicrosoftPorts,
  mailboxId: string,
): Promise<{ rows: RawCalendarPermission[] } | { notRead: string }> {
  try {
    return { rows: (await microsoft.graph.calendarPermissions(mailboxId)).map(fromCalendarPermission) };
  } catch (error) {
    if (
      error instanceof PermanentUpstreamError &&
      (error.code === 'GRAPH.NOT_FOUND' || error.code === 'GRAPH.FORBIDDEN')
    ) {
      return { notRead: error.message };
    }
    throw error;
  }
}

function describeFailure(error: PermanentUpstreamError, upn: string): string {
  if (error.code.endsWith('NOT_FOUND'))
    return `Mailbox ${upn} could not be read: it no longer exists (${error.message})`;
  return error.message;
}

/**
 * Syncs one mailbox of a run: read its rights, normalize, resolve and expand trustees, diff against the stored
 * set, write history + reverse index first and the forward index last, then settle the run item. Idempotent:
 * a settled item is skipped; a redelivery after a partial write recomputes the same diff.
 */
export async function syncMailbox(deps: SyncDeps, body: unknown): Promise<SyncOutcome> {
  const message = parseMessage(mailboxMessageSchema, body, QUEUES.mailbox);
  const { taskId, runId, mailbox } = message;
  const item = await deps.repos.runs.getItem(taskId, runId, mailbox.id);
  if (!item) {
    // Expansion writes every item before its message: a message without one is stale or forged, and syncing it
    // would file real rights under whatever mailbox id it names.
    const reason = `mailbox ${mailbox.id} is not an item of run ${runId} of task ${taskId}`;
    deps.logger?.warn(
      { taskId, runId, mailboxId: mailbox.id },
      'mps-mailbox message ignored: the mailbox is not an item of that run',
    );
    return { outcome: 'ignored', reason };
  }
  if (item.status !== 'pending') {
    // The copy that settled it may have died before closing the run.
    await closeRunAfterSettle(deps, taskId, runId, { mayCompleteRun: true });
    return { outcome: 'alreadySettled' };
  }

  const microsoft = deps.microsoft();
  let read: SnapshotRead;
  let resolved: Map<string, ResolvedTrustee>;
  let members: Awaited<ReturnType<TrusteeResolver['membersOf']>>;
  const resolver = deps.resolvers.forRun(runKey(taskId, runId), microsoft);
  if (message.prefetched?.directorySnapshot) resolver.useDirectorySnapshot();
  try {
    // Read the mailbox the run's expansion recorded, not whatever address a message claims for that id.
    const recorded = {
      ...message,
      mailbox: { ...mailbox, upn: item.upn || mailbox.upn, address: item.address || mailbox.address },
    };
    read = await readSnapshot(recorded, microsoft);
    const plan = planTrustees(read.snapshot);
    resolved = await resolver.resolveAll(plan.keys);
    const groupIds = [...new Set([...resolved.values()].flatMap((t) => (t.kind === 'group' ? [t.id] : [])))];
    members = await resolver.membersOf(groupIds);
  } catch (error) {
    if (error instanceof ThrottledError && message.throttleRetries < MAX_THROTTLE_DEFERRALS) {
      // Throttled: a delayed copy instead of a hot redelivery; the original completes.
      const delayMs = Math.min(
        300_000,
        Math.max(error.retryAfterMs ?? 0, 2_000 * 2 ** Math.min(message.throttleRetries, 6)) *
          (1 + Math.random() * 0.2),
      );
      const retryAt = new Date(deps.now().getTime() + delayMs);
      const retries = message.throttleRetries + 1;
      await deps.queue.send(QUEUES.mailbox, {
        body: { ...message, throttleRetries: retries },
        messageId: `${runKey(taskId, runId)}_${mailbox.id}_t${retries}`,
        scheduledEnqueueTime: retryAt,
      });
      return { outcome: 'deferred', retryAt };
    }
    if (error instanceof PermanentUpstreamError) {
      const reason = describeFailure(error, mailbox.upn);
      const settled = await deps.repos.runs.settleItem(taskId, runId, mailbox.id, {
        status: 'failed',
        error: reason,
        at: deps.now().toISOString(),
      });
      await closeRunAfterSettle(deps, taskId, runId, settled);
      return { outcome: 'failed', reason };
    }
    throw error; // transient: redelivery
  }
  const readNotes = { rightsNotRead: read.rightsNotRead, warnings: read.warnings };

  const effective = computeEffectiveDelegations(read.snapshot, resolved, members);
  const mailboxRef: MailboxRef = {
    id: mailbox.id.toLowerCase(),
    address: mailbox.address,
    displayName: mailbox.displayName,
  };
  const digest = observationDigest(mailboxRef, effective.observedRights, effective.delegations);
  const stored = await deps.repos.delegations.readForSync(mailbox.id, digest);
  const key = runKey(taskId, runId);
  const at = deps.now().toISOString();
  // An audit run's message carries the audit hints; a full scan's none (docs/design.md §8.4, attribution).
  const hints = message.audit?.hints ?? [];
  const observedBy = message.audit ? 'auditEvent' : 'fullScan';
  const planned = planMailboxSync(stored, effective, { mailbox: mailboxRef, taskId, runId, at, observedBy });
  const plan = message.audit ? attributeSyncPlan(planned, observedBy, hints) : planned;
  if (plan.upserts.length > 0) {
    // Remember what this delivery is about to change: a redelivery after a partial write sees a smaller plan,
    // but the run must still count the whole change once.
    if (!item.planned) await deps.repos.runs.recordPlannedCounts(taskId, runId, mailbox.id, plan.counts);
    const delegates = resolver.unwritten(plan.delegates);
    await deps.repos.directory.upsert(delegates.map(toDirectoryUser));
    resolver.markWritten(delegates);
  }
  // Revocations are never applied here: the run applies them when it closes, unless it holds them for review
  // (docs/design.md §8.2). Until then the rows stay, and lookups keep showing them. They are recorded on the run
  // before the apply marks them pending, so a pending mark always has its proposals.
  if (plan.removals.length > 0) await deps.repos.runs.proposeRevocations(taskId, runId, mailbox.id, plan.removals);
  // Before the apply: a crash after the history write re-plans the same events on redelivery, whose alert message
  // ids are the same (deduplicated), so every grant is announced at least once.
  await deps.alerts.raiser.raise(plan.events);
  await deps.repos.delegations.applySyncPlan(plan, stored, key);
  await attributeLateGrants(deps, plan, stored.kind === 'rows' ? stored.rows : undefined, hints);
  // The rights read and found as stored: those with revocations pending are not confirmed until the run closes.
  const verified = effective.observedRights.filter((r) => !plan.revocationsProposed[r]);
  await deps.repos.delegations.recordVerified(mailbox.id, verified, at);
  await repairDelegateAddresses(deps, resolver, effective.delegations);
  const settled = await deps.repos.runs.settleItem(taskId, runId, mailbox.id, {
    status: 'done',
    at: deps.now().toISOString(),
    ...plan.counts,
    ...readNotes,
    storedByRight: plan.storedByRight,
    revocationsProposed: plan.revocationsProposed,
  });
  await closeRunAfterSettle(deps, taskId, runId, settled);
  return {
    outcome: 'synced',
    added: plan.counts.delegationsAdded,
    removed: 0,
    changed: plan.changed,
    unresolved: plan.counts.trusteesUnresolved,
    proposedRevocations: plan.removals.length,
  };
}

/**
 * Late attribution (docs/design.md §8.4): an audit hint about a grant a full scan stored first, unattributed, now
 * names its author. Only grant hints can; the stored rows are read when the sync did not (an equal digest).
 */
async function attributeLateGrants(
  deps: SyncDeps,
  plan: MailboxSyncPlan,
  rows: readonly DelegationRow[] | undefined,
  hints: readonly AttributionHint[],
): Promise<void> {
  const grants = hints.filter((h) => h.change !== 'revoke' && h.trustee !== null);
  if (grants.length === 0) return;
  const stored = rows ?? (await deps.repos.delegations.forMailbox(plan.mailbox.id));
  for (const attribution of lateAttributions(stored, plan, grants)) {
    await deps.repos.delegations.attributeGrant(attribution);
    deps.logger?.info(
      { mailboxId: plan.mailbox.id, right: attribution.row.right, runId: plan.runId },
      'grant attributed after the fact from an audit record',
    );
  }
}

/**
 * An address can pass to another object (a rehire, a re-created account) while every mailbox stays unchanged,
 * so the directory is checked once per delegate and run, whatever the diff: lookups by that address must answer
 * for the current holder.
 */
async function repairDelegateAddresses(
  deps: SyncDeps,
  resolver: TrusteeResolver,
  delegations: readonly EffectiveDelegation[],
): Promise<void> {
  const delegates = resolver.unwritten(uniqueDelegates(delegations));
  if (delegates.length === 0) return;
  const repaired = await deps.repos.directory.repairAddresses(delegates.map(toDirectoryUser));
  if (repaired > 0)
    deps.logger?.info({ repaired }, 'directory entries repaired: their addresses pointed at another object');
  resolver.markWritten(delegates);
}

/** Each delegate once, by object id. */
function uniqueDelegates(rows: ReadonlyArray<{ delegate: DelegateRef }>): DelegateRef[] {
  return [...new Map(rows.map((d) => [d.delegate.id, d.delegate])).values()];
}

/** A delegate as the directory table keeps it. */
function toDirectoryUser(d: DelegateRef) {
  return {
    id: d.id,
    upn: d.upn,
    address: d.address,
    displayName: d.displayName,
    ...(d.accountEnabled === undefined ? {} : { accountEnabled: d.accountEnabled }),
  };
}
