import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// The webhook receiver the alert e2e tests deliver to, and its side of the signature contract (docs/operations.md,
// "Alerts").

/** One POST the receiver got: its raw body (what the signature covers) and that body parsed. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: {
    ruleId: string;
    deliveryId: string;
    test?: boolean;
    event: null | {
      mailbox: { id: string };
      delegate: { id: string };
      right: string;
      source: string;
      via: Array<{ kind: string; id?: string }>;
      actor: null | string;
      observedBy: string;
      runId: null | string;
    };
  };
}

/** A webhook receiver on 127.0.0.1 that can go down (connections refused) and come back on the same port. */
export class Receiver {
  readonly received: Received[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        raw += chunk;
      });
      req.on('end', () => {
        this.received.push({
          path: req.url ?? '',
          headers: req.headers,
          raw,
          body: JSON.parse(raw) as Received['body'],
        });
        if (req.url === '/redirect') {
          res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
        } else {
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('a receiver body the app must never keep');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  forRule(ruleId: string): Received[] {
    return this.received.filter((r) => r.body.ruleId === ruleId);
  }
}

/** The receiver's side of the contract: HMAC-SHA256 of the raw body with the shared secret. */
export function signatureValid(r: Received, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(r.raw).digest('hex')}`);
  const given = Buffer.from(String(r.headers['x-mps-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
