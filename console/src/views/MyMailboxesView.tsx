import { DelegateMailboxTable } from '../delegations';
import type { DelegateMailboxItem, Page } from '../types';
import { ErrorBox, Loading, LoadMore, useApp, usePaged } from '../ui';

export function MyMailboxesView() {
  const { api, claims } = useApp();
  const mine = usePaged<DelegateMailboxItem>(
    (token) => api.get<Page<DelegateMailboxItem>>('me/delegate-mailboxes', { top: 500, continuationToken: token }),
    [api],
  );
  return (
    <>
      <div class="view-head">
        <h1>My delegate mailboxes</h1>
        <button type="button" class="secondary" onClick={mine.reload} disabled={mine.loading}>
          Refresh
        </button>
      </div>
      <p class="lead">
        Mailboxes other people have shared with {claims.preferredUsername ?? 'you'}, and what you can do in each.
      </p>
      <ErrorBox error={mine.error} />
      {mine.loading && mine.items.length === 0 ? <Loading what="your mailboxes" /> : null}
      {!mine.error && !(mine.loading && mine.items.length === 0) ? (
        <section class="card">
          <DelegateMailboxTable items={mine.items} caption={`${mine.items.length} mailboxes you can access`} />
        </section>
      ) : null}
      <LoadMore paged={mine} what="mailboxes" />
    </>
  );
}
