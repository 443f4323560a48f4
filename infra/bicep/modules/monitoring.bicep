// Log Analytics + workspace-based Application Insights. Local (instrumentation key) ingestion is disabled:
// the Function App sends telemetry with an Entra token of the managed identity
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), which needs Monitoring Metrics Publisher (roles.bicep).

param workspaceName string
param appInsightsName string
param location string
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
// Not a secret: with DisableLocalAuth the instrumentation key in it cannot ingest without an Entra token.
output connectionString string = appInsights.properties.ConnectionString
