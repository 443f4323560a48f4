import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokenSource } from '../../shared/adapters/microsoft/credentials.js';
import { AdaptiveLimiter, EXCHANGE_LIMITS } from '../../shared/adapters/microsoft/limiter.js';
import { sendOnce, type ServiceContext } from '../../shared/adapters/microsoft/serviceHttp.js';
import { createHttpsFetch, type HttpsFetch } from '../../shared/adapters/microsoft/transport.js';

// Exchange pacing (docs/pacing.md): a request that gets no answer in time is what an overloaded service does
// instead of answering 429, so it lowers the rate; a reset connection says nothing about load and does not.

let server: http.Server;
let base: string;
let transport: HttpsFetch;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/reset') req.socket.destroy();
    // '/silent' never answers: the transport's timeout fires.
    else if (req.url !== '/silent') res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  transport = createHttpsFetch({ timeoutMs: 150 });
});

afterAll(async () => {
  transport.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function context(): ServiceContext {
  const credential = { getToken: async () => ({ token: 'token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  return {
    service: 'exchange',
    fetch: transport.fetch,
    tokens: new AccessTokenSource(() => credential, 'https://outlook.office365.com/.default'),
    limiter: new AdaptiveLimiter({ name: 'exchange', ...EXCHANGE_LIMITS }),
    retry: { maxAttempts: 1, maxTotalWaitMs: 0, baseDelayMs: 0, maxDelayMs: 0 },
    tokenHosts: new Set(['127.0.0.1']),
  };
}

async function rateAfterFailing(path: string): Promise<{ before: number; after: number; code: string }> {
  const ctx = context();
  const before = ctx.limiter.stats().ratePerSecond!;
  const error = await sendOnce(ctx, {
    method: 'POST',
    url: `${base}${path}`,
    body: '{}',
    operation: 'Get-Mailbox',
  }).then(
    () => undefined,
    (e: unknown) => e as { code: string },
  );
  return { before, after: ctx.limiter.stats().ratePerSecond!, code: error?.code ?? 'no error' };
}

describe('what an unanswered Exchange request does to the pace', () => {
  it('a timeout lowers the rate', async () => {
    const { before, after, code } = await rateAfterFailing('/silent');
    expect(code).toBe('EXCHANGE.NETWORK');
    expect(after).toBeLessThan(before);
  });

  it('a reset connection is retried at the same pace', async () => {
    const { before, after, code } = await rateAfterFailing('/reset');
    expect(code).toBe('EXCHANGE.NETWORK');
    expect(after).toBe(before);
  });
});
