import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/globalSetup.ts'],
    // The end-to-end files mostly wait (simulated Microsoft latency, queue redelivery delays): on a 2-core machine
    // vitest's default of one worker per core less one ran them one by one (~800 s); three at once take ~520 s.
    // Under that contention a 12 s end-to-end test can take 30 s, hence the minute per test.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    testTimeout: 60_000,
    // expect.poll waits for something the app does (a run closing, the console showing its outcome): its 1 s
    // default was too short for applying 25 held revocations while two other files ran (CI, 2026-12-06).
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 90_000,
    pool: 'forks',
  },
});
