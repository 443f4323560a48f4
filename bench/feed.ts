/**
 * The change feed as a client sees it (issue 22): with the simulator's audit delay set to D, how long a grant made
 * in the tenant takes to show in the lookups with no task run (target: D + 2 minutes), and how often a burst of
 * grants makes the app re-read each mailbox. The bench fires the `pollAuditFeed` timer on its production schedule
 * (second 15 of every minute, functions/pollAuditFeed.ts) and the finalizer every minute, and polls the API.
 */
import type { RunningSimulator, SimUser } from '../dev/simulator/index.js';

export interface FeedOptions {
  /** The simulator's audit delay D: a record is listable D after it happened. */
  auditDelaySeconds: number;
  /** The burst: this many FullAccess grants, spread evenly over `burstMailboxes` mailboxes of the task's scope. */
  burstChanges: number;
  burstMailboxes: number;
}

export interface FeedResult {
  auditDelaySeconds: number;
  /** One grant: from the change in the tenant to the lookup that shows it, and who the answer says granted it. */
  grant: { visibleAfterSeconds: number; targetSeconds: number; grantedBy: string | null; timerTicks: number };
  burst: {
    changes: number;
    mailboxes: number;
    /** From the first change to the lookup round that showed every one of them. */
    allVisibleAfterSeconds: number | null;
    visible: number;
    /** Audit runs the burst caused, and how many times each of its mailboxes was re-read (run items). */
    auditRuns: number;
    readsPerMailbox: { max: number; mean: number };
    /** Get-MailboxPermission calls during the burst, per burst mailbox (each re-read makes one). */
    getMailboxPermissionPerMailbox: number;
    timerTicks: number;
  };
}

type Api = (method: string, route: string, body?: unknown) => Promise<Record<string, unknown>>;

export interface FeedDeps {
  api: Api;
  sim: RunningSimulator;
  /** Fires a timer function of the host now (as its schedule would). */
  fireTimer(name: 'pollAuditFeed' | 'finalizeRuns'): Promise<unknown>;
  taskId: string;
  /** The task's scope: mailboxes its full run synced. */
  scope: readonly SimUser[];
  log(line: string): void;
}

const ACTOR = 'bench-admin@contoso.com';
const POLL_SECOND = 15;

/** The next time the poll timer's schedule (`15 * * * * *`) fires after `now`. */
function nextPollTick(now: number): number {
  const minute = Math.floor(now / 60_000) * 60_000;
  const tick = minute + POLL_SECOND * 1000;
  return tick > now ? tick : tick + 60_000;
}

/** Keeps the feed's timers on their schedules while `until` says go on; returns how many poll ticks fired. */
async function runTimersUntil(
  deps: FeedDeps,
  done: () => Promise<boolean>,
  deadline: number,
  checkEveryMs: number,
): Promise<{ ok: boolean; ticks: number }> {
  let tick = nextPollTick(Date.now());
  let ticks = 0;
  for (;;) {
    if (await done()) return { ok: true, ticks };
    if (Date.now() > deadline) return { ok: false, ticks };
    if (Date.now() >= tick) {
      await deps.fireTimer('pollAuditFeed');
      await deps.fireTimer('finalizeRuns');
      ticks++;
      tick = nextPollTick(Date.now());
    }
    await new Promise((r) => setTimeout(r, Math.max(50, Math.min(checkEveryMs, tick - Date.now()))));
  }
}

function holdsFullAccess(sim: RunningSimulator, mailboxId: string, user: SimUser): boolean {
  const perms = sim.tenant.permissions.get(mailboxId);
  const upn = user.userPrincipalName.toLowerCase();
  return perms?.fullAccess.some((ace) => ace.trustee.toLowerCase() === upn) ?? false;
}

/** The delegates the API lists on a mailbox with FullAccess, by object id, with who granted it. */
async function fullAccessDelegates(api: Api, mailboxId: string): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>();
  const page = await api('GET', `mailboxes/${mailboxId}/delegates?top=500`);
  for (const item of page.items as Array<{ delegate: { id: string }; rights: Array<Record<string, unknown>> }>) {
    const right = item.rights.find((r) => r.right === 'FullAccess');
    if (right) found.set(item.delegate.id.toLowerCase(), (right.grantedBy as string | null) ?? null);
  }
  return found;
}

/** Every audit run of the task created at or after `since`, with its mailbox ids. */
async function auditRunItems(api: Api, taskId: string, since: string): Promise<string[][]> {
  const runs = (await api('GET', `tasks/${taskId}/runs?top=100`)).items as Array<Record<string, unknown>>;
  const result: string[][] = [];
  for (const run of runs) {
    if (run.trigger !== 'auditEvent' || String(run.createdAt) < since) continue;
    const ids: string[] = [];
    let token: string | null = null;
    do {
      const query: string = token ? `&continuationToken=${encodeURIComponent(token)}` : '';
      const page = await api('GET', `tasks/${taskId}/runs/${String(run.runId)}/mailboxes?top=500${query}`);
      for (const item of page.items as Array<{ mailboxId: string }>) ids.push(item.mailboxId.toLowerCase());
      token = (page.continuationToken as string | null) ?? null;
    } while (token);
    result.push(ids);
  }
  return result;
}

/** Measures the feed after a full run: one grant's latency, then a burst's re-reads. */
export async function measureFeed(deps: FeedDeps, options: FeedOptions): Promise<FeedResult> {
  const { api, sim, scope } = deps;
  const users = [...sim.tenant.users.values()].filter((u) => u.mail !== null);
  if (scope.length < options.burstMailboxes + 1)
    throw new Error(
      `the feed bench needs ${options.burstMailboxes + 1} mailboxes in scope, the task has ${scope.length}`,
    );
  sim.audit.setKnobs({ delayMs: options.auditDelaySeconds * 1000 });

  // One grant.
  const [first] = scope;
  if (!first) throw new Error('the task has no mailbox in scope');
  const trustee = users.find((u) => u.id !== first.id && !holdsFullAccess(sim, first.id, u));
  if (!trustee) throw new Error(`no user without FullAccess on ${first.userPrincipalName}`);
  const grantedAt = Date.now();
  sim.mutate([{ op: 'grantFullAccess', mailboxId: first.id, trusteeId: trustee.id, actor: ACTOR }]);
  let grantedBy: string | null = null;
  const targetSeconds = options.auditDelaySeconds + 120;
  const one = await runTimersUntil(
    deps,
    async () => {
      const delegates = await fullAccessDelegates(api, first.id);
      if (!delegates.has(trustee.id.toLowerCase())) return false;
      grantedBy = delegates.get(trustee.id.toLowerCase()) ?? null;
      return true;
    },
    grantedAt + (targetSeconds + 300) * 1000,
    1_000,
  );
  const visibleAfterSeconds = Math.round((Date.now() - grantedAt) / 100) / 10;
  deps.log(
    `feed: one grant ${one.ok ? `visible after ${visibleAfterSeconds} s` : 'never visible'} ` +
      `(D ${options.auditDelaySeconds} s, target ${targetSeconds} s), grantedBy ${grantedBy ?? 'null'}`,
  );

  // The burst: `burstChanges` grants over `burstMailboxes` mailboxes, made as fast as the tenant takes them.
  const mailboxes = scope.slice(1, options.burstMailboxes + 1);
  const perMailbox = Math.ceil(options.burstChanges / mailboxes.length);
  const wanted = new Map<string, Set<string>>();
  const mutations = [];
  for (const mailbox of mailboxes) {
    const trustees = users.filter((u) => u.id !== mailbox.id && !holdsFullAccess(sim, mailbox.id, u));
    const chosen = trustees.slice(0, perMailbox);
    wanted.set(mailbox.id.toLowerCase(), new Set(chosen.map((u) => u.id.toLowerCase())));
    for (const u of chosen)
      mutations.push({ op: 'grantFullAccess' as const, mailboxId: mailbox.id, trusteeId: u.id, actor: ACTOR });
  }
  const changes = mutations.slice(0, options.burstChanges);
  const since = new Date().toISOString();
  sim.resetStats();
  const burstStarted = Date.now();
  sim.mutate(changes);
  let visible = 0;
  const burst = await runTimersUntil(
    deps,
    async () => {
      visible = 0;
      for (const [mailboxId, trustees] of wanted) {
        const delegates = await fullAccessDelegates(api, mailboxId);
        for (const id of trustees) if (delegates.has(id)) visible++;
      }
      return visible >= changes.length;
    },
    burstStarted + (options.auditDelaySeconds + 600) * 1000,
    15_000,
  );
  const allVisibleAfterSeconds = burst.ok ? Math.round((Date.now() - burstStarted) / 100) / 10 : null;
  // Let the last audit runs settle before counting their items.
  await deps.fireTimer('finalizeRuns');
  const runs = await auditRunItems(api, deps.taskId, since);
  const reads = new Map<string, number>();
  for (const ids of runs) for (const id of ids) if (wanted.has(id)) reads.set(id, (reads.get(id) ?? 0) + 1);
  const counts = [...wanted.keys()].map((id) => reads.get(id) ?? 0);
  const calls = sim.stats().exchangeCmdlets['Get-MailboxPermission'] ?? 0;
  const result: FeedResult = {
    auditDelaySeconds: options.auditDelaySeconds,
    grant: { visibleAfterSeconds, targetSeconds, grantedBy, timerTicks: one.ticks },
    burst: {
      changes: changes.length,
      mailboxes: mailboxes.length,
      allVisibleAfterSeconds,
      visible,
      auditRuns: runs.length,
      readsPerMailbox: {
        max: Math.max(0, ...counts),
        mean: Math.round((counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length)) * 100) / 100,
      },
      getMailboxPermissionPerMailbox: Math.round((calls / Math.max(1, mailboxes.length)) * 100) / 100,
      timerTicks: burst.ticks,
    },
  };
  const shown =
    allVisibleAfterSeconds === null ? `not all visible (${visible})` : `visible after ${allVisibleAfterSeconds} s`;
  deps.log(
    `feed: burst of ${changes.length} on ${mailboxes.length} mailboxes ${shown}, ` +
      `${runs.length} audit runs, reads per mailbox max ${result.burst.readsPerMailbox.max} ` +
      `mean ${result.burst.readsPerMailbox.mean}`,
  );
  return result;
}
