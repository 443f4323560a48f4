import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addressRefusal } from '../../shared/adapters/webhook/addressPolicy.js';
import { SafeWebhookClient, type ResolveHost } from '../../shared/adapters/webhook/webhookClient.js';
import { ValidationError, WebhookError } from '../../shared/errors.js';

// The outbound rules of alert webhooks (docs/operations.md, "Alerts"). No traffic leaves 127.0.0.1: names resolve
// through a fake resolver, and the only server is the local receiver below.

const PUBLIC = '93.184.215.14';

/** A resolver that answers from a table, and counts how often it was asked (the pin means once per call). */
function resolver(table: Record<string, string[]>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

const client = (table: Record<string, string[]> = {}, allowHttpLoopback = false) =>
  new SafeWebhookClient({
    allowHttpLoopback,
    resolve: resolver(table),
    connectTimeoutMs: 500,
    responseTimeoutMs: 1000,
  });

async function refusal(c: SafeWebhookClient, url: string): Promise<ValidationError> {
  const error = await c.check(url).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toMatchObject({ code: 'ALERT.UNSAFE_URL' });
  return error as ValidationError;
}

describe('addressRefusal', () => {
  it.each([
    ['0.1.2.3', '0.0.0.0/8'],
    ['10.0.0.5', '10.0.0.0/8'],
    ['100.64.0.1', '100.64.0.0/10'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['172.16.0.1', '172.16.0.0/12'],
    ['172.31.255.255', '172.16.0.0/12'],
    ['192.168.1.1', '192.168.0.0/16'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['64:ff9b::a00:5', 'NAT64'],
    ['64:ff9b:1::a00:5', 'NAT64'],
    ['2002:7f00:1::', '6to4'],
    ['2001:db8::1', 'documentation'],
  ])('refuses %s (%s)', (ip, reason) => {
    expect(addressRefusal(ip)).toContain(reason);
  });

  it.each([PUBLIC, '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])(
    'admits the public address %s',
    (ip) => {
      expect(addressRefusal(ip)).toBeUndefined();
    },
  );
});

describe('SafeWebhookClient: what it refuses, at creation and at send time', () => {
  it.each([
    ['a decimal IPv4 host', 'https://2130706433/', 'loopback'],
    ['an octal IPv4 host', 'https://0177.0.0.1/', 'loopback'],
    ['a hex IPv4 host', 'https://0x7f000001/', 'loopback'],
    ['a mixed short IPv4 host', 'https://127.1/', 'loopback'],
    ['IPv4-mapped IPv6, dotted', 'https://[::ffff:127.0.0.1]/', 'loopback'],
    ['IPv4-mapped IPv6, hex', 'https://[::ffff:7f00:1]/', 'loopback'],
    ['the metadata endpoint', 'https://169.254.169.254/latest/meta-data/', 'metadata'],
    ['IPv6 loopback', 'https://[::1]:8443/', 'loopback'],
    ['an http:// public URL', `http://${PUBLIC}/hook`, 'only https://'],
    ['http://127.0.0.1 without ALERT_ALLOW_HTTP_LOOPBACK', 'http://127.0.0.1:8080/hook', 'only https://'],
    ['user info', `https://admin:pw@${PUBLIC}/`, 'user info'],
    ['another scheme', 'file:///etc/passwd', 'only https://'],
    ['not a URL', 'hooks.example.com/x', 'not an absolute URL'],
  ])('refuses %s', async (_what, url, why) => {
    expect((await refusal(client(), url)).message).toContain(why);
  });

  it('refuses a name that resolves to 10.0.0.5', async () => {
    const error = await refusal(client({ 'hooks.example.com': ['10.0.0.5'] }), 'https://hooks.example.com/x');
    expect(error.message).toContain('resolves to 10.0.0.5');
  });

  it('refuses a name that resolves to one public and one private address', async () => {
    const c = client({ 'mixed.example.com': [PUBLIC, '192.168.0.10'] });
    expect((await refusal(c, 'https://mixed.example.com/')).message).toContain('192.168.0.10');
  });

  it('refuses a name that resolves to an IPv4-mapped loopback, and one that does not resolve', async () => {
    const c = client({ 'mapped.example.com': ['::ffff:127.0.0.1'] });
    expect((await refusal(c, 'https://mapped.example.com/')).message).toContain('IPv4-mapped');
    expect((await refusal(c, 'https://nowhere.example.com/')).message).toContain('does not resolve (ENOTFOUND)');
  });

  it('admits a name whose every address is public', async () => {
    await expect(
      client({ 'hooks.example.com': [PUBLIC, '2606:4700::1'] }).check('https://hooks.example.com/'),
    ).resolves.toBeUndefined();
  });

  it('admits http://127.0.0.1 only with ALERT_ALLOW_HTTP_LOOPBACK, and nothing else over http', async () => {
    const local = client({ localhost: ['127.0.0.1'] }, true);
    await expect(local.check('http://127.0.0.1:8080/hook')).resolves.toBeUndefined();
    await refusal(local, 'http://localhost:8080/hook');
    await refusal(local, 'http://[::1]:8080/hook');
    await refusal(local, `http://${PUBLIC}/hook`);
  });

  it('checks again at send time: a name that now resolves privately fails the attempt without a request', async () => {
    const table: Record<string, string[]> = { 'hooks.example.com': [PUBLIC] };
    const c = client(table);
    await c.check('https://hooks.example.com/');
    table['hooks.example.com'] = ['169.254.169.254'];
    const error = await c.post('https://hooks.example.com/', '{}', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).message).toContain('169.254.169.254');
  });
});

describe('SafeWebhookClient: the call itself (a receiver on 127.0.0.1)', () => {
  let server: Server;
  let port = 0;
  const seen: Array<{ url: string; host: string | undefined; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        seen.push({ url: req.url ?? '', host: req.headers.host, body });
        if (req.url === '/redirect') res.writeHead(301, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 3_000);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers a redirect as its status and never follows it', async () => {
    const before = seen.length;
    const answer = await client({}, true).post(`http://127.0.0.1:${port}/redirect`, '{"a":1}', {});
    expect(answer).toEqual({ status: 301 });
    expect(seen.slice(before).map((s) => s.url)).toEqual(['/redirect']);
  });

  it('sends the body as given and answers the status', async () => {
    const answer = await client({}, true).post(`http://127.0.0.1:${port}/hook`, '{"x":"y"}', { 'X-Test': '1' });
    expect(answer).toEqual({ status: 204 });
    expect(seen.at(-1)).toMatchObject({ url: '/hook', body: '{"x":"y"}', host: `127.0.0.1:${port}` });
  });

  it('gives up on a receiver that does not answer within the response timeout', async () => {
    const started = Date.now();
    const error = await client({}, true)
      .post(`http://127.0.0.1:${port}/slow`, '{}', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookError);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('fails an attempt on a refused connection with the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await client({}, true)
      .post(`http://127.0.0.1:${freePort}/`, '{}', {})
      .catch((e: unknown) => e);
    expect((error as WebhookError).message).toContain('ECONNREFUSED');
  });
});
