import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Authenticator, Principal } from '../../ports/auth.js';
import { RetryableError, UnauthenticatedError } from '../../errors.js';

export interface JwtAuthenticatorOptions {
  issuer: string;
  audience: string;
  jwksUri: string;
  /** Tokens must carry this `tid` (the tenant the API serves). */
  tenantId?: string;
  clockToleranceSeconds?: number;
  /** The clock tokens are checked against (tests move it). */
  now?: () => Date;
}

interface Verified {
  principal: Principal;
  /** `exp` in epoch seconds. */
  exp: number;
}

// The scheme is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/**
 * Validates Entra ID access tokens for our API with jose: RS256 only, issuer, audience, tenant, exp/nbf with
 * a small skew, signature from the JWKS (cached; refetched on an unknown kid; fails closed when unreachable).
 */
export class JwtAuthenticator implements Authenticator {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  /**
   * Principals of tokens that passed every check, by the SHA-256 of the token's exact text. A portal sends the
   * same token for up to an hour, and the RS256 verification was the largest CPU cost of a lookup. An entry
   * lives 5 minutes at most, so a signing key withdrawn from the JWKS stops being honoured within that time;
   * `exp` is checked on every use.
   */
  private readonly verified: LRUCache<string, Verified>;
  private readonly now: () => Date;
  private readonly tolerance: number;

  constructor(private readonly options: JwtAuthenticatorOptions) {
    this.now = options.now ?? (() => new Date());
    this.tolerance = options.clockToleranceSeconds ?? 120;
    this.verified = new LRUCache<string, Verified>({
      max: 10_000,
      ttl: 5 * 60_000,
      ttlResolution: 0,
      perf: { now: () => this.now().getTime() },
    });
    this.jwks = createRemoteJWKSet(new URL(options.jwksUri), {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
  }

  async authenticate(header: string | null): Promise<Principal> {
    if (!header) throw new UnauthenticatedError('AUTH.MISSING_TOKEN', 'An Authorization: Bearer token is required');
    const token = BEARER.exec(header.trim())?.[1];
    if (!token)
      throw new UnauthenticatedError('AUTH.MALFORMED_TOKEN', 'The Authorization header must be "Bearer <JWT>"');
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const known = this.verified.get(cacheKey);
    if (known) {
      if (this.now().getTime() / 1000 > known.exp + this.tolerance) {
        this.verified.delete(cacheKey);
        throw new UnauthenticatedError('AUTH.TOKEN_EXPIRED', 'The token has expired');
      }
      return known.principal;
    }
    const verified = await this.verify(token);
    this.verified.set(cacheKey, verified);
    return verified.principal;
  }

  private async verify(token: string): Promise<Verified> {
    let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
    try {
      protectedHeader = decodeProtectedHeader(token);
    } catch {
      throw new UnauthenticatedError('AUTH.MALFORMED_TOKEN', 'The bearer token is not a JWT');
    }
    if (protectedHeader.alg !== 'RS256')
      throw new UnauthenticatedError('AUTH.BAD_ALGORITHM', 'The token must be signed with RS256');
    if (!protectedHeader.kid)
      throw new UnauthenticatedError('AUTH.MISSING_KID', 'The token header has no key id (kid)');

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ['RS256'],
        clockTolerance: this.tolerance,
        currentDate: this.now(),
        requiredClaims: ['exp', 'iss', 'aud'],
      }));
    } catch (error) {
      throw this.translate(error);
    }
    const tid = typeof payload.tid === 'string' ? payload.tid : undefined;
    if (this.options.tenantId && tid !== this.options.tenantId) {
      throw new UnauthenticatedError('AUTH.WRONG_TENANT', 'The token was issued for another tenant');
    }
    // jose enforced requiredClaims; checked again so the type says so too.
    const exp = payload.exp;
    if (typeof exp !== 'number') throw new UnauthenticatedError('AUTH.CLAIM_INVALID', 'The token has no exp claim');
    const oid = payload.oid;
    if (typeof oid !== 'string' || oid.length === 0)
      throw new UnauthenticatedError('AUTH.NO_OID', 'The token has no oid claim');
    const rolesClaim = payload.roles;
    const roles = Array.isArray(rolesClaim) ? rolesClaim.filter((r): r is string => typeof r === 'string') : [];
    const username = typeof payload.preferred_username === 'string' ? payload.preferred_username : undefined;
    const isApp = payload.idtyp === 'app' || (username === undefined && payload.scp === undefined);
    const client = payload.azp ?? payload.appid;
    const appId = typeof client === 'string' && client.length > 0 ? client : undefined;
    return {
      // Frozen: one cached principal serves many requests.
      principal: Object.freeze({
        kind: isApp ? 'app' : 'user',
        oid,
        tenantId: tid ?? '',
        roles: Object.freeze(roles),
        ...(username ? { username } : {}),
        ...(appId ? { appId } : {}),
      }),
      exp,
    };
  }

  private translate(error: unknown): Error {
    if (error instanceof joseErrors.JWKSTimeout || (error instanceof TypeError && /fetch/i.test(error.message))) {
      return new RetryableError(
        'AUTH.KEYS_UNAVAILABLE',
        'The token signing keys cannot be fetched right now; try again shortly',
      );
    }
    if (error instanceof joseErrors.JWTExpired)
      return new UnauthenticatedError('AUTH.TOKEN_EXPIRED', 'The token has expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      return new UnauthenticatedError('AUTH.CLAIM_INVALID', `The token's ${error.claim} claim is not accepted`);
    }
    if (error instanceof joseErrors.JWKSNoMatchingKey)
      return new UnauthenticatedError('AUTH.UNKNOWN_KEY', 'The token was signed with an unknown key');
    if (error instanceof joseErrors.JOSEError)
      return new UnauthenticatedError('AUTH.INVALID_TOKEN', 'The token is not valid');
    if (
      error instanceof Error &&
      /fetch|ECONNREFUSED|ENOTFOUND|socket|network/i.test(
        `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`,
      )
    ) {
      return new RetryableError(
        'AUTH.KEYS_UNAVAILABLE',
        'The token signing keys cannot be fetched right now; try again shortly',
      );
    }
    return new UnauthenticatedError('AUTH.INVALID_TOKEN', 'The token is not valid');
  }
}
