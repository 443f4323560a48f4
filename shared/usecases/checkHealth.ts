import { AppError } from '../errors.js';
import type { Logger } from '../logging.js';
import { QUEUES } from '../ports/queue.js';
import type { UseCaseDeps } from '../ports/services.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: { config: 'pass'; tables: 'pass' | 'fail'; queue: 'pass' | 'fail' };
}

export type HealthDeps = Pick<UseCaseDeps, 'storage' | 'queue' | 'logger'>;

/**
 * Runs one probe with a deadline. The answer says only pass/fail (health is anonymous); why a probe failed goes
 * to the log, where an operator can see which dependency is down and how.
 */
async function passes(
  check: 'tables' | 'queue',
  probe: () => Promise<unknown>,
  timeoutMs: number,
  logger: Logger,
): Promise<'pass' | 'fail'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'pass';
  } catch (error) {
    logger.warn(
      {
        check,
        ...(error instanceof AppError ? { code: error.code } : {}),
        error: error instanceof Error ? error.message : String(error),
      },
      `health: the ${check} check failed`,
    );
    return 'fail';
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness: config loaded, tables and queue reachable. Reports pass/fail only: no secrets, no tenant data. */
export async function checkHealth(deps: HealthDeps, timeoutMs = 5_000): Promise<HealthReport> {
  const [tables, queue] = await Promise.all([
    passes('tables', () => deps.storage.ping(), timeoutMs, deps.logger),
    passes('queue', () => deps.queue.ping(QUEUES.expand), timeoutMs, deps.logger),
  ]);
  return {
    status: tables === 'pass' && queue === 'pass' ? 'ok' : 'degraded',
    checks: { config: 'pass', tables, queue },
  };
}
