import type { HostSnapshot } from './protocol.js';

const HISTORY_TABLES = ['DelegationHistory', 'DelegationHistoryByMailbox'] as const;

/** Entities read per page of `GET /api/delegation-changes`: what a page costs in Table Storage. */
export interface HistoryPagingResult {
  top: number;
  pages: number;
  events: number;
  entitiesPerPage: { max: number; mean: number };
  msPerPage: { max: number; mean: number };
}

/**
 * Pages the change history through the API (newest first, `top` a page), up to `maxPages`, and counts the entities
 * the host's history tables returned for each page (the host's table counters, read before and after).
 */
export async function measureHistoryPaging(
  api: (method: string, route: string) => Promise<Record<string, unknown>>,
  snapshot: () => Promise<HostSnapshot>,
  options: { top: number; maxPages: number; mailbox?: string },
): Promise<HistoryPagingResult> {
  const read = (s: HostSnapshot) => HISTORY_TABLES.reduce((n, t) => n + (s.perTable[t]?.entities ?? 0), 0);
  const entities: number[] = [];
  const ms: number[] = [];
  let events = 0;
  let token: string | null = null;
  do {
    const before = read(await snapshot());
    const started = performance.now();
    const query = new URLSearchParams({
      top: String(options.top),
      ...(options.mailbox ? { mailbox: options.mailbox } : {}),
      ...(token ? { continuationToken: token } : {}),
    });
    const page = await api('GET', `delegation-changes?${query}`);
    ms.push(performance.now() - started);
    entities.push(read(await snapshot()) - before);
    events += (page.items as unknown[]).length;
    token = typeof page.continuationToken === 'string' ? page.continuationToken : null;
  } while (token && entities.length < options.maxPages);
  const mean = (list: number[]) => Math.round((list.reduce((a, b) => a + b, 0) / Math.max(1, list.length)) * 10) / 10;
  return {
    top: options.top,
    pages: entities.length,
    events,
    entitiesPerPage: { max: Math.max(0, ...entities), mean: mean(entities) },
    msPerPage: { max: Math.round(Math.max(0, ...ms) * 10) / 10, mean: mean(ms) },
  };
}
