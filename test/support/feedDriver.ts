import { expect } from 'vitest';
import { request } from '../simulator/helpers.js';
import type { TestApp } from './app.js';

// Drives the change feed end to end on a TestApp: a change made through the simulator's control API (which writes
// its audit record, with an actor), the pollAuditFeed timer fired as each minute would, and the lookups that show
// the result.

export interface RightJson {
  right: string;
  grantedBy: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** One mutation through the simulator's control API (`POST /_sim/mutate`): it changes the tenant and logs it. */
export async function simMutate(app: TestApp, body: Record<string, unknown>): Promise<void> {
  const r = await request(app.sim, {
    method: 'POST',
    path: '/_sim/mutate',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status, r.text).toBe(200);
}

/** The rights the lookups show for `delegateId` on `mailboxId` (`GET /api/mailboxes/{id}/delegates`). */
export async function rightsOf(app: TestApp, mailboxId: string, delegateId: string): Promise<RightJson[]> {
  const res = await app.api('GET', `mailboxes/${mailboxId}/delegates`, { role: 'Reader' });
  expect(res.status).toBe(200);
  const items = (res.json as { items: Array<{ delegate: { id: string }; rights: RightJson[] }> }).items;
  return items.find((i) => same(i.delegate.id, delegateId))?.rights ?? [];
}

/** Fires the feed's timer (as each minute would) and lets the re-reads settle, until `done` or `timeoutMs`. */
export async function feedUntil(app: TestApp, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await done())) {
    expect(Date.now(), 'the change never reached the lookups through the feed').toBeLessThan(until);
    await app.host.fireTimer('pollAuditFeed');
    await app.settle();
    await sleep(100);
  }
}
