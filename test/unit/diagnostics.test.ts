import { describe, expect, it } from 'vitest';
import { PermanentUpstreamError, RetryableError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logging.js';
import type { MicrosoftPorts } from '../../shared/ports/microsoft.js';
import type { OutgoingMessage, QueueSender } from '../../shared/ports/queue.js';
import type { StorageProbe, UseCaseSettings } from '../../shared/ports/services.js';
import { checkHealth } from '../../shared/usecases/checkHealth.js';
import { runDiagnostics } from '../../shared/usecases/diagnostics.js';
import { fakeMicrosoftPorts } from '../contract/fakes.js';
import { FakeAuditFeed } from '../support/auditFeed.js';

const settings: UseCaseSettings = {
  runTimeoutMinutes: 60,
  revocationHoldPercent: 20,
  historyRetentionDays: 400,
  queueTransport: 'inProcess',
};

const reachable: StorageProbe = { ping: async () => {} };

function queue(ping: () => Promise<void> = async () => {}): QueueSender {
  return {
    send: async (_name: string, _messages: OutgoingMessage | readonly OutgoingMessage[]) => {},
    ping,
    close: async () => {},
  };
}

/** A logger writing JSON lines into an array. */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', {
    write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

const NOW = new Date('2026-03-09T12:00:00Z');

function diagnose(microsoft: MicrosoftPorts, storage = reachable) {
  const feed = new FakeAuditFeed(() => NOW);
  feed.subscription = 'enabled';
  return runDiagnostics({
    microsoft: () => microsoft,
    auditFeed: () => feed,
    storage,
    queue: queue(),
    settings,
    now: () => NOW,
  });
}

const statusOf = (report: Awaited<ReturnType<typeof runDiagnostics>>, name: string) =>
  report.checks.find((c) => c.name === name);

describe('diagnostics', () => {
  it('passes every check when the ports answer', async () => {
    const report = await diagnose(fakeMicrosoftPorts());
    expect(report.status).toBe('pass');
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['graphToken', 'pass'],
      ['exchangeToken', 'pass'],
      ['graphReadGroup', 'pass'],
      ['exchangeGetMailboxPermission', 'pass'],
      ['tables', 'pass'],
      ['queue', 'pass'],
      ['managementToken', 'pass'],
      ['auditSubscription', 'pass'],
      ['auditContent', 'pass'],
    ]);
  });

  // Regression: with injected clients the token checks used to pass without asking for a token.
  it.each([
    ['graphToken', { graph: { acquireToken: () => Promise.reject(new Error('AADSTS7000215: invalid secret')) } }],
    ['exchangeToken', { exchange: { acquireToken: () => Promise.reject(new Error('AADSTS700016: unknown app')) } }],
  ] as const)('fails %s when the port cannot obtain a token, naming the credential fix', async (name, overrides) => {
    const report = await diagnose(fakeMicrosoftPorts(overrides));
    expect(report.status).toBe('fail');
    expect(statusOf(report, name)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^AADSTS/),
      fix: expect.stringMatching(/AZURE_TENANT_ID and AZURE_CLIENT_ID/),
    });
  });

  it('names the Exchange role fix when Get-MailboxPermission is forbidden', async () => {
    const forbidden = new PermanentUpstreamError('EXCHANGE.FORBIDDEN', 'Get-MailboxPermission: 403');
    const report = await diagnose(
      fakeMicrosoftPorts({ exchange: { getMailboxPermission: () => Promise.reject(forbidden) } }),
    );
    expect(statusOf(report, 'exchangeGetMailboxPermission')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/View-Only Recipients/),
    });
  });

  it('fails the tables check when the storage probe fails', async () => {
    const report = await diagnose(fakeMicrosoftPorts(), { ping: () => Promise.reject(new Error('ECONNREFUSED')) });
    expect(statusOf(report, 'tables')).toMatchObject({ status: 'fail', detail: 'ECONNREFUSED' });
  });
});

describe('health', () => {
  it('answers ok without logging when tables and queue answer', async () => {
    const { logger, lines } = capturedLogger();
    const report = await checkHealth({ storage: reachable, queue: queue(), logger });
    expect(report).toEqual({ status: 'ok', checks: { config: 'pass', tables: 'pass', queue: 'pass' } });
    expect(lines).toEqual([]);
  });

  it('logs why a check failed (check, code, message) while the answer says only fail', async () => {
    const { logger, lines } = capturedLogger();
    const outage = new RetryableError('TABLE.UNAVAILABLE', 'Table Storage answered 503');
    const report = await checkHealth({ storage: { ping: () => Promise.reject(outage) }, queue: queue(), logger });
    expect(report).toEqual({ status: 'degraded', checks: { config: 'pass', tables: 'fail', queue: 'pass' } });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        check: 'tables',
        code: 'TABLE.UNAVAILABLE',
        error: 'Table Storage answered 503',
      }),
    ]);
  });

  it('logs a probe that does not answer in time as a timeout', async () => {
    const { logger, lines } = capturedLogger();
    const never = () => new Promise<void>(() => {});
    const report = await checkHealth({ storage: reachable, queue: queue(never), logger }, 20);
    expect(report.checks.queue).toBe('fail');
    expect(lines).toEqual([expect.objectContaining({ check: 'queue', error: 'no answer within 20 ms' })]);
  });
});
