import type { Services } from '../composition.js';
import { QUEUES } from '../ports/queue.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: { config: 'pass'; tables: 'pass' | 'fail'; queue: 'pass' | 'fail' };
}

async function passes(probe: () => Promise<unknown>, timeoutMs: number): Promise<'pass' | 'fail'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return 'pass';
  } catch {
    return 'fail';
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness: config loaded, tables and queue reachable. Reports pass/fail only: no secrets, no tenant data. */
export async function checkHealth(services: Services, timeoutMs = 5_000): Promise<HealthReport> {
  const [tables, queue] = await Promise.all([
    passes(() => services.tables.store('Runs').page({ top: 1 }), timeoutMs),
    passes(() => services.queue.ping(QUEUES.expand), timeoutMs),
  ]);
  return {
    status: tables === 'pass' && queue === 'pass' ? 'ok' : 'degraded',
    checks: { config: 'pass', tables, queue },
  };
}
