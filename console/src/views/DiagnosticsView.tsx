import type { Diagnostics } from '../types';
import { ErrorBox, Loading, useApp, useLoad } from '../ui';

export function DiagnosticsView() {
  const { api } = useApp();
  const report = useLoad(() => api.get<Diagnostics>('diagnostics'), [api]);
  const data = report.data;
  return (
    <>
      <div class="view-head">
        <h1>Diagnostics</h1>
        <button type="button" class="secondary" onClick={report.reload} disabled={report.loading}>
          {report.loading ? 'Checking…' : 'Run checks again'}
        </button>
      </div>
      <p class="lead">
        A preflight of the app's own permissions: tokens for Graph and Exchange, reading a group and a mailbox's
        permissions, tables and queue, and the change feed from the audit log (token, subscription, content).
      </p>
      <ErrorBox error={report.error} />
      {report.loading && !data ? <Loading what="checks" /> : null}
      {data ? (
        <section class="card" aria-labelledby="diag-h">
          <h2 id="diag-h">
            Overall:{' '}
            <span class={`badge badge-${data.status}`}>
              {data.status === 'pass' ? 'All checks pass' : 'Some checks fail'}
            </span>
          </h2>
          <ul class="checklist" data-testid="diagnostics">
            {data.checks.map((c) => (
              <li key={c.name} class={`check-item check-${c.status}`}>
                <span class={`badge badge-${c.status}`}>{c.status === 'pass' ? 'Pass' : 'Fail'}</span>
                <div>
                  <strong>{c.name}</strong>
                  <p>{c.detail}</p>
                  {c.status === 'fail' && c.fix ? (
                    <p class="fix">
                      <strong>How to fix:</strong> {c.fix}
                    </p>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
