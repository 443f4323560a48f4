import { z } from 'zod';
import { ConfigError } from './errors.js';

const MICROSOFT_AUTHORITY_HOSTS = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
];

const httpsUrl = z
  .string()
  .url('must be an absolute URL')
  .refine((v) => v.startsWith('https://'), 'must be an https:// URL')
  .transform((v) => v.replace(/\/+$/, ''));

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const positiveInt = (fallback: number) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? fallback : Number(v)),
    z.number().int('must be a whole number').positive('must be greater than 0'),
  );

/** Every setting the app reads, named exactly as in docs/design.md §4 (plus a few tuning knobs). */
const settingsSchema = z.object({
  AZURE_TENANT_ID: guid.optional(),
  AZURE_CLIENT_ID: guid.optional(),
  AZURE_CLIENT_SECRET: optionalString,
  AZURE_CLIENT_CERTIFICATE_PATH: optionalString,
  AZURE_AUTHORITY_HOST: httpsUrl.default('https://login.microsoftonline.com'),
  GRAPH_BASE_URL: httpsUrl.default('https://graph.microsoft.com'),
  EXCHANGE_BASE_URL: httpsUrl.default('https://outlook.office365.com'),
  MANAGEMENT_API_BASE_URL: httpsUrl.default('https://manage.office.com'),
  TABLES_CONNECTION_STRING: optionalString,
  TABLES_ENDPOINT: httpsUrl.optional(),
  TABLES_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,19}$/, 'must be 1-20 letters or digits, starting with a letter')
    .default('mps'),
  ServiceBusConnection__fullyQualifiedNamespace: optionalString,
  API_AUDIENCE: optionalString,
  API_ISSUER: httpsUrl.optional(),
  API_JWKS_URI: httpsUrl.optional(),
  CONSOLE_CLIENT_ID: guid.optional(),
  PORT: positiveInt(7071).pipe(z.number().max(65535, 'must be at most 65535')),
  RUN_TIMEOUT_MINUTES: positiveInt(360),
  LOCAL_INSTANCES: positiveInt(1),
  REVOCATION_HOLD_PERCENT: positiveInt(20).pipe(z.number().max(100, 'must be at most 100')),
  HISTORY_RETENTION_DAYS: positiveInt(400),
  ALERT_ALLOW_HTTP_LOOPBACK: z
    .enum(['true', 'false'], { error: () => 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  RUN_RETENTION_DAYS: positiveInt(90),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalString,
  TRACES_EXPORTER: z.enum(['none', 'console']).default('none'),
});

export type CredentialSettings =
  | { kind: 'clientSecret'; tenantId: string; clientId: string; clientSecret: string }
  | { kind: 'clientCertificate'; tenantId: string; clientId: string; certificatePath: string }
  | { kind: 'managedIdentity'; tenantId: string; clientId?: string };

export interface AppConfig {
  /** App-only identity for Graph and Exchange; undefined when no tenant is configured. */
  tenant?: {
    tenantId: string;
    credential: CredentialSettings;
    authorityHost: string;
    /** true for a non-Microsoft authority (the simulator): MSAL instance discovery must be off. */
    disableInstanceDiscovery: boolean;
    graphBaseUrl: string;
    exchangeBaseUrl: string;
    /** Office 365 Management Activity API root (the change feed, docs/design.md §8.4). */
    managementBaseUrl: string;
  };
  tables:
    | { kind: 'connectionString'; connectionString: string; prefix: string }
    | { kind: 'endpoint'; endpoint: string; prefix: string; clientId?: string };
  serviceBus: { kind: 'inProcess' } | { kind: 'serviceBus'; fullyQualifiedNamespace: string; clientId?: string };
  api: { audience?: string; issuer?: string; jwksUri?: string };
  /** The built-in console's SPA app registration (Entra sign-in in Azure); absent locally. */
  console: { clientId?: string };
  port: number;
  /** `npm start` only: isolated app instances consuming the one local queue, as Azure's scale-out (§8.1). */
  localInstances: number;
  runTimeoutMinutes: number;
  /** A run that would revoke more than this share of one right's stored delegations holds them (§8.2). */
  revocationHoldPercent: number;
  /** Webhook URLs may be http://127.0.0.1 (the local host's receivers); never set in Azure (§8.1). */
  alertAllowHttpLoopback: boolean;
  /** The retention timer deletes change history older than this many days (§8.1). */
  historyRetentionDays: number;
  /** The retention timer deletes runs closed longer ago than this, with their items and proposals (§8.1). */
  runRetentionDays: number;
  logLevel: z.infer<typeof settingsSchema>['LOG_LEVEL'];
  /** Where spans go: Application Insights when a connection string is set, the console when asked, else nowhere. */
  telemetry: {
    /** The managed identity (AZURE_CLIENT_ID) signs the ingestion: the component accepts Entra tokens only. */
    azureMonitor?: { connectionString: string; clientId?: string };
    console: boolean;
  };
}

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_DEFAULT_ACCOUNT = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
};

/** Connection string for an Azurite table service on the given port. */
export function azuriteConnectionString(tablePort: number, host = '127.0.0.1'): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_DEFAULT_ACCOUNT.name};` +
    `AccountKey=${AZURITE_DEFAULT_ACCOUNT.key};` +
    `TableEndpoint=http://${host}:${tablePort}/${AZURITE_DEFAULT_ACCOUNT.name};`
  );
}

/**
 * Reads and validates every setting. The only place that reads the environment; errors name each
 * offending setting and what is wrong with it, never its value.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  // An app setting left empty (as Azure and local.settings.json may present it) counts as not set.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = settingsSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError('CONFIG.INVALID', `Invalid configuration: ${problems.join('; ')}`);
  }
  const s = parsed.data;
  const problems: string[] = [];

  let tenant: AppConfig['tenant'];
  if (s.AZURE_TENANT_ID) {
    const authorityHostname = new URL(s.AZURE_AUTHORITY_HOST).hostname;
    let credential: CredentialSettings;
    if (s.AZURE_CLIENT_SECRET && s.AZURE_CLIENT_CERTIFICATE_PATH) {
      problems.push('AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH: set only one of them');
    }
    if (s.AZURE_CLIENT_SECRET || s.AZURE_CLIENT_CERTIFICATE_PATH) {
      if (!s.AZURE_CLIENT_ID) problems.push('AZURE_CLIENT_ID: required with a client secret or certificate');
    }
    if (s.AZURE_CLIENT_SECRET && s.AZURE_CLIENT_ID) {
      credential = {
        kind: 'clientSecret',
        tenantId: s.AZURE_TENANT_ID,
        clientId: s.AZURE_CLIENT_ID,
        clientSecret: s.AZURE_CLIENT_SECRET,
      };
    } else if (s.AZURE_CLIENT_CERTIFICATE_PATH && s.AZURE_CLIENT_ID) {
      credential = {
        kind: 'clientCertificate',
        tenantId: s.AZURE_TENANT_ID,
        clientId: s.AZURE_CLIENT_ID,
        certificatePath: s.AZURE_CLIENT_CERTIFICATE_PATH,
      };
    } else {
      credential = {
        kind: 'managedIdentity',
        tenantId: s.AZURE_TENANT_ID,
        ...(s.AZURE_CLIENT_ID ? { clientId: s.AZURE_CLIENT_ID } : {}),
      };
    }
    tenant = {
      tenantId: s.AZURE_TENANT_ID,
      credential,
      authorityHost: s.AZURE_AUTHORITY_HOST,
      disableInstanceDiscovery: !MICROSOFT_AUTHORITY_HOSTS.includes(authorityHostname),
      graphBaseUrl: s.GRAPH_BASE_URL,
      exchangeBaseUrl: s.EXCHANGE_BASE_URL,
      managementBaseUrl: s.MANAGEMENT_API_BASE_URL,
    };
  } else if (s.AZURE_CLIENT_SECRET || s.AZURE_CLIENT_CERTIFICATE_PATH) {
    problems.push('AZURE_TENANT_ID: required when a client secret or certificate is set');
  }

  let tables: AppConfig['tables'];
  if (s.TABLES_CONNECTION_STRING && s.TABLES_ENDPOINT) {
    problems.push('TABLES_CONNECTION_STRING and TABLES_ENDPOINT: set only one of them');
  }
  if (s.TABLES_CONNECTION_STRING) {
    if (!/(^|;)(TableEndpoint|AccountName)=/i.test(s.TABLES_CONNECTION_STRING)) {
      problems.push('TABLES_CONNECTION_STRING: must contain TableEndpoint= or AccountName=');
    }
    tables = { kind: 'connectionString', connectionString: s.TABLES_CONNECTION_STRING, prefix: s.TABLES_PREFIX };
  } else if (s.TABLES_ENDPOINT) {
    tables = {
      kind: 'endpoint',
      endpoint: s.TABLES_ENDPOINT,
      prefix: s.TABLES_PREFIX,
      ...(s.AZURE_CLIENT_ID ? { clientId: s.AZURE_CLIENT_ID } : {}),
    };
  } else {
    problems.push('TABLES_CONNECTION_STRING or TABLES_ENDPOINT: one is required (npm start sets Azurite for you)');
    tables = { kind: 'connectionString', connectionString: '', prefix: s.TABLES_PREFIX };
  }

  const sbNamespace = s.ServiceBusConnection__fullyQualifiedNamespace;
  if (sbNamespace && !/^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)+$/i.test(sbNamespace)) {
    problems.push(
      'ServiceBusConnection__fullyQualifiedNamespace: must be a host name such as mynamespace.servicebus.windows.net',
    );
  }
  const serviceBus: AppConfig['serviceBus'] = sbNamespace
    ? {
        kind: 'serviceBus',
        fullyQualifiedNamespace: sbNamespace,
        ...(s.AZURE_CLIENT_ID ? { clientId: s.AZURE_CLIENT_ID } : {}),
      }
    : { kind: 'inProcess' };

  const connectionString = s.APPLICATIONINSIGHTS_CONNECTION_STRING;
  // The exporter refuses a string without the key (monitor-opentelemetry-exporter, export/base.js).
  if (connectionString && !/(^|;)\s*InstrumentationKey=/i.test(connectionString)) {
    problems.push("APPLICATIONINSIGHTS_CONNECTION_STRING: must contain InstrumentationKey= (the component's string)");
  }

  if (problems.length > 0) {
    throw new ConfigError('CONFIG.INVALID', `Invalid configuration: ${problems.join('; ')}`);
  }

  const issuer =
    s.API_ISSUER ?? (s.AZURE_TENANT_ID ? `${s.AZURE_AUTHORITY_HOST}/${s.AZURE_TENANT_ID}/v2.0` : undefined);
  const jwksUri =
    s.API_JWKS_URI ??
    (s.AZURE_TENANT_ID ? `${s.AZURE_AUTHORITY_HOST}/${s.AZURE_TENANT_ID}/discovery/v2.0/keys` : undefined);

  return {
    ...(tenant ? { tenant } : {}),
    tables,
    serviceBus,
    api: {
      ...(s.API_AUDIENCE ? { audience: s.API_AUDIENCE } : {}),
      ...(issuer ? { issuer } : {}),
      ...(jwksUri ? { jwksUri } : {}),
    },
    console: { ...(s.CONSOLE_CLIENT_ID ? { clientId: s.CONSOLE_CLIENT_ID } : {}) },
    port: s.PORT,
    localInstances: s.LOCAL_INSTANCES,
    runTimeoutMinutes: s.RUN_TIMEOUT_MINUTES,
    revocationHoldPercent: s.REVOCATION_HOLD_PERCENT,
    alertAllowHttpLoopback: s.ALERT_ALLOW_HTTP_LOOPBACK,
    historyRetentionDays: s.HISTORY_RETENTION_DAYS,
    runRetentionDays: s.RUN_RETENTION_DAYS,
    logLevel: s.LOG_LEVEL,
    telemetry: {
      ...(connectionString
        ? { azureMonitor: { connectionString, ...(s.AZURE_CLIENT_ID ? { clientId: s.AZURE_CLIENT_ID } : {}) } }
        : {}),
      console: s.TRACES_EXPORTER === 'console',
    },
  };
}
