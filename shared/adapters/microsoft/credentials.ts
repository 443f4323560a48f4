import https from 'node:https';
import { rootCertificates } from 'node:tls';
import {
  AuthenticationError,
  CredentialUnavailableError,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type AccessToken,
  type TokenCredential,
} from '@azure/identity';
import type { AppConfig } from '../../config.js';
import { ConfigError, PermanentUpstreamError, RetryableError, type AppError } from '../../errors.js';

export type TenantSettings = NonNullable<AppConfig['tenant']>;

/** Resource URIs the tokens are issued for (the `aud`); independent of where requests are sent. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const EXCHANGE_RESOURCE = 'https://outlook.office365.com';
/** The Office 365 Management Activity API's resource (docs/wire.md). */
export const MANAGEMENT_RESOURCE = 'https://manage.office.com';

// National clouds have their own resource hosts (graph.microsoft.us, microsoftgraph.chinacloudapi.cn,
// outlook.office365.us, partner.outlook.cn, …); anything else (a simulator, a proxy) uses the global one.
const MICROSOFT_RESOURCE_DOMAINS = [
  'microsoft.com',
  'microsoft.us',
  'chinacloudapi.cn',
  'office365.com',
  'office365.us',
  'office.com',
  'outlook.cn',
  'apps.mil',
];

function isMicrosoftResourceHost(host: string): boolean {
  const name = host.toLowerCase();
  return MICROSOFT_RESOURCE_DOMAINS.some((domain) => name === domain || name.endsWith(`.${domain}`));
}

/** The `.default` scope for a service: its base URL's own resource on a Microsoft host, else `fallbackResource`. */
export function scopeForBaseUrl(baseUrl: string, fallbackResource: string): string {
  const host = new URL(baseUrl).hostname;
  const resource = isMicrosoftResourceHost(host) ? `https://${host}` : fallbackResource;
  return `${resource}/.default`;
}

/** Graph scope for a configured GRAPH_BASE_URL. */
export function graphScope(graphBaseUrl: string): string {
  return scopeForBaseUrl(graphBaseUrl, GRAPH_RESOURCE);
}

/** Exchange Online scope for a configured EXCHANGE_BASE_URL. */
export function exchangeScope(exchangeBaseUrl: string): string {
  return scopeForBaseUrl(exchangeBaseUrl, EXCHANGE_RESOURCE);
}

/** Management Activity API scope for a configured MANAGEMENT_API_BASE_URL. */
export function managementScope(managementBaseUrl: string): string {
  return scopeForBaseUrl(managementBaseUrl, MANAGEMENT_RESOURCE);
}

/** An https.Agent trusting the public roots plus `ca` (a local simulator's certificate). */
export function createTrustingAgent(ca: string): https.Agent {
  return new https.Agent({ keepAlive: true, ca: [...rootCertificates, ca] });
}

/**
 * The app-only credential named by the configuration: client secret, client certificate or managed
 * identity. `ca` (or `agent`) makes token requests trust a local authority's self-signed certificate.
 */
export function createMicrosoftCredential(
  config: AppConfig['tenant'],
  opts: { ca?: string; agent?: https.Agent } = {},
): TokenCredential {
  if (!config) {
    throw new ConfigError(
      'CONFIG.TENANT_MISSING',
      'AZURE_TENANT_ID: required to talk to Microsoft Graph and Exchange Online',
    );
  }
  const agent = opts.agent ?? (opts.ca ? createTrustingAgent(opts.ca) : undefined);
  const common = {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: config.disableInstanceDiscovery,
    ...(agent ? { agent } : {}),
  };
  const settings = config.credential;
  switch (settings.kind) {
    case 'clientSecret':
      return new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret, common);
    case 'clientCertificate':
      return new ClientCertificateCredential(
        settings.tenantId,
        settings.clientId,
        { certificatePath: settings.certificatePath },
        common,
      );
    case 'managedIdentity':
      return new ManagedIdentityCredential({
        ...(settings.clientId ? { clientId: settings.clientId } : {}),
        ...(agent ? { agent } : {}),
      });
  }
}

export interface AccessTokenSourceOptions {
  /** Fetch a new token this long before the current one expires. */
  refreshMarginMs?: number;
  /** At most one forced refresh per this interval when a service answers 403 (stale `roles` claim). */
  forbiddenRefreshIntervalMs?: number;
  now?: () => number;
}

export interface AccessTokenSourceStats {
  scope: string;
  tokensAcquired: number;
  forcedRefreshes: number;
}

/**
 * Tokens for one scope, cached until shortly before expiry. @azure/identity keeps its own cache that
 * cannot be bypassed, so a forced refresh (after a 401, or a 403 caused by a token minted before the
 * app's permissions changed) builds a fresh credential: the new token reflects the current grants
 * without a restart.
 */
export class AccessTokenSource {
  private credential: TokenCredential;
  private cached: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;
  private lastForbiddenRefresh = Number.NEGATIVE_INFINITY;
  private acquired = 0;
  private forced = 0;
  private readonly refreshMarginMs: number;
  private readonly forbiddenRefreshIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly createCredential: () => TokenCredential,
    readonly scope: string,
    options: AccessTokenSourceOptions = {},
  ) {
    this.credential = createCredential();
    this.refreshMarginMs = options.refreshMarginMs ?? 120_000;
    this.forbiddenRefreshIntervalMs = options.forbiddenRefreshIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** A valid bearer token for the scope (cached; concurrent callers share one request). */
  async getToken(): Promise<string> {
    if (this.cached && this.cached.expiresOnTimestamp - this.refreshMarginMs > this.now()) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return (await this.pending).token;
  }

  /**
   * Reports that `token` was refused. Returns whether a retry with a new token makes sense: always
   * after a 401, and after a 403 at most once per `forbiddenRefreshIntervalMs`.
   */
  invalidate(token: string, reason: 'unauthorized' | 'forbidden'): boolean {
    if (this.cached && this.cached.token !== token) return true;
    if (reason === 'forbidden') {
      if (this.now() - this.lastForbiddenRefresh < this.forbiddenRefreshIntervalMs) return false;
      this.lastForbiddenRefresh = this.now();
    }
    this.cached = undefined;
    this.credential = this.createCredential();
    this.forced += 1;
    return true;
  }

  stats(): AccessTokenSourceStats {
    return { scope: this.scope, tokensAcquired: this.acquired, forcedRefreshes: this.forced };
  }

  private async fetchToken(): Promise<AccessToken> {
    let token: AccessToken | null;
    try {
      token = await this.credential.getToken(this.scope);
    } catch (error) {
      throw tokenFailure(this.scope, error);
    }
    if (!token) throw new PermanentUpstreamError('AUTH.NO_TOKEN', `The credential returned no token for ${this.scope}`);
    this.cached = token;
    this.acquired += 1;
    return token;
  }
}

/** Maps a credential failure to a typed error without echoing secrets (Entra's descriptions carry none). */
export function tokenFailure(scope: string, error: unknown): AppError {
  if (error instanceof AuthenticationError) {
    const description = error.errorResponse.errorDescription.split(/\r?\n/)[0] ?? '';
    const status = `HTTP ${error.statusCode}, ${error.errorResponse.error}`;
    const text = `Entra ID refused a token for ${scope} (${status}): ${description.slice(0, 300)}`;
    if (error.statusCode >= 500 || error.statusCode === 429)
      return new RetryableError('AUTH.UNAVAILABLE', text, undefined, { cause: error });
    return new PermanentUpstreamError(
      'AUTH.TOKEN_REFUSED',
      `${text}. Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the secret or certificate`,
    );
  }
  if (error instanceof CredentialUnavailableError) {
    return new PermanentUpstreamError(
      'AUTH.CREDENTIAL_UNAVAILABLE',
      `No credential could get a token for ${scope}: ${error.message.split(/\r?\n/)[0]?.slice(0, 300) ?? ''}`,
    );
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message.split(/\r?\n/)[0] ?? ''}` : String(error);
  return new RetryableError(
    'AUTH.UNAVAILABLE',
    `Could not get a token for ${scope}: ${reason.slice(0, 300)}`,
    undefined,
    { cause: error },
  );
}
