import { useState } from 'preact/hooks';
import { ApiError, seg } from '../api';
import { RIGHTS, type AlertDelivery, type AlertRuleView, type Page, type Problem, type Right } from '../types';
import {
  describedBy,
  ErrorBox,
  FieldError,
  FieldProblemAlert,
  issuesFor,
  Loading,
  LoadMore,
  otherIssues,
  rightLabel,
  Time,
  useApp,
  usePaged,
} from '../ui';

type WatchKind = 'mailboxes' | 'group' | 'groupEmail';

function watchText(rule: AlertRuleView): string {
  const w = rule.watch;
  if (w.kind === 'group') return `Members of ${w.displayName || w.groupId}`;
  return w.mailboxes.map((m) => m.displayName || m.address).join(', ');
}

function attemptText(a: AlertDelivery['attempts'][number]): string {
  return a.status !== null ? `HTTP ${a.status}` : (a.error ?? 'no answer');
}

function Deliveries({ ruleId, refreshKey }: { ruleId: string; refreshKey: number }) {
  const { api } = useApp();
  const list = usePaged<AlertDelivery>(
    (token) =>
      api.get<Page<AlertDelivery>>(`alert-rules/${seg(ruleId)}/deliveries`, { top: 50, continuationToken: token }),
    [ruleId, refreshKey],
  );
  if (list.error) return <ErrorBox error={list.error} />;
  if (list.loading && list.items.length === 0) return <Loading what="deliveries" />;
  if (list.items.length === 0) return <p class="muted">No deliveries yet.</p>;
  return (
    <>
      <div class="table-wrap">
        <table class="data stack" data-testid="alert-deliveries">
          <caption>Deliveries (newest first)</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Event</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Next attempt</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((d) => (
              <tr key={`${d.createdAt}_${d.deliveryId}`}>
                <td data-label="Created">
                  <Time iso={d.createdAt} />
                </td>
                <td data-label="Event">
                  {d.event
                    ? `${d.event.delegate.displayName || d.event.delegate.address} got ${rightLabel(d.event.right)} ` +
                      `on ${d.event.mailbox.displayName || d.event.mailbox.address}`
                    : 'Test delivery'}
                </td>
                <td data-label="State">
                  {d.state}
                  {d.reason ? <span class="muted"> — {d.reason}</span> : null}
                </td>
                <td data-label="Attempts">
                  <ol class="attempts">
                    {d.attempts.map((a) => (
                      <li key={a.attempt}>
                        <Time iso={a.at} />: {attemptText(a)}
                      </li>
                    ))}
                  </ol>
                </td>
                <td data-label="Next attempt">
                  <Time iso={d.nextAttemptAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <LoadMore paged={list} what="deliveries" />
    </>
  );
}

function RuleRow({
  rule,
  onMessage,
  onDeleted,
}: {
  rule: AlertRuleView;
  onMessage: (message: string) => void;
  onDeleted: (message: string) => void;
}) {
  const { api } = useApp();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [open, setOpen] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);

  const test = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const d = await api.send<AlertDelivery>('POST', `alert-rules/${seg(rule.id)}/test`);
      const last = d?.attempts.at(-1);
      onMessage(
        d?.state === 'delivered'
          ? `Test delivery to “${rule.description}” delivered (${last ? attemptText(last) : 'no attempt'}).`
          : `Test delivery to “${rule.description}” failed: ${d?.reason ?? 'no answer'}.`,
      );
      setOpen(true);
      setRefreshKey((k) => k + 1);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.send('DELETE', `alert-rules/${seg(rule.id)}`);
      onDeleted(`Deleted the alert rule “${rule.description}”.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <>
      <tr>
        <td data-label="Rule">{rule.description}</td>
        <td data-label="Watches">{watchText(rule)}</td>
        <td data-label="Rights">{rule.rights.map(rightLabel).join(', ')}</td>
        <td data-label="Webhook">
          <code>{rule.webhookUrl}</code>
        </td>
        <td data-label="Actions">
          <span class="button-row">
            <button type="button" class="secondary" disabled={busy} onClick={() => void test()}>
              Send test delivery
            </button>
            <button type="button" class="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? 'Hide deliveries' : 'Deliveries'}
            </button>
            {confirming ? (
              <>
                <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
                  Confirm delete
                </button>
                <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </>
            ) : (
              <button
                type="button"
                class="secondary"
                onClick={() => setConfirming(true)}
                aria-label={`Delete ${rule.description}`}
              >
                Delete
              </button>
            )}
          </span>
          <ErrorBox error={error} />
        </td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={5}>
            <Deliveries ruleId={rule.id} refreshKey={refreshKey} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function AlertsView() {
  const { api } = useApp();
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<WatchKind>('mailboxes');
  const [mailboxes, setMailboxes] = useState('');
  const [group, setGroup] = useState('');
  const [rights, setRights] = useState<Right[]>(['FullAccess']);
  const [webhookUrl, setWebhookUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const rules = usePaged<AlertRuleView>(
    (token) => api.get<Page<AlertRuleView>>('alert-rules', { top: 100, continuationToken: token }),
    [refreshKey],
  );

  const toggle = (right: Right, on: boolean) =>
    setRights(on ? RIGHTS.filter((r) => r === right || rights.includes(r)) : rights.filter((r) => r !== right));

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    setError(undefined);
    setMessage(null);
    const names = mailboxes
      .split(/[\s,;]+/)
      .map((m) => m.trim())
      .filter(Boolean);
    const watch =
      kind === 'mailboxes'
        ? { mailboxes: names }
        : kind === 'group'
          ? { group: { kind: 'group', groupId: group.trim() } }
          : { group: { kind: 'groupEmail', email: group.trim() } };
    try {
      const rule = await api.send<AlertRuleView>('POST', 'alert-rules', {
        description: description.trim(),
        ...watch,
        rights,
        webhookUrl: webhookUrl.trim(),
        secret,
      });
      setMessage(`Created the alert rule “${rule?.description ?? description}”.`);
      setSecret('');
      setRefreshKey((k) => k + 1);
    } catch (err) {
      if (err instanceof ApiError && err.problem.status === 400 && err.problem.errors?.length) setProblem(err.problem);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const fields = ['description', 'mailboxes', 'group', 'rights', 'webhookUrl', 'secret'];
  const issues = (field: string) => issuesFor(problem, field);
  const unclaimed = otherIssues(problem, fields);
  const watchIssues = kind === 'mailboxes' ? issues('mailboxes') : issues('group');

  return (
    <>
      <h1>Alerts</h1>
      <p class="lead">
        An alert rule calls a webhook (signed with its secret) for every new grant of the chosen rights on the chosen
        mailboxes, including access through a group. The secret is stored and never shown again.
      </p>
      <form class="card form-grid" onSubmit={(e) => void create(e)} aria-labelledby="alert-add-h" noValidate>
        <h2 id="alert-add-h">New alert rule</h2>
        {problem ? <FieldProblemAlert unclaimed={unclaimed} /> : null}
        <div class="field">
          <label for="alert-description">Description</label>
          <input
            id="alert-description"
            type="text"
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
            {...describedBy('alert-description-err', issues('description'))}
          />
          <FieldError id="alert-description-err" messages={issues('description')} />
        </div>
        <fieldset class="choice">
          <legend>Watch</legend>
          {(
            [
              ['mailboxes', 'Listed mailboxes'],
              ['group', 'Members of a group (object id)'],
              ['groupEmail', 'Members of a group (e-mail address)'],
            ] as const
          ).map(([value, label]) => (
            <label key={value}>
              <input type="radio" name="alert-kind" checked={kind === value} onChange={() => setKind(value)} /> {label}
            </label>
          ))}
        </fieldset>
        {kind === 'mailboxes' ? (
          <div class="field">
            <label for="alert-mailboxes">Mailboxes (e-mail addresses or object ids, separated by commas)</label>
            <input
              id="alert-mailboxes"
              type="text"
              spellcheck={false}
              value={mailboxes}
              onInput={(e) => setMailboxes(e.currentTarget.value)}
              {...describedBy('alert-watch-err', watchIssues)}
            />
            <FieldError id="alert-watch-err" messages={watchIssues} />
          </div>
        ) : (
          <div class="field">
            <label for="alert-group">{kind === 'group' ? 'Group object id' : 'Group e-mail address'}</label>
            <input
              id="alert-group"
              type="text"
              spellcheck={false}
              value={group}
              onInput={(e) => setGroup(e.currentTarget.value)}
              {...describedBy('alert-watch-err', watchIssues)}
            />
            <FieldError id="alert-watch-err" messages={watchIssues} />
          </div>
        )}
        <fieldset class="choice" {...describedBy('alert-rights-err', issues('rights'))}>
          <legend>Rights</legend>
          {RIGHTS.map((r) => (
            <label key={r}>
              <input
                type="checkbox"
                checked={rights.includes(r)}
                onChange={(e) => toggle(r, e.currentTarget.checked)}
              />{' '}
              {rightLabel(r)}
            </label>
          ))}
          <FieldError id="alert-rights-err" messages={issues('rights')} />
        </fieldset>
        <div class="field">
          <label for="alert-url">Webhook URL (https://)</label>
          <input
            id="alert-url"
            type="url"
            spellcheck={false}
            value={webhookUrl}
            onInput={(e) => setWebhookUrl(e.currentTarget.value)}
            {...describedBy('alert-url-err', issues('webhookUrl'))}
          />
          <FieldError id="alert-url-err" messages={issues('webhookUrl')} />
        </div>
        <div class="field">
          <label for="alert-secret">Signing secret (at least 16 characters; not shown again)</label>
          <input
            id="alert-secret"
            type="password"
            autoComplete="new-password"
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
            {...describedBy('alert-secret-err', issues('secret'))}
          />
          <FieldError id="alert-secret-err" messages={issues('secret')} />
        </div>
        <div class="button-row">
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create rule'}
          </button>
        </div>
        <ErrorBox error={error} />
        <p class="status-line" role="status">
          {message}
        </p>
      </form>
      <section class="card" aria-labelledby="alert-list-h">
        <h2 id="alert-list-h">Alert rules</h2>
        {rules.error ? <ErrorBox error={rules.error} /> : null}
        {rules.loading && rules.items.length === 0 ? <Loading what="alert rules" /> : null}
        {!rules.loading && rules.items.length === 0 && !rules.error ? <p class="muted">No alert rules yet.</p> : null}
        {rules.items.length > 0 ? (
          <div class="table-wrap">
            <table class="data stack" data-testid="alert-rules">
              <caption>Alert rules</caption>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Watches</th>
                  <th scope="col">Rights</th>
                  <th scope="col">Webhook</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rules.items.map((rule) => (
                  <RuleRow
                    key={rule.id}
                    rule={rule}
                    onMessage={setMessage}
                    onDeleted={(m) => {
                      setMessage(m);
                      setRefreshKey((k) => k + 1);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <LoadMore paged={rules} what="alert rules" />
      </section>
    </>
  );
}
