import autocannon from 'autocannon';

export interface LookupTarget {
  name: string;
  /** Paths under the host, cycled through so each request asks for another user or mailbox. */
  paths: string[];
}

export interface LookupResult {
  route: string;
  distinctPaths: number;
  connections: number;
  durationSeconds: number;
  /** Seconds of the same load run first and not counted. */
  warmupSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Response bytes (headers and body) per request: a route's cost grows with what it returns. */
  meanResponseBytes: number;
  non2xx: number;
  errors: number;
}

/**
 * Load-tests one lookup route with autocannon (Reader token, paths cycled) and returns its latency figures. The
 * same load runs for `warmupSeconds` first, uncounted: the first route measured otherwise paid for the host's JIT
 * and connection set-up (p99 about twice that of the same route measured again).
 */
export async function measureLookups(baseUrl: string, token: string, target: LookupTarget, options: { connections: number; durationSeconds: number; warmupSeconds: number }): Promise<LookupResult> {
  let next = 0;
  const load = (duration: number) =>
    autocannon({
      url: baseUrl,
      connections: options.connections,
      duration,
      headers: { Authorization: `Bearer ${token}` },
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => ({ ...request, path: target.paths[next++ % target.paths.length] }),
        },
      ],
    });
  if (options.warmupSeconds > 0) await load(options.warmupSeconds);
  const result = await load(options.durationSeconds);
  return {
    route: target.name,
    distinctPaths: target.paths.length,
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: Math.round(result.latency.mean * 100) / 100 },
    meanResponseBytes: result.requests.total > 0 ? Math.round(result.throughput.total / result.requests.total) : 0,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
