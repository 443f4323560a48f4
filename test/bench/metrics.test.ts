import { describe, expect, it } from 'vitest';
import { computeFloor, progressLine, type FloorInput } from '../../bench/metrics.js';

const base: FloorInput = {
  mailboxes: 10_000,
  targetMembers: 10_600,
  tenantMailboxes: 10_000,
  sendAsRows: 14_000,
  rights: ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'],
  exchangeRps: 100,
  graphRps: 500,
};

describe('benchmark floor', () => {
  it('large target: one Get-MailboxPermission per mailbox plus the tenant-wide pages; Exchange bounds the run', () => {
    const floor = computeFloor(base);
    expect(floor.exchangeCalls).toBe(10_000 + 10 + 14);
    expect(floor.graphCalls).toBe(10_000 + 11);
    expect(floor.exchangeSeconds).toBeCloseTo(100.24, 2);
    expect(floor.graphSeconds).toBeCloseTo(20.02, 2);
    expect(floor.seconds).toBe(floor.exchangeSeconds);
  });

  it('small target: SendAs and SendOnBehalf cost one call per mailbox each', () => {
    const floor = computeFloor({ ...base, mailboxes: 50, targetMembers: 60 });
    expect(floor.exchangeCalls).toBe(150);
    expect(floor.graphCalls).toBe(51);
  });

  it('a tight Graph limit makes Graph the bound; no limit means no floor from that API', () => {
    expect(computeFloor({ ...base, graphRps: 50 }).seconds).toBeCloseTo(200.22, 2);
    expect(computeFloor({ ...base, exchangeRps: undefined, graphRps: undefined }).seconds).toBe(0);
  });

  it('only the rights synced count', () => {
    const floor = computeFloor({ ...base, rights: ['CalendarDelegate'] });
    expect(floor.exchangeCalls).toBe(0);
    expect(floor.graphCalls).toBe(10_011);
  });

  it('progress line shows the share done', () => {
    expect(progressLine('full', 5, 10, 2_000, 'x')).toContain(`[${'#'.repeat(15)}${'.'.repeat(15)}]`);
  });
});
