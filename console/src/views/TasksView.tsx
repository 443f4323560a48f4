import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, seg } from '../api';
import type { Page, Run, RunMailbox, TaskView } from '../types';
import {
  ErrorBox,
  isActive,
  runStatusLabel,
  Loading,
  LoadMore,
  rightLabel,
  RunStatusBadge,
  Time,
  useApp,
  useLoad,
  usePaged,
} from '../ui';
import { TargetName } from '../targets';
import { ReviewOutcome, RunReviewPanel, RunWarnings } from './RunReview';
import { AuditFeedPanel } from './AuditFeedPanel';

/** A run's trigger as the runs table shows it; an audit run re-read a few mailboxes an audit record named. */
const TRIGGER_LABELS: Record<Run['trigger'], string> = {
  schedule: 'Schedule',
  manual: 'Run now',
  auditEvent: 'Audit event',
};

const POLL_MS = 1500;

const SKIP_REASON: Record<string, string> = {
  noExchangeMailbox: 'no Exchange Online mailbox',
  noMailbox: 'no mailbox',
  device: 'devices',
  contact: 'contacts',
  group: 'groups',
  notFound: 'not found',
  other: 'other',
};

/** "3 skipped (2 no Exchange Online mailbox, 1 devices)", or null when the run skipped nobody. */
export function skippedText(run: Pick<Run, 'mailboxesSkipped' | 'skippedByReason'>): string | null {
  const reasons = Object.entries(run.skippedByReason ?? {}).filter(([, n]) => n > 0);
  const total = run.mailboxesSkipped || reasons.reduce((sum, [, n]) => sum + n, 0);
  if (!total) return null;
  const parts = reasons.map(([reason, n]) => `${n} ${SKIP_REASON[reason] ?? reason}`);
  return `${total} skipped${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function percent(run: Pick<Run, 'mailboxesDone' | 'mailboxesFailed' | 'mailboxesTotal' | 'status'>): number {
  if (!isActive(run.status)) return 100;
  if (run.mailboxesTotal <= 0) return 0;
  return Math.min(100, Math.floor((100 * (run.mailboxesDone + run.mailboxesFailed)) / run.mailboxesTotal));
}

/**
 * What the progress line says. Until expansion has counted the target there is no total to divide by, so the line
 * says how many mailboxes have synced so far instead of "1 of 0".
 */
function progressText(run: Run | null, pct: number, processed: number): string {
  if (run === null) return 'Starting…';
  const counts = `(${run.mailboxesDone} done, ${run.mailboxesFailed} failed)`;
  if (!isActive(run.status)) return `Finished: ${pct}% — ${processed} of ${run.mailboxesTotal} mailboxes ${counts}`;
  if (run.mailboxesTotal <= 0) return `${runStatusLabel(run.status)}: ${processed} mailboxes synced so far ${counts}`;
  return `${runStatusLabel(run.status)}: ${pct}% — ${processed} of ${run.mailboxesTotal} mailboxes ${counts}`;
}

/** A run in flight: polls its live counters until it settles, then tells the list to refresh. */
function RunProgress({ taskId, runId, onSettled }: { taskId: string; runId: string; onSettled: () => void }) {
  const { api } = useApp();
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const settledRef = useRef(onSettled);
  settledRef.current = onSettled;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const current = await api.get<Run>(`tasks/${seg(taskId)}/runs/${seg(runId)}`);
        if (stopped) return;
        setRun(current);
        setError(undefined);
        if (!isActive(current.status)) {
          settledRef.current();
          return;
        }
      } catch (e) {
        if (stopped) return;
        setError(e);
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [api, taskId, runId]);

  const processed = run ? run.mailboxesDone + run.mailboxesFailed : 0;
  const pct = run ? percent(run) : 0;
  const label = `Progress of run ${runId}`;
  return (
    <div class="progress-box" data-testid="run-progress">
      <progress max={100} value={pct} aria-label={label}>
        {pct}%
      </progress>
      <p class="progress-text" aria-live="polite" aria-atomic="true" data-testid="run-progress-text">
        {progressText(run, pct, processed)}
      </p>
      <ErrorBox error={error} />
    </div>
  );
}

function FailedMailboxes({ taskId, runId }: { taskId: string; runId: string }) {
  const { api } = useApp();
  const failed = usePaged<RunMailbox>(
    (token) =>
      api.get<Page<RunMailbox>>(`tasks/${seg(taskId)}/runs/${seg(runId)}/mailboxes`, {
        status: 'failed',
        top: 100,
        continuationToken: token,
      }),
    [taskId, runId],
  );
  if (failed.error) return <ErrorBox error={failed.error} />;
  if (failed.loading && failed.items.length === 0) return <Loading what="failed mailboxes" />;
  if (failed.items.length === 0) return <p class="empty">No mailbox failed in this run.</p>;
  return (
    <div class="failed-list">
      <ul data-testid="failed-mailboxes">
        {failed.items.map((m) => (
          <li key={m.mailboxId}>
            <strong>{m.displayName || m.address}</strong> <span class="muted">{m.address}</span>
            <p class="reason">{m.error ?? 'No reason recorded'}</p>
            <RightsNotRead item={m} />
          </li>
        ))}
      </ul>
      <LoadMore paged={failed} what="failed mailboxes" />
    </div>
  );
}

function RightsNotRead({ item }: { item: RunMailbox }) {
  if (!item.rightsNotRead?.length) return null;
  return (
    <ul class="not-read">
      {item.rightsNotRead.map((r) => (
        <li key={r.right}>
          {rightLabel(r.right)} not read (left as stored): {r.reason}
        </li>
      ))}
    </ul>
  );
}

const ITEMS_PAGE = 500;

/**
 * Mailboxes with a right that could not be read. The API filters items by status only, so this pages through
 * the run's items and keeps those with notes; a large run is searched a page at a time, on demand.
 */
function UnreadRightsMailboxes({ taskId, runId }: { taskId: string; runId: string }) {
  const { api } = useApp();
  const items = usePaged<RunMailbox>(
    (token) =>
      api.get<Page<RunMailbox>>(`tasks/${seg(taskId)}/runs/${seg(runId)}/mailboxes`, {
        top: ITEMS_PAGE,
        continuationToken: token,
      }),
    [taskId, runId],
  );
  if (items.error) return <ErrorBox error={items.error} />;
  if (items.loading && items.items.length === 0) return <Loading what="mailboxes" />;
  const noted = items.items.filter((m) => m.rightsNotRead?.length);
  return (
    <div class="failed-list">
      {noted.length === 0 ? (
        <p class="empty">No mailbox with unread rights among the first {items.items.length} of this run.</p>
      ) : (
        <ul data-testid="rights-not-read">
          {noted.map((m) => (
            <li key={m.mailboxId}>
              <strong>{m.displayName || m.address}</strong> <span class="muted">{m.address}</span>
              <RightsNotRead item={m} />
            </li>
          ))}
        </ul>
      )}
      <LoadMore paged={items} what="mailboxes" />
    </div>
  );
}

type RunDetail = 'failed' | 'notRead' | 'review';

interface RunHistoryProps {
  taskId: string;
  refreshKey: number;
  onReviewed: (message: string) => void;
}

function RunHistory({ taskId, refreshKey, onReviewed }: RunHistoryProps) {
  const { api } = useApp();
  const runs = usePaged<Run>(
    (token) => api.get<Page<Run>>(`tasks/${seg(taskId)}/runs`, { top: 20, continuationToken: token }),
    [taskId, refreshKey],
  );
  const [open, setOpen] = useState<{ runId: string; detail: RunDetail } | null>(null);
  const isOpen = (runId: string, detail: RunDetail) => open?.runId === runId && open.detail === detail;
  const toggle = (runId: string, detail: RunDetail) => setOpen(isOpen(runId, detail) ? null : { runId, detail });
  const detailButton = (runId: string, detail: RunDetail, label: string, primary = false) => (
    <button
      type="button"
      class={primary ? undefined : 'secondary'}
      aria-expanded={isOpen(runId, detail)}
      onClick={() => toggle(runId, detail)}
    >
      {label}
    </button>
  );
  if (runs.error) return <ErrorBox error={runs.error} />;
  if (runs.loading && runs.items.length === 0) return <Loading what="run history" />;
  if (runs.items.length === 0) return <p class="empty">This task has not run yet.</p>;
  return (
    <div class="history">
      <div class="table-wrap">
        <table class="data stack" data-testid="run-history">
          <caption>Run history (newest first)</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Trigger</th>
              <th scope="col">Status</th>
              <th scope="col">Mailboxes</th>
              <th scope="col">Delegations</th>
              <th scope="col">Finished</th>
              <th scope="col">
                <span class="sr-only">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.items.map((run) => (
              <>
                <tr key={run.runId}>
                  <td data-label="Started">
                    <Time iso={run.startedAt ?? run.createdAt} />
                  </td>
                  <td data-label="Trigger">{TRIGGER_LABELS[run.trigger]}</td>
                  <td data-label="Status">
                    <RunStatusBadge status={run.status} />
                  </td>
                  <td data-label="Mailboxes">
                    {run.mailboxesDone}/{run.mailboxesTotal} done
                    {run.mailboxesFailed ? `, ${run.mailboxesFailed} failed` : ''}
                    {run.trusteesUnresolved ? (
                      <span class="muted"> · {run.trusteesUnresolved} trustees unresolved</span>
                    ) : null}
                    {skippedText(run) ? <span class="muted"> · {skippedText(run)}</span> : null}
                    {run.rightsNotRead ? (
                      <span class="muted">
                        {' '}
                        · {run.rightsNotRead} {run.rightsNotRead === 1 ? 'right' : 'rights'} not read
                      </span>
                    ) : null}
                  </td>
                  <td data-label="Delegations">
                    +{run.delegationsAdded} / −{run.delegationsRemoved}
                    {run.revocationsHeld ? <span class="held-count"> · {run.revocationsHeld} held</span> : null}
                  </td>
                  <td data-label="Finished">
                    <Time iso={run.finishedAt} />
                  </td>
                  <td class="actions">
                    {run.status === 'needsReview'
                      ? detailButton(run.runId, 'review', `Review held revocations (${run.revocationsHeld})`, true)
                      : null}
                    {run.mailboxesFailed > 0
                      ? detailButton(run.runId, 'failed', `Failed mailboxes (${run.mailboxesFailed})`)
                      : null}
                    {run.rightsNotRead > 0
                      ? detailButton(run.runId, 'notRead', `Rights not read (${run.rightsNotRead})`)
                      : null}
                  </td>
                </tr>
                {run.error ? (
                  <tr key={`${run.runId}-error`} class="detail-row">
                    <td colSpan={7}>
                      <p class="reason">{run.error}</p>
                    </td>
                  </tr>
                ) : null}
                {run.warnings?.length && !isOpen(run.runId, 'review') ? (
                  <tr key={`${run.runId}-warnings`} class="detail-row">
                    <td colSpan={7}>
                      <RunWarnings run={run} />
                    </td>
                  </tr>
                ) : null}
                {run.review ? (
                  <tr key={`${run.runId}-review`} class="detail-row">
                    <td colSpan={7}>
                      <ReviewOutcome review={run.review} />
                    </td>
                  </tr>
                ) : null}
                {isOpen(run.runId, 'review') ? (
                  <tr key={`${run.runId}-held`} class="detail-row">
                    <td colSpan={7}>
                      <RunReviewPanel
                        run={run}
                        onReviewed={(message) => {
                          setOpen(null);
                          onReviewed(message);
                        }}
                      />
                    </td>
                  </tr>
                ) : null}
                {isOpen(run.runId, 'failed') ? (
                  <tr key={`${run.runId}-failed`} class="detail-row">
                    <td colSpan={7}>
                      <FailedMailboxes taskId={taskId} runId={run.runId} />
                    </td>
                  </tr>
                ) : null}
                {isOpen(run.runId, 'notRead') ? (
                  <tr key={`${run.runId}-not-read`} class="detail-row">
                    <td colSpan={7}>
                      <UnreadRightsMailboxes taskId={taskId} runId={run.runId} />
                    </td>
                  </tr>
                ) : null}
              </>
            ))}
          </tbody>
        </table>
      </div>
      <LoadMore paged={runs} what="runs" />
    </div>
  );
}

function TaskCard({ task, onChanged }: { task: TaskView; onChanged: () => void }) {
  const { api, caps } = useApp();
  const initiallyActive = task.lastRun && isActive(task.lastRun.status) ? task.lastRun.runId : null;
  // The progress of the latest run started or seen here stays visible after it settles (it shows the outcome).
  const [progressRunId, setProgressRunId] = useState<string | null>(initiallyActive);
  const [running, setRunning] = useState(initiallyActive !== null);
  const [showHistory, setShowHistory] = useState(false);
  const [historyKey, setHistoryKey] = useState(0);
  const [runError, setRunError] = useState<unknown>(undefined);
  const [starting, setStarting] = useState(false);
  const [reviewMessage, setReviewMessage] = useState('');
  const inReview = task.lastRun?.status === 'needsReview' ? task.lastRun.runId : null;
  const reviewRun = useLoad(inReview ? () => api.get<Run>(`tasks/${seg(task.id)}/runs/${seg(inReview)}`) : null, [
    task.id,
    inReview,
  ]);
  const reviewed = (message: string) => {
    setReviewMessage(message);
    setHistoryKey((k) => k + 1);
    onChanged();
  };

  useEffect(() => {
    if (task.lastRun && isActive(task.lastRun.status)) {
      setProgressRunId(task.lastRun.runId);
      setRunning(true);
    }
  }, [task.lastRun?.runId, task.lastRun?.status]);

  const runNow = async () => {
    setStarting(true);
    setRunError(undefined);
    try {
      const started = await api.send<{ runId: string }>('POST', `tasks/${seg(task.id)}/run`);
      if (started) {
        setProgressRunId(started.runId);
        setRunning(true);
      }
    } catch (e) {
      setRunError(e);
      // 409: a run is active already: show its progress instead.
      if (e instanceof ApiError && e.problem.status === 409) onChanged();
    } finally {
      setStarting(false);
    }
  };

  const headingId = `task-${task.id}`;
  return (
    <article class="card task" aria-labelledby={headingId} data-task-id={task.id}>
      <header class="task-head">
        <h3 id={headingId}>{task.description}</h3>
        {!task.enabled ? <span class="badge badge-muted">Disabled</span> : null}
      </header>
      <dl class="facts">
        <div>
          <dt>Target</dt>
          <dd>
            <TargetName target={task.target} />
          </dd>
        </div>
        <div>
          <dt>Rights</dt>
          <dd>{task.rights.map(rightLabel).join(', ')}</dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd>
            {task.schedule ? (
              task.schedule.summary.includes(task.schedule.timeZone) ? (
                task.schedule.summary
              ) : (
                `${task.schedule.summary} (${task.schedule.timeZone})`
              )
            ) : (
              <span class="muted">schedule missing</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Next due</dt>
          <dd>
            {task.nextDueAt ? (
              <>
                <Time iso={task.nextDueAt} />
                {task.nextDueAtLocal && task.schedule ? (
                  <span class="muted">
                    {' '}
                    ({task.nextDueAtLocal.replace('T', ' ').slice(0, 16)} {task.schedule.timeZone})
                  </span>
                ) : null}
              </>
            ) : (
              <span class="muted">{task.enabled ? 'not scheduled' : 'disabled'}</span>
            )}
          </dd>
        </div>
        <div class="wide">
          <dt>Last run</dt>
          <dd data-testid="last-run">
            {task.lastRun ? (
              <>
                <RunStatusBadge status={task.lastRun.status} />{' '}
                <Time iso={task.lastRun.finishedAt ?? task.lastRun.startedAt} />
                <span class="muted">
                  {' '}
                  · {task.lastRun.mailboxesDone}/{task.lastRun.mailboxesTotal} mailboxes
                  {task.lastRun.mailboxesFailed ? `, ${task.lastRun.mailboxesFailed} failed` : ''}
                </span>
                {task.lastRun.error ? <p class="reason">{task.lastRun.error}</p> : null}
              </>
            ) : (
              <span class="muted">never</span>
            )}
          </dd>
        </div>
      </dl>
      {progressRunId ? (
        <RunProgress
          key={progressRunId}
          taskId={task.id}
          runId={progressRunId}
          onSettled={() => {
            setRunning(false);
            setHistoryKey((k) => k + 1);
            onChanged();
          }}
        />
      ) : null}
      <ErrorBox error={reviewRun.error} />
      {inReview && reviewRun.data?.runId === inReview && reviewRun.data.status === 'needsReview' ? (
        <RunReviewPanel key={inReview} run={reviewRun.data} onReviewed={reviewed} />
      ) : null}
      <p class="status-line" role="status" data-testid="review-message">
        {reviewMessage}
      </p>
      <ErrorBox error={runError} />
      <div class="button-row">
        {caps.admin ? (
          <button type="button" onClick={() => void runNow()} disabled={starting || running}>
            {starting ? 'Starting…' : 'Run now'}
          </button>
        ) : null}
        <button
          type="button"
          class="secondary"
          aria-expanded={showHistory}
          onClick={() => setShowHistory(!showHistory)}
        >
          {showHistory ? 'Hide run history' : 'Run history'}
        </button>
      </div>
      {showHistory ? <RunHistory taskId={task.id} refreshKey={historyKey} onReviewed={reviewed} /> : null}
    </article>
  );
}

export function TasksView() {
  const { api } = useApp();
  const tasks = usePaged<TaskView>(
    (token) => api.get<Page<TaskView>>('tasks', { top: 100, continuationToken: token }),
    [],
  );
  return (
    <>
      <div class="view-head">
        <h1>Tasks</h1>
        <button type="button" class="secondary" onClick={tasks.reload} disabled={tasks.loading}>
          Refresh
        </button>
      </div>
      <AuditFeedPanel />
      <ErrorBox error={tasks.error} />
      {tasks.loading && tasks.items.length === 0 ? <Loading what="tasks" /> : null}
      {!tasks.loading && !tasks.error && tasks.items.length === 0 ? (
        <p class="empty">No tasks yet. An admin creates them under “Schedules and tasks”.</p>
      ) : null}
      <div class="task-list">
        {tasks.items.map((task) => (
          <TaskCard key={task.id} task={task} onChanged={tasks.reload} />
        ))}
      </div>
      <LoadMore paged={tasks} what="tasks" />
    </>
  );
}
