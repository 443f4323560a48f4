import { promises as dns, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { ValidationError, WebhookError } from '../../errors.js';
import type { WebhookPort, WebhookResponse } from '../../ports/alerts.js';
import { addressRefusal } from './addressPolicy.js';

/** Every address a host name resolves to (production: the system resolver; a test makes a name resolve to 10.x). */
export type ResolveHost = (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;

/** The system resolver, all addresses (getaddrinfo: what a connection by name would use). */
export const systemResolve: ResolveHost = async (hostname) =>
  (await dns.lookup(hostname, { all: true, verbatim: true })) as LookupAddress[];

export interface WebhookClientOptions {
  /** ALERT_ALLOW_HTTP_LOOPBACK: admit `http://127.0.0.1[:port]` (the local host's receivers), nothing else. */
  allowHttpLoopback: boolean;
  resolve: ResolveHost;
  /** No TCP+TLS connection within this: the attempt fails. */
  connectTimeoutMs?: number;
  /** No response status within this after the request starts: the attempt fails. */
  responseTimeoutMs?: number;
}

/** A URL that passed every rule, with the one address the call will connect to. */
interface CheckedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

function refuse(url: string, why: string): ValidationError {
  const shown = url.length > 200 ? `${url.slice(0, 200)}…` : url;
  return new ValidationError('ALERT.UNSAFE_URL', `webhookUrl '${shown}' is refused: ${why}`, [
    { path: 'webhookUrl', message: why },
  ]);
}

/**
 * Outbound webhook calls that cannot be turned against the app's own network: `https://` only, no user info, every
 * address of the host public (checked when a rule is created and again before each call), the connection pinned to
 * the address checked (no second lookup: DNS rebinding cannot swap it), no redirects, short timeouts, and the
 * response body discarded unread.
 */
export class SafeWebhookClient implements WebhookPort {
  private readonly connectTimeoutMs: number;
  private readonly responseTimeoutMs: number;

  constructor(private readonly options: WebhookClientOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 10_000;
  }

  async check(url: string): Promise<void> {
    await this.target(url);
  }

  private async target(raw: string): Promise<CheckedTarget> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse(raw, 'it is not an absolute URL');
    }
    if (url.username || url.password) throw refuse(raw, 'it carries user info (user:password@); put no credentials');
    // The WHATWG parser has already turned decimal, octal and hex IPv4 forms (https://2130706433/) into dotted quads.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (url.protocol === 'http:') {
      if (this.options.allowHttpLoopback && host === '127.0.0.1') return { url, address: host, family: 4 };
      const why = this.options.allowHttpLoopback
        ? 'only https:// is accepted (http:// only for 127.0.0.1 in local mode)'
        : 'only https:// is accepted';
      throw refuse(raw, why);
    }
    if (url.protocol !== 'https:') throw refuse(raw, 'only https:// is accepted');
    const literal = isIP(host);
    if (literal) {
      const why = addressRefusal(host);
      if (why) throw refuse(raw, `${host} is ${why}`);
      return { url, address: host, family: literal as 4 | 6 };
    }
    let addresses: ReadonlyArray<{ address: string; family: number }>;
    try {
      addresses = await this.options.resolve(host);
    } catch (error) {
      throw refuse(raw, `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
    }
    if (addresses.length === 0) throw refuse(raw, `${host} does not resolve`);
    // Every address must pass: a name answering one public and one private address could connect to either.
    for (const { address } of addresses) {
      const why = addressRefusal(address);
      if (why) throw refuse(raw, `${host} resolves to ${address}, which is ${why}`);
    }
    const [first] = addresses;
    if (!first) throw refuse(raw, `${host} does not resolve`);
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  async post(raw: string, body: string, headers: Record<string, string>): Promise<WebhookResponse> {
    let target: CheckedTarget;
    try {
      target = await this.target(raw);
    } catch (error) {
      throw new WebhookError('WEBHOOK.FAILED', (error as Error).message, { cause: error });
    }
    const { url, address, family } = target;
    // The connection uses this address whatever the name resolves to now.
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return await new Promise<WebhookResponse>((resolve, reject) => {
      const fail = (why: string, cause?: unknown) =>
        reject(new WebhookError('WEBHOOK.FAILED', why, cause === undefined ? undefined : { cause }));
      const req = send(url, {
        method: 'POST',
        lookup: pinned,
        agent: false,
        timeout: this.connectTimeoutMs,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      });
      const overall = setTimeout(() => {
        req.destroy();
        fail(`no response within ${this.responseTimeoutMs} ms`);
      }, this.responseTimeoutMs);
      req.on('timeout', () => {
        req.destroy();
        fail(`no connection or data within ${this.connectTimeoutMs} ms`);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(overall);
        fail(`${error.code ?? 'network error'}: ${error.message}`, error);
      });
      req.on('response', (res) => {
        clearTimeout(overall);
        // Only the status counts: the body is discarded unread (never stored, never logged), redirects not followed.
        res.destroy();
        resolve({ status: res.statusCode ?? 0 });
      });
      req.end(body);
    });
  }
}
