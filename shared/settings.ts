/**
 * Setting names and Azure data roles the deployment must provide. infra/bicep, local.settings.sample.json and
 * loadConfig() are checked against these lists by test/infra, so a setting or role added to the code without
 * the template (or the other way round) fails a test instead of a deployment.
 */

/** Every setting loadConfig() reads (shared/config.ts), named exactly as in docs/design.md §4. */
export const CONFIG_SETTINGS = [
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_AUTHORITY_HOST',
  'GRAPH_BASE_URL',
  'EXCHANGE_BASE_URL',
  'MANAGEMENT_API_BASE_URL',
  'TABLES_CONNECTION_STRING',
  'TABLES_ENDPOINT',
  'TABLES_PREFIX',
  'ServiceBusConnection__fullyQualifiedNamespace',
  'API_AUDIENCE',
  'API_ISSUER',
  'API_JWKS_URI',
  'CONSOLE_CLIENT_ID',
  'PORT',
  'LOCAL_INSTANCES',
  'RUN_TIMEOUT_MINUTES',
  'REVOCATION_HOLD_PERCENT',
  'ALERT_ALLOW_HTTP_LOOPBACK',
  'HISTORY_RETENTION_DAYS',
  'RUN_RETENTION_DAYS',
  'LOG_LEVEL',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'TRACES_EXPORTER',
] as const;

export type ConfigSettingName = (typeof CONFIG_SETTINGS)[number];

/**
 * What loadConfig() needs on the Function App to pick the Azure adapters: the managed identity for Graph and
 * Exchange (tenant + client id, no secret), Table Storage by endpoint, Service Bus, API token validation, and
 * Application Insights for the app's own spans (the Functions host reads the same connection string).
 */
export const AZURE_REQUIRED_SETTINGS = [
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'TABLES_ENDPOINT',
  'ServiceBusConnection__fullyQualifiedNamespace',
  'API_AUDIENCE',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
] as const satisfies readonly ConfigSettingName[];

/**
 * Settings the Functions host (not loadConfig) reads in Azure: identity-based host storage, trigger connection,
 * telemetry.
 */
export const AZURE_HOST_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'ServiceBusConnection__credential',
  'ServiceBusConnection__clientId',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  // The Node.js worker fails its start on a function module that throws at import, instead of a logged warning.
  'FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR',
] as const;

/**
 * Never set on the Function App: a secret or certificate would replace the managed identity, a connection string
 * would carry an account key (the storage account has shared keys disabled).
 */
export const AZURE_FORBIDDEN_SETTINGS = [
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'TABLES_CONNECTION_STRING',
  'AzureWebJobsStorage',
  'ServiceBusConnection',
] as const;

/** Where a role is assigned: the resource the code talks to. */
export type AzureRoleScope = 'storageAccount' | 'serviceBusNamespace' | 'applicationInsights';

export interface AzureRoleRequirement {
  role: string;
  /** Built-in role definition id (the same in every Azure tenant). */
  roleDefinitionId: string;
  scope: AzureRoleScope;
  reason: string;
}

/** Data-plane roles the managed identity needs, and why; infra/bicep/modules/roles.bicep assigns exactly these. */
export const AZURE_ROLE_REQUIREMENTS: readonly AzureRoleRequirement[] = [
  {
    role: 'Storage Table Data Contributor',
    roleDefinitionId: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    scope: 'storageAccount',
    reason: 'the app creates its tables (createTable) and reads and writes entities with the managed identity',
  },
  {
    role: 'Storage Blob Data Owner',
    roleDefinitionId: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    scope: 'storageAccount',
    reason:
      'the Functions host keeps leases and timer state in AzureWebJobsStorage blobs; ' +
      'Flex Consumption reads the deployment package',
  },
  {
    role: 'Azure Service Bus Data Receiver',
    roleDefinitionId: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
    scope: 'serviceBusNamespace',
    reason: 'the queue triggers receive from mps-expand, mps-mailbox and their dead-letter sub-queues',
  },
  {
    role: 'Azure Service Bus Data Sender',
    roleDefinitionId: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
    scope: 'serviceBusNamespace',
    reason: 'evaluateSchedules, expandTarget and throttled handlers send (and schedule) messages',
  },
  {
    role: 'Azure Service Bus Data Owner',
    roleDefinitionId: '090c5cfd-751d-490a-894a-3ce6f1109419',
    scope: 'serviceBusNamespace',
    reason: "the platform's target-based scaler reads queue message counts with the app's identity",
  },
  {
    role: 'Monitoring Metrics Publisher',
    roleDefinitionId: '3913510d-42f4-4e42-8a64-420c390055eb',
    scope: 'applicationInsights',
    reason: 'telemetry is ingested with an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING); local auth is off',
  },
];
