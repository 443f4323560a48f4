export { createMicrosoftClients, type MicrosoftClients, type MicrosoftClientsOptions } from './clients.js';
export {
  AccessTokenSource,
  EXCHANGE_RESOURCE,
  GRAPH_RESOURCE,
  MANAGEMENT_RESOURCE,
  createMicrosoftCredential,
  createTrustingAgent,
  exchangeScope,
  graphScope,
  managementScope,
  scopeForBaseUrl,
  tokenFailure,
  type AccessTokenSourceOptions,
  type AccessTokenSourceStats,
  type TenantSettings,
} from './credentials.js';
export {
  EXCHANGE_BATCH_LIMIT,
  ExchangeClient,
  type CmdletParameters,
  type ExchangeClientOptions,
  type ExchangeCommand,
  type ExchangePage,
  type ExchangeWarning,
} from './exchange.js';
export {
  GRAPH_BATCH_LIMIT,
  GRAPH_PERMISSIONS,
  GraphClient,
  type GraphBatchRequest,
  type GraphBatchResponse,
  type GraphClientOptions,
} from './graph.js';
export {
  auditRecordSchema,
  contentRefSchema,
  parseAuditRecord,
  readAuditTime,
  subscriptionSchema,
} from './auditRecords.js';
export {
  formatListingTime,
  MAX_CONTENT_LOOKBACK_MS,
  MAX_CONTENT_WINDOW_MS,
  ManagementClient,
  type ManagementClientOptions,
} from './management.js';
export { AdaptiveLimiter, type LimiterOptions, type LimiterSlot, type LimiterStats } from './limiter.js';
export { odataString, pathSegment, queryString } from './odata.js';
export {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  retryBatchItems,
  withRetries,
  type ItemOutcome,
  type RetryPolicy,
  type Sleep,
} from './retry.js';
export {
  calendarPermissionSchema,
  directoryObjectSchema,
  graphGroupSchema,
  graphUserSchema,
  mailboxPermissionRowSchema,
  mailboxRowSchema,
  parseRows,
  recipientPermissionRowSchema,
  recipientRowSchema,
  splitAccessRights,
} from './rows.js';
export {
  createHttpsFetch,
  type FetchInit,
  type FetchLike,
  type HttpsFetch,
  type HttpsFetchOptions,
} from './transport.js';
export {
  classifyHttpFailure,
  extractExchangeError,
  extractGraphError,
  extractManagementError,
  forbiddenFix,
  isManagementThrottle,
  MANAGEMENT_FORBIDDEN_FIX,
  malformedResponse,
  networkFailure,
  parseRetryAfter,
  type HttpFailure,
  type MicrosoftService,
  type UpstreamErrorText,
} from './upstreamErrors.js';
