import { useState } from 'preact/hooks';
import { ApiError, errorText, seg } from '../api';
import type { HeldRevocation, Page, Run, RunReview } from '../types';
import { ErrorBox, Loading, LoadMore, rightLabel, Time, useApp, usePaged, ViaList } from '../ui';

const HELD_PAGE = 20;

const HELD_REASON: Record<HeldRevocation['reason'], string> = {
  notObserved: 'No longer seen in Exchange',
  readEmpty: 'Its mailbox suddenly read empty',
  leftScope: "Mailbox left every task's scope",
};

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The run's readable warnings (why it holds revocations, passes that matched nothing, …). */
export function RunWarnings({ run }: { run: Pick<Run, 'warnings'> }) {
  if (!run.warnings?.length) return null;
  return (
    <ul class="warnings" data-testid="run-warnings">
      {run.warnings.map((w) => (
        <li key={w}>{w}</li>
      ))}
    </ul>
  );
}

/** One line on what an administrator decided about a run's held revocations. */
export function ReviewOutcome({ review }: { review: RunReview }) {
  return (
    <p class="review-outcome" data-testid="review-outcome">
      Held revocations {review.decision} by <strong>{review.by}</strong> on <Time iso={review.at} />
      {review.decision === 'applied' ? ` — ${review.applied} applied, ${review.skipped} skipped` : null}
      {review.decision === 'applied' && review.skipped > 0 ? ' (seen again by a later sync, or gone)' : null}
    </p>
  );
}

function HeldRevocationTable({ taskId, runId, refreshKey }: { taskId: string; runId: string; refreshKey: number }) {
  const { api } = useApp();
  const held = usePaged<HeldRevocation>(
    (token) =>
      api.get<Page<HeldRevocation>>(`tasks/${seg(taskId)}/runs/${seg(runId)}/held-revocations`, {
        top: HELD_PAGE,
        continuationToken: token,
      }),
    [taskId, runId, refreshKey],
  );
  if (held.error) return <ErrorBox error={held.error} />;
  if (held.loading && held.items.length === 0) return <Loading what="held revocations" />;
  if (held.items.length === 0) return <p class="empty">No held revocations are left for this run.</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="data stack" data-testid="held-revocations">
          <caption>Held revocations (the delegations stay in place until applied)</caption>
          <thead>
            <tr>
              <th scope="col">Mailbox</th>
              <th scope="col">Delegate</th>
              <th scope="col">Right</th>
              <th scope="col">Via</th>
              <th scope="col">Why revoke</th>
              <th scope="col">Last confirmed</th>
            </tr>
          </thead>
          <tbody>
            {held.items.map((h) => (
              <tr key={`${h.mailbox.id}|${h.delegate.id}|${h.right}`} data-delegate={h.delegate.address}>
                <td data-label="Mailbox">
                  <span class="who-name">{h.mailbox.displayName || h.mailbox.address}</span>
                  <span class="who-address">{h.mailbox.address}</span>
                </td>
                <td data-label="Delegate">
                  <span class="who-name">{h.delegate.displayName || h.delegate.address}</span>
                  <span class="who-address">{h.delegate.address}</span>
                  {h.delegate.accountEnabled === false ? <span class="badge badge-muted">Disabled</span> : null}
                </td>
                <td data-label="Right">{rightLabel(h.right)}</td>
                <td data-label="Via">
                  <ViaList via={h.via} />
                </td>
                <td data-label="Why revoke">{HELD_REASON[h.reason] ?? h.reason}</td>
                <td data-label="Last confirmed">
                  <Time iso={h.lastConfirmed} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <LoadMore paged={held} what="held revocations" />
    </>
  );
}

type Decision = 'apply' | 'dismiss';

/**
 * A run that ended `needsReview`: why (its warnings), what it holds back, and for an Admin the two decisions,
 * each behind a confirmation. `onReviewed` gets a sentence on the outcome (also after a 409: someone else decided).
 */
export function RunReviewPanel({ run, onReviewed }: { run: Run; onReviewed: (message: string) => void }) {
  const { api, caps } = useApp();
  const [confirming, setConfirming] = useState<Decision | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [refreshKey, setRefreshKey] = useState(0);
  const path = `tasks/${seg(run.taskId)}/runs/${seg(run.runId)}/held-revocations`;
  const held = plural(run.revocationsHeld, 'revocation');

  const decide = async (decision: Decision) => {
    setBusy(true);
    setError(undefined);
    try {
      if (decision === 'apply') {
        const result = await api.send<{ run: Run; applied: number; skipped: number }>('POST', `${path}/apply`);
        const skipped = result?.skipped ?? 0;
        onReviewed(
          `Applied ${plural(result?.applied ?? 0, 'held revocation')}` +
            (skipped ? `; ${skipped} skipped (seen again by a later sync, or gone).` : '.'),
        );
      } else {
        const result = await api.send<{ run: Run; dismissed: number }>('POST', `${path}/dismiss`);
        onReviewed(`Dismissed ${plural(result?.dismissed ?? 0, 'held revocation')}: nothing was revoked.`);
      }
    } catch (e) {
      // 409: the run is no longer in review (another admin decided): show the news and refresh.
      if (e instanceof ApiError && e.problem.status === 409) onReviewed(errorText(e));
      else {
        setError(e);
        setRefreshKey((k) => k + 1);
      }
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  };

  const label = run.heldRights?.length ? ` (${run.heldRights.map(rightLabel).join(', ')})` : '';
  return (
    <div class="review" data-testid="run-review">
      <div class="alert alert-review" role="note">
        <strong>
          This run needs review: it holds {held}
          {label}
        </strong>
        <p>Its grants are applied; the held revocations wait for an administrator.</p>
        <RunWarnings run={run} />
      </div>
      <HeldRevocationTable taskId={run.taskId} runId={run.runId} refreshKey={refreshKey} />
      <ErrorBox error={error} />
      {caps.admin ? (
        confirming ? (
          <fieldset class="button-row confirm" aria-label="Confirm the review decision">
            <span>
              {confirming === 'apply'
                ? `Revoke the ${held} now? Each is re-checked against the stored state first.`
                : `Keep all held delegations and close this review? Nothing is revoked.`}
            </span>
            <button
              type="button"
              class={confirming === 'apply' ? 'danger' : ''}
              onClick={() => void decide(confirming)}
              disabled={busy}
            >
              {busy ? 'Working…' : confirming === 'apply' ? 'Confirm apply' : 'Confirm dismiss'}
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(null)} disabled={busy}>
              Cancel
            </button>
          </fieldset>
        ) : (
          <div class="button-row">
            <button type="button" onClick={() => setConfirming('apply')}>
              Apply held revocations
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming('dismiss')}>
              Dismiss
            </button>
          </div>
        )
      ) : (
        <p class="muted small">An administrator applies or dismisses the held revocations.</p>
      )}
    </div>
  );
}
