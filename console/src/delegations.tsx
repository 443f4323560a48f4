import type { ComponentChildren } from 'preact';
import type { DelegateMailboxItem, MailboxDelegateItem, RightEntry } from './types';
import { rightLabel, SourceBadge, Time, ViaList } from './ui';

function RightCells({ entry }: { entry: RightEntry }) {
  return (
    <>
      <td data-label="Right">{rightLabel(entry.right)}</td>
      <td data-label="Source">
        <SourceBadge source={entry.source} />
      </td>
      <td data-label="Via">
        <ViaList via={entry.via} />
      </td>
      <td data-label="First seen">
        <Time iso={entry.firstSeen} />
      </td>
      <td data-label="Last confirmed">
        <Time iso={entry.lastConfirmed} />
      </td>
      <td data-label="Last verified">{entry.lastVerified ? <Time iso={entry.lastVerified} /> : <Unknown />}</td>
      <td data-label="Granted by">
        {entry.grantedBy ? (
          <>
            {entry.grantedBy}
            {entry.grantedAt ? (
              <div class="muted small">
                <Time iso={entry.grantedAt} />
              </div>
            ) : null}
          </>
        ) : (
          <Unknown />
        )}
      </td>
    </>
  );
}

/** A value the service does not know (a full scan finds a grant, not its author): said so, never guessed. */
function Unknown() {
  return <span class="muted">unknown</span>;
}

function Who({ name, address }: { name: string; address: string }) {
  return (
    <>
      <span class="who-name">{name || address}</span>
      {name && address && name !== address ? <span class="who-address">{address}</span> : null}
    </>
  );
}

/** Mailboxes a user can access: one row per right, the mailbox cell spanning its rights. */
export function DelegateMailboxTable({
  items,
  caption,
  action,
}: {
  items: DelegateMailboxItem[];
  caption: string;
  action?: (item: DelegateMailboxItem) => ComponentChildren;
}) {
  if (items.length === 0) return <p class="empty">No delegated mailboxes.</p>;
  return (
    <div class="table-wrap">
      <table class="data stack" data-testid="delegate-mailboxes">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Mailbox</th>
            <th scope="col">Right</th>
            <th scope="col">Source</th>
            <th scope="col">Via</th>
            <th scope="col">First seen</th>
            <th scope="col">Last confirmed</th>
            <th scope="col">Last verified</th>
            <th scope="col">Granted by</th>
            {action ? (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        {items.map((item) => (
          <tbody key={item.mailbox.id} class="group-rows" data-mailbox={item.mailbox.address}>
            {item.rights.map((entry, i) => (
              <tr key={entry.right}>
                {i === 0 ? (
                  <th scope="rowgroup" rowSpan={item.rights.length} data-label="Mailbox">
                    <Who name={item.mailbox.displayName} address={item.mailbox.address} />
                  </th>
                ) : null}
                <RightCells entry={entry} />
                {action && i === 0 ? (
                  <td rowSpan={item.rights.length} class="actions">
                    {action(item)}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </div>
  );
}

/** Who can access a mailbox: one row per right. */
export function MailboxDelegateTable({ items, caption }: { items: MailboxDelegateItem[]; caption: string }) {
  if (items.length === 0) return <p class="empty">Nobody else can access this mailbox.</p>;
  return (
    <div class="table-wrap">
      <table class="data stack" data-testid="mailbox-delegates">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Delegate</th>
            <th scope="col">Right</th>
            <th scope="col">Source</th>
            <th scope="col">Via</th>
            <th scope="col">First seen</th>
            <th scope="col">Last confirmed</th>
            <th scope="col">Last verified</th>
            <th scope="col">Granted by</th>
          </tr>
        </thead>
        {items.map((item) => (
          <tbody key={item.delegate.id} class="group-rows" data-delegate={item.delegate.address}>
            {item.rights.map((entry, i) => (
              <tr key={entry.right}>
                {i === 0 ? (
                  <th scope="rowgroup" rowSpan={item.rights.length} data-label="Delegate">
                    <Who name={item.delegate.displayName} address={item.delegate.address} />
                    {item.delegate.accountEnabled === false ? (
                      <span class="badge badge-muted">account disabled</span>
                    ) : null}
                  </th>
                ) : null}
                <RightCells entry={entry} />
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </div>
  );
}
