import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { TRACE_ATTRIBUTES, TRACER_NAME } from '../../ports/telemetry.js';

/**
 * The app's spans, written against the OpenTelemetry API only: without a registered SDK (tests, the local host by
 * default) every call here is a no-op. The SDK is chosen in `setup.ts`.
 */
export const tracer = trace.getTracer(TRACER_NAME);

export const ATTR = TRACE_ATTRIBUTES;

/**
 * Runs `fn` inside a client span (an Application Insights dependency) named for an admin, e.g.
 * `Exchange Get-MailboxPermission`. A throw marks the span failed with the error's code and rethrows.
 */
export async function dependencySpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed: the error's stable code (AppError) as an attribute, its message as the status. */
export function failSpan(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') span.setAttribute(ATTR.errorCode, code);
  // The exporter drops a status message: the reason goes where KQL reads it (customDimensions).
  span.setAttribute(ATTR.reason, message.slice(0, 1024));
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * The W3C trace context (`traceparent`, `tracestate`) of the active span, for a message's application properties;
 * empty when nothing is traced.
 */
export function traceContextProperties(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
