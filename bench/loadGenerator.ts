/**
 * The benchmark's load generator, a process of its own so that neither the simulator's heap nor the benchmark's
 * bookkeeping share its event loop. It runs one job from bench/lookups.ts (sent over IPC) and exits; it also
 * exits when the benchmark goes away (its time limit, Ctrl-C) rather than load a host nobody measures.
 */
import { runLoadJob, type LoadEvent, type LoadJob } from './lookups.js';

const tell = (event: LoadEvent, then: () => void = () => undefined) => {
  if (process.connected) process.send?.(event, then);
};

process.once('disconnect', () => process.exit(0));
process.once('message', (job: LoadJob) => {
  runLoadJob(job, tell).then(
    () => tell({ type: 'finished' }, () => process.disconnect()),
    (error: unknown) =>
      tell({ type: 'failed', error: error instanceof Error ? error.message : String(error) }, () =>
        process.disconnect(),
      ),
  );
});
