import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, type NodeTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { SpanKind } from '@opentelemetry/api';
import { registerTracing } from '../../shared/adapters/telemetry/setup.js';
import { startTestApp, type TestApp } from '../support/app.js';

// Issue 21 (item 7): a run in the local host is ONE connected trace, from "run now" through its mps-expand message
// to every mps-mailbox message, with Graph, Exchange and Tables calls as dependency spans inside it. The trace
// context crosses each hop only in the message's application properties, as on Service Bus: the in-process queue
// delivers in its own async context, and the queue span takes its parent from the message alone.

let exporter: InMemorySpanExporter;
let provider: NodeTracerProvider;
let app: TestApp;

const ACTIVE = new Set(['queued', 'expanding', 'running']);

async function runToCompletion(taskId: string): Promise<string> {
  const started = await app.api('POST', `tasks/${taskId}/run`);
  expect(started.status).toBe(202);
  const runId = (started.json as { runId: string }).runId;
  const until = Date.now() + 20_000;
  for (;;) {
    const run = await app.api('GET', `tasks/${taskId}/runs/${runId}`, { role: 'Reader' });
    const status = String((run.json as { status: string }).status);
    if (!ACTIVE.has(status)) {
      expect(status).toBe('succeeded');
      break;
    }
    if (Date.now() > until) throw new Error(`run ${runId} still ${status} after 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await app.queue.idle();
  return runId;
}

const attr = (span: ReadableSpan, name: string) => span.attributes[name];
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing: a run in the local host is one connected trace', () => {
  beforeAll(async () => {
    exporter = new InMemorySpanExporter();
    provider = registerTracing(exporter);
    app = await startTestApp();
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await provider?.shutdown();
  });

  it('run now → mps-expand → each mps-mailbox, with Graph, Exchange and Tables dependency spans inside', async () => {
    const demo = app.sim.tenant.demo;
    const schedule = await app.api('POST', 'schedules', {
      body: { description: 'Nightly', type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
    });
    const scheduleId = (schedule.json as { id: string }).id;
    const mailboxes = [demo.alexId, demo.meganId];
    const task = await app.api('POST', 'tasks', {
      body: { description: 'Traced', scheduleId, target: { kind: 'mailboxes', mailboxes } },
    });
    expect(task.status).toBe(201);
    const taskId = (task.json as { id: string }).id;

    const runId = await runToCompletion(taskId);

    const spans = exporter.getFinishedSpans();
    const runNow = spans.filter((s) => s.name === 'runTaskNow');
    expect(runNow).toHaveLength(1);
    const root = runNow[0]!;
    const traceId = root.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const ids = new Set(inTrace.map((s) => s.spanContext().spanId));

    // Every span that names the run is in this one trace.
    const ofRun = spans.filter((s) => attr(s, 'mps.run_id') === runId);
    expect(ofRun.filter((s) => s.spanContext().traceId !== traceId).map((s) => s.name)).toEqual([]);

    // Connected: one root (the HTTP request), every other span's parent is a span of the same trace.
    expect(inTrace.filter((s) => !parentId(s)).map((s) => s.name)).toEqual(['runTaskNow']);
    expect(inTrace.filter((s) => parentId(s) && !ids.has(parentId(s)!)).map((s) => s.name)).toEqual([]);

    const expand = inTrace.filter((s) => s.name === 'expandTarget');
    expect(expand).toHaveLength(1);
    expect(expand[0]!.kind).toBe(SpanKind.CONSUMER);
    expect(expand[0]!.attributes).toMatchObject({
      'mps.run_id': runId,
      'mps.task_id': taskId,
      'mps.outcome': 'expanded',
    });

    const mailboxSpans = inTrace.filter((s) => s.name === 'syncMailbox');
    expect(mailboxSpans.map((s) => attr(s, 'mps.mailbox_id')).sort()).toEqual([...mailboxes].sort());
    for (const span of mailboxSpans) {
      expect(span.attributes).toMatchObject({ 'mps.run_id': runId, 'mps.task_id': taskId, 'mps.outcome': 'synced' });
      // Each mailbox's message was sent from the expansion: its span is a child of the expand span.
      expect(parentId(span)).toBe(expand[0]!.spanContext().spanId);
    }

    // Dependency spans (client kind) under the mailbox spans, named for an admin.
    const mailboxIds = new Set(mailboxSpans.map((s) => s.spanContext().spanId));
    const dependencies = inTrace.filter((s) => s.kind === SpanKind.CLIENT && mailboxIds.has(parentId(s)!));
    const names = new Set(dependencies.map((s) => s.name));
    expect(names).toContain('Exchange Get-MailboxPermission');
    expect(names).toContain('Graph GET /users/{id}/calendar/calendarPermissions');
    expect([...names].some((n) => n.startsWith('Tables '))).toBe(true);
    // No user id leaks into a dependency name.
    for (const id of mailboxes) expect([...names].join(' ').toLowerCase()).not.toContain(id.toLowerCase());
  }, 60_000);
});
