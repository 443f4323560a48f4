import type { Logger } from '../logging.js';
import { type ErrorCode, PermanentUpstreamError, ThrottledError } from '../errors.js';
import type { ExchangePort } from '../ports/microsoft.js';
import type { Repositories } from '../ports/services.js';
import type { Right } from '../domain/delegation/types.js';
import type { RunItem } from '../ports/repositories.js';
import { interpretAuditRecord } from '../domain/auditHints.js';
import {
  AUDIT_CONTENT_TYPE,
  type AuditContentRef,
  type AuditFeedPort,
  type AuditResyncMailbox,
  type AuditResyncRequest,
  type PermissionChangeHint,
} from '../ports/auditFeed.js';
import {
  type AuditFeedCounts,
  type AuditFeedGap,
  type AuditFeedState,
  type AuditFeedStateRepository,
  type AuditPollOutcome,
  MAX_GAPS,
  zeroCounts,
} from '../ports/auditFeedState.js';
import { latestExpandedRun } from './finalizeRuns.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** How long the Management API keeps content, and how far back `startTime` may reach (docs/wire.md). */
export const CONTENT_RETENTION_MS = 7 * 24 * HOUR;
/** The longest `startTime`–`endTime` span one content listing accepts (docs/wire.md). */
export const MAX_WINDOW_MS = 24 * HOUR;
/**
 * How far before the checkpoint each poll lists again (docs/design.md §8.4): the window's end is this host's
 * clock, not the service's, and nothing promises a blob is listable the instant its `contentCreated` passes.
 * Seen blobs are not fetched again, so the overlap costs one listing, never a second re-read.
 */
export const CHECKPOINT_OVERLAP_MS = 30 * MINUTE;
/** Kept off the 7-day edge, so a request computed now is not refused as too old when it reaches the API. */
const RETENTION_MARGIN_MS = 5 * MINUTE;
/** Blobs one poll fetches at most: a catch-up over days proceeds over several polls, each a bounded minute. */
export const MAX_BLOBS_PER_POLL = 200;

/** A mailbox's re-read request, built from the audit hints that name it. */
export type ResyncFn = (request: AuditResyncRequest) => Promise<void>;

/** What the feed's timer needs. */
export interface PollAuditFeedDeps {
  tenantId: string;
  auditFeed: AuditFeedPort;
  feedState: AuditFeedStateRepository;
  repos: Pick<Repositories, 'tasks' | 'runs' | 'directory'>;
  /** Exchange resolves a mailbox the directory table does not know (Get-Recipient). */
  microsoft(): { exchange: Pick<ExchangePort, 'getRecipient'> };
  /** Re-reads a task's mailboxes the records named (startAuditRun). */
  resync: ResyncFn;
  now: () => Date;
  logger?: Logger;
}

/** What one poll did. */
export interface PollReport {
  outcome: AuditPollOutcome;
  /** The checkpoint after the poll (null while none was ever set). */
  checkpoint: string | null;
  blobsProcessed: number;
  counts: AuditFeedCounts;
  resyncs: Array<{ taskId: string; mailboxes: number }>;
  gap: AuditFeedGap | null;
  checkpointLost: boolean;
}

/** One content blob read in full: its records' hints and the newest record time it holds. */
interface ReadBlob {
  ref: AuditContentRef;
  hints: PermissionChangeHint[];
  newestRecordAt: string | null;
}

/** How a poll stopped before it listed everything up to now. */
type Stop = { kind: 'throttled'; error: Error } | { kind: 'failed'; error: Error } | null;

const iso = (ms: number) => new Date(ms).toISOString();
const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/** The error as the state keeps it: its message (the clients put no token or secret in one), bounded in size. */
const readable = (error: Error) => error.message.slice(0, 1000);

/**
 * The change feed's timer (docs/design.md §8.4): makes sure the subscription is enabled, lists the content
 * created since the checkpoint (with overlap, in windows of at most 24 h, never before the 7 days the API keeps),
 * fetches each blob it has not processed, resolves the mailbox each permission change names, keeps those inside
 * an enabled task's scope and asks each task once to re-read its mailboxes. The checkpoint moves only over blobs
 * whose mailboxes were handed on; throttling stops the poll cleanly, any other failure throws once what was done
 * is saved (the next tick goes on from there).
 */
export async function pollAuditFeed(deps: PollAuditFeedDeps): Promise<PollReport> {
  const now = deps.now();
  const polledAt = now.toISOString();
  const counts = zeroCounts();
  const stored = (await deps.feedState.get(deps.tenantId, AUDIT_CONTENT_TYPE))?.value;
  const report: PollReport = {
    outcome: 'succeeded',
    checkpoint: stored?.checkpoint ?? null,
    blobsProcessed: 0,
    counts,
    resyncs: [],
    gap: null,
    checkpointLost: false,
  };
  let subscription: AuditFeedState['subscription'] = stored?.subscription ?? { status: 'unknown', confirmedAt: null };
  try {
    if (subscription.status !== 'enabled') {
      const started = await startSubscription(deps);
      subscription = { status: 'enabled', confirmedAt: polledAt };
      // A subscription that was on while we hold no checkpoint: the state row was lost, read back all we can.
      report.checkpointLost = !stored && started === 'alreadyEnabled';
    }
    const earliest = now.getTime() - CONTENT_RETENTION_MS + RETENTION_MARGIN_MS;
    let from = stored?.checkpoint ? Date.parse(stored.checkpoint) - CHECKPOINT_OVERLAP_MS : earliest;
    if (stored?.checkpoint && Date.parse(stored.checkpoint) < earliest) {
      report.gap = { from: stored.checkpoint, to: iso(earliest), detectedAt: polledAt };
      deps.logger?.error(
        { tenantId: deps.tenantId, gapFrom: report.gap.from, gapTo: report.gap.to },
        'audit feed: content older than 7 days was never read; the next full scan is the safety net',
      );
    }
    if (from < earliest) from = earliest;
    // Whole seconds: the API takes `YYYY-MM-DDTHH:MM:SS`, and a client rounding a 24 h window outwards would
    // make it longer than the API accepts.
    from = wholeSecond(from);
    const until = wholeSecond(now.getTime());

    const read = await readContent(deps, from, until, counts);
    await handOn(deps, read.blobs, polledAt, counts, report);
    report.blobsProcessed = read.blobs.length;
    // A poll that got nowhere past where it started listing leaves the checkpoint as it is.
    const checkpoint = read.resumeAt > from ? iso(read.resumeAt) : null;
    const newest = read.blobs.reduce<string | null>((m, b) => later(m, b.newestRecordAt), null);
    if (read.stop?.kind === 'throttled') {
      report.outcome = 'throttled';
      counts.throttledPolls++;
      deps.logger?.warn(
        { tenantId: deps.tenantId, err: read.stop.error.message },
        'audit feed throttled; poll stopped',
      );
    } else if (read.stop) {
      report.outcome = 'failed';
      counts.failedPolls++;
    }
    const saved = await save(deps, {
      polledAt,
      subscription,
      checkpoint,
      newest,
      outcome: report.outcome,
      error: read.stop ? readable(read.stop.error) : null,
      gap: report.gap,
      checkpointLost: report.checkpointLost,
      counts,
    });
    report.checkpoint = saved.checkpoint;
    await deps.feedState.forgetBefore(
      deps.tenantId,
      AUDIT_CONTENT_TYPE,
      new Date(now.getTime() - CONTENT_RETENTION_MS),
    );
    logPoll(deps, report);
    if (read.stop?.kind === 'failed') throw read.stop.error;
    return report;
  } catch (error) {
    if (report.outcome === 'failed') throw error;
    if (error instanceof ThrottledError) {
      // Throttled before anything was read (subscription, directory, Exchange): the checkpoint stays.
      report.outcome = 'throttled';
      await recordStop(deps, polledAt, subscription, 'throttled', error);
      return report;
    }
    await recordStop(deps, polledAt, subscription, 'failed', error as Error);
    throw error;
  }
}

/** Starts the subscription; `alreadyEnabled` is success too (the API answers so when it is on). */
async function startSubscription(deps: PollAuditFeedDeps): Promise<'started' | 'alreadyEnabled'> {
  const started = await deps.auditFeed.startSubscription(AUDIT_CONTENT_TYPE);
  deps.logger?.info({ tenantId: deps.tenantId, started }, 'audit feed subscription enabled');
  return started;
}

/**
 * Lists and fetches the unseen blobs of [from, to) in windows of at most 24 h, oldest first, until MAX_BLOBS_PER_POLL.
 * A throttled or failing call stops it: `resumeAt` is then where the next poll must list from (every blob created
 * before it was read here, or earlier).
 */
async function readContent(
  deps: PollAuditFeedDeps,
  from: number,
  to: number,
  counts: AuditFeedCounts,
): Promise<{ blobs: ReadBlob[]; stop: Stop; resumeAt: number }> {
  const blobs: ReadBlob[] = [];
  for (let start = from; start < to; start = Math.min(start + MAX_WINDOW_MS, to)) {
    const end = Math.min(start + MAX_WINDOW_MS, to);
    let refs: AuditContentRef[];
    try {
      refs = await listWindow(deps, start, end);
    } catch (error) {
      return { blobs, stop: stopOf(error), resumeAt: start };
    }
    const seen = await deps.feedState.seen(deps.tenantId, AUDIT_CONTENT_TYPE, refs);
    for (const ref of refs) {
      if (seen.has(ref.contentId)) continue;
      if (blobs.length >= MAX_BLOBS_PER_POLL) {
        return { blobs, stop: null, resumeAt: Date.parse(ref.contentCreated) };
      }
      try {
        blobs.push(await readBlob(deps, ref, counts));
      } catch (error) {
        if (!isExpired(error)) return { blobs, stop: stopOf(error), resumeAt: Date.parse(ref.contentCreated) };
        // Gone for good (AF20051): its records can never be read. Counted as one unreadable entry and logged as
        // an error; the blob counts as handled so the feed does not stop on it. The full scan is the safety net.
        counts.unreadableRecords++;
        deps.logger?.error(
          { tenantId: deps.tenantId, contentId: ref.contentId, contentCreated: ref.contentCreated },
          'audit feed: content expired before it was read; its events are lost to the feed',
        );
        blobs.push({ ref, hints: [], newestRecordAt: null });
      }
    }
  }
  return { blobs, stop: null, resumeAt: to };
}

const isExpired = (error: unknown) =>
  error instanceof PermanentUpstreamError && error.code === 'MANAGEMENT.CONTENT_EXPIRED';

function stopOf(error: unknown): NonNullable<Stop> {
  const err = error instanceof Error ? error : new Error(String(error));
  return err instanceof ThrottledError ? { kind: 'throttled', error: err } : { kind: 'failed', error: err };
}

/**
 * Every page of one window, oldest blob first, each blob once. A listing the API refuses because the
 * subscription is gone (stopped or disabled since we confirmed it) starts it again and lists once more.
 */
async function listWindow(deps: PollAuditFeedDeps, start: number, end: number): Promise<AuditContentRef[]> {
  const list = async () => {
    const byId = new Map<string, AuditContentRef>();
    for await (const page of deps.auditFeed.listContent(AUDIT_CONTENT_TYPE, new Date(start), new Date(end))) {
      for (const ref of page) byId.set(ref.contentId, ref);
    }
    return [...byId.values()].sort((a, b) => Date.parse(a.contentCreated) - Date.parse(b.contentCreated));
  };
  try {
    return await list();
  } catch (error) {
    if (!(error instanceof PermanentUpstreamError) || !SUBSCRIPTION_GONE.has(error.code)) throw error;
    deps.logger?.warn({ tenantId: deps.tenantId, code: error.code }, 'audit feed subscription gone; starting it again');
    await startSubscription(deps);
    return await list();
  }
}

/** What a listing answers when the subscription is not on (AF20022 never started or stopped, AF20023 disabled). */
const SUBSCRIPTION_GONE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'MANAGEMENT.NO_SUBSCRIPTION',
  'MANAGEMENT.SUBSCRIPTION_DISABLED',
]);

/** Fetches one blob and interprets its records; an unreadable record is counted and logged, never dropped quietly. */
async function readBlob(deps: PollAuditFeedDeps, ref: AuditContentRef, counts: AuditFeedCounts): Promise<ReadBlob> {
  const entries = await deps.auditFeed.fetchContent(ref.contentUri);
  const blob: ReadBlob = { ref, hints: [], newestRecordAt: null };
  for (const entry of entries) {
    if (entry.kind === 'unreadable') {
      counts.unreadableRecords++;
      deps.logger?.warn({ contentId: ref.contentId, reason: entry.reason }, 'audit feed: unreadable record skipped');
      continue;
    }
    counts.recordsRead++;
    blob.newestRecordAt = later(blob.newestRecordAt, entry.record.creationTime);
    const hint = interpretAuditRecord(entry.record);
    if (hint.kind === 'ignored') counts.ignored[hint.reason]++;
    else {
      counts.permissionHints++;
      blob.hints.push(hint);
    }
  }
  return blob;
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * Resolves the mailboxes the blobs' hints name, keeps those inside an enabled task's scope, and asks each task
 * once to re-read its mailboxes (each mailbox once, with all its hints); then remembers the blobs as seen.
 * Throws when a mailbox cannot be resolved or re-read for now: nothing is marked seen, the checkpoint stays.
 */
async function handOn(
  deps: PollAuditFeedDeps,
  blobs: readonly ReadBlob[],
  polledAt: string,
  counts: AuditFeedCounts,
  report: PollReport,
): Promise<void> {
  if (blobs.length === 0) return;
  const hints = dedupeHints(blobs.flatMap((b) => b.hints));
  const resolved = new Map<string, string | null>();
  const hintsByMailbox = new Map<string, PermissionChangeHint[]>();
  for (const hint of hints) {
    const identity = hint.mailboxIdentity;
    if (!resolved.has(identity)) resolved.set(identity, await resolveMailbox(deps, identity));
    const mailboxId = resolved.get(identity) ?? null;
    if (mailboxId === null) {
      counts.unresolvedMailboxes++;
      deps.logger?.warn({ recordId: hint.recordId, operation: hint.operation }, 'audit feed: mailbox not resolved');
      continue;
    }
    hintsByMailbox.set(mailboxId, [...(hintsByMailbox.get(mailboxId) ?? []), hint]);
  }
  const scopes = hintsByMailbox.size > 0 ? await enabledScopes(deps) : [];
  const perTask = new Map<string, Map<string, { mailbox: AuditResyncMailbox; hints: PermissionChangeHint[] }>>();
  for (const [mailboxId, mailboxHints] of hintsByMailbox) {
    if (!(await placeInScope(deps, scopes, mailboxId, mailboxHints, perTask)))
      counts.outsideScope += mailboxHints.length;
  }
  for (const [taskId, mailboxes] of [...perTask].sort(([a], [b]) => a.localeCompare(b))) {
    await deps.resync({ taskId, polledAt, mailboxes: [...mailboxes.values()] });
    counts.mailboxesQueued += mailboxes.size;
    report.resyncs.push({ taskId, mailboxes: mailboxes.size });
  }
  const contents = blobs.map((b) => ({ contentId: b.ref.contentId, contentCreated: b.ref.contentCreated }));
  await deps.feedState.markSeen(deps.tenantId, AUDIT_CONTENT_TYPE, contents);
}

/** One hint per record id: a record carried by two blobs is one change. */
function dedupeHints(hints: readonly PermissionChangeHint[]): PermissionChangeHint[] {
  const byId = new Map<string, PermissionChangeHint>();
  for (const hint of hints) if (!byId.has(hint.recordId)) byId.set(hint.recordId, hint);
  return [...byId.values()];
}

/** A task's scope run (its latest full run whose expansion completed) and the rights the task syncs. */
interface TaskScope {
  taskId: string;
  runId: string;
  rights: readonly Right[];
}

/** The scope of each enabled task, by task id. */
async function enabledScopes(deps: PollAuditFeedDeps): Promise<TaskScope[]> {
  const scopes: TaskScope[] = [];
  for await (const task of deps.repos.tasks.all()) {
    if (!task.enabled) continue;
    const run = await latestExpandedRun(deps, task.id);
    if (run) scopes.push({ taskId: run.taskId, runId: run.runId, rights: task.rights });
  }
  return scopes.sort((a, b) => a.taskId.localeCompare(b.taskId));
}

/**
 * Which tasks re-read a mailbox: a mailbox's delegations are stored once however many tasks cover it, so the
 * first task (by id) whose scope holds it and that syncs a right the hints name re-reads it, then the next one
 * for a hinted right the tasks before it do not sync; a hint that names no right asks for every right the
 * covering tasks sync. False: no enabled task's scope holds the mailbox with a hinted right.
 */
async function placeInScope(
  deps: PollAuditFeedDeps,
  scopes: readonly TaskScope[],
  mailboxId: string,
  hints: PermissionChangeHint[],
  perTask: Map<string, Map<string, { mailbox: AuditResyncMailbox; hints: PermissionChangeHint[] }>>,
): Promise<boolean> {
  const covering: Array<{ scope: TaskScope; item: RunItem }> = [];
  for (const scope of scopes) {
    const item = await deps.repos.runs.getItem(scope.taskId, scope.runId, mailboxId);
    if (item) covering.push({ scope, item });
  }
  const wanted = new Set<Right>(
    hints.some((h) => h.right === null)
      ? covering.flatMap((c) => c.scope.rights)
      : hints.flatMap((h) => (h.right ? [h.right] : [])),
  );
  let placed = false;
  for (const { scope, item } of covering) {
    if (!scope.rights.some((r) => wanted.has(r))) continue;
    for (const r of scope.rights) wanted.delete(r);
    const task = perTask.get(scope.taskId) ?? new Map();
    task.set(mailboxId, {
      mailbox: { mailboxId, upn: item.upn, address: item.address, displayName: item.displayName },
      hints,
    });
    perTask.set(scope.taskId, task);
    placed = true;
  }
  return placed;
}

/**
 * The object id of the mailbox a record names: our directory by id, address or UPN; else Exchange's recipient
 * (its ExternalDirectoryObjectId). None or several: null (counted and logged, never guessed).
 */
async function resolveMailbox(deps: PollAuditFeedDeps, identity: string): Promise<string | null> {
  const known = await deps.repos.directory.find(identity);
  if (known) return known.id;
  const rows = await deps.microsoft().exchange.getRecipient(identity);
  const ids = new Set(rows.map((r) => r.ExternalDirectoryObjectId).filter((id): id is string => !!id));
  return ids.size === 1 ? ([...ids][0] ?? null) : null;
}

interface Outcome {
  polledAt: string;
  subscription: AuditFeedState['subscription'];
  /** Null: leave the stored checkpoint as it is. */
  checkpoint: string | null;
  newest: string | null;
  outcome: AuditPollOutcome;
  error: string | null;
  gap: AuditFeedGap | null;
  checkpointLost: boolean;
  counts: AuditFeedCounts;
}

/** Writes the poll's outcome: the checkpoint and newest record time only ever move forward (ETag-guarded). */
async function save(deps: PollAuditFeedDeps, o: Outcome): Promise<AuditFeedState> {
  await deps.feedState.addCounts(deps.tenantId, AUDIT_CONTENT_TYPE, new Date(o.polledAt), o.counts);
  return deps.feedState.update(deps.tenantId, AUDIT_CONTENT_TYPE, (current) => ({
    checkpoint: later(current?.checkpoint ?? null, o.checkpoint),
    subscription: o.subscription,
    lastPoll: { at: o.polledAt, outcome: o.outcome, error: o.error },
    newestRecordAt: later(current?.newestRecordAt ?? null, o.newest),
    gaps: o.gap ? withGap(current?.gaps ?? [], o.gap) : (current?.gaps ?? []),
    checkpointLostAt: o.checkpointLost ? o.polledAt : (current?.checkpointLostAt ?? null),
  }));
}

/** Adds a gap; one found again (a poll that got no further) extends its span instead of repeating it. */
function withGap(gaps: readonly AuditFeedGap[], gap: AuditFeedGap): AuditFeedGap[] {
  const last = gaps.at(-1);
  if (last?.from === gap.from) return [...gaps.slice(0, -1), { ...last, to: later(last.to, gap.to) ?? gap.to }];
  return [...gaps, gap].slice(-MAX_GAPS);
}

/** A poll stopped before it could save anything still says so in the state (and counts it). */
async function recordStop(
  deps: PollAuditFeedDeps,
  polledAt: string,
  subscription: AuditFeedState['subscription'],
  outcome: 'throttled' | 'failed',
  error: Error,
): Promise<void> {
  const fields = { tenantId: deps.tenantId, err: error.message };
  if (outcome === 'throttled') deps.logger?.warn(fields, 'audit feed throttled; poll stopped');
  else deps.logger?.error(fields, 'audit feed poll failed; next tick retries');
  try {
    await deps.feedState.addCounts(deps.tenantId, AUDIT_CONTENT_TYPE, new Date(polledAt), {
      ...zeroCounts(),
      ...(outcome === 'throttled' ? { throttledPolls: 1 } : { failedPolls: 1 }),
    });
    await deps.feedState.update(deps.tenantId, AUDIT_CONTENT_TYPE, (current) => ({
      checkpoint: current?.checkpoint ?? null,
      subscription,
      lastPoll: { at: polledAt, outcome, error: readable(error) },
      newestRecordAt: current?.newestRecordAt ?? null,
      gaps: current?.gaps ?? [],
      checkpointLostAt: current?.checkpointLostAt ?? null,
    }));
  } catch (stateError) {
    deps.logger?.error({ err: (stateError as Error).message }, 'audit feed: recording the failed poll failed too');
  }
}

function logPoll(deps: PollAuditFeedDeps, report: PollReport): void {
  if (report.checkpointLost) {
    deps.logger?.warn({ tenantId: deps.tenantId }, 'audit feed checkpoint lost; read back the whole 7 days');
  }
  if (report.blobsProcessed === 0 && report.outcome === 'succeeded') return;
  const { outcome, checkpoint, blobsProcessed, resyncs } = report;
  deps.logger?.info({ tenantId: deps.tenantId, outcome, checkpoint, blobsProcessed, resyncs }, 'audit feed polled');
}
