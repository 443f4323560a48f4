// Sign-in: the local development sign-in of the tenant simulator when the host offers it, Entra ID (MSAL) otherwise.

export const ADMIN_ROLE = 'MailboxPermissionSync.Admin';
export const READER_ROLE = 'MailboxPermissionSync.Reader';

export interface Claims {
  oid?: string;
  name?: string;
  preferredUsername?: string;
  roles: string[];
  exp?: number;
}

export interface Session {
  kind: 'dev' | 'entra';
  claims: Claims;
  /** A valid bearer token for the API (Entra: renewed silently by MSAL). */
  getToken(): Promise<string>;
  signOut(): Promise<void>;
}

export interface Capabilities {
  admin: boolean;
  reader: boolean;
}

/** What the signed-in user may see; the API enforces the same roles, this only decides what to show. */
export function capabilities(claims: Claims): Capabilities {
  const admin = claims.roles.includes(ADMIN_ROLE);
  return { admin, reader: admin || claims.roles.includes(READER_ROLE) };
}

/** Reads a JWT's payload without verifying it: good enough to decide what to show, never to authorize. */
export function decodeClaims(token: string): Claims {
  const part = token.split('.')[1];
  if (!part) return { roles: [] };
  try {
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    return {
      oid: str(payload.oid),
      name: str(payload.name),
      preferredUsername: str(payload.preferred_username) ?? str(payload.upn),
      roles: Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [],
      exp: typeof payload.exp === 'number' ? payload.exp : undefined,
    };
  } catch {
    return { roles: [] };
  }
}

// --- local development sign-in (tenant simulator only) ---

export interface DevSignInOptions {
  notice: string;
  users: Array<{ id: string; userPrincipalName: string; displayName: string; mail: string | null }>;
  roles: Array<{ value: string; label: string; claim: string | null }>;
}

const DEV_TOKEN_KEY = 'mps.console.devToken';

/** The host's dev sign-in options, or null when it has none (Azure, or a real tenant). */
export async function probeDevSignIn(): Promise<DevSignInOptions | null> {
  try {
    const response = await fetch('/dev/sign-in/options', { headers: { Accept: 'application/json' } });
    if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return null;
    const body = (await response.json()) as Partial<DevSignInOptions>;
    return Array.isArray(body.users) && Array.isArray(body.roles) ? (body as DevSignInOptions) : null;
  } catch {
    return null;
  }
}

function devSession(token: string): Session {
  return {
    kind: 'dev',
    claims: decodeClaims(token),
    getToken: async () => token,
    signOut: async () => sessionStorage.removeItem(DEV_TOKEN_KEY),
  };
}

/** A dev token kept for this tab (a reload should not sign the developer out), if still valid for a minute. */
export function restoreDevSession(): Session | null {
  const token = sessionStorage.getItem(DEV_TOKEN_KEY);
  if (!token) return null;
  const { exp } = decodeClaims(token);
  if (exp === undefined || exp * 1000 < Date.now() + 60_000) {
    sessionStorage.removeItem(DEV_TOKEN_KEY);
    return null;
  }
  return devSession(token);
}

/** Mints a token for a simulator user through POST /dev/sign-in. */
export async function devSignIn(user: string, role: string): Promise<Session> {
  const response = await fetch('/dev/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ user, role }),
  });
  const body = (await response.json().catch(() => ({}))) as { accessToken?: string; detail?: string };
  if (!response.ok || !body.accessToken) throw new Error(body.detail ?? `Sign-in failed (HTTP ${response.status})`);
  sessionStorage.setItem(DEV_TOKEN_KEY, body.accessToken);
  return devSession(body.accessToken);
}

// --- Entra ID ---

export interface EntraConfig {
  clientId: string;
  authority: string;
  scopes: string[];
}

/** GET /api/console/config: the Entra settings, or the reason sign-in is not possible. */
export async function loadEntraConfig(): Promise<{ config: EntraConfig } | { error: string }> {
  try {
    const response = await fetch('/api/console/config', { headers: { Accept: 'application/json' } });
    const body = (await response.json().catch(() => ({}))) as Partial<EntraConfig> & { detail?: string };
    if (!response.ok || !body.clientId || !body.authority || !body.scopes) {
      return { error: body.detail ?? `The console configuration is unavailable (HTTP ${response.status})` };
    }
    return { config: { clientId: body.clientId, authority: body.authority, scopes: body.scopes } };
  } catch {
    return { error: 'The API cannot be reached' };
  }
}

export interface EntraSignIn {
  /** The signed-in session after a redirect back from Entra, or an existing account; null when nobody is signed in. */
  session: Session | null;
  signIn(): Promise<void>;
}

/** Loads MSAL only when needed (it is most of the bundle) and completes a pending redirect. */
export async function startEntra(config: EntraConfig): Promise<EntraSignIn> {
  const msal = await import('@azure/msal-browser');
  const redirectUri = `${location.origin}/api/console/`;
  const app = new msal.PublicClientApplication({
    auth: { clientId: config.clientId, authority: config.authority, redirectUri, postLogoutRedirectUri: redirectUri },
    cache: { cacheLocation: 'sessionStorage' },
  });
  await app.initialize();
  const result = await app.handleRedirectPromise();
  const account = result?.account ?? app.getAllAccounts()[0] ?? null;
  const signIn = () => app.loginRedirect({ scopes: config.scopes });
  if (!account) return { session: null, signIn };
  app.setActiveAccount(account);

  const getToken = async (): Promise<string> => {
    try {
      return (await app.acquireTokenSilent({ scopes: config.scopes, account })).accessToken;
    } catch (error) {
      if (error instanceof msal.InteractionRequiredAuthError) {
        await app.acquireTokenRedirect({ scopes: config.scopes, account });
      }
      throw error;
    }
  };
  const token =
    result?.accessToken && result.scopes.some((s) => config.scopes.includes(s)) ? result.accessToken : await getToken();
  return {
    session: { kind: 'entra', claims: decodeClaims(token), getToken, signOut: () => app.logoutRedirect({ account }) },
    signIn,
  };
}
