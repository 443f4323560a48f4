import { SignJWT, importJWK } from 'jose';
import { ensureApiSigningKey } from '../../dev/simulator/certs.js';
import type { TestApp } from './app.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Tokens that must all be refused (401), each broken in one way. */
export async function badTokens(app: TestApp): Promise<Record<string, string>> {
  const valid = await app.token('Admin');
  const [header, payload] = valid.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const key = ensureApiSigningKey();
  const privateKey = await importJWK(key.privateJwk, 'RS256');
  const publicPem = Buffer.from(JSON.stringify(key.publicJwk));
  const sign = (
    extra: Record<string, unknown>,
    hdr: Record<string, unknown> = { alg: 'RS256', kid: key.kid, typ: 'JWT' },
  ) => new SignJWT({ ...claims, ...extra }).setProtectedHeader(hdr as { alg: string }).sign(privateKey);
  return {
    badSignature: `${header}.${payload}.${valid.split('.')[2]!.slice(0, -6)}AAAAAA`,
    wrongIssuer: await sign({ iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' }),
    wrongAudience: await app.sim.mintApiToken({
      roles: ['MailboxPermissionSync.Admin'],
      audience: 'api://someone-else',
    }),
    otherTenant: await sign({ tid: '11111111-1111-1111-1111-111111111111' }),
    expired: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], expiresInSeconds: -3600 }),
    notYetValid: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], notBeforeOffsetSeconds: 3600 }),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    hs256WithPublicKey: await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(new Uint8Array(publicPem)),
    missingKid: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], kid: null }),
    unknownKid: await app.sim.mintApiToken({ roles: ['MailboxPermissionSync.Admin'], kid: 'not-a-key' }),
    garbage: 'not.a.jwt',
  };
}
