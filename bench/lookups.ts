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
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
}

/** Load-tests one lookup route with autocannon (Reader token, paths cycled) and returns its latency figures. */
export async function measureLookups(baseUrl: string, token: string, target: LookupTarget, options: { connections: number; durationSeconds: number }): Promise<LookupResult> {
  let next = 0;
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.durationSeconds,
    headers: { Authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({ ...request, path: target.paths[next++ % target.paths.length] }),
      },
    ],
  });
  return {
    route: target.name,
    distinctPaths: target.paths.length,
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: Math.round(result.latency.mean * 100) / 100 },
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
