import type { InvocationContext } from '@azure/functions';
import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
} from '@opentelemetry/api';
import { TRACE_ATTRIBUTES, TRACER_NAME } from '../ports/telemetry.js';

/**
 * One span per invocation, opened by the registry's wrappers so function files stay thin. A queue message's span
 * continues the trace named in its application properties (`traceparent`, `tracestate`, put there by the queue
 * adapters), so a run is one trace: timer or HTTP → mps-expand → every mps-mailbox message (docs/operations.md).
 */
const tracer = trace.getTracer(TRACER_NAME);

const ATTR = TRACE_ATTRIBUTES;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Run, task and mailbox of a queue body, when it names them (the use case validates the body, not this). */
function runAttributes(body: unknown): Attributes {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  if (typeof parsed !== 'object' || parsed === null) return {};
  const b = parsed as { runId?: unknown; taskId?: unknown; mailbox?: { id?: unknown } };
  const attributes: Attributes = {};
  const runId = text(b.runId);
  const taskId = text(b.taskId);
  const mailboxId = text(b.mailbox?.id);
  if (runId) attributes[ATTR.runId] = runId;
  if (taskId) attributes[ATTR.taskId] = taskId;
  if (mailboxId) attributes[ATTR.mailboxId] = mailboxId;
  return attributes;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** What a use case answered (`outcome`, and `reason` or `error`), so KQL can count outcomes and failures. */
function outcomeAttributes(result: unknown): Attributes {
  if (typeof result !== 'object' || result === null) return {};
  const r = result as { outcome?: unknown; reason?: unknown; error?: unknown; mailboxes?: unknown };
  const attributes: Attributes = {};
  const outcome = text(r.outcome);
  const reason = text(r.reason) ?? text(r.error);
  if (outcome) attributes[ATTR.outcome] = outcome;
  if (reason) attributes[ATTR.reason] = reason.slice(0, 1024);
  if (typeof r.mailboxes === 'number') attributes[ATTR.mailboxes] = r.mailboxes;
  return attributes;
}

/** The W3C context carried by a message: Service Bus application properties, as the trigger metadata holds them. */
function messageContext(invocation: InvocationContext): Context | undefined {
  const meta = invocation.triggerMetadata ?? {};
  const props = (meta.applicationProperties ?? meta.userProperties) as Record<string, unknown> | undefined;
  const traceparent = text(props?.traceparent);
  if (!traceparent) return undefined;
  const tracestate = text(props?.tracestate);
  return propagation.extract(ROOT_CONTEXT, { traceparent, ...(tracestate ? { tracestate } : {}) });
}

/** The Functions host's own span of this invocation (Azure only), linked so its `requests` row can be found. */
function hostLinks(invocation: InvocationContext): Link[] {
  const traceparent = text(invocation.traceContext?.traceParent);
  if (!traceparent) return [];
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }));
  return spanContext && trace.isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

async function inInvocationSpan<T>(
  name: string,
  kind: SpanKind,
  parent: Context,
  attributes: Attributes,
  links: Link[],
  fn: () => Promise<T>,
  resultAttributes: (result: T) => Attributes = outcomeAttributes,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes, links }, parent, async (span) => {
    try {
      const result = await fn();
      span.setAttributes(resultAttributes(result));
      return result;
    } catch (error) {
      const code = (error as { code?: unknown } | undefined)?.code;
      const message = error instanceof Error ? error.message : String(error);
      if (typeof code === 'string') span.setAttribute(ATTR.errorCode, code);
      // The exporter drops a status message: the reason goes where KQL reads it (customDimensions).
      span.setAttribute(ATTR.reason, message.slice(0, 1024));
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A queue message's invocation: a consumer span continuing the message's trace (a new trace when the message
 * carries none), with the run, task and mailbox it names and its delivery count.
 */
export function traceQueueInvocation<T>(
  name: string,
  message: unknown,
  invocation: InvocationContext,
  fn: () => Promise<T>,
): Promise<T> {
  const deliveryCount = invocation.triggerMetadata?.deliveryCount;
  const attributes: Attributes = {
    ...runAttributes(message),
    ...(typeof deliveryCount === 'number' ? { [ATTR.deliveryCount]: deliveryCount } : {}),
    // The exporter names a consumer span's `requests` row from this attribute only
    // (@azure/monitor-opentelemetry-exporter, dist/esm/utils/spanUtils.js, createTagsFromSpan).
    'ai.operation.name': name,
  };
  return inInvocationSpan(
    name,
    SpanKind.CONSUMER,
    messageContext(invocation) ?? ROOT_CONTEXT,
    attributes,
    hostLinks(invocation),
    fn,
  );
}

/**
 * A timer invocation: the start of a trace (in Azure, the child of the host's invocation, which the Azure Monitor
 * distro makes the active context); a run it creates is carried on by its mps-expand message.
 */
export function traceTimerInvocation<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return inInvocationSpan(name, SpanKind.SERVER, otelContext.active(), {}, [], fn);
}

/**
 * An HTTP invocation (a "run now" starts its run's trace here): method, route template and status as the exporter
 * reads them, so the `requests` row is named `GET users/{user}/delegate-mailboxes` with its result code.
 */
export function traceHttpInvocation<T extends { status?: number }>(
  name: string,
  method: string,
  route: string,
  fn: () => Promise<T>,
): Promise<T> {
  const attributes: Attributes = { 'http.request.method': method, 'http.route': route, 'mps.function': name };
  return inInvocationSpan(name, SpanKind.SERVER, otelContext.active(), attributes, [], fn, (response) => ({
    'http.response.status_code': response.status ?? 200,
  }));
}
