import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { JwtAuthenticator } from '../../shared/adapters/auth/jwtAuthenticator.js';

// The real jwtVerify, counted: the cache is right only if it skips verification for a repeat and never otherwise.
const verifyCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock('jose', async (importOriginal) => {
  const real = await importOriginal<typeof import('jose')>();
  return {
    ...real,
    jwtVerify: (...args: Parameters<typeof real.jwtVerify>) => {
      verifyCalls.count++;
      return real.jwtVerify(...args);
    },
  };
});

const issuer = 'https://login.example.test/tenant-1/v2.0';
const audience = 'api://mailbox-permission-sync';
const tenantId = '0b1c2d3e-0000-4000-8000-000000000001';
const t0 = Date.UTC(2026, 11, 2, 9, 0, 0);

let server: Server;
let jwksUri: string;
let privateKey: CryptoKey;
let publicJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_, res) =>
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(() => {
  verifyCalls.count = 0;
});

function token(claims: Record<string, unknown> = {}, lifetimeSeconds = 3600): Promise<string> {
  const iat = Math.floor(t0 / 1000);
  return new SignJWT({
    tid: tenantId,
    oid: 'u-1',
    roles: ['MailboxPermissionSync.Reader'],
    preferred_username: 'ada@contoso.com',
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeSeconds)
    .sign(privateKey);
}

function authenticator() {
  let clock = t0;
  const auth = new JwtAuthenticator({
    issuer,
    audience,
    jwksUri,
    tenantId,
    clockToleranceSeconds: 60,
    now: () => new Date(clock),
  });
  return { auth, advance: (ms: number) => (clock += ms) };
}

describe('JwtAuthenticator verified-token cache', () => {
  it('verifies a token once and answers its repeats from memory with the same principal', async () => {
    const { auth } = authenticator();
    const jwt = await token();

    const first = await auth.authenticate(`Bearer ${jwt}`);
    const again = await auth.authenticate(`bearer ${jwt}`);

    expect(again).toEqual(first);
    expect(first).toMatchObject({ kind: 'user', oid: 'u-1', roles: ['MailboxPermissionSync.Reader'] });
    expect(verifyCalls.count).toBe(1);
  });

  it('refuses a remembered token once it has expired (exp plus the clock tolerance)', async () => {
    const { auth, advance } = authenticator();
    const jwt = await token({}, 600);
    await auth.authenticate(`Bearer ${jwt}`);

    advance((600 + 59) * 1000);
    await expect(auth.authenticate(`Bearer ${jwt}`)).resolves.toMatchObject({ oid: 'u-1' });
    advance(2_000);
    await expect(auth.authenticate(`Bearer ${jwt}`)).rejects.toMatchObject({ code: 'AUTH.TOKEN_EXPIRED' });
  });

  it('verifies a token again after five minutes, so a withdrawn signing key stops being honoured', async () => {
    const { auth, advance } = authenticator();
    const jwt = await token();
    await auth.authenticate(`Bearer ${jwt}`);

    advance(5 * 60_000 + 1);
    await auth.authenticate(`Bearer ${jwt}`);

    expect(verifyCalls.count).toBe(2);
  });

  it('does not match a token whose signature differs from a remembered one', async () => {
    const { auth } = authenticator();
    const jwt = await token();
    await auth.authenticate(`Bearer ${jwt}`);
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;

    await expect(auth.authenticate(`Bearer ${header}.${payload}.${flipped}`)).rejects.toMatchObject({
      code: 'AUTH.INVALID_TOKEN',
    });
  });

  it('does not remember a refused token: each attempt is verified and refused', async () => {
    const { auth } = authenticator();
    const jwt = await token({ tid: '99999999-0000-4000-8000-000000000009' });

    await expect(auth.authenticate(`Bearer ${jwt}`)).rejects.toMatchObject({ code: 'AUTH.WRONG_TENANT' });
    await expect(auth.authenticate(`Bearer ${jwt}`)).rejects.toMatchObject({ code: 'AUTH.WRONG_TENANT' });
    expect(verifyCalls.count).toBe(2);
  });

  it('hands out a principal callers cannot change for the next request', async () => {
    const { auth } = authenticator();
    const jwt = await token();
    const principal = await auth.authenticate(`Bearer ${jwt}`);
    if (principal.kind === 'anonymous') throw new Error('expected a signed-in principal');

    expect(() => (principal.roles as string[]).push('MailboxPermissionSync.Admin')).toThrow(TypeError);
    expect(await auth.authenticate(`Bearer ${jwt}`)).toMatchObject({ roles: ['MailboxPermissionSync.Reader'] });
  });
});
