/**
 * Names of the span attributes the app writes (Application Insights keeps them in `customDimensions`): the
 * registry's invocation spans and the adapters' dependency spans share them, and docs/operations.md's KQL reads
 * them.
 */
export const TRACE_ATTRIBUTES = {
  runId: 'mps.run_id',
  taskId: 'mps.task_id',
  mailboxId: 'mps.mailbox_id',
  mailboxes: 'mps.mailboxes',
  outcome: 'mps.outcome',
  reason: 'mps.reason',
  deliveryCount: 'mps.delivery_count',
  errorCode: 'mps.error_code',
  service: 'mps.service',
  operation: 'mps.operation',
  statusCode: 'mps.status_code',
  throttled: 'mps.throttled',
  retryAfterMs: 'mps.retry_after_ms',
  table: 'mps.table',
  entities: 'mps.entities',
} as const;

/** The instrumentation scope of every span of the app. */
export const TRACER_NAME = 'mailbox-permission-sync';
