import { ManagedIdentityCredential } from '@azure/identity';
import {
  ConsoleSpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import type { AppConfig } from '../../config.js';

/** Process-wide: a second start (another app instance of the local host, a second import) changes nothing. */
let started = false;

/**
 * Starts this process's tracing from the validated settings: the Azure Monitor distro when Application Insights is
 * configured, spans printed to the console when TRACES_EXPORTER=console, otherwise nothing (the API stays a no-op).
 */
export async function startTelemetry(settings: AppConfig['telemetry']): Promise<void> {
  if (started || (!settings.azureMonitor && !settings.console)) return;
  started = true;
  if (!settings.azureMonitor) {
    registerTracing(new ConsoleSpanExporter());
    return;
  }
  // Loaded only in Azure: the distro brings the whole Node SDK, which the local host and the tests never need.
  const { useAzureMonitor } = await import('@azure/monitor-opentelemetry');
  const { connectionString, clientId } = settings.azureMonitor;
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString,
      // The component takes Entra tokens only (infra: local auth off); the distro reads
      // APPLICATIONINSIGHTS_AUTHENTICATION_STRING for live metrics alone (metrics/quickpulse/credentialUtils.js).
      credential: new ManagedIdentityCredential(clientId ? { clientId } : {}),
    },
    // Every span is kept: a rate limit (the distro's default, 5 per second) would sample a run's mailboxes apart.
    tracesPerSecond: 0,
    samplingRatio: 1,
    instrumentationOptions: {
      // The app's own spans name each Graph, Exchange and Tables call; the generic HTTP and Azure SDK spans would
      // repeat every one of them under a raw URL (user principal names in Graph paths).
      http: { enabled: false },
      azureSdk: { enabled: false },
      mongoDb: { enabled: false },
      mySql: { enabled: false },
      postgreSql: { enabled: false },
      redis: { enabled: false },
      redis4: { enabled: false },
    },
    ...(settings.console ? { spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] } : {}),
  });
}

/**
 * Registers the OpenTelemetry Node SDK for this process with one exporter (W3C trace context, async context that
 * follows awaits); each span is exported when it ends. The console mode uses it, and so does the tracing test with
 * the SDK's in-memory exporter.
 */
export function registerTracing(exporter: SpanExporter): NodeTracerProvider {
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return provider;
}
