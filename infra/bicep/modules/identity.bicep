// The one user-assigned managed identity the app uses for everything: host storage, deployment package,
// Table Storage, Service Bus (trigger and sender), Application Insights ingestion, Graph and Exchange Online.
// A user-assigned identity (not system-assigned) so its client id is known before the Function App exists and
// every role assignment can be in place when the host first starts.

param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
