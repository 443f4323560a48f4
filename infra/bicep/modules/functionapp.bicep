// The Function App on Flex Consumption (Linux). Runtime and scale live in functionAppConfig, so the legacy
// FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION / WEBSITE_RUN_FROM_PACKAGE settings must not be set
// (Flex rejects them). Every connection is identity-based with the user-assigned identity; no secret is stored.
// App settings follow docs/design.md §4 and shared/settings.ts; test/infra/arm.test.ts checks they agree.

param name string
param planName string
param location string
param tags object = {}

param identityId string
param identityClientId string
param tenantId string

param storageAccountName string
param blobEndpoint string
param deploymentContainerName string
param tablesEndpoint string
param serviceBusFullyQualifiedNamespace string
param appInsightsConnectionString string

@allowed([
  '22'
  '24'
])
param nodeVersion string
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

param apiAudience string
param consoleClientId string
param tablesPrefix string
param authorityHost string
param graphBaseUrl string
param exchangeBaseUrl string
param managementBaseUrl string
param runTimeoutMinutes int
@description('A run that would revoke more than this share of one right\'s stored delegations holds them.')
@minValue(1)
@maxValue(100)
param revocationHoldPercent int = 20
@description('The daily retention timer deletes change history older than this many days.')
@minValue(1)
param historyRetentionDays int = 400
@description('The daily retention timer deletes runs closed longer ago than this many days, with their items.')
@minValue(1)
param runRetentionDays int = 90
param logLevel string

var baseSettings = [
  // Host storage (leases, timers) over the managed identity instead of a connection string.
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  // The Service Bus triggers (connection 'ServiceBusConnection'); the sender reads the same namespace.
  { name: 'ServiceBusConnection__fullyQualifiedNamespace', value: serviceBusFullyQualifiedNamespace }
  { name: 'ServiceBusConnection__credential', value: 'managedidentity' }
  { name: 'ServiceBusConnection__clientId', value: identityClientId }
  // Application Insights with Entra auth (local auth is disabled on the component).
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
  // A function module that throws at import fails the worker's start instead of leaving the rest of the functions
  // unregistered behind a logged warning (learn.microsoft.com/azure/azure-functions/functions-app-settings).
  { name: 'FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR', value: 'true' }
  // loadConfig(): AZURE_CLIENT_ID without a secret or certificate selects the managed identity credential.
  { name: 'AZURE_TENANT_ID', value: tenantId }
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'AZURE_AUTHORITY_HOST', value: authorityHost }
  { name: 'GRAPH_BASE_URL', value: graphBaseUrl }
  { name: 'EXCHANGE_BASE_URL', value: exchangeBaseUrl }
  { name: 'MANAGEMENT_API_BASE_URL', value: managementBaseUrl }
  { name: 'TABLES_ENDPOINT', value: tablesEndpoint }
  { name: 'TABLES_PREFIX', value: tablesPrefix }
  // Empty means every protected route answers 401 (fail closed) until the API app registration exists.
  { name: 'API_AUDIENCE', value: apiAudience }
  { name: 'RUN_TIMEOUT_MINUTES', value: string(runTimeoutMinutes) }
  { name: 'REVOCATION_HOLD_PERCENT', value: string(revocationHoldPercent) }
  { name: 'HISTORY_RETENTION_DAYS', value: string(historyRetentionDays) }
  { name: 'RUN_RETENTION_DAYS', value: string(runRetentionDays) }
  { name: 'LOG_LEVEL', value: logLevel }
]

// loadConfig() rejects an empty CONSOLE_CLIENT_ID (it must be a GUID when present), so it is set only when given.
var consoleSettings = empty(consoleClientId) ? [] : [
  { name: 'CONSOLE_CLIENT_ID', value: consoleClientId }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd deploys the 'api' service of azure.yaml to the resource carrying this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(baseSettings, consoleSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
