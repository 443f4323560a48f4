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
  configureServices(
    buildServices(
      loadConfig({
        TABLES_CONNECTION_STRING: inject('tablesConnectionString'),
        TABLES_PREFIX: 'hostregress',
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

describe(
  "regression: the local host's own 404/405/413/400 answers " +
    "lacked the API's security headers (CSP, no-store, framing)",
  () => {
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
  },
);

describe(
  'regression: after a 413 for an oversized body the local host left the connection open mid-upload, ' +
    'so the 413 or the next request on it failed with ECONNRESET',
  () => {
    it('twelve oversized uploads in a row each get their 413 (Connection: close), ' +
      'and a request after each succeeds', async () => {
      for (let i = 0; i < 12; i++) {
        const tooLarge = await fetch(url('/api/schedules'), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: new Uint8Array(2 * 1024 * 1024),
          signal: AbortSignal.timeout(10_000),
        });
        await tooLarge.text();
        expect(tooLarge.status).toBe(413);
        expect(tooLarge.headers.get('connection')).toBe('close');
        const next = await fetch(url('/api/health'), { signal: AbortSignal.timeout(10_000) });
        await next.text();
        expect(next.status).toBe(200);
      }
    }, 60_000);
  },
);

describe(
  'regression: delegate lookups (tenant delegation data) were sent as cacheable ("private, no-cache") ' +
    "against the API's no-store policy",
  () => {
    it('a lookup answer and its 304 are no-store and still carry the ETag for revalidation', async () => {
      const { withEtag } = await import('../../shared/host/etag.js');
      const { default: azureFunctions } = await import('@azure/functions');
      const first = withEtag(
        new azureFunctions.HttpRequest({ method: 'GET', url: 'http://localhost/api/me/delegate-mailboxes' }),
        { json: { items: [] } },
      );
      expect(first.headers).toMatchObject({ 'Cache-Control': 'no-store', ETag: expect.stringMatching(/^".+"$/) });
      const again = withEtag(
        new azureFunctions.HttpRequest({
          method: 'GET',
          url: 'http://localhost/api/me/delegate-mailboxes',
          headers: { 'If-None-Match': first.headers!.ETag! },
        }),
        { json: { items: [] } },
      );
      expect(again).toMatchObject({ status: 304, headers: { 'Cache-Control': 'no-store' } });
    });
  },
);
