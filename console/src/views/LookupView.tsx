import { useState } from 'preact/hooks';
import { seg } from '../api';
import { DelegateMailboxTable, MailboxDelegateTable } from '../delegations';
import type {
  DelegateMailboxesAt,
  DelegateMailboxItem,
  DelegationChange,
  MailboxDelegateItem,
  MailboxDelegatesAt,
  Page,
} from '../types';
import {
  ErrorBox,
  Loading,
  LoadMore,
  rightLabel,
  SourceBadge,
  Time,
  useApp,
  useCsvExport,
  useLoad,
  usePaged,
  ViaList,
} from '../ui';

type Kind = 'user' | 'mailbox';

/** How a change came to be known, as a history line says it. */
const OBSERVED_BY: Record<DelegationChange['observedBy'], string> = {
  fullScan: 'seen by a full scan',
  auditEvent: 'seen after an audit event',
  manual: 'made through this console',
};

/** Grants and revocations, newest first. */
export function HistoryTimeline({ filter }: { filter: { delegate?: string; mailbox?: string } }) {
  const { api } = useApp();
  const changes = usePaged<DelegationChange>(
    (token) => api.get<Page<DelegationChange>>('delegation-changes', { ...filter, top: 50, continuationToken: token }),
    [filter.delegate, filter.mailbox],
  );
  if (changes.error) return <ErrorBox error={changes.error} />;
  if (changes.loading && changes.items.length === 0) return <Loading what="history" />;
  if (changes.items.length === 0) return <p class="empty">No grants or revocations recorded yet.</p>;
  return (
    <>
      <ol class="timeline" data-testid="history">
        {changes.items.map((c, i) => (
          <li key={`${c.at}-${c.mailbox.id}-${c.delegate.id}-${c.right}-${i}`} class={`event event-${c.type}`}>
            <div class="event-when">
              <Time iso={c.at} />
            </div>
            <div class="event-what">
              <span class={`badge badge-${c.type}`}>{c.type === 'granted' ? 'Granted' : 'Revoked'}</span>{' '}
              <strong>{rightLabel(c.right)}</strong> on{' '}
              <span title={c.mailbox.address}>{c.mailbox.displayName || c.mailbox.address}</span> for{' '}
              <span title={c.delegate.address}>{c.delegate.displayName || c.delegate.address}</span>
              <div class="muted small">
                via <ViaList via={c.via} /> · <SourceBadge source={c.source} /> · {OBSERVED_BY[c.observedBy]}
                {c.actor ? (
                  <>
                    {' '}
                    by <span data-testid="actor">{c.actor}</span>
                  </>
                ) : null}
                {c.runId ? (
                  <>
                    {' '}
                    · run <code>{c.runId}</code>
                  </>
                ) : null}
              </div>
            </div>
          </li>
        ))}
      </ol>
      <LoadMore paged={changes} what="history" />
    </>
  );
}

/** How far a point-in-time answer can be trusted: the history's completeness, said in words. */
function Completeness({ answer }: { answer: { asOf: string; historyCompleteFrom: string | null; complete: boolean } }) {
  if (answer.complete)
    return (
      <p class="alert alert-info" data-testid="as-of-complete">
        As of <Time iso={answer.asOf} />. The history is complete from <Time iso={answer.historyCompleteFrom} />.
      </p>
    );
  return (
    <p class="alert alert-warn" role="status" data-testid="as-of-incomplete">
      Incomplete: as of <Time iso={answer.asOf} />, but the history is complete only from{' '}
      {answer.historyCompleteFrom ? <Time iso={answer.historyCompleteFrom} /> : 'no recorded time'}. Changes before then
      may be missing from this answer.
    </p>
  );
}

/** The state at a past time (`?at=`), rebuilt by the API from the change history: one request, no paging. */
function AtResult({ kind, keyValue, at }: { kind: Kind; keyValue: string; at: string }) {
  const { api } = useApp();
  const path = kind === 'user' ? `users/${seg(keyValue)}/delegate-mailboxes` : `mailboxes/${seg(keyValue)}/delegates`;
  const result = useLoad(() => api.get<DelegateMailboxesAt | MailboxDelegatesAt>(path, { at, top: 1000 }), [path, at]);
  const answer = result.data;
  return (
    <section class="card" aria-labelledby="lookup-result-h">
      <h2 id="lookup-result-h">
        {kind === 'user' ? `Mailboxes ${keyValue} could access` : `Who could access ${keyValue}`} as of{' '}
        <Time iso={at} />
      </h2>
      <ErrorBox error={result.error} />
      {result.loading ? <Loading what="the state at that time" /> : null}
      {answer ? <Completeness answer={answer} /> : null}
      {answer && kind === 'user' ? (
        <DelegateMailboxTable
          items={(answer as DelegateMailboxesAt).items}
          caption={`${answer.items.length} mailboxes`}
        />
      ) : null}
      {answer && kind === 'mailbox' ? (
        <MailboxDelegateTable
          items={(answer as MailboxDelegatesAt).items}
          caption={`${answer.items.length} delegates`}
        />
      ) : null}
    </section>
  );
}

function UserResult({ user }: { user: string }) {
  const { api } = useApp();
  const csv = useCsvExport(`users/${seg(user)}/delegate-mailboxes`, 'delegate-mailboxes', user);
  const result = usePaged<DelegateMailboxItem>(
    (token) =>
      api.get<Page<DelegateMailboxItem>>(`users/${seg(user)}/delegate-mailboxes`, {
        top: 500,
        continuationToken: token,
      }),
    [user],
  );

  return (
    <>
      <section class="card" aria-labelledby="lookup-result-h">
        <div class="view-head">
          <h2 id="lookup-result-h">Mailboxes {user} can access</h2>
          {csv.button}
        </div>
        {csv.errorBox}
        <ErrorBox error={result.error} />
        {result.loading && result.items.length === 0 ? <Loading what="mailboxes" /> : null}
        {!result.error && !(result.loading && result.items.length === 0) ? (
          <DelegateMailboxTable items={result.items} caption={`${result.items.length} mailboxes`} />
        ) : null}
        <LoadMore paged={result} what="mailboxes" />
      </section>
      <section class="card" aria-labelledby="lookup-history-h">
        <h2 id="lookup-history-h">History</h2>
        {result.error ? null : <HistoryTimeline filter={{ delegate: user }} />}
      </section>
    </>
  );
}

function MailboxResult({ mailbox }: { mailbox: string }) {
  const { api } = useApp();
  const result = usePaged<MailboxDelegateItem>(
    (token) =>
      api.get<Page<MailboxDelegateItem>>(`mailboxes/${seg(mailbox)}/delegates`, { top: 500, continuationToken: token }),
    [mailbox],
  );
  return (
    <>
      <section class="card" aria-labelledby="lookup-result-h">
        <h2 id="lookup-result-h">Who can access {mailbox}</h2>
        <ErrorBox error={result.error} />
        {result.loading && result.items.length === 0 ? <Loading what="delegates" /> : null}
        {!result.error && !(result.loading && result.items.length === 0) ? (
          <MailboxDelegateTable items={result.items} caption={`${result.items.length} delegates`} />
        ) : null}
        <LoadMore paged={result} what="delegates" />
      </section>
      <section class="card" aria-labelledby="lookup-history-h">
        <h2 id="lookup-history-h">History</h2>
        {result.error ? null : <HistoryTimeline filter={{ mailbox }} />}
      </section>
    </>
  );
}

export function LookupView() {
  const [kind, setKind] = useState<Kind>('user');
  const pickUser = () => setKind('user');
  const [text, setText] = useState('');
  const [asOf, setAsOf] = useState('');
  const [query, setQuery] = useState<{ kind: Kind; key: string; at: string | null } | null>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    const key = text.trim();
    // The picker gives local wall time without a zone; the API takes an instant.
    const at = asOf ? new Date(asOf).toISOString() : null;
    if (key) setQuery({ kind, key, at });
  };

  return (
    <>
      <h1>Lookup</h1>
      <search aria-label="Delegation lookup">
        <form class="card form-inline" onSubmit={submit}>
          <fieldset class="choice">
            <legend>Look up</legend>
            <label>
              <input type="radio" name="kind" value="user" checked={kind === 'user'} onChange={pickUser} /> A user's
              mailboxes
            </label>
            <label>
              <input
                type="radio"
                name="kind"
                value="mailbox"
                checked={kind === 'mailbox'}
                onChange={() => setKind('mailbox')}
              />{' '}
              A mailbox's delegates
            </label>
          </fieldset>
          <div class="field grow">
            <label for="lookup-key">
              {kind === 'user' ? 'User (UPN, e-mail address or object id)' : 'Mailbox (e-mail address or object id)'}
            </label>
            <input
              id="lookup-key"
              name="key"
              type="text"
              autoComplete="off"
              spellcheck={false}
              required
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="lookup-as-of">As of (optional, your local time)</label>
            <input
              id="lookup-as-of"
              name="asOf"
              type="datetime-local"
              step={1}
              value={asOf}
              onInput={(e) => setAsOf(e.currentTarget.value)}
            />
          </div>
          <button type="submit">Look up</button>
        </form>
      </search>
      {query?.at ? (
        <AtResult key={`${query.kind}:${query.key}@${query.at}`} kind={query.kind} keyValue={query.key} at={query.at} />
      ) : null}
      {query && !query.at && query.kind === 'user' ? <UserResult key={`u:${query.key}`} user={query.key} /> : null}
      {query && !query.at && query.kind === 'mailbox' ? (
        <MailboxResult key={`m:${query.key}`} mailbox={query.key} />
      ) : null}
    </>
  );
}
