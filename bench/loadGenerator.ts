/**
 * The benchmark's load generator, a process of its own so that neither the simulator's heap nor the benchmark's
 * bookkeeping share its event loop. It runs one job from bench/lookups.ts (sent over IPC) and exits.
 */
import { runLoadJob, type LoadEvent, type LoadJob } from './lookups.js';

const tell = (event: LoadEvent) => process.send?.(event);

process.once('message', (job: LoadJob) => {
  runLoadJob(job, tell).then(
    () => process.send?.({ type: 'finished' } satisfies LoadEvent, () => process.disconnect()),
    (error: unknown) => process.send?.({ type: 'failed', error: error instanceof Error ? error.message : String(error) } satisfies LoadEvent, () => process.disconnect()),
  );
});
