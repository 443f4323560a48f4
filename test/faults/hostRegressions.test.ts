import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/host/localHost.js';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { buildServices, configureServices } from '../../shared/composition.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logging.js';

let host: LocalHost;

beforeAll(async () => {
  const logger = createLogger('silent');
  const queue = new InProcessQueue();
  configureServices(buildServices(loadConfig({ TABLES_CONNECTION_STRING: inject('tablesConnectionString'), TABLES_PREFIX: 'hostregress', LOG_LEVEL: 'silent' }), { queue, logger }));
  host = await startLocalHost({ port: 0, queue, logger, timers: false });
});

afterAll(async () => {
  await host?.stop();
});

const url = (p: string) => `http://127.0.0.1:${host.port}${p}`;

describe("regression: the local host's own 404/405/413/400 answers lacked the API's security headers (CSP, no-store, framing)", () => {
  it.each([
    ['404', '/api/nope', { method: 'GET' }],
    ['405', '/api/health', { method: 'DELETE' }],
    ['400', '/api/users/%E0%A4%A/delegate-mailboxes', { method: 'GET' }],
  ])('%s', async (_name, path, init) => {
    const response = await fetch(url(path), init);
    await response.text();
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
