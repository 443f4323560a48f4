import type { Repositories } from '../ports/services.js';
import type { Logger } from '../logging.js';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../errors.js';
import { decideRevocationHold, MIN_REVOCATIONS_TO_HOLD, type RightTally } from '../domain/delegation/hold.js';
import { changeEvent, RIGHTS, type Right } from '../domain/delegation/types.js';
import { readsWholeScope, type Run } from '../domain/task.js';
import type { Page, PageRequest, ProposedRevocation } from '../ports/repositories.js';
import { runKey } from './runs.js';

export type HeldRevocation = ProposedRevocation;

export interface HoldDeps {
  repos: Repositories;
  now: () => Date;
  logger?: Logger;
}

/** Why expansion distrusts a tenant-wide pass, for the rights read by one (see expandTarget). */
export const SUSPECT_PASS: Readonly<Partial<Record<Right, string>>> = {
  SendAs: "The tenant-wide Get-RecipientPermission pass (SendAs) matched none of the run's mailboxes",
  SendOnBehalf: "The tenant-wide Get-Mailbox pass found GrantSendOnBehalfTo on none of the run's mailboxes",
};

export interface ClosingRevocations {
  heldRights: Right[];
  warnings: string[];
  /** Revocations applied now, and those held for review. */
  applied: number;
  held: number;
}

/**
 * Decides, when a run closes, which of its proposed revocations to apply and which to hold (docs/design.md
 * §8.2), applies the others, and says why it held any. Idempotent: a close interrupted halfway recomputes the
 * same decision from the run's counters and applies what is left.
 */
export async function settleProposedRevocations(
  deps: HoldDeps,
  run: Run,
  holdPercent: number,
  extra: RightTally = {},
): Promise<ClosingRevocations> {
  const tally = await deps.repos.runs.revocationTally(run.taskId, run.runId);
  for (const [right, add] of Object.entries(extra) as Array<[Right, { proposed: number; stored: number }]>) {
    const entry = tally[right] ?? { proposed: 0, stored: 0 };
    tally[right] = { proposed: entry.proposed + add.proposed, stored: entry.stored + add.stored };
  }
  const suspect = new Map(run.suspectRights.map((right) => [right, SUSPECT_PASS[right] ?? `${right} pass`] as const));
  const decision = decideRevocationHold(tally, holdPercent, suspect);
  const held = new Set(decision.heldRights);
  const emptied = { rows: 0, mailboxes: new Set<string>(), rights: new Set<Right>() };
  const outcome = await applyProposals(deps, run, (row) => {
    if (row.reason !== 'readEmpty' || held.has(row.right)) return !held.has(row.right);
    emptied.rows++;
    emptied.mailboxes.add(row.mailbox.id);
    emptied.rights.add(row.right);
    return false;
  });
  const heldRights = RIGHTS.filter((r) => held.has(r) || emptied.rights.has(r));
  const warnings = [...decision.warnings];
  if (emptied.rows > 0) {
    warnings.push(
      `${emptied.mailboxes.size} mailboxes read no delegation at all while each held at least ` +
        `${MIN_REVOCATIONS_TO_HOLD}; their ${emptied.rows} revocations are held for review`,
    );
  }
  if (heldRights.length > 0) {
    deps.logger?.warn({ taskId: run.taskId, runId: run.runId, heldRights, held: outcome.kept }, 'revocations held');
  }
  return { heldRights, warnings, applied: outcome.applied, held: outcome.kept };
}

/** `GET …/held-revocations`: the revocations a run holds (while it runs: those proposed so far). */
export async function listHeldRevocations(
  deps: Pick<HoldDeps, 'repos'>,
  taskId: string,
  runId: string,
  page: PageRequest,
): Promise<Page<HeldRevocation>> {
  await getRunOrThrow(deps, taskId, runId);
  return deps.repos.runs.revocations(taskId, runId, page);
}

/**
 * `POST …/held-revocations/apply`: applies a run's held revocations, each re-checked against the stored state
 * (one a later sync of its mailbox re-observed, or that is gone already, is skipped), and closes the review.
 */
export async function applyHeldRevocations(
  deps: HoldDeps,
  taskId: string,
  runId: string,
  actor: string,
): Promise<{ run: Run; applied: number; skipped: number }> {
  const { value: run } = await getReviewable(deps, taskId, runId);
  const outcome = await applyProposals(deps, run, () => true);
  const reviewed = await closeReview(deps, taskId, runId, {
    decision: 'applied',
    by: actor,
    applied: outcome.applied,
    skipped: outcome.skipped,
  });
  deps.logger?.info(
    { taskId, runId, actor, applied: outcome.applied, skipped: outcome.skipped },
    'held revocations applied',
  );
  return { run: reviewed, applied: outcome.applied, skipped: outcome.skipped };
}

/**
 * Applies a run's `leftScope` proposals with no hold: those of a deleted task's last scope (see retention.ts),
 * whose removal an administrator decided by deleting the task. Returns how many delegations it removed.
 */
/** Whether any of `runs` (other tasks' scope runs) has an item for the mailbox: a task still covers it. */
export async function coveredByAnyRun(
  repos: Pick<Repositories, 'runs'>,
  runs: ReadonlyArray<Pick<Run, 'taskId' | 'runId'>>,
  mailboxId: string,
): Promise<boolean> {
  for (const other of runs) {
    if (await repos.runs.getItem(other.taskId, other.runId, mailboxId)) return true;
  }
  return false;
}

/**
 * Proposes the mailbox's synced delegations (manual ones stay) as revocations of `run` with reason `leftScope`,
 * and answers them.
 */
export async function proposeLeftScope(
  repos: Pick<Repositories, 'runs' | 'delegations'>,
  run: Pick<Run, 'taskId' | 'runId'>,
  mailboxId: string,
): Promise<ProposedRevocation[]> {
  const stored = (await repos.delegations.forMailbox(mailboxId)).filter((d) => d.source === 'MailboxPermissionSync');
  const proposals = stored.map((d): ProposedRevocation => ({ ...d, reason: 'leftScope', actor: null }));
  if (proposals.length > 0) await repos.runs.proposeRevocations(run.taskId, run.runId, mailboxId, proposals);
  return proposals;
}

export async function applyLeftScopeRevocations(deps: HoldDeps, run: Run): Promise<number> {
  return (await applyProposals(deps, run, (row) => row.reason === 'leftScope')).applied;
}

/** `POST …/held-revocations/dismiss`: forgets a run's held revocations; the delegations stay as stored. */
export async function dismissHeldRevocations(
  deps: HoldDeps,
  taskId: string,
  runId: string,
  actor: string,
): Promise<{ run: Run; dismissed: number }> {
  const { value: run } = await getReviewable(deps, taskId, runId);
  let dismissed = 0;
  let batch: ProposedRevocation[] = [];
  for await (const row of deps.repos.runs.allRevocations(run.taskId, run.runId)) {
    batch.push(row);
    if (batch.length >= 100) {
      await deps.repos.runs.forgetRevocations(run.taskId, run.runId, batch);
      dismissed += batch.length;
      batch = [];
    }
  }
  await deps.repos.runs.forgetRevocations(run.taskId, run.runId, batch);
  dismissed += batch.length;
  const reviewed = await closeReview(deps, taskId, runId, {
    decision: 'dismissed',
    by: actor,
    applied: 0,
    skipped: 0,
  });
  deps.logger?.info({ taskId, runId, actor, dismissed }, 'held revocations dismissed');
  return { run: reviewed, dismissed };
}

async function getRunOrThrow(deps: Pick<HoldDeps, 'repos'>, taskId: string, runId: string) {
  const found = await deps.repos.runs.get(taskId, runId);
  if (!found) throw new NotFoundError('RUN.NOT_FOUND', `Run '${runId}' of task '${taskId}' does not exist`);
  return found;
}

async function getReviewable(deps: Pick<HoldDeps, 'repos'>, taskId: string, runId: string) {
  const found = await getRunOrThrow(deps, taskId, runId);
  if (found.value.status !== 'needsReview') {
    throw new ConflictError(
      'RUN.NOT_IN_REVIEW',
      `Run '${runId}' is ${found.value.status}: it holds no revocations to review`,
    );
  }
  return found;
}

/** needsReview → the status the run's mailboxes earned, with the decision recorded (ETag-guarded). */
async function closeReview(
  deps: HoldDeps,
  taskId: string,
  runId: string,
  review: Omit<NonNullable<Run['review']>, 'at'>,
): Promise<Run> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = await getRunOrThrow(deps, taskId, runId);
    const run = found.value;
    if (run.status !== 'needsReview') return run; // a concurrent review closed it first
    const now = deps.now();
    try {
      const reviewed = await deps.repos.runs.transition(
        found,
        run.mailboxesFailed === 0 ? 'succeeded' : 'completedWithErrors',
        now,
        {
          revocationsHeld: 0,
          delegationsRemoved: run.delegationsRemoved + review.applied,
          review: { ...review, at: now.toISOString() },
        },
      );
      return reviewed.value;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
  throw new ConflictError(
    'RUN.CONCURRENT_UPDATE',
    `Run '${runId}' kept changing while its review was recorded; try again`,
  );
}

/**
 * Applies the run's proposed revocations that `select` accepts, mailbox by mailbox. A `notObserved` proposal
 * applies only while its mailbox's latest sync is still this run's (a later sync re-observed the mailbox and
 * proposed afresh, or found the delegation back); either kind applies only to a row still stored as it was.
 */
async function applyProposals(
  deps: HoldDeps,
  run: Run,
  select: (row: ProposedRevocation) => boolean,
): Promise<{ applied: number; skipped: number; kept: number }> {
  const totals = { applied: 0, skipped: 0, kept: 0 };
  let group: ProposedRevocation[] = [];
  const flush = async () => {
    if (group.length === 0) return;
    const rows = group;
    group = [];
    const { applied, skipped } = await applyMailboxProposals(deps, run, rows);
    totals.applied += applied;
    totals.skipped += skipped;
    await deps.repos.runs.forgetRevocations(run.taskId, run.runId, rows);
  };
  // Proposals are keyed by mailbox first, so one mailbox's rows arrive together within their partition.
  for await (const row of deps.repos.runs.allRevocations(run.taskId, run.runId)) {
    if (!select(row)) {
      totals.kept++;
      continue;
    }
    const first = group[0];
    if (first && first.mailbox.id !== row.mailbox.id) await flush();
    group.push(row);
  }
  await flush();
  return totals;
}

async function applyMailboxProposals(
  deps: HoldDeps,
  run: Run,
  rows: readonly ProposedRevocation[],
): Promise<{ applied: number; skipped: number }> {
  const [firstRow] = rows;
  if (!firstRow) return { applied: 0, skipped: 0 };
  const mailbox = firstRow.mailbox;
  const key = runKey(run.taskId, run.runId);
  const state = await deps.repos.delegations.syncState(mailbox.id);
  const current = rows.filter((row) => row.reason === 'leftScope' || state?.pendingRun === key);
  const stored = await deps.repos.delegations.forMailbox(mailbox.id);
  const proposalOf = (s: { delegate: { id: string }; right: Right; source: string }) =>
    current.find(
      (p) =>
        p.delegate.id === s.delegate.id &&
        p.right === s.right &&
        p.source === s.source &&
        p.source === 'MailboxPermissionSync',
    );
  const remove = stored.filter((s) => proposalOf(s) !== undefined);
  const [firstRemoved] = remove;
  if (firstRemoved) {
    const at = deps.now().toISOString();
    const observedBy = readsWholeScope(run) ? 'fullScan' : 'auditEvent';
    const events = remove.map((d) =>
      changeEvent('revoked', d.mailbox, d, {
        runId: run.runId,
        taskId: run.taskId,
        at,
        actor: proposalOf(d)?.actor ?? null,
        observedBy,
      }),
    );
    await deps.repos.delegations.apply(
      { mailbox: firstRemoved.mailbox, upsert: [], remove, events },
      { taskId: run.taskId, runId: run.runId, at, eventScope: `${key}_revoke` },
    );
  }
  return { applied: remove.length, skipped: rows.length - remove.length };
}
