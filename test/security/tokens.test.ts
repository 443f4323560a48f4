import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, importJWK } from 'jose';
import { ensureApiSigningKey } from '../../dev/simulator/certs.js';
import { freePort } from '../../dev/azurite.js';
import { registeredFunctions, type HttpFunctionDefinition } from '../../shared/host/registry.js';
import { startHarness, type Harness } from '../faults/harness.js';

/**
 * Token attacks against every protected route: each must be refused with 401 problem+json and
 * `WWW-Authenticate: Bearer`, whatever the route and whatever roles the forged token claims.
 */

let app: Harness;

beforeAll(async () => {
  app = await startHarness({ simulator: { seed: 41, mailboxes: 16 } });
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

function protectedRoutes(): HttpFunctionDefinition[] {
  return registeredFunctions().filter((f): f is HttpFunctionDefinition => f.kind === 'http' && f.role !== 'anonymous');
}

/** A concrete path for a route template (ids need not exist: authentication comes first). */
function pathOf(route: string): string {
  return route.replace(/\{\*?[A-Za-z]+\??\}/g, 'x1');
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Claims of a valid Admin token, to forge variants from. */
async function adminClaims(): Promise<Record<string, unknown>> {
  const valid = await app.token('Admin');
  return JSON.parse(Buffer.from(valid.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** An access token the simulator's Entra issues to our own app for Graph or Exchange (client credentials). */
async function upstreamToken(scope: string): Promise<string> {
  const response = await fetch(`${app.sim.authorityHost}/${app.sim.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: app.sim.clientId,
      client_secret: app.sim.clientSecret,
      scope,
    }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function attacks(): Promise<Record<string, { token: string; code: RegExp }>> {
  const claims = await adminClaims();
  const key = ensureApiSigningKey();
  const privateKey = await importJWK(key.privateJwk, 'RS256');
  const sign = (
    extra: Record<string, unknown>,
    header: Record<string, unknown> = { alg: 'RS256', kid: key.kid, typ: 'JWT' },
  ) => new SignJWT({ ...claims, ...extra }).setProtectedHeader(header as { alg: string }).sign(privateKey);
  const publicKeyBytes = new TextEncoder().encode(JSON.stringify(key.publicJwk));
  return {
    'another tenant (tid only)': {
      token: await sign({ tid: '11111111-1111-4111-8111-111111111111' }),
      code: /AUTH\.WRONG_TENANT/,
    },
    'another tenant (its own issuer)': {
      token: await app.sim.mintApiToken({
        roles: ['MailboxPermissionSync.Admin'],
        tenantId: '22222222-2222-4222-8222-222222222222',
      }),
      code: /AUTH\.CLAIM_INVALID/,
    },
    'a Graph token replayed (our app’s own, real signature)': {
      token: await upstreamToken('https://graph.microsoft.com/.default'),
      code: /AUTH\.(CLAIM_INVALID|INVALID_TOKEN)/,
    },
    'an Exchange token replayed': {
      token: await upstreamToken('https://outlook.office365.com/.default'),
      code: /AUTH\.(CLAIM_INVALID|INVALID_TOKEN)/,
    },
    'a token for another API': {
      token: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], audience: 'api://another-api' }),
      code: /AUTH\.CLAIM_INVALID/,
    },
    'alg none': { token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, code: /AUTH\.BAD_ALGORITHM/ },
    'alg None (case)': {
      token: `${b64({ alg: 'None', typ: 'JWT', kid: key.kid })}.${b64(claims)}.`,
      code: /AUTH\.BAD_ALGORITHM/,
    },
    'HS256 signed with the public key': {
      token: await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(publicKeyBytes),
      code: /AUTH\.BAD_ALGORITHM/,
    },
    'RS256 header over an HS256 signature': {
      token: `${b64({ alg: 'RS256', kid: key.kid })}.${b64(claims)}.${Buffer.from('forged').toString('base64url')}`,
      code: /AUTH\.INVALID_TOKEN/,
    },
    'missing kid': {
      token: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], kid: null }),
      code: /AUTH\.MISSING_KID/,
    },
    'unknown kid': {
      token: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], kid: 'attacker-key' }),
      code: /AUTH\.UNKNOWN_KEY/,
    },
    'embedded jwk header (attacker key)': {
      token: await sign({}, { alg: 'RS256', kid: 'x', jwk: key.publicJwk }),
      code: /AUTH\.(UNKNOWN_KEY|INVALID_TOKEN)/,
    },
    expired: {
      token: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], expiresInSeconds: -3600 }),
      code: /AUTH\.TOKEN_EXPIRED/,
    },
    'not yet valid': {
      token: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], notBeforeOffsetSeconds: 3600 }),
      code: /AUTH\.CLAIM_INVALID/,
    },
    'no oid': { token: await sign({ oid: undefined }), code: /AUTH\.NO_OID/ },
  };
}

describe('token attacks on every protected route', () => {
  it('each forged, replayed or misdirected token → 401 problem+json with WWW-Authenticate, ' +
    'on every protected route', async () => {
    const list = await attacks();
    // A reader token whose payload is swapped for an admin payload keeps the reader's signature: must fail.
    const reader = await app.token('Reader');
    const [h, , s] = reader.split('.');
    list['payload edited after signing (roles added)'] = {
      token: `${h}.${b64(await adminClaims())}.${s}`,
      code: /AUTH\.INVALID_TOKEN/,
    };
    const failures: string[] = [];
    for (const [name, { token, code }] of Object.entries(list)) {
      for (const route of protectedRoutes()) {
        for (const method of route.methods) {
          const res = await app.api(method, pathOf(route.route), {
            token,
            ...(method === 'POST' || method === 'PUT' ? { body: {} } : {}),
          });
          if (res.status !== 401) failures.push(`${name}: ${method} ${route.route} → ${res.status}`);
          else {
            if (!/^Bearer/.test(res.headers.get('www-authenticate') ?? ''))
              failures.push(`${name}: ${method} ${route.route} without WWW-Authenticate`);
            if (!/problem\+json/.test(res.headers.get('content-type') ?? ''))
              failures.push(`${name}: ${method} ${route.route} not problem+json`);
            if (!code.test(res.text))
              failures.push(`${name}: ${method} ${route.route} refused for another reason: ${res.text}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('roles are taken from the signed `roles` array only: a string or a lookalike grants nothing', async () => {
    const cases = [
      await app.sim.mintApiToken({ roles: ['mailboxpermissionsync.admin'] }),
      await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin '] }),
      await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Reader'] }),
    ];
    for (const token of cases) expect((await app.api('POST', 'schedules', { token, body: {} })).status).toBe(403);
    // `roles` as a string (not an array) from a signed token: no role at all.
    const key = ensureApiSigningKey();
    const privateKey = await importJWK(key.privateJwk, 'RS256');
    const stringRoles = await new SignJWT({ ...(await adminClaims()), roles: 'MailboxPermissionSync.Admin' })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .sign(privateKey);
    expect((await app.api('GET', 'tasks', { token: stringRoles })).status).toBe(403);
    // still a valid caller
    expect((await app.api('GET', 'me/delegate-mailboxes', { token: stringRoles })).status).toBe(200);
  });

  it('Authorization header variants that are not exactly "Bearer <JWT>" are refused', async () => {
    const valid = await app.token('Admin');
    for (const header of [
      `bearer${valid}`,
      `Basic ${valid}`,
      `Bearer ${valid} extra`,
      `Bearer ${valid},Bearer ${valid}`,
      `Bearer`,
      `Bearer  `,
      valid,
    ]) {
      const res = await app.api('GET', 'tasks', { token: null, headers: { Authorization: header } });
      expect(res.status, header.slice(0, 20)).toBe(401);
    }
    expect((await app.api('GET', 'tasks', { token: null, headers: { Authorization: `Bearer ${valid}` } })).status).toBe(
      200,
    );
    // RFC 9110 §11.1: the auth scheme is case-insensitive.
    expect((await app.api('GET', 'tasks', { token: null, headers: { Authorization: `bearer ${valid}` } })).status).toBe(
      200,
    );
  });
});

describe('JWKS endpoint unreachable (fail closed)', () => {
  it('a fresh app whose API_JWKS_URI points at a closed port refuses every protected route, ' +
    'even for a genuine Admin token', async () => {
    const closed = await freePort();
    const isolated = await startHarness({ sim: app.sim, env: { API_JWKS_URI: `https://127.0.0.1:${closed}/keys` } });
    try {
      const token = await isolated.token('Admin');
      const failures: string[] = [];
      for (const route of protectedRoutes()) {
        for (const method of route.methods) {
          const res = await isolated.api(method, pathOf(route.route), {
            token,
            ...(method === 'POST' || method === 'PUT' ? { body: {} } : {}),
          });
          // 503 (keys cannot be fetched, retry later) or 401; never an answer with data, never 403/404 that would
          // mean the token got past authentication.
          if (res.status !== 503 && res.status !== 401) failures.push(`${method} ${route.route} → ${res.status}`);
          if (!/problem\+json/.test(res.headers.get('content-type') ?? ''))
            failures.push(`${method} ${route.route} not problem+json`);
        }
      }
      expect(failures).toEqual([]);
      expect((await isolated.api('GET', 'health', { token: null })).status).toBe(200);
    } finally {
      await isolated.stop({ keepSimulator: true });
      app.activate();
    }
  }, 120_000);
});
