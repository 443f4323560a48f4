import { describe, expect, it } from 'vitest';
import {
  ReleaseSchedule,
  nextSharedRate,
  sustainedMailboxRate,
  RATE_RULES,
  type SharedRateState,
} from '../../shared/domain/pacing.js';

const found = (perSecond: number, extra: Partial<SharedRateState> = {}): SharedRateState => ({
  perSecond,
  decreasedAt: 0,
  updatedAt: 0,
  ...extra,
});

describe('nextSharedRate (AIMD on the tenant row)', () => {
  it('grows a row that has never seen congestion as fast as slow start (doubling per second)', () => {
    const next = nextSharedRate(
      { perSecond: 10, updatedAt: 0 },
      { kind: 'increase', perSecond: 50 },
      RATE_RULES.exchange,
      1000,
    );
    expect(next?.perSecond).toBe(20);
  });

  it('after congestion grows by the probe step per second, never past the reporting limiter', () => {
    const rule = RATE_RULES.exchange;
    expect(nextSharedRate(found(100), { kind: 'increase', perSecond: 300 }, rule, 500)?.perSecond).toBeCloseTo(105);
    expect(nextSharedRate(found(100), { kind: 'increase', perSecond: 102 }, rule, 1000)?.perSecond).toBe(102);
    expect(nextSharedRate(found(100), { kind: 'increase', perSecond: 90 }, rule, 1000)).toBeUndefined();
  });

  it('a decrease never goes below the floor, and without a row there is nothing to cut', () => {
    expect(nextSharedRate(found(1), { kind: 'decrease', fromPerSecond: 1 }, RATE_RULES.graph, 5000)?.perSecond).toBe(1);
    expect(nextSharedRate(undefined, { kind: 'decrease', fromPerSecond: 1 }, RATE_RULES.graph, 5000)).toBeUndefined();
  });
});

describe('ReleaseSchedule (mailbox messages released at the tenant rate)', () => {
  it('releases nothing later without a stored rate: the limiters find it first', () => {
    const schedule = new ReleaseSchedule({ exchange: 1, graph: 1 }, {});
    expect([schedule.next(), schedule.next(), schedule.next()]).toEqual([0, 0, 0]);
  });

  it('paces by the service that needs the most time per mailbox, held one step above the congested rate', () => {
    // Exchange 100/s (congested at 100): 10 ms per mailbox, growing to at most 110/s; Graph 200/s: 5 ms.
    const schedule = new ReleaseSchedule(
      { exchange: 1, graph: 1 },
      { exchange: found(100, { congestedAtPerSecond: 100 }), graph: found(200, { congestedAtPerSecond: 200 }) },
    );
    const offsets = Array.from({ length: 2001 }, () => schedule.next());
    expect(offsets[1]).toBe(10);
    // 2,000 mailboxes: between the 110/s ceiling (18.2 s) and the 100/s start (20 s).
    expect(offsets[2000]).toBeGreaterThan(18_100);
    expect(offsets[2000]).toBeLessThan(20_000);
  });

  it("starts from what the task's previous run sustained when higher than the stored rate, and only then", () => {
    // Stored 10/s (each instance's rate); the last run settled 50 mailboxes/s with 2 Exchange calls each: 100/s.
    const rates = { exchange: found(10, { congestedAtPerSecond: 12 }) };
    const faster = new ReleaseSchedule({ exchange: 2, graph: 0 }, rates, 50);
    const slower = new ReleaseSchedule({ exchange: 2, graph: 0 }, rates, 1);
    const unknown = new ReleaseSchedule({ exchange: 2, graph: 0 }, rates);

    expect([faster.next(), faster.next()]).toEqual([0, 20]);
    expect([slower.next(), slower.next()]).toEqual([0, 200]);
    expect([unknown.next(), unknown.next()]).toEqual([0, 200]);
  });

  it('a service the mailbox does not call does not pace it', () => {
    const schedule = new ReleaseSchedule({ exchange: 0, graph: 1 }, { exchange: found(1) });
    expect([schedule.next(), schedule.next()]).toEqual([0, 0]);
  });
});

describe('sustainedMailboxRate (what a finished run settled per second)', () => {
  it('counts done and failed mailboxes over the time from start to close; nothing without both times', () => {
    const run = { mailboxesDone: 90, mailboxesFailed: 10, startedAt: '2026-03-02T10:00:00Z', finishedAt: null };
    expect(sustainedMailboxRate({ ...run, finishedAt: '2026-03-02T10:00:20Z' })).toBe(5);
    expect(sustainedMailboxRate(run)).toBeUndefined();
    expect(
      sustainedMailboxRate({ ...run, mailboxesDone: 0, mailboxesFailed: 0, finishedAt: '2026-03-02T10:01Z' }),
    ).toBeUndefined();
  });
});

describe('nextSharedRate: a cut from the rate that met the congestion', () => {
  it('cuts from the reporting limiter when the row lagged its slow start', () => {
    const next = nextSharedRate(
      { perSecond: 40, updatedAt: 0 },
      { kind: 'decrease', fromPerSecond: 100 },
      RATE_RULES.exchange,
      1,
    );
    expect(next).toMatchObject({ perSecond: 85, congestedAtPerSecond: 100, decreasedAt: 1 });
  });
});
