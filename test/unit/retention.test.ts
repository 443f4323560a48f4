import { describe, expect, it } from 'vitest';
import { expiredRuns, retentionCutoffs, scopeRun } from '../../shared/domain/retention.js';
import { auditRunId, manualRunId, type RunStatus } from '../../shared/domain/task.js';
import { aRun } from '../support/factories.js';

describe('retentionCutoffs', () => {
  it('cuts whole 24-hour days back from now, each setting on its own', () => {
    const cut = retentionCutoffs(new Date('2026-12-06T03:17:00.000Z'), 400, 90);

    expect(cut.historyBefore.toISOString()).toBe('2025-11-01T03:17:00.000Z');
    expect(cut.runsBefore.toISOString()).toBe('2026-09-07T03:17:00.000Z');
  });

  it('is not moved by a daylight-saving change or a leap day (UTC milliseconds)', () => {
    const cut = retentionCutoffs(new Date('2028-03-01T00:00:00.000Z'), 1, 366);

    expect(cut.historyBefore.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(cut.runsBefore.toISOString()).toBe('2027-03-01T00:00:00.000Z');
  });
});

describe('expiredRuns', () => {
  const before = new Date('2026-09-01T00:00:00.000Z');
  /** A run created at `day`, moved along the lifecycle to `status` at that time. */
  const runAt = (day: string, status: RunStatus) => ({
    ...aRun({ status, createdAt: `${day}T10:00:00.000Z` }),
    runId: manualRunId(new Date(`${day}T10:00Z`), 'x'),
  });

  it('deletes closed runs older than the cut-off, keeps the newer ones and the task scope', () => {
    const scope = runAt('2026-05-03', 'succeeded');
    const older = runAt('2026-05-02', 'completedWithErrors');
    const failed = runAt('2026-05-01', 'failed');
    const recent = runAt('2026-09-02', 'failed');

    const expired = expiredRuns([older, recent, scope, failed], before);

    expect(expired.map((r) => r.runId)).toEqual([older.runId, failed.runId]);
  });

  it('keeps the latest run whose expansion completed however old, even behind newer failed runs', () => {
    const scope = runAt('2026-01-10', 'succeeded');
    const failed = runAt('2026-02-10', 'failed');

    expect(expiredRuns([failed, scope], before)).toEqual([failed]);
  });

  it('never deletes an active run or one whose held revocations wait for review', () => {
    const stuck = runAt('2026-01-01', 'running');
    const held = runAt('2026-01-02', 'needsReview');
    const reviewed = {
      ...runAt('2026-01-03', 'needsReview'),
      review: { decision: 'dismissed' as const, by: 'admin', at: '2026-01-04T00:00:00.000Z', applied: 0, skipped: 0 },
    };
    const queued = runAt('2026-01-04', 'queued');

    expect(expiredRuns([stuck, held, reviewed, queued], before)).toEqual([reviewed]);
  });

  it('dates a run by when it closed, not when it was claimed', () => {
    const scope = runAt('2026-09-05', 'succeeded');
    const closedLate = { ...runAt('2026-08-20', 'failed'), finishedAt: '2026-09-02T00:00:00.000Z' };

    expect(expiredRuns([scope, closedLate], before)).toEqual([]);
  });

  it("lets a deleted task's scope run go once its scope was revoked (keepScope false)", () => {
    const scope = runAt('2026-05-03', 'succeeded');
    const failed = runAt('2026-05-04', 'failed');

    expect(scopeRun([failed, scope])).toBe(scope);
    expect(expiredRuns([failed, scope], before, false)).toEqual([failed, scope]);
  });

  it('never takes an audit run for the task’s scope: its few mailboxes are not the scope, and it may go', () => {
    const scope = runAt('2026-05-03', 'succeeded');
    const audit = { ...runAt('2026-05-04', 'succeeded'), runId: auditRunId(new Date('2026-05-04T10:00Z')) };
    const auditRun = { ...audit, trigger: 'auditEvent' as const };

    expect(scopeRun([auditRun, scope])).toBe(scope);
    expect(expiredRuns([auditRun, scope], before)).toEqual([auditRun]);
  });
});
