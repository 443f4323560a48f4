/** Who called: decided by the Authenticator, checked against each route's declared role. */
export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user' | 'app';
      oid: string;
      tenantId: string;
      roles: readonly string[];
      username?: string;
      /** The calling application's client id (`azp`, v1 `appid`). */
      appId?: string;
    };

/** Validates a request's credentials; throws UnauthenticatedError when they are missing or invalid. */
export interface Authenticator {
  authenticate(authorizationHeader: string | null): Promise<Principal>;
}
