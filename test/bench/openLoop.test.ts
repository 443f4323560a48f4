import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openLoop } from '../../bench/lookups.js';

let server: http.Server | undefined;

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

describe('open-loop lookup load', () => {
  it('offers the rate whatever the answers take, and times each request from when it was due', async () => {
    const seen: string[] = [];
    const url = await serve((request, response) => {
      seen.push(`${request.url} ${request.headers.authorization}`);
      setTimeout(() => response.end(request.url === '/missing' ? undefined : 'x'.repeat(100)), 40);
      if (request.url === '/missing') response.statusCode = 404;
    });
    const result = await openLoop(url, { Authorization: 'Bearer t' }, ['/a', '/b', '/missing'], 60, 2, 7);
    // A Poisson count over 2 s at 60/s: mean 120, standard deviation about 11.
    expect(result.requests).toBeGreaterThan(80);
    expect(result.requests).toBeLessThan(160);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(seen.filter((s) => s.startsWith('/missing')).length);
    expect(result.non2xx).toBeGreaterThan(0);
    expect(seen.every((s) => s.endsWith(' Bearer t'))).toBe(true);
    expect(result.latencyMs.p50).toBeGreaterThanOrEqual(40);
    expect(result.latencyMs.p50).toBeLessThan(200);
    // 40 ms answers at 60/s: more than one request is in flight at times, which a closed loop of 1 never shows.
    expect(result.connections).toBeGreaterThan(1);
    expect(result.meanResponseBytes).toBeGreaterThan(60);
  });

  it('charges a stall to every request it delayed, not only to the one that hit it', async () => {
    let count = 0;
    const url = await serve((_request, response) => {
      count += 1;
      if (count === 20) {
        const until = Date.now() + 400;
        while (Date.now() < until); // the process stops answering (and sending) for 400 ms
      }
      response.end('ok');
    });
    const result = await openLoop(url, {}, ['/x'], 50, 2, 3);
    // About 20 requests fall due during the stall; each waits for what is left of it.
    expect(result.latencyMs.max).toBeGreaterThanOrEqual(390);
    expect(result.latencyMs.p90).toBeGreaterThan(50);
    expect(result.requests).toBeGreaterThan(60);
  });

  it('counts a refused connection as an error, not as a fast answer', async () => {
    await serve((_request, response) => response.end());
    const port = (server!.address() as AddressInfo).port;
    server!.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const result = await openLoop(`http://127.0.0.1:${port}`, {}, ['/x'], 20, 0.5, 1);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.requests).toBe(0);
    expect(result.latencyMs.p99).toBe(0);
  });
});
