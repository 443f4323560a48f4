import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host/localHost.js';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { buildServices, configureServices } from '../../shared/composition.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logging.js';

let host: LocalHost;
const logger = createLogger('silent');

beforeAll(async () => {
  const queue = new InProcessQueue();
  configureServices(
    buildServices(
      loadConfig({
        TABLES_CONNECTION_STRING: inject('tablesConnectionString'),
        TABLES_PREFIX: 'hosttest',
        LOG_LEVEL: 'silent',
      }),
      { queue, logger },
    ),
  );
  host = await startLocalHost({ port: 0, queue, logger, timers: false });
});

afterAll(async () => {
  await host?.stop();
});

const url = (p: string) => `http://127.0.0.1:${host.port}${p}`;

describe('local host', () => {
  it('serves /api/health through its real HTTP server with security headers', async () => {
    const response = await fetch(url('/api/health'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { config: 'pass', tables: 'pass', queue: 'pass' } });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it(
    'registers every function file: HTTP routes, ' +
      'both timers and the queue triggers with their dead-letter handlers',
    () => {
      const names = host.definitions.map((d) => `${d.kind}:${d.name}`);
      expect(names).toEqual(
        expect.arrayContaining([
          'timer:evaluateSchedules',
          'timer:finalizeRuns',
          'queue:expandTarget',
          'queue:syncMailbox',
          'queue:syncMailboxDeadLetter',
          'queue:expandTargetDeadLetter',
          'http:health',
        ]),
      );
      const queues = host.definitions.flatMap((d) => (d.kind === 'queue' ? [d.queueName] : []));
      expect(queues).toEqual(
        expect.arrayContaining([
          'mps-expand',
          'mps-mailbox',
          'mps-mailbox/$deadletterqueue',
          'mps-expand/$deadletterqueue',
        ]),
      );
    },
  );

  it('answers unknown paths with 404 and wrong methods with 405, as problem+json', async () => {
    const missing = await fetch(url('/api/nope'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/problem\+json/);
    const wrongMethod = await fetch(url('/api/health'), { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
  });

  it('refuses to start on a port that is taken, naming the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startLocalHost({ port, queue: new InProcessQueue(), logger, timers: false })).rejects.toThrow(
        `Port ${port} is already in use`,
      );
    } finally {
      blocker.close();
    }
  });
});
