import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { HttpRequest } from '@azure/functions';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devSignInRoutes } from '../../dev/host/devSignIn.js';
import { startLocalHost } from '../../dev/host/localHost.js';
import { CONSOLE_CSP, consoleAssetHandler } from '../../functions/console.js';
import { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import { createLogger } from '../../shared/logging.js';
import { startTestApp, type TestApp } from '../support/app.js';

const get = (p: string) =>
  new HttpRequest({ method: 'GET', url: `http://localhost/api/console/${p}`, params: { path: p } });

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  throw new Error(`unexpected body type ${typeof body}`);
}

describe('console static assets (functions/console.ts)', () => {
  let dir: string;
  let outside: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mps-console-'));
    outside = mkdtempSync(path.join(os.tmpdir(), 'mps-outside-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(dir, 'assets', 'index-AbC123xy.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets', 'index-Zz9_8-7y.css'), 'body{}');
    writeFileSync(path.join(outside, 'secret.js'), 'secret');
    symlinkSync(path.join(outside, 'secret.js'), path.join(dir, 'assets', 'escape-12345678.js'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('answers 503 with a problem telling to build when the assets are missing', async () => {
    const response = await consoleAssetHandler(path.join(dir, 'not-built'))(get(''));
    expect(response.status).toBe(503);
    expect((response.headers as Record<string, string>)['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(bodyText(response.body))).toMatchObject({
      status: 503,
      detail: expect.stringContaining('run npm run build'),
    });
  });

  it('serves index.html for the root and for unknown app paths, with the strict CSP and no long cache', async () => {
    const handler = consoleAssetHandler(dir);
    for (const p of ['', 'tasks', 'lookup/alex']) {
      const response = await handler(get(p));
      const headers = response.headers as Record<string, string>;
      expect(response.status, p).toBe(200);
      expect(bodyText(response.body)).toContain('<title>console</title>');
      expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
      expect(headers['Content-Security-Policy']).toBe(CONSOLE_CSP);
      expect(headers['Cache-Control']).toBe('no-cache');
      expect(headers['X-Frame-Options']).toBe('DENY');
    }
    expect(CONSOLE_CSP).toBe(
      "default-src 'self'; connect-src 'self' https://login.microsoftonline.com; img-src 'self' data:; " +
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    );
  });

  it('serves hashed assets with their content type and an immutable cache', async () => {
    const handler = consoleAssetHandler(dir);
    const js = await handler(get('assets/index-AbC123xy.js'));
    expect(js.status).toBe(200);
    expect(bodyText(js.body)).toBe('console.log(1)');
    expect((js.headers as Record<string, string>)['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect((js.headers as Record<string, string>)['Cache-Control']).toBe('public, max-age=31536000, immutable');
    const css = await handler(get('assets/index-Zz9_8-7y.css'));
    expect((css.headers as Record<string, string>)['Content-Type']).toBe('text/css; charset=utf-8');
  });

  it('answers 404 (not index.html) for a missing asset, so a stale page does not run HTML as script', async () => {
    const response = await consoleAssetHandler(dir)(get('assets/index-00000000.js'));
    expect(response.status).toBe(404);
  });

  it('rejects ".." segments and does not follow a symlink out of the asset directory', async () => {
    const handler = consoleAssetHandler(dir);
    for (const p of ['../package.json', 'assets/../../etc/passwd', '..', 'assets\\..\\..\\x']) {
      expect((await handler(get(p))).status, p).toBe(400);
    }
    const escaped = await handler(get('assets/escape-12345678.js'));
    expect(escaped.status).toBe(404);
    expect(bodyText(escaped.body)).not.toContain('secret');
  });
});

describe('console sign-in routes through the local host', () => {
  let app: TestApp;
  const url = (p: string) => `http://127.0.0.1:${app.host.port}${p}`;

  beforeAll(async () => {
    app = await startTestApp({ devSignIn: true });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
  });

  const signIn = (body: unknown, contentType = 'application/json') =>
    fetch(url('/dev/sign-in'), {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('lists the demo users of the simulated tenant, clearly marked as local development sign-in', async () => {
    const response = await fetch(url('/dev/sign-in/options'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      notice: string;
      users: Array<{ id: string; userPrincipalName: string }>;
      roles: Array<{ value: string }>;
    };
    expect(body.notice).toBe('Local development sign-in (tenant simulator only)');
    expect(body.users.find((u) => u.userPrincipalName === 'alex.wilber@contoso.com')?.id).toBe(
      app.sim.tenant.demo.alexId,
    );
    expect(body.users.length).toBeGreaterThanOrEqual(4);
    expect(body.roles.map((r) => r.value)).toEqual(['Admin', 'Reader', 'User']);
  });

  it('mints a token the API accepts, with the chosen role and the user as oid', async () => {
    const response = await signIn({ user: 'alex.wilber@contoso.com', role: 'Admin' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { accessToken } = (await response.json()) as { accessToken: string };
    const claims = decodeJwt(accessToken);
    expect(claims.oid).toBe(app.sim.tenant.demo.alexId);
    expect(claims.roles).toEqual(['MailboxPermissionSync.Admin']);
    expect((await app.api('GET', 'tasks', { token: accessToken })).status).toBe(200);
  });

  it('a plain user gets no role: 403 on admin routes, 200 on /api/me', async () => {
    const { accessToken } = (await (await signIn({ user: app.sim.tenant.demo.meganId, role: 'User' })).json()) as {
      accessToken: string;
    };
    expect(decodeJwt(accessToken).roles).toBeUndefined();
    expect((await app.api('GET', 'tasks', { token: accessToken })).status).toBe(403);
    expect((await app.api('GET', 'me/delegate-mailboxes', { token: accessToken })).status).toBe(200);
  });

  it('refuses unknown users, bad roles, non-JSON bodies and wrong methods', async () => {
    const unknown = await signIn({ user: 'nobody@contoso.com', role: 'Admin' });
    expect(unknown.status).toBe(404);
    const badRole = await signIn({ user: 'alex.wilber@contoso.com', role: 'Owner' });
    expect(badRole.status).toBe(400);
    expect(((await badRole.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['role']);
    // A form post (no preflight) from another site must not mint tokens.
    expect((await signIn('user=alex.wilber@contoso.com&role=Admin', 'application/x-www-form-urlencoded')).status).toBe(
      415,
    );
    expect((await fetch(url('/dev/sign-in'))).status).toBe(405);
  });

  it('does not exist when the simulator is not in use, nor in a host without the hook', async () => {
    const handler = devSignInRoutes({ simulator: false, services: () => app.services });
    const answered = await handler(
      { method: 'GET', headers: {} } as IncomingMessage,
      {} as ServerResponse,
      new URL('http://localhost/dev/sign-in/options'),
    );
    expect(answered).toBe(false);

    const logger = createLogger('silent');
    const plain = await startLocalHost({ port: 0, queue: new InProcessQueue(), logger, timers: false });
    try {
      expect((await fetch(`http://127.0.0.1:${plain.port}/dev/sign-in/options`)).status).toBe(404);
      expect(
        (
          await fetch(`http://127.0.0.1:${plain.port}/dev/sign-in`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: '{"user":"alex.wilber@contoso.com","role":"Admin"}',
          })
        ).status,
      ).toBe(404);
    } finally {
      await plain.stop();
    }
  });

  it('GET /api/console/config: 404 problem until CONSOLE_CLIENT_ID is set, then the MSAL settings', async () => {
    const missing = await app.api('GET', 'console/config', { token: null });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      status: 404,
      detail: expect.stringContaining('console sign-in not configured'),
    });

    const clientId = '11111111-2222-4333-8444-555555555555';
    // The local host answers through its app instance's services, so the setting changes on that instance.
    const original = app.services.config;
    app.services.config = { ...original, console: { clientId } };
    try {
      const configured = await app.api('GET', 'console/config', { token: null });
      expect(configured.status).toBe(200);
      expect(configured.json).toEqual({
        clientId,
        authority: `${app.sim.authorityHost}/${app.sim.tenantId}`,
        scopes: [`${app.sim.api.audience}/.default`],
      });
    } finally {
      app.services.config = original;
    }
  });

  it('never serves a file above the console through encoded ".." at the real HTTP edge', async () => {
    // Raw paths: fetch() would normalise them before sending.
    const status = (rawPath: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpGet({ host: '127.0.0.1', port: app.host.port, path: rawPath }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      });
    expect(await status('/api/console/..%2F..%2Fpackage.json')).toBe(400);
    expect(await status('/api/console/assets/..%5C..%5Cpackage.json')).toBe(400);
    // URL parsing resolves %2e%2e segments to /package.json, outside /api: not found.
    expect(await status('/api/console/%2e%2e/%2e%2e/package.json')).toBe(404);
  });
});
