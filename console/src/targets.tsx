import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Api, seg } from './api';
import type { DirectoryGroup, Target } from './types';
import { useApp } from './ui';

// One lookup per group and signed-in session: a task list names the same group on many rows.
const groupsByApi = new WeakMap<Api, Map<string, Promise<DirectoryGroup>>>();

function lookupGroup(api: Api, id: string): Promise<DirectoryGroup> {
  const groups = groupsByApi.get(api) ?? new Map<string, Promise<DirectoryGroup>>();
  groupsByApi.set(api, groups);
  let found = groups.get(id);
  if (!found) {
    found = api.get<DirectoryGroup>(`directory/groups/${seg(id)}`);
    // A failed lookup is not remembered: the next render may find the directory reachable again.
    found.catch(() => groups.delete(id));
    groups.set(id, found);
  }
  return found;
}

type GroupName = { state: 'loading' } | { state: 'found'; group: DirectoryGroup } | { state: 'failed'; gone: boolean };

/** A group's current name and address, live from the directory (GET /api/directory/groups/{id}). */
export function useGroupName(id: string | undefined): GroupName {
  const { api } = useApp();
  const [name, setName] = useState<GroupName>({ state: 'loading' });
  useEffect(() => {
    if (!id) return;
    let current = true;
    setName({ state: 'loading' });
    lookupGroup(api, id).then(
      (group) => current && setName({ state: 'found', group }),
      (e: unknown) => current && setName({ state: 'failed', gone: e instanceof ApiError && e.problem.status === 404 }),
    );
    return () => {
      current = false;
    };
  }, [api, id]);
  return name;
}

/** "Sales (sales@contoso.com)": a group's display name with its address, when it has one. */
export function groupLabel(group: DirectoryGroup): string {
  return group.mail ? `${group.displayName} (${group.mail})` : group.displayName;
}

function GroupById({ id }: { id: string }) {
  const name = useGroupName(id);
  if (name.state === 'found') return <span data-group-id={id}>Group {groupLabel(name.group)}</span>;
  if (name.state === 'loading') return <span class="muted">Group (looking up its name…)</span>;
  // The object id is the only name left; say why, so it is never shown as if it were a name.
  return (
    <span class={name.gone ? 'target-gone' : 'muted'} title={id}>
      {name.gone ? 'A group that no longer exists in the directory' : 'Group (name unavailable)'}{' '}
      <code class="small">{id}</code>
    </span>
  );
}

/** A task's target as an administrator reads it: group names and addresses, never a bare object id. */
export function TargetName({ target }: { target: Target }) {
  switch (target.kind) {
    case 'group':
      return <GroupById id={target.groupId} />;
    case 'groupDn':
      return <span>Group {target.dn}</span>;
    case 'groupEmail':
      return <span>Group {target.email}</span>;
    case 'mailboxes':
      return (
        <span title={target.mailboxes.join('\n')}>
          {target.mailboxes.length === 1 ? `Mailbox ${target.mailboxes[0]}` : `${target.mailboxes.length} mailboxes`}
        </span>
      );
  }
}
