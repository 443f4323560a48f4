// Service Bus Standard (duplicate detection needs Standard or Premium) with the work queues.
// Queue names and settings must match shared/ports/queue.ts (QUEUES, QUEUE_SETTINGS); test/infra checks it.
// Local (SAS key) auth is disabled: the trigger and the sender both use the managed identity.

param name string
param location string
param tags object = {}

var queueNames = [
  'mps-expand'
  'mps-mailbox'
  'mps-alert'
]

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = [for queueName in queueNames: {
  parent: namespace
  name: queueName
  properties: {
    // A syncMailbox invocation holds its lock while Exchange throttles; the host renews it (host.json).
    lockDuration: 'PT5M'
    // A throwing handler is redelivered up to this many times, then dead-lettered and settled as failed.
    maxDeliveryCount: 10
    // Run and mailbox message ids are deterministic: a re-sent message inside the window is dropped.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
    requiresSession: false
    enablePartitioning: false
  }
}]

output name string = namespace.name
output id string = namespace.id
// serviceBusEndpoint is https://<name>.servicebus.windows.net:443/ (or the sovereign-cloud suffix): keep the host.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]
