import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { ApiSigningKey } from './certs.js';
import { SIM_API_AUDIENCE, SIM_API_CALLER_APP_ID, SIM_API_CALLER_SP_ID } from './identity.js';

/** What a test (or dev/token.ts) asks for when minting a token for OUR API. */
export interface ApiTokenRequest {
  roles?: string[];
  oid?: string;
  preferredUsername?: string;
  audience?: string;
  tenantId?: string;
  expiresInSeconds?: number;
  /** nbf = now + this (positive: not valid yet). Default 0. */
  notBeforeOffsetSeconds?: number;
  /** undefined: the API key's kid; null: no kid header; a string: that kid (unknown kids fail validation). */
  kid?: string | null;
  /** App-only token (idtyp "app", oid = the caller's service principal, no preferred_username). */
  appOnly?: boolean;
}

export interface ApiTokenContext {
  /** Simulator origin, e.g. https://127.0.0.1:7443. */
  url: string;
  tenantId: string;
}

/** Signs a v2.0 access token for our API with the persisted API key (used in-process and by dev/token.ts). */
export async function signApiToken(key: ApiSigningKey, ctx: ApiTokenContext, req: ApiTokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const tenantId = req.tenantId ?? ctx.tenantId;
  const appOnly = req.appOnly === true;
  const oid = req.oid ?? (appOnly ? SIM_API_CALLER_SP_ID : randomUUID());
  const payload: JWTPayload & Record<string, unknown> = {
    aud: req.audience ?? SIM_API_AUDIENCE,
    iss: `${ctx.url}/${tenantId}/v2.0`,
    iat: now,
    nbf: now + (req.notBeforeOffsetSeconds ?? 0),
    exp: now + (req.expiresInSeconds ?? 3600),
    tid: tenantId,
    oid,
    sub: oid,
    azp: SIM_API_CALLER_APP_ID,
    azpacr: appOnly ? '1' : '0',
    uti: randomUUID().replace(/-/g, '').slice(0, 22),
    ver: '2.0',
  };
  if (req.roles !== undefined && req.roles.length > 0) payload.roles = req.roles;
  if (appOnly) payload.idtyp = 'app';
  else {
    payload.scp = 'access_as_user';
    if (req.preferredUsername !== undefined) payload.preferred_username = req.preferredUsername;
  }
  const header: { alg: string; typ: string; kid?: string } = { alg: 'RS256', typ: 'JWT' };
  if (req.kid !== null) header.kid = req.kid ?? key.kid;
  const privateKey = await importJWK(key.privateJwk, 'RS256');
  return new SignJWT(payload).setProtectedHeader(header).sign(privateKey);
}

export interface AppTokenClaims {
  aud: string;
  roles: string[];
  tid: string;
  appid: string;
}

export type VerifyResult = { ok: true; claims: AppTokenClaims } | { ok: false; reason: string };

/**
 * Issues and checks the app-only tokens for Graph and Exchange. Their signing key lives only in
 * this process (clients never validate them); the API key is persisted so other processes can mint.
 */
export class TokenService {
  private readonly entraPrivate: KeyObject;
  private readonly entraPublic: KeyObject;
  private readonly entraPublicJwk: JWK;
  private readonly entraKid: string;
  private readonly verified = new Map<string, AppTokenClaims & { exp: number }>();

  constructor(
    private readonly ctx: ApiTokenContext,
    private readonly apiKey: ApiSigningKey,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.entraPrivate = privateKey;
    this.entraPublic = publicKey;
    this.entraPublicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    this.entraKid = createHash('sha256').update(String(this.entraPublicJwk.n)).digest('base64url').slice(0, 16);
  }

  get issuer(): string {
    return `${this.ctx.url}/${this.ctx.tenantId}/v2.0`;
  }

  /** The JWKS document: the app-token key and the API key. */
  jwks(): { keys: JWK[] } {
    const entry = (jwk: JWK, kid: string): JWK => ({ kty: 'RSA', use: 'sig', alg: 'RS256', kid, n: jwk.n, e: jwk.e });
    return { keys: [entry(this.entraPublicJwk, this.entraKid), entry(this.apiKey.publicJwk, this.apiKey.kid)] };
  }

  async issueAppToken(opts: {
    resource: string;
    roles: string[];
    appId: string;
    servicePrincipalId: string;
    lifetimeSeconds: number;
    wids?: string[];
  }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload & Record<string, unknown> = {
      aud: opts.resource,
      iss: `https://sts.windows.net/${this.ctx.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + opts.lifetimeSeconds,
      appid: opts.appId,
      appidacr: '1',
      idp: `https://sts.windows.net/${this.ctx.tenantId}/`,
      idtyp: 'app',
      oid: opts.servicePrincipalId,
      sub: opts.servicePrincipalId,
      roles: opts.roles,
      tid: this.ctx.tenantId,
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ver: '1.0',
    };
    if (opts.wids !== undefined) payload.wids = opts.wids;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.entraKid })
      .sign(this.entraPrivate);
  }

  /** Checks signature, lifetime and audience of a Graph/Exchange bearer token. */
  async verifyAppToken(authorization: string | undefined, audiences: readonly string[]): Promise<VerifyResult> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (match === null) return { ok: false, reason: 'Access token is empty.' };
    const token = match[1] as string;
    const now = Math.floor(Date.now() / 1000);
    let claims = this.verified.get(token);
    if (claims === undefined) {
      try {
        if (decodeProtectedHeader(token).kid !== this.entraKid)
          return { ok: false, reason: 'Access token validation failure: signing key not found.' };
        const { payload } = await jwtVerify(token, this.entraPublic, { algorithms: ['RS256'], clockTolerance: 0 });
        claims = {
          aud: String(payload.aud),
          roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [],
          tid: String(payload.tid),
          appid: String(payload.appid),
          exp: payload.exp ?? 0,
        };
        if (this.verified.size > 10_000) this.verified.clear();
        this.verified.set(token, claims);
      } catch (err) {
        const expired = err instanceof Error && /exp/i.test(err.message);
        return {
          ok: false,
          reason: expired
            ? 'Lifetime validation failed, the token is expired.'
            : 'Access token validation failure. Invalid signature.',
        };
      }
    }
    if (claims.exp <= now) return { ok: false, reason: 'Lifetime validation failed, the token is expired.' };
    if (!audiences.includes(claims.aud))
      return { ok: false, reason: 'Access token validation failure. Invalid audience.' };
    return { ok: true, claims };
  }

  mintApiToken(req: ApiTokenRequest): Promise<string> {
    return signApiToken(this.apiKey, this.ctx, req);
  }
}
