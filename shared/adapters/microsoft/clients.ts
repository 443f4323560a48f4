import type { TokenCredential } from '@azure/identity';
import {
  AccessTokenSource,
  createMicrosoftCredential,
  exchangeScope,
  graphScope,
  managementScope,
  type AccessTokenSourceOptions,
  type TenantSettings,
} from './credentials.js';
import { ExchangeClient, type ExchangeWarning } from './exchange.js';
import { GraphClient } from './graph.js';
import { ManagementClient } from './management.js';
import {
  AdaptiveLimiter,
  EXCHANGE_LIMITS,
  GRAPH_LIMITS,
  MANAGEMENT_LIMITS,
  type LimiterOptions,
  type SharedRate,
} from './limiter.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type Sleep } from './retry.js';
import type { ServiceContext } from './serviceHttp.js';
import { createHttpsFetch, type FetchLike } from './transport.js';

export interface MicrosoftClientsOptions {
  /** PEM of an extra CA to trust (the local simulator's certificate), for API calls and token requests. */
  ca?: string;
  /** Replaces the built-in `node:https` transport for Graph and Exchange calls (tests). */
  fetch?: FetchLike;
  /** Replaces the configured credential (tests); called again on every forced token refresh. */
  createCredential?: () => TokenCredential;
  retry?: Partial<RetryPolicy>;
  limiters?: {
    graph?: Partial<LimiterOptions>;
    exchange?: Partial<LimiterOptions>;
    management?: Partial<LimiterOptions>;
  };
  /** The tenant's shared rates each limiter follows and reports to (docs/pacing.md). */
  sharedRates?: { graph?: SharedRate; exchange?: SharedRate };
  tokens?: AccessTokenSourceOptions;
  /** `Prefer: odata.maxpagesize` for Exchange (default 1000). */
  exchangePageSize?: number;
  onExchangeWarnings?: (warning: ExchangeWarning) => void;
  sleep?: Sleep;
}

export interface MicrosoftClients {
  graph: GraphClient;
  exchange: ExchangeClient;
  /** The Office 365 Management Activity API (the change feed). */
  management: ManagementClient;
  limiters: { graph: AdaptiveLimiter; exchange: AdaptiveLimiter; management: AdaptiveLimiter };
  tokens: { graph: AccessTokenSource; exchange: AccessTokenSource; management: AccessTokenSource };
  /** Closes the keep-alive sockets (tests, CLI tools); a function app keeps its clients for life. */
  close(): void;
}

/**
 * Graph, Exchange and Management Activity API clients sharing one transport, one token source per resource and one
 * limiter per service; create once per process.
 */
export function createMicrosoftClients(config: TenantSettings, opts: MicrosoftClientsOptions = {}): MicrosoftClients {
  const transport = createHttpsFetch(opts.ca ? { ca: opts.ca } : {});
  const fetch = opts.fetch ?? transport.fetch;
  const newCredential = opts.createCredential ?? (() => createMicrosoftCredential(config, { agent: transport.agent }));
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };

  const limiters = {
    graph: new AdaptiveLimiter({
      ...GRAPH_LIMITS,
      ...opts.limiters?.graph,
      name: 'graph',
      ...(opts.sharedRates?.graph ? { shared: opts.sharedRates.graph } : {}),
    }),
    exchange: new AdaptiveLimiter({
      ...EXCHANGE_LIMITS,
      ...opts.limiters?.exchange,
      name: 'exchange',
      ...(opts.sharedRates?.exchange ? { shared: opts.sharedRates.exchange } : {}),
    }),
    management: new AdaptiveLimiter({ ...MANAGEMENT_LIMITS, ...opts.limiters?.management, name: 'management' }),
  };
  const tokens = {
    graph: new AccessTokenSource(newCredential, graphScope(config.graphBaseUrl), opts.tokens),
    exchange: new AccessTokenSource(newCredential, exchangeScope(config.exchangeBaseUrl), opts.tokens),
    // Its own token: the Management API's audience differs from Graph's and Exchange's (docs/wire.md).
    management: new AccessTokenSource(newCredential, managementScope(config.managementBaseUrl), opts.tokens),
  };
  const common = { fetch, retry, ...(opts.sleep ? { sleep: opts.sleep } : {}) };
  const graphContext: ServiceContext = {
    ...common,
    service: 'graph',
    tokens: tokens.graph,
    limiter: limiters.graph,
    tokenHosts: new Set([new URL(config.graphBaseUrl).hostname.toLowerCase()]),
  };
  const exchangeContext: ServiceContext = {
    ...common,
    service: 'exchange',
    tokens: tokens.exchange,
    limiter: limiters.exchange,
    tokenHosts: new Set([new URL(config.exchangeBaseUrl).hostname.toLowerCase()]),
  };
  const managementContext: ServiceContext = {
    ...common,
    service: 'management',
    tokens: tokens.management,
    limiter: limiters.management,
    tokenHosts: new Set([new URL(config.managementBaseUrl).hostname.toLowerCase()]),
  };
  return {
    graph: new GraphClient({ graphBaseUrl: config.graphBaseUrl, context: graphContext }),
    exchange: new ExchangeClient({
      tenantId: config.tenantId,
      exchangeBaseUrl: config.exchangeBaseUrl,
      context: exchangeContext,
      ...(opts.exchangePageSize ? { pageSize: opts.exchangePageSize } : {}),
      ...(opts.onExchangeWarnings ? { onWarnings: opts.onExchangeWarnings } : {}),
    }),
    management: new ManagementClient({
      tenantId: config.tenantId,
      managementBaseUrl: config.managementBaseUrl,
      context: managementContext,
    }),
    limiters,
    tokens,
    close: () => transport.close(),
  };
}
