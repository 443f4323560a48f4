import type { Services } from '../composition.js';

export interface GroupChoice {
  id: string;
  displayName: string;
  mail: string | null;
  onPremisesSamAccountName: string | null;
  source: 'synced' | 'cloud';
}

/** Groups for the task-target picker, live from Graph (startswith on displayName; the first page when empty). */
export async function searchGroups(
  services: Pick<Services, 'microsoft'>,
  search: string,
  top: number,
): Promise<GroupChoice[]> {
  const graph = services.microsoft().graph;
  const groups = await graph.searchGroups(search.trim(), top);
  return groups.map((g) => ({
    id: g.id,
    displayName: g.displayName ?? g.mail ?? g.id,
    mail: g.mail ?? null,
    onPremisesSamAccountName: g.onPremisesSamAccountName ?? null,
    source: g.onPremisesSyncEnabled ? 'synced' : 'cloud',
  }));
}
