import { useState } from 'preact/hooks';
import { ApiError, seg } from '../api';
import { DelegateMailboxTable } from '../delegations';
import { RIGHTS, type DelegateMailboxItem, type Page, type Problem, type Right } from '../types';
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
  useApp,
  usePaged,
} from '../ui';

function RemoveButton({
  user,
  item,
  onRemoved,
}: {
  user: string;
  item: DelegateMailboxItem;
  onRemoved: (message: string) => void;
}) {
  const { api } = useApp();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const name = item.mailbox.displayName || item.mailbox.address;

  const remove = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await api.send('DELETE', `users/${seg(user)}/delegate-mailboxes/${seg(item.mailbox.id)}`);
      onRemoved(`Removed the manual delegation of ${name}.`);
    } catch (e) {
      setProblem(
        e instanceof ApiError ? e.problem : { type: 'about:blank', title: 'Error', status: 0, detail: String(e) },
      );
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="remove">
      {confirming ? (
        <span class="button-row">
          <button
            type="button"
            class="danger"
            onClick={() => void remove()}
            disabled={busy}
            aria-label={`Confirm removing ${name}`}
          >
            {busy ? 'Removing…' : 'Confirm removal'}
          </button>
          <button type="button" class="secondary" onClick={() => setConfirming(false)} disabled={busy}>
            Cancel
          </button>
        </span>
      ) : (
        <button type="button" class="secondary" onClick={() => setConfirming(true)} aria-label={`Remove ${name}`}>
          Remove
        </button>
      )}
      {problem ? (
        <div class="alert alert-warn" role="alert" data-testid="remove-problem">
          <strong>{problem.status === 409 ? 'Cannot remove this delegation' : problem.title}</strong>
          <p>{problem.detail ?? problem.title}</p>
        </div>
      ) : null}
    </div>
  );
}

function UserDelegations({
  user,
  refreshKey,
  onRemoved,
}: {
  user: string;
  refreshKey: number;
  onRemoved: (message: string) => void;
}) {
  const { api } = useApp();
  const list = usePaged<DelegateMailboxItem>(
    (token) =>
      api.get<Page<DelegateMailboxItem>>(`users/${seg(user)}/delegate-mailboxes`, {
        top: 500,
        continuationToken: token,
      }),
    [user, refreshKey],
  );
  if (list.error) return <ErrorBox error={list.error} />;
  if (list.loading && list.items.length === 0) return <Loading what="delegations" />;
  return (
    <>
      <DelegateMailboxTable
        items={list.items}
        caption={`Mailboxes ${user} can access`}
        action={(item) => (
          <RemoveButton
            key={item.mailbox.id}
            user={user}
            item={item}
            onRemoved={(message) => {
              onRemoved(message);
              list.reload();
            }}
          />
        )}
      />
      <LoadMore paged={list} what="mailboxes" />
    </>
  );
}

export function ManualView() {
  const { api } = useApp();
  const [user, setUser] = useState('');
  const [mailbox, setMailbox] = useState('');
  const [rights, setRights] = useState<Right[]>(['FullAccess']);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [shownUser, setShownUser] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);

  const toggle = (right: Right, on: boolean) =>
    setRights(on ? RIGHTS.filter((r) => r === right || rights.includes(r)) : rights.filter((r) => r !== right));

  const add = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    setError(undefined);
    setMessage(null);
    const delegate = user.trim();
    try {
      if (!delegate)
        throw new ApiError({
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: 'Name the user who gets access.',
          errors: [{ path: 'user', message: 'is required' }],
        });
      await api.send('POST', `users/${seg(delegate)}/delegate-mailboxes`, { mailbox: mailbox.trim(), rights });
      setMessage(`Added ${rights.map(rightLabel).join(', ')} on ${mailbox.trim()} for ${delegate}.`);
      setShownUser(delegate);
      setRefreshKey((k) => k + 1);
    } catch (err) {
      if (err instanceof ApiError && err.problem.status === 400 && err.problem.errors?.length) setProblem(err.problem);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const fields = ['user', 'mailbox', 'rights'];
  const userIssues = issuesFor(problem, 'user');
  const mailboxIssues = issuesFor(problem, 'mailbox');
  const rightsIssues = issuesFor(problem, 'rights');
  const unclaimed = otherIssues(problem, fields);

  return (
    <>
      <h1>Manual delegations</h1>
      <p class="lead">
        Manual delegations are recorded here by an admin; sync never removes them. Delegations observed in Exchange come
        back on the next sync if removed here, so the API refuses to remove them.
      </p>
      <form class="card form-grid" onSubmit={(e) => void add(e)} aria-labelledby="manual-add-h" noValidate>
        <h2 id="manual-add-h">Add a manual delegation</h2>
        {problem ? <FieldProblemAlert unclaimed={unclaimed} /> : null}
        <div class="field">
          <label for="manual-user">User who gets access (UPN, e-mail address or object id)</label>
          <input
            id="manual-user"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={user}
            onInput={(e) => setUser(e.currentTarget.value)}
            {...describedBy('manual-user-err', userIssues)}
          />
          <FieldError id="manual-user-err" messages={userIssues} />
        </div>
        <div class="field">
          <label for="manual-mailbox">Mailbox (e-mail address or object id)</label>
          <input
            id="manual-mailbox"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={mailbox}
            onInput={(e) => setMailbox(e.currentTarget.value)}
            {...describedBy('manual-mailbox-err', mailboxIssues)}
          />
          <FieldError id="manual-mailbox-err" messages={mailboxIssues} />
        </div>
        <fieldset class="choice" {...describedBy('manual-rights-err', rightsIssues)}>
          <legend>Rights</legend>
          {RIGHTS.map((r) => (
            <label key={r}>
              <input
                type="checkbox"
                name="rights"
                value={r}
                checked={rights.includes(r)}
                onChange={(e) => toggle(r, e.currentTarget.checked)}
              />{' '}
              {rightLabel(r)}
            </label>
          ))}
          <FieldError id="manual-rights-err" messages={rightsIssues} />
        </fieldset>
        <div class="button-row">
          <button type="submit" disabled={busy}>
            {busy ? 'Adding…' : 'Add delegation'}
          </button>
          <button type="button" class="secondary" disabled={!user.trim()} onClick={() => setShownUser(user.trim())}>
            Show this user's delegations
          </button>
        </div>
        <ErrorBox error={error} />
        <p class="status-line" role="status">
          {message}
        </p>
      </form>
      {shownUser ? (
        <section class="card" aria-labelledby="manual-list-h">
          <h2 id="manual-list-h">Delegations of {shownUser}</h2>
          <UserDelegations key={shownUser} user={shownUser} refreshKey={refreshKey} onRemoved={setMessage} />
        </section>
      ) : null}
    </>
  );
}
