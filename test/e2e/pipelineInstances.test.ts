import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectedDelegations } from '../support/expected.js';
import { sortedEntries, storedFor } from '../support/indexes.js';

let app: TestApp;

/** Requests each app instance's own Microsoft clients made (their limiters count them). */
function callsPerInstance(): number[] {
  return app.instances.map((services) => {
    const limiters = services.microsoft().limiters;
    return limiters ? limiters.graph.stats().successes + limiters.exchange.stats().successes : 0;
  });
}

describe('LOCAL_INSTANCES=3: isolated app instances consume the one queue (docs/pacing.md)', () => {
  beforeAll(async () => {
    app = await startTestApp({ env: { LOCAL_INSTANCES: '3' } });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('completes a run with exactly the delegations the tenant grants, its work spread over the instances', async () => {
    // Arrange
    const schedule = await app.api('POST', 'schedules', {
      body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'Europe/London' },
    });
    const task = await app.api('POST', 'tasks', {
      body: {
        description: 'All staff',
        scheduleId: (schedule.json as { id: string }).id,
        target: { kind: 'group', groupId: app.sim.tenant.demo.targetGroupId },
      },
    });
    const taskId = (task.json as { id: string }).id;

    // Act
    const started = await app.api('POST', `tasks/${taskId}/run`);
    expect(started.status).toBe(202);
    const { runId } = started.json as { runId: string };
    await app.settle();

    // Assert
    const run = (await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' })).json as Record<
      string,
      unknown
    >;
    expect(run).toMatchObject({ status: 'succeeded', mailboxesFailed: 0 });
    expect(run.mailboxesDone).toBe(run.mailboxesTotal);
    const expected = expectedDelegations(app.sim.tenant, app.sim.tenant.demo.targetGroupId);
    expect(sortedEntries(await storedFor(app))).toEqual(sortedEntries(expected));
    expect(app.instances).toHaveLength(3);
    expect(new Set(app.instances.map((s) => s.microsoft())).size).toBe(3);
    expect(callsPerInstance().filter((calls) => calls > 0).length).toBeGreaterThan(1);
  }, 120_000);
});
