import { NotFoundError } from '../errors.js';
import type { GraphGroup } from '../ports/microsoft.js';
import type { UseCaseDeps } from '../ports/services.js';

export interface GroupChoice {
  id: string;
  displayName: string;
  mail: string | null;
  onPremisesSamAccountName: string | null;
  source: 'synced' | 'cloud';
}

/** Groups for the task-target picker, live from Graph (startswith on displayName; the first page when empty). */
export async function searchGroups(
  deps: Pick<UseCaseDeps, 'microsoft'>,
  search: string,
  top: number,
): Promise<GroupChoice[]> {
  const graph = deps.microsoft().graph;
  const groups = await graph.searchGroups(search.trim(), top);
  return groups.map(toGroupChoice);
}

/** One group by object id, live from Graph: how the console names a task's target group. */
export async function getGroup(deps: Pick<UseCaseDeps, 'microsoft'>, id: string): Promise<GroupChoice> {
  const group = await deps.microsoft().graph.getGroup(id);
  if (!group) throw new NotFoundError('GROUP.NOT_FOUND', `No group '${id}' exists in the directory`);
  return toGroupChoice(group);
}

function toGroupChoice(g: GraphGroup): GroupChoice {
  return {
    id: g.id,
    displayName: g.displayName ?? g.mail ?? g.id,
    mail: g.mail ?? null,
    onPremisesSamAccountName: g.onPremisesSamAccountName ?? null,
    source: g.onPremisesSyncEnabled ? 'synced' : 'cloud',
  };
}
