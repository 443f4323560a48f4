import { useState } from 'preact/hooks';
import { seg } from '../api';
import { DelegateMailboxTable, MailboxDelegateTable } from '../delegations';
import type { Footprint, GroupGrant } from '../types';
import { ErrorBox, Loading, rightLabel, SourceBadge, useApp, useCsvExport, useLoad } from '../ui';

/** The trustee groups that give the user access: one row per (group, mailbox), the group cell spanning them. */
function GroupTable({ groups }: { groups: GroupGrant[] }) {
  if (groups.length === 0) return <p class="empty">No access through trustee groups.</p>;
  return (
    <div class="table-wrap">
      <table class="data stack" data-testid="footprint-groups">
        <caption>{`${groups.length} groups`}</caption>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Mailbox</th>
            <th scope="col">Rights</th>
          </tr>
        </thead>
        {groups.map((g) => (
          <tbody key={g.group.id} class="group-rows" data-group={g.group.id}>
            {g.mailboxes.map((m, i) => (
              <tr key={m.mailbox.id}>
                {i === 0 ? (
                  <th scope="rowgroup" rowSpan={g.mailboxes.length} data-label="Group">
                    <span title={g.group.id}>{g.group.displayName || g.group.id}</span>
                  </th>
                ) : null}
                <td data-label="Mailbox">{m.mailbox.displayName || m.mailbox.address}</td>
                <td data-label="Rights">
                  {m.rights.map((r, j) => (
                    <span key={`${r.right}-${r.source}`}>
                      {j > 0 ? ', ' : ''}
                      {rightLabel(r.right)} <SourceBadge source={r.source} />
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </div>
  );
}

function FootprintResult({ user }: { user: string }) {
  const { api } = useApp();
  const result = useLoad(() => api.get<Footprint>(`users/${seg(user)}/footprint`), [user]);
  const csv = useCsvExport(`users/${seg(user)}/footprint`, 'footprint', user);
  const footprint = result.data;

  if (result.error) return <ErrorBox error={result.error} />;
  if (result.loading || !footprint) return <Loading what="the footprint" />;
  const name = footprint.user.displayName || footprint.user.address;
  return (
    <>
      <div class="view-head">
        <h2 id="leaver-result-h">Footprint of {name}</h2>
        {csv.button}
      </div>
      {csv.errorBox}
      <section class="card" aria-labelledby="leaver-can-open-h">
        <h3 id="leaver-can-open-h">Can open</h3>
        <DelegateMailboxTable items={footprint.canOpen} caption={`${footprint.canOpen.length} mailboxes`} />
      </section>
      <section class="card" aria-labelledby="leaver-own-h">
        <h3 id="leaver-own-h">On {name}'s own mailbox</h3>
        <MailboxDelegateTable items={footprint.onOwnMailbox} caption={`${footprint.onOwnMailbox.length} delegates`} />
      </section>
      <section class="card" aria-labelledby="leaver-groups-h">
        <h3 id="leaver-groups-h">Through groups</h3>
        <GroupTable groups={footprint.throughGroups} />
      </section>
    </>
  );
}

/** Offboarding: everything a user holds, everything held on their mailbox, and the groups it comes through. */
export function LeaverView() {
  const [text, setText] = useState('');
  const [user, setUser] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    const key = text.trim();
    if (key) setUser(key);
  };
  return (
    <>
      <h1>Leaver</h1>
      <search aria-label="Leaver footprint">
        <form class="card form-inline" onSubmit={submit}>
          <div class="field grow">
            <label for="leaver-key">User (UPN, e-mail address or object id)</label>
            <input
              id="leaver-key"
              name="user"
              type="text"
              autoComplete="off"
              spellcheck={false}
              required
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </div>
          <button type="submit">Show footprint</button>
        </form>
      </search>
      {user ? <FootprintResult key={user} user={user} /> : null}
    </>
  );
}
