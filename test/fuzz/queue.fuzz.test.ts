import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { QUEUES } from '../../shared/ports/queue.js';
import { captureLogger, createTask, startHarness, startRun, tableDump, type Harness } from '../faults/harness.js';

/**
 * Bad queue bodies (a buggy or hostile sender, a message from an older version): each one ends in the dead-letter
 * handler with a reason in the log, or is ignored as naming nothing we know; the host survives and no stored row
 * changes.
 */

let app: Harness;
let lines: string[];
let fixture: {
  taskId: string;
  runId: string;
  itemIds: string[];
  mailboxRef: { id: string; upn: string; address: string; displayName: string };
};

beforeAll(async () => {
  const capture = captureLogger();
  lines = capture.lines;
  app = await startHarness({
    simulator: { seed: 31, mailboxes: 20 },
    logger: capture.logger,
    queue: new InProcessQueue({ redeliveryDelayMs: 1 }),
  });
  const taskId = await createTask(app);
  const runId = await startRun(app, taskId);
  await app.settle();
  const itemIds: string[] = [];
  for await (const item of app.services.repos.runs.allItems(taskId, runId)) itemIds.push(item.mailboxId);
  const alex = app.sim.tenant.users.get(app.sim.tenant.demo.alexId)!;
  fixture = {
    taskId,
    runId,
    itemIds,
    mailboxRef: { id: alex.id, upn: alex.userPrincipalName, address: alex.mail!, displayName: alex.displayName },
  };
  expect(itemIds.length).toBeGreaterThan(5);
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

const guid = fc.uuid();
const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/), guid);
const anyBody = fc.oneof(
  fc.jsonValue(),
  fc.string({ maxLength: 100 }),
  fc.constantFrom('{', '{"taskId":', 'null', '[]', '""', '\u0000', '{"__proto__":{"polluted":true}}'),
  fc.object(),
);

/** Mailbox messages that are nearly right: one field missing or wrong, or right in shape but naming nothing we know. */
function mailboxBodies() {
  const valid = () => ({
    taskId: fixture.taskId,
    runId: fixture.runId,
    mailbox: fixture.mailboxRef,
    rights: ['FullAccess', 'SendAs'],
    throttleRetries: 0,
  });
  return fc.oneof(
    anyBody,
    fc
      .record({
        field: fc.constantFrom('taskId', 'runId', 'mailbox', 'rights', 'throttleRetries', 'prefetched', 'extra'),
        value: fc.oneof(fc.jsonValue(), id),
      })
      .map(({ field, value }) => ({ ...valid(), [field]: value })),
    fc
      .record({
        field: fc.constantFrom('id', 'upn', 'address', 'displayName'),
        value: fc.oneof(fc.jsonValue(), fc.string({ maxLength: 400 })),
      })
      .map(({ field, value }) => ({ ...valid(), mailbox: { ...fixture.mailboxRef, [field]: value } })),
    // Well formed, but for a task/run that does not exist, or a mailbox that is not an item of the run.
    fc.record({ taskId: id, runId: id }).map((ids) => ({ ...valid(), ...ids })),
    guid.map((mailboxId) => ({ ...valid(), mailbox: { ...fixture.mailboxRef, id: mailboxId } })),
    fc.constant(null).map(() => valid()), // alex, not an item of this run? (it is: settled already → ignored)
    fc
      .constantFrom(...fixture.itemIds)
      .map((itemId) => ({ ...valid(), mailbox: { ...fixture.mailboxRef, id: itemId } })),
  );
}

function expandBodies() {
  return fc.oneof(
    anyBody,
    fc.record({ taskId: id, runId: id }),
    fc.record({ taskId: fc.constant(fixture.taskId), runId: id }),
    fc.constant({ taskId: fixture.taskId, runId: fixture.runId }), // finished run: ignored
    fc.record({ taskId: fc.constant(fixture.taskId), runId: fc.constant(fixture.runId), extra: fc.jsonValue() }),
  );
}

function newLines(from: number): Array<Record<string, unknown>> {
  return lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('queue handlers under random message bodies (fast-check)', () => {
  it('mps-mailbox and mps-expand: each bad body dead-letters with a reason or is ignored; ' +
    'stored data unchanged; host alive', async () => {
    const before = await tableDump(app.tablesConnectionString, app.tablesPrefix);
    expect(Object.keys(before).length).toBeGreaterThan(5);
    let deadLettered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mailboxBodies().map((body) => ({ queue: QUEUES.mailbox, body })),
          expandBodies().map((body) => ({ queue: QUEUES.expand, body })),
        ),
        async ({ queue, body }) => {
          const mark = lines.length;
          await app.queue.send(queue, { body });
          await app.queue.idle();
          const logged = newLines(mark);
          const dead = logged.filter((l) => /dead-letter/i.test(String(l.msg)));
          const ignored = logged.filter((l) =>
            /ignored|alreadySettled|does not exist|notActive/i.test(JSON.stringify(l)),
          );
          expect(
            dead.length + ignored.length,
            `${queue} ${JSON.stringify(body)?.slice(0, 300)}: neither dead-lettered nor ignored; ` +
              `logged ${JSON.stringify(logged).slice(0, 500)}`,
          ).toBeGreaterThan(0);
          for (const d of dead) expect(JSON.stringify(d)).toMatch(/invalid|must|required|expected|reason|Gave up/i);
          deadLettered += dead.length > 0 ? 1 : 0;
          expect(app.queue.deadLetters(queue)).toEqual([]); // consumed by the dead-letter handler, nothing parked
        },
      ),
      { numRuns: 150, seed: Number(process.env.FUZZ_SEED ?? 4242), endOnFailure: true },
    );
    expect(deadLettered).toBeGreaterThan(40);
    expect(await tableDump(app.tablesConnectionString, app.tablesPrefix)).toEqual(before);
    expect((await app.api('GET', 'health', { token: null })).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 180_000);
});
