import { AsyncLocalStorage } from 'node:async_hooks';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { loadConfig, type AppConfig } from './config.js';
import { ConfigError, UnauthenticatedError } from './errors.js';
import { createLogger, type Logger } from './logging.js';
import type { Authenticator } from './ports/auth.js';
import type { QueueSender } from './ports/queue.js';
import type { AuditFeedPort } from './ports/auditFeed.js';
import type { MicrosoftPorts } from './ports/microsoft.js';
import type { Repositories, StorageProbe, UseCaseDeps, UseCaseSettings } from './ports/services.js';
import { TableClientFactory, type TableLayout } from './adapters/tables/tableStore.js';
import { ServiceBusQueueSender } from './adapters/queue/serviceBusQueue.js';
import { JwtAuthenticator } from './adapters/auth/jwtAuthenticator.js';
import { ScheduleTable } from './adapters/tables/scheduleTable.js';
import { TaskTable } from './adapters/tables/taskTable.js';
import { RunTable } from './adapters/tables/runTable.js';
import { DelegationTables } from './adapters/tables/delegationTables.js';
import { DirectoryTable } from './adapters/tables/directoryTable.js';
import { RetentionTables } from './adapters/tables/retention.js';
import { createMicrosoftClients, type MicrosoftClients } from './adapters/microsoft/index.js';
import { ResolverCache } from './usecases/trusteeResolver.js';
import { TenantRateTable } from './adapters/tables/tenantRateTable.js';
import type { TenantRates } from './ports/tenantRates.js';
import { SharedRateLink, tenantRatesOf } from './usecases/tenantRates.js';
import { ConcurrencyLimit } from './usecases/concurrencyLimit.js';
import { EXPANSIONS_PER_INSTANCE } from './usecases/expandTarget.js';
import { startTelemetry } from './adapters/telemetry/setup.js';
import { AuditFeedTable } from './adapters/tables/auditFeedTable.js';
import type { AuditFeedStateRepository } from './ports/auditFeedState.js';
import { AlertDeliveryTable, AlertRuleTable } from './adapters/tables/alertTables.js';
import { SafeWebhookClient, systemResolve, type ResolveHost } from './adapters/webhook/webhookClient.js';
import type { AlertPorts } from './ports/alerts.js';
import { DEFAULT_ALERT_BACKOFF, type AlertBackoff } from './domain/alerts.js';
import { RuleAlertRaiser } from './usecases/alertRaiser.js';

/**
 * Process-wide dependencies (SDK clients are created once per process, never per invocation): the ports the use
 * cases take, plus what only the hosts use.
 */
export interface Services extends UseCaseDeps {
  config: AppConfig;
  tables: TableClientFactory;
  repos: TableRepositories;
  authenticator: Authenticator;
  /** Graph and Exchange clients, created on first use; the real clients also expose their limiters (bench). */
  microsoft(): MicrosoftPorts & Partial<Pick<MicrosoftClients, 'limiters'>>;
  /** Run-scoped trustee caches, shared by this process's syncMailbox invocations. */
  resolvers: ResolverCache;
  /** The configured tenant's shared request rates, which expansion paces the mailbox messages by (absent: none). */
  tenantRates?: TenantRates;
  /** This instance's expansion slots: fewer expansions at once than the host's per-instance concurrency. */
  expansions: ConcurrencyLimit;
  /** The change feed's checkpoint, counters and seen blobs (docs/design.md §8.4). */
  feedState: AuditFeedStateRepository;
  /** Alert rules, deliveries, the outbound webhook client and the sync hook (with this instance's caches). */
  alerts: AlertPorts;
}

/** The table-backed repositories: the ports, with the table adapters' extras visible to tests and tools. */
export interface TableRepositories extends Repositories {
  delegations: DelegationTables;
  directory: DirectoryTable;
  /** The retention timer's scans and deletions (not a use-case repository of the API). */
  retention: RetentionTables;
}

/** The table-backed repositories over one table factory. */
export function buildRepositories(tables: TableClientFactory): TableRepositories {
  return {
    schedules: new ScheduleTable(tables.store('Schedules')),
    tasks: new TaskTable(tables.store('Tasks')),
    runs: new RunTable(tables),
    delegations: new DelegationTables(tables),
    directory: new DirectoryTable(tables),
    retention: new RetentionTables(tables),
  };
}

/** Reads one entity page of a table: it answers only when the store is reachable and the identity may read. */
function tableProbe(tables: TableClientFactory): StorageProbe {
  return {
    async ping() {
      await tables.store('Runs').page({ top: 1 });
    },
  };
}

function settingsOf(config: AppConfig): UseCaseSettings {
  return {
    runTimeoutMinutes: config.runTimeoutMinutes,
    revocationHoldPercent: config.revocationHoldPercent,
    historyRetentionDays: config.historyRetentionDays,
    queueTransport: config.serviceBus.kind,
  };
}

export interface ServiceOverrides {
  queue?: QueueSender;
  logger?: Logger;
  now?: () => Date;
  authenticator?: Authenticator;
  microsoft?: MicrosoftPorts;
  auditFeed?: AuditFeedPort;
  /** Physical tables per entity: one each unless a host on the emulator passes a sharded layout. */
  tableLayout?: TableLayout;
  /** How webhook host names resolve (default: the system resolver, every address). */
  resolveHost?: ResolveHost;
  /** When failed alert deliveries are retried (default: DEFAULT_ALERT_BACKOFF). */
  alertBackoff?: AlertBackoff;
}

/** An authenticator for a deployment without API_AUDIENCE: every protected route answers 401 (fail closed). */
const refuseAll: Authenticator = {
  async authenticate() {
    throw new UnauthenticatedError('AUTH.NOT_CONFIGURED', 'API authentication is not configured (set API_AUDIENCE)');
  },
};

/** Builds the services from a validated config; the local host passes its in-process queue. */
export function buildServices(config: AppConfig, overrides: ServiceOverrides = {}): Services {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  let queue = overrides.queue;
  if (!queue) {
    if (config.serviceBus.kind !== 'serviceBus') {
      throw new ConfigError(
        'CONFIG.INVALID',
        'Invalid configuration: ServiceBusConnection__fullyQualifiedNamespace: ' +
          'required when running in Azure Functions',
      );
    }
    const credential = config.serviceBus.clientId
      ? new ManagedIdentityCredential({ clientId: config.serviceBus.clientId })
      : new DefaultAzureCredential();
    queue = ServiceBusQueueSender.forNamespace(config.serviceBus.fullyQualifiedNamespace, credential);
  }
  const { audience, issuer, jwksUri } = config.api;
  const authenticator =
    overrides.authenticator ??
    (audience && issuer && jwksUri
      ? new JwtAuthenticator({
          audience,
          issuer,
          jwksUri,
          ...(config.tenant ? { tenantId: config.tenant.tenantId } : {}),
        })
      : refuseAll);
  const tables = new TableClientFactory(config.tables, overrides.tableLayout);
  let microsoftClients: MicrosoftClients | undefined;
  const rateTable = new TenantRateTable(tables.store('TenantRates'));
  const tenantId = config.tenant?.tenantId;
  const alertRules = new AlertRuleTable(tables.store('AlertRules'));
  const services: Services = {
    config,
    logger,
    tables,
    repos: buildRepositories(tables),
    storage: tableProbe(tables),
    settings: settingsOf(config),
    queue,
    authenticator,
    now: overrides.now ?? (() => new Date()),
    resolvers: new ResolverCache(),
    expansions: new ConcurrencyLimit(EXPANSIONS_PER_INSTANCE),
    feedState: new AuditFeedTable(tables.store('AuditFeed')),
    ...(tenantId && !overrides.microsoft ? { tenantRates: tenantRatesOf(rateTable, tenantId) } : {}),
    microsoft: () => {
      if (overrides.microsoft) return overrides.microsoft;
      return clients();
    },
    auditFeed: () => overrides.auditFeed ?? clients().management,
    alerts: {
      rules: alertRules,
      deliveries: new AlertDeliveryTable(tables.store('AlertDeliveries')),
      webhook: new SafeWebhookClient({
        allowHttpLoopback: config.alertAllowHttpLoopback,
        resolve: overrides.resolveHost ?? systemResolve,
      }),
      // The raiser reads the services' clock, queue and Microsoft clients at call time (tests replace them).
      raiser: new RuleAlertRaiser({
        rules: alertRules,
        queue: {
          send: (n, m) => services.queue.send(n, m),
          ping: (n) => services.queue.ping(n),
          close: async () => {},
        },
        now: () => services.now(),
        microsoft: () => services.microsoft(),
        logger,
      }),
      backoff: overrides.alertBackoff ?? DEFAULT_ALERT_BACKOFF,
    },
  };
  return services;

  function clients(): MicrosoftClients {
    if (!config.tenant) {
      throw new ConfigError(
        'CONFIG.NO_TENANT',
        'No Microsoft 365 tenant is configured: set AZURE_TENANT_ID and AZURE_CLIENT_ID ' +
          '(plus a secret or certificate outside Azure)',
      );
    }
    const { tenantId: tenant } = config.tenant;
    const link = (service: 'graph' | 'exchange') => new SharedRateLink(rateTable, tenant, service, Date.now, logger);
    microsoftClients ??= createMicrosoftClients(config.tenant, {
      sharedRates: { graph: link('graph'), exchange: link('exchange') },
    });
    return microsoftClients;
  }
}

/**
 * The Functions worker imports every function file, and with them this module, before its first invocation, so
 * tracing starts here and that invocation's span is recorded (docs/operations.md). An invalid configuration starts
 * none: getServices() reports it on the first invocation, as without tracing.
 */
async function startProcessTelemetry(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch {
    return;
  }
  await startTelemetry(config.telemetry);
}
await startProcessTelemetry();

let current: Services | undefined;
// The local host's app instances (LOCAL_INSTANCES) share one process: each invocation sees its instance's services.
const instanceScope = new AsyncLocalStorage<Services>();

/** The services of the invoking app instance, else the process's, built on first use from loadConfig(). */
export function getServices(): Services {
  const scoped = instanceScope.getStore();
  if (scoped) return scoped;
  current ??= buildServices(loadConfig());
  return current;
}

/** Runs `fn` as one app instance: getServices() answers `services` for everything it awaits (the local host). */
export function runAsInstance<T>(services: Services, fn: () => T): T {
  return instanceScope.run(services, fn);
}

/** Installs the services for this process (the local host and integration tests call it once at start). */
export function configureServices(services: Services): void {
  current = services;
}
