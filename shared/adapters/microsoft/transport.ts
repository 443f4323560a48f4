import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

/** The request shape the clients send (a subset of fetch's RequestInit). */
/** No answer within the transport's timeout: what an overloaded service does instead of answering 429. */
export class ResponseTimeoutError extends Error {
  override name = 'ResponseTimeoutError';
  constructor(timeoutMs: number) {
    super(`no response within ${timeoutMs} ms`);
  }
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fetch-compatible function; the global `fetch` satisfies it, and so does `createHttpsFetch`. */
export type FetchLike = (url: string, init: FetchInit) => Promise<Response>;

export interface HttpsFetchOptions {
  /** Extra CA certificate(s) in PEM to trust (a local simulator's self-signed certificate). */
  ca?: string;
  /** No response within this time → the request fails as a network error. */
  timeoutMs?: number;
  maxSockets?: number;
}

export interface HttpsFetch {
  fetch: FetchLike;
  /** The keep-alive agent, shared with @azure/identity so token requests trust the same CA. */
  agent: https.Agent;
  close(): void;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * fetch over `node:https` with an explicit CA. Node's global fetch (undici) ignores `https.Agent` and
 * reads NODE_EXTRA_CA_CERTS only at process start, so a vitest worker or a process that starts the
 * simulator itself cannot make global fetch trust it; an agent with `ca` works everywhere.
 */
export function createHttpsFetch(options: HttpsFetchOptions = {}): HttpsFetch {
  const ca = options.ca;
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 128,
    // `ca` replaces the default trust store, so keep the public roots for real Microsoft endpoints.
    ...(ca ? { ca: [...rootCertificates, ca] } : {}),
  });
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 128 });
  const timeoutMs = options.timeoutMs ?? 100_000;

  const fetchImpl: FetchLike = (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const isHttps = target.protocol === 'https:';
      const headers: Record<string, string> = { ...init.headers };
      if (init.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(init.body));
      const request = (isHttps ? https : http).request(
        target,
        { method: init.method, headers, agent: isHttps ? agent : httpAgent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('aborted', () => reject(new Error('response aborted')));
          response.on('end', () => {
            if (!response.complete) {
              reject(new Error('connection closed before the response was complete'));
              return;
            }
            const status = response.statusCode ?? 0;
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(response.headers)) {
              if (value === undefined) continue;
              responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
            }
            try {
              resolve(
                new Response(NULL_BODY_STATUS.has(status) ? null : Buffer.concat(chunks), {
                  status,
                  statusText: response.statusMessage ?? '',
                  headers: responseHeaders,
                }),
              );
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        },
      );
      request.setTimeout(timeoutMs, () => request.destroy(new ResponseTimeoutError(timeoutMs)));
      request.on('error', reject);
      if (init.body !== undefined) request.write(init.body);
      request.end();
    });

  return {
    fetch: fetchImpl,
    agent,
    close: () => {
      agent.destroy();
      httpAgent.destroy();
    },
  };
}
