// Mailbox Permission Sync on Azure: `azd up` provisions this (subscription scope, one resource group) and
// deploys the code to the Function App. Split by concern into modules/; the first deployment, step by step, is
// docs/deploy.md. `npm test` compiles and lints it with the real Bicep compiler (dev/bicep.ts) and checks the
// compiled and evaluated template against the code (test/infra/arm.test.ts): settings, queues, roles.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; also names the resource group and seeds resource names.')
param environmentName string

@minLength(1)
@description('Azure region for every resource (must offer Flex Consumption).')
param location string

@description('API token audience: the API app registration\'s client id or App ID URI; empty fails closed (401).')
param apiAudience string = ''

@description('Client id of the console\'s SPA app registration (optional; the console sign-in is off without it).')
param consoleClientId string = ''

@description('Upper bound of Flex Consumption instances; Exchange throttling, not CPU, limits throughput.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Node.js major version of the Flex Consumption runtime: 22 by default, 24 allowed.')
@allowed([
  '22'
  '24'
])
param nodeVersion string = '22'

@description('Prefix of the app\'s table names (<prefix><Name>), 1-20 letters or digits.')
param tablesPrefix string = 'mps'

@description('Minutes after which finalizeRuns fails a run that is still active.')
param runTimeoutMinutes int = 360

@allowed([
  'fatal'
  'error'
  'warn'
  'info'
  'debug'
  'trace'
  'silent'
])
param logLevel string = 'info'

// Token authority of the cloud this deploys to; Graph and Exchange default to the public cloud, so change them
// for a national cloud (docs/configuration.md).
param authorityHost string = environment().authentication.loginEndpoint
param graphBaseUrl string = 'https://graph.microsoft.com'
param exchangeBaseUrl string = 'https://outlook.office365.com'
// Office 365 Management Activity API root (the change feed); GCC: https://manage-gcc.office.com.
param managementBaseUrl string = 'https://manage.office.com'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var deploymentContainerName = 'app-package-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-mps-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    workspaceName: 'log-mps-${resourceToken}'
    appInsightsName: 'appi-mps-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stmps${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'serviceBus'
  scope: rg
  params: {
    name: 'sb-mps-${resourceToken}'
    location: location
    tags: tags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionApp'
  scope: rg
  // The host reads AzureWebJobsStorage on its first start: the roles must exist before the app does.
  dependsOn: [
    roles
  ]
  params: {
    name: 'func-mps-${resourceToken}'
    planName: 'plan-mps-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    tenantId: tenant().tenantId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    tablesEndpoint: storage.outputs.tableEndpoint
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    appInsightsConnectionString: monitoring.outputs.connectionString
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    apiAudience: apiAudience
    consoleClientId: consoleClientId
    tablesPrefix: tablesPrefix
    authorityHost: authorityHost
    graphBaseUrl: graphBaseUrl
    exchangeBaseUrl: exchangeBaseUrl
    managementBaseUrl: managementBaseUrl
    runTimeoutMinutes: runTimeoutMinutes
    logLevel: logLevel
  }
}

// azd stores these in .azure/<env>/.env; docs/deploy.md uses them in the permission commands.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output CONSOLE_REDIRECT_URI string = 'https://${functionApp.outputs.defaultHostName}/api/console/'
output MANAGED_IDENTITY_NAME string = identity.outputs.name
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.name
output SERVICE_BUS_FQDN string = serviceBus.outputs.fullyQualifiedNamespace
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output TABLES_ENDPOINT string = storage.outputs.tableEndpoint
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
