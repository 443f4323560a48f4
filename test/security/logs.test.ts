import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../shared/config.js';
import { SIM_CLIENT_SECRET } from '../../dev/simulator/index.js';
import { captureLogger, createTask, startHarness, startRun, type Harness } from '../faults/harness.js';

/**
 * What the logs may never hold: a bearer token (ours, or the app's Graph/Exchange tokens), the client secret,
 * or a request body. The logger runs at `trace` into memory through a sync with faults, API calls and failures.
 */

let app: Harness;
let lines: string[];
const CANARY = 'CANARY-7f3a9c-body-must-not-be-logged';
const sentTokens: string[] = [];

beforeAll(async () => {
  const capture = captureLogger();
  lines = capture.lines;
  app = await startHarness({ simulator: { seed: 51, mailboxes: 24, faultRate: 0.15 }, logger: capture.logger });
  const remember = async (role: 'Admin' | 'Reader' | 'none') => {
    const token = await app.token(role);
    sentTokens.push(token);
    return token;
  };
  // A sync with injected faults (retries, error paths in the Microsoft clients).
  const taskId = await createTask(app);
  await startRun(app, taskId);
  await app.settle();
  // API calls with bodies carrying the canary: valid, invalid, oversized, wrong content type.
  const admin = await remember('Admin');
  await app.api('POST', 'schedules', {
    token: admin,
    body: { description: CANARY, type: 'daily', mode: 'once', startTime: '02:00', timeZone: 'UTC' },
  });
  await app.api('POST', 'schedules', { token: admin, body: { description: CANARY, type: 'bogus', secret: CANARY } });
  await app.api('POST', 'tasks', { token: admin, body: `{"description":"${CANARY}", broken` });
  await app.api('POST', 'tasks', {
    token: admin,
    body: JSON.stringify({ description: CANARY, pad: 'x'.repeat(70_000) }),
  });
  await app.api('POST', 'tasks', { token: admin, body: CANARY, headers: { 'Content-Type': 'text/plain' } });
  const alex = app.sim.tenant.users.get(app.sim.tenant.demo.alexId)!;
  await app.api('POST', `users/${encodeURIComponent(alex.userPrincipalName)}/delegate-mailboxes`, {
    token: admin,
    body: { mailbox: app.sim.tenant.demo.sharedMailboxId, rights: ['SendAs'], note: CANARY },
  });
  // Authentication failures with real and broken tokens.
  const reader = await remember('Reader');
  await app.api('POST', 'schedules', { token: reader, body: { description: CANARY } });
  await app.api('GET', 'tasks', { token: `${admin.slice(0, -4)}AAAA` });
  await app.api('GET', 'tasks', {
    token: null,
    headers: { Authorization: `Basic ${Buffer.from(`admin:${CANARY}`).toString('base64')}` },
  });
  await app.api('GET', 'diagnostics', { token: admin });
  await app.api('GET', `users/${encodeURIComponent(alex.userPrincipalName)}/delegate-mailboxes`, {
    token: await remember('Reader'),
  });
  await app.api('GET', 'me/delegate-mailboxes', { token: await remember('none') });
  // Queue bodies carrying the canary: they fail validation, are retried, dead-letter and are logged on the way.
  const mailbox = { id: alex.id, upn: alex.userPrincipalName, address: alex.mail!, displayName: CANARY };
  await app.queue.send('mps-mailbox', [
    { body: { taskId: 'no-such-task', runId: 'no-such-run', mailbox, rights: [CANARY], throttleRetries: 0 } },
    { body: { taskId: CANARY, runId: CANARY, mailbox: { ...mailbox, id: CANARY } } },
    { body: `{"taskId":"${CANARY}"` },
  ]);
  await app.queue.send('mps-expand', { body: { taskId: 'x', runId: 'y', note: CANARY } });
  await app.queue.idle();
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

describe('logs', () => {
  it('were captured at trace level from the sync, the host and the API (the scan below is not vacuous)', () => {
    expect(lines.length).toBeGreaterThan(20);
    const text = lines.join('\n');
    expect(text).toMatch(/"fn":"syncMailbox"/);
    expect(text).toMatch(/run finished|target expanded/);
    expect(text).toMatch(/queue handler failed/);
    expect(text).toMatch(/dead-letter/);
  });

  it(
    'never contain a bearer token, a JWT of any audience, the client secret, ' + 'a Basic credential or a request body',
    () => {
      const text = lines.join('\n');
      for (const token of sentTokens) {
        expect(text.includes(token)).toBe(false);
        expect(text.includes(token.split('.')[2]!)).toBe(false); // not even the signature
      }
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/); // Graph/Exchange access tokens included
      expect(text.includes(app.sim.clientSecret)).toBe(false);
      expect(text.includes(SIM_CLIENT_SECRET)).toBe(false);
      expect(text.includes(CANARY)).toBe(false);
      expect(text.includes(Buffer.from(`admin:${CANARY}`).toString('base64'))).toBe(false);
      expect(text).not.toMatch(/client_secret=|client_assertion=|"authorization":"(Bearer|Basic) /i);
    },
  );
});

describe('secrets come only from settings', () => {
  it(
    'no secret has a default: without AZURE_CLIENT_SECRET the app uses a managed identity, ' +
      'never a built-in secret',
    () => {
      const config = loadConfig({
        AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000001',
        AZURE_CLIENT_ID: '00000000-0000-4000-8000-000000000002',
        TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true;AccountName=x',
      });
      expect(config.tenant?.credential).toEqual({
        kind: 'managedIdentity',
        tenantId: '00000000-0000-4000-8000-000000000001',
        clientId: '00000000-0000-4000-8000-000000000002',
      });
      expect(JSON.stringify(config)).not.toMatch(/secret/i);
    },
  );

  it('a configuration error names the setting, never its value', () => {
    const secret = 'sup3r-s3cret-value-do-not-echo';
    let message = '';
    try {
      loadConfig({ AZURE_CLIENT_SECRET: secret, TABLES_CONNECTION_STRING: 'AccountName=x' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/AZURE_TENANT_ID/);
    expect(message.includes(secret)).toBe(false);
  });

  it(
    'only shared/config.ts reads process.env, ' + 'and no product file embeds the simulator’s secret or a private key',
    () => {
      const root = path.resolve(import.meta.dirname, '../..');
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const full = path.join(dir, name);
          if (statSync(full).isDirectory()) walk(full);
          else if (/\.(ts|js|json|bicep)$/.test(name)) files.push(full);
        }
      };
      for (const dir of ['shared', 'functions']) walk(path.join(root, dir));
      expect(files.length).toBeGreaterThan(20);
      const readers = files
        .filter((f) => /process\.env/.test(readFileSync(f, 'utf8')))
        .map((f) => path.relative(root, f));
      expect(readers).toEqual(['shared/config.ts']);
      for (const f of files) {
        const text = readFileSync(f, 'utf8');
        expect(text.includes(SIM_CLIENT_SECRET), f).toBe(false);
        expect(text, f).not.toMatch(/-----BEGIN (RSA |EC )?PRIVATE KEY-----/);
        expect(text, f).not.toMatch(/AccountKey=(?!\$\{)/); // only the Azurite well-known key, built from a constant
      }
    },
  );
});
