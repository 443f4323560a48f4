import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { buildRepositories, type TableRepositories } from '../../shared/composition.js';
import { freshTables } from './tables.js';
import { RecordingAlertRaiser } from './memory/deps.js';

/** A movable clock for timer tests. */
export class TestClock {
  constructor(private current: Date) {}
  now = (): Date => new Date(this.current);
  set(iso: string): void {
    this.current = new Date(iso);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * Repositories on fresh Azurite tables, an in-process queue with no consumers (messages just collect), a clock,
 * and the hold rule a run's close applies (REVOCATION_HOLD_PERCENT's default).
 */
export function freshDeps(startIso = '2026-03-02T10:00:00Z'): {
  repos: TableRepositories;
  queue: InProcessQueue;
  clock: TestClock;
  now: () => Date;
  settings: { revocationHoldPercent: number };
  alerts: { raiser: RecordingAlertRaiser };
} {
  const clock = new TestClock(new Date(startIso));
  return {
    repos: buildRepositories(freshTables()),
    queue: new InProcessQueue(),
    clock,
    now: clock.now,
    settings: { revocationHoldPercent: 20 },
    alerts: { raiser: new RecordingAlertRaiser() },
  };
}
