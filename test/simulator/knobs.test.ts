import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { graphGet, invokeCommand, json, request, tokenOrThrow, type HttpResult } from './helpers.js';

let sim: RunningSimulator;
let graph: string;
let exo: string;

beforeAll(async () => {
  sim = await startSimulator({ mailboxes: 40 });
  graph = await tokenOrThrow(sim, 'graph');
  exo = await tokenOrThrow(sim, 'exchange');
});
afterEach(() => {
  sim.setKnobs({ rateLimits: {}, faultRate: 0, latencyMs: 0, jitterMs: 0 });
});
afterAll(async () => {
  await sim.stop();
});

describe('rate limits', () => {
  it.each(['graph', 'exchange'] as const)(
    '%s: over the limit answers 429, with and without Retry-After',
    async (api) => {
      sim.setKnobs({ rateLimits: { [api]: 5 } });
      sim.resetStats();
      const call = (): Promise<HttpResult> =>
        api === 'graph'
          ? graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}`)
          : invokeCommand(sim, exo, 'Get-Mailbox', { Identity: 'alex.wilber@contoso.com' });
      const results: HttpResult[] = [];
      for (let round = 0; round < 4; round++) results.push(...(await Promise.all(Array.from({ length: 20 }, call))));
      const throttled = results.filter((r) => r.status === 429);
      expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5);
      expect(throttled.length).toBeGreaterThan(20);
      const withHeader = throttled.filter((r) => r.headers['retry-after'] !== undefined);
      expect(withHeader.length).toBeGreaterThan(0);
      expect(withHeader.length).toBeLessThan(throttled.length);
      for (const r of withHeader) expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(sim.stats().throttled[api]).toBe(throttled.length);
    },
  );

  it('refills: after waiting, requests pass again', async () => {
    sim.setKnobs({ rateLimits: { graph: 10 } });
    await Promise.all(Array.from({ length: 15 }, () => graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}`)));
    await new Promise((r) => setTimeout(r, 1100));
    expect((await graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}`)).status).toBe(200);
  });
});

describe('rate limits: Exchange slows answers down before it throttles', () => {
  it('a burst past the budget is answered, late; only a burst far past it meets 429s', async () => {
    sim.setKnobs({ rateLimits: { exchange: 4 } });
    sim.resetStats();
    const timed = async (): Promise<{ status: number; ms: number }> => {
      const sentAt = performance.now();
      const r = await invokeCommand(sim, exo, 'Get-Mailbox', { Identity: 'alex.wilber@contoso.com' });
      return { status: r.status, ms: performance.now() - sentAt };
    };

    // 4 fit the bucket; the next 4 are 0.25-1 s over the budget (less what refills while they arrive).
    const burst = await Promise.all(Array.from({ length: 8 }, timed));
    expect(burst.map((r) => r.status)).toEqual(new Array<number>(8).fill(200));
    expect(Math.max(...burst.map((r) => r.ms))).toBeGreaterThan(400);
    expect(sim.stats().throttled.exchange).toBe(0);

    // 20 more at once would be up to 5 s over: past 2 s of delay the rest are refused.
    const flood = await Promise.all(Array.from({ length: 20 }, timed));
    expect(flood.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(flood.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(sim.stats().throttled.exchange).toBe(flood.filter((r) => r.status === 429).length);
  });
});

describe('faults', () => {
  it('with faultRate 1 every request fails: 503, dropped connections and truncated JSON all occur', async () => {
    sim.setKnobs({ faultRate: 1 });
    sim.resetStats();
    const seen = { http503: 0, dropped: 0, truncated: 0, ok: 0 };
    for (let i = 0; i < 30; i++) {
      const call =
        i % 2 === 0
          ? graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}`)
          : invokeCommand(sim, exo, 'Get-Mailbox', { Identity: 'alex.wilber@contoso.com' });
      try {
        const r = await call;
        if (r.status === 503) seen.http503++;
        else {
          expect(r.status).toBe(200);
          try {
            JSON.parse(r.text);
            seen.ok++;
          } catch {
            seen.truncated++;
          }
        }
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ECONNRESET');
        seen.dropped++;
      }
    }
    expect(seen.ok).toBe(0);
    expect(seen.http503).toBeGreaterThan(0);
    expect(seen.dropped).toBeGreaterThan(0);
    expect(seen.truncated).toBeGreaterThan(0);
    expect(sim.stats().faults).toEqual({ http503: seen.http503, dropped: seen.dropped, truncated: seen.truncated });
  });

  it('leaves the token endpoint alone', async () => {
    sim.setKnobs({ faultRate: 1, rateLimits: { graph: 1 } });
    expect(await tokenOrThrow(sim, 'graph')).toMatch(/^ey/);
  });
});

describe('latency', () => {
  it('adds latencyMs to Graph and Exchange responses', async () => {
    sim.setKnobs({ latencyMs: 150 });
    const start = performance.now();
    await graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}`);
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
  });
});

describe('control API under /_sim', () => {
  const post = (path: string, body: unknown) =>
    request(sim, { method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('sets knobs, validates them, and reports stats', async () => {
    const r = await post('/_sim/knobs', { latencyMs: 5, rateLimits: { exchange: 7 } });
    expect(r.status).toBe(200);
    expect(sim.knobs).toMatchObject({ latencyMs: 5, rateLimits: { exchange: 7 } });
    expect((await post('/_sim/knobs', { faultRate: 2 })).status).toBe(400);
    sim.resetStats();
    await invokeCommand(sim, exo, 'Get-MailboxPermission', { Identity: 'alex.wilber@contoso.com' });
    const stats = json<{ exchangeCmdlets: Record<string, number> }>(await request(sim, { path: '/_sim/stats' }));
    expect(stats.exchangeCmdlets['Get-MailboxPermission']).toBe(1);
  });

  it('applies mutations that the Exchange API then shows', async () => {
    const { demo } = sim.tenant;
    const r = await post('/_sim/mutate', [
      { op: 'addUser', user: { displayName: 'Bench User', alias: 'bench.user' }, groupIds: [demo.salesGroupId] },
      { op: 'grantSendAs', mailboxId: demo.gradyId, trusteeId: demo.meganId },
    ]);
    expect(r.status).toBe(200);
    const created = json<{ results: Array<{ user?: { id: string } }> }>(r).results[0]?.user;
    expect(
      sim.tenant.transitiveMembers(demo.salesGroupId).some((m) => m.type === 'user' && m.user.id === created?.id),
    ).toBe(true);
    const rows = json<{ value: Array<{ Trustee: string }> }>(
      await invokeCommand(sim, exo, 'Get-RecipientPermission', { Identity: demo.gradyId }),
    ).value;
    expect(rows.map((x) => x.Trustee)).toContain('megan.bowen@contoso.com');
    expect((await post('/_sim/mutate', { op: 'grantSendAs', mailboxId: 'nope', trusteeId: demo.meganId })).status).toBe(
      400,
    );
  });

  it('scopes calendar access: 403 ErrorAccessDenied, 404 MailboxNotEnabledForRESTAPI, then readable', async () => {
    const { gradyId } = sim.tenant.demo;
    const calendar = async () => {
      const r = await graphGet(sim, graph, `/users/${gradyId}/calendar/calendarPermissions`);
      return { status: r.status, code: r.status === 200 ? null : json<{ error: { code: string } }>(r).error.code };
    };
    const scope = (refusal: string | null, mailboxId = gradyId) =>
      post('/_sim/mutate', { op: 'setCalendarAccess', mailboxId, refusal });

    expect((await scope('accessDenied')).status).toBe(200);
    expect(await calendar()).toEqual({ status: 403, code: 'ErrorAccessDenied' });
    expect((await scope('restNotEnabled')).status).toBe(200);
    expect(await calendar()).toEqual({ status: 404, code: 'MailboxNotEnabledForRESTAPI' });
    expect((await scope(null)).status).toBe(200);
    expect(await calendar()).toEqual({ status: 200, code: null });
    expect((await scope('sometimes')).status).toBe(400);
    expect((await scope(null, 'nope')).status).toBe(400);
  });

  it('mints API tokens for a named user', async () => {
    const r = await post('/_sim/token', { roles: ['MailboxPermissionSync.Reader'], user: 'megan.bowen@contoso.com' });
    const token = json<{ token: string }>(r).token;
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(payload).toMatchObject({
      oid: sim.tenant.demo.meganId,
      roles: ['MailboxPermissionSync.Reader'],
      iss: sim.api.issuer,
    });
  });
});
