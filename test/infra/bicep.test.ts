import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../../shared/config.js';
import { QUEUES, QUEUE_SETTINGS } from '../../shared/ports/queue.js';
import {
  AZURE_FORBIDDEN_SETTINGS,
  AZURE_HOST_SETTINGS,
  AZURE_REQUIRED_SETTINGS,
  AZURE_ROLE_REQUIREMENTS,
  CONFIG_SETTINGS,
} from '../../shared/settings.js';
import { declaration, parseBicep } from './bicep.js';
import {
  deployedValue,
  flexConsumptionProblems,
  forbiddenSettings,
  functionApp,
  hostJsonProblems,
  identityWiringProblems,
  infraFromTexts,
  loadInfra,
  missingSettings,
  queueProblems,
  readAzureYaml,
  roleProblems,
  secretFindings,
  stripJsonComments,
  uncommentedRoleGuids,
  type Infra,
} from './checks.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bicepDir = path.join(repoRoot, 'infra/bicep');
const read = (relative: string) => readFileSync(path.join(repoRoot, relative), 'utf8');

const infra = loadInfra(bicepDir);
const texts: Record<string, string> = Object.fromEntries(infra.texts);
const azd = readAzureYaml(read('azure.yaml'));
const apiService = azd.services.find((s) => s.name === 'api');

/** The real templates with edits to one file; throws if an edit does not apply, so a mutation never silently misses. */
function mutated(file: string, from: string | RegExp, to: string, ...more: Array<[string | RegExp, string]>): Infra {
  const original = texts[file];
  if (original === undefined) throw new Error(`no ${file}`);
  let text: string = original;
  for (const [f, t] of [[from, to] as [string | RegExp, string], ...more]) {
    const next: string = text.replace(f, t);
    if (next === text) throw new Error(`mutation of ${file} did not apply: ${String(f)}`);
    text = next;
  }
  return infraFromTexts({ ...texts, [file]: text });
}

/** Which Azure adapters a config selects; empty means the deployed app is fully wired. */
function missingAzureCapabilities(config: AppConfig): string[] {
  const missing: string[] = [];
  if (config.tenant?.credential.kind !== 'managedIdentity' || !config.tenant.credential.clientId)
    missing.push('managed identity for Graph/Exchange');
  if (config.tables.kind !== 'endpoint' || !config.tables.clientId) missing.push('Table Storage over managed identity');
  if (config.serviceBus.kind !== 'serviceBus' || !config.serviceBus.clientId)
    missing.push('Service Bus over managed identity');
  if (!config.api.audience || !config.api.issuer || !config.api.jwksUri) missing.push('API token validation');
  return missing;
}

/** Placeholder values of the kind Azure fills in at deployment (resource endpoints, ids). */
const AZURE_SAMPLE_VALUES: Record<string, string> = {
  AZURE_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  AZURE_CLIENT_ID: '66666666-7777-8888-9999-000000000000',
  TABLES_ENDPOINT: 'https://stmpsabc123.table.core.windows.net/',
  ServiceBusConnection__fullyQualifiedNamespace: 'sb-mps-abc123.servicebus.windows.net',
  API_AUDIENCE: 'api://mailbox-permission-sync',
};

describe('settings lists (shared/settings.ts) against loadConfig', () => {
  it('CONFIG_SETTINGS names exactly the keys of the settings schema in shared/config.ts', () => {
    const source = read('shared/config.ts');
    const body = /const settingsSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1];
    expect(body, 'settingsSchema = z.object({...}) not found in shared/config.ts').toBeDefined();
    const keys = [...(body ?? '').matchAll(/^ {2}([A-Za-z_][A-Za-z0-9_]*):/gm)].map((m) => m[1]);

    expect([...keys].sort()).toEqual([...CONFIG_SETTINGS].sort());
  });

  it('loadConfig selects every Azure adapter from AZURE_REQUIRED_SETTINGS alone', () => {
    const env = Object.fromEntries(AZURE_REQUIRED_SETTINGS.map((name) => [name, AZURE_SAMPLE_VALUES[name]]));

    const config = loadConfig(env);

    expect(missingAzureCapabilities(config)).toEqual([]);
    expect(config.tenant?.credential).toEqual({
      kind: 'managedIdentity',
      tenantId: AZURE_SAMPLE_VALUES.AZURE_TENANT_ID,
      clientId: AZURE_SAMPLE_VALUES.AZURE_CLIENT_ID,
    });
  });

  it.each(AZURE_REQUIRED_SETTINGS.map((name) => [name]))(
    'without %s the deployed app would lose an Azure adapter',
    (name) => {
      const env = Object.fromEntries(
        AZURE_REQUIRED_SETTINGS.filter((n) => n !== name).map((n) => [n, AZURE_SAMPLE_VALUES[n]]),
      );

      let missing: string[];
      try {
        missing = missingAzureCapabilities(loadConfig(env));
      } catch {
        missing = ['loadConfig throws'];
      }

      expect(missing.length).toBeGreaterThan(0);
    },
  );

  it('the capability check notices a wrong credential kind (a secret instead of the managed identity)', () => {
    const env = { ...AZURE_SAMPLE_VALUES, AZURE_CLIENT_SECRET: 'x' };

    expect(missingAzureCapabilities(loadConfig(env))).toContain('managed identity for Graph/Exchange');
  });
});

describe('Function App settings (infra/bicep) against the code', () => {
  const app = functionApp(infra);

  it('sets every setting loadConfig needs in Azure and every setting the Functions host needs', () => {
    expect(app).toBeDefined();
    expect(missingSettings(app, [...AZURE_REQUIRED_SETTINGS, ...AZURE_HOST_SETTINGS])).toEqual([]);
  });

  it('sets no secret or connection-string setting', () => {
    expect(forbiddenSettings(app, AZURE_FORBIDDEN_SETTINGS)).toEqual([]);
  });

  it('sets only names the code or the host reads (no typos)', () => {
    const known = new Set<string>([...CONFIG_SETTINGS, ...AZURE_HOST_SETTINGS]);

    expect([...(app?.settings.keys() ?? [])].filter((name) => !known.has(name))).toEqual([]);
  });

  it('wires every client id and credential to the one user-assigned identity the site runs as', () => {
    expect(identityWiringProblems(infra, app)).toEqual([]);
  });

  it('gives loadConfig values it accepts, and those select every Azure adapter', () => {
    expect(app).toBeDefined();
    const env: Record<string, string> = {};
    for (const name of app?.settings.keys() ?? []) {
      const known = deployedValue(infra, app!, name);
      const value = known !== undefined && known !== '' ? known : AZURE_SAMPLE_VALUES[name];
      if (value !== undefined && !app!.settings.get(name)!.conditional) env[name] = value;
    }

    const config = loadConfig(env);

    expect(missingAzureCapabilities(config)).toEqual([]);
    expect(config.tables).toMatchObject({ kind: 'endpoint', prefix: 'mps' });
    expect(config.logLevel).toBe('info');
    expect(config.runTimeoutMinutes).toBe(360);
    expect(config.tenant?.disableInstanceDiscovery).toBe(false);
  });

  it('sets CONSOLE_CLIENT_ID only when one is given (an empty one means the console has no Entra sign-in)', () => {
    expect(loadConfig({ ...AZURE_SAMPLE_VALUES, CONSOLE_CLIENT_ID: '' }).console).toEqual({});
    expect(app?.settings.get('CONSOLE_CLIENT_ID')?.conditional).toBe(true);
  });

  it('is a Flex Consumption Node app deployed from blob storage with the user-assigned identity', () => {
    expect(apiService).toBeDefined();
    expect(flexConsumptionProblems(app, apiService?.name ?? 'api')).toEqual([]);
  });
});

describe('Service Bus queues (infra/bicep) against QUEUES and QUEUE_SETTINGS', () => {
  it('creates every queue of the code with the settings the code relies on', () => {
    expect(queueProblems(infra, Object.values(QUEUES), QUEUE_SETTINGS)).toEqual([]);
  });
});

describe('role assignments (infra/bicep) against AZURE_ROLE_REQUIREMENTS', () => {
  it('assigns exactly the roles the code needs, on the right resources, to the managed identity', () => {
    expect(roleProblems(infra, AZURE_ROLE_REQUIREMENTS)).toEqual([]);
  });

  it('names every role GUID in a comment', () => {
    expect(uncommentedRoleGuids(texts['modules/roles.bicep'] ?? '', AZURE_ROLE_REQUIREMENTS)).toEqual([]);
  });

  it('keeps keys off: storage without shared keys, App Insights without local auth, TLS 1.2', () => {
    const storage = texts['modules/storage.bicep'] ?? '';
    expect(storage).toMatch(/allowSharedKeyAccess: false/);
    expect(storage).toMatch(/minimumTlsVersion: 'TLS1_2'/);
    expect(storage).toMatch(/supportsHttpsTrafficOnly: true/);
    expect(texts['modules/monitoring.bicep']).toMatch(/DisableLocalAuth: true/);
  });
});

describe('host.json against the queues and the run timeout', () => {
  const hostJson: unknown = JSON.parse(stripJsonComments(read('host.json')));
  const app = functionApp(infra);
  const runTimeoutMinutes = Number(app ? deployedValue(infra, app, 'RUN_TIMEOUT_MINUTES') : NaN);

  it('renews locks at least as long as an invocation may run, and runs time out after invocations', () => {
    expect(runTimeoutMinutes).toBeGreaterThan(0);
    expect(
      hostJsonProblems(hostJson, { lockDurationSeconds: QUEUE_SETTINGS.lockDurationSeconds, runTimeoutMinutes }),
    ).toEqual([]);
  });
});

describe('local.settings.sample.json', () => {
  const sample = JSON.parse(read('local.settings.sample.json')) as { Values: Record<string, string> };

  it('lists every setting loadConfig reads', () => {
    expect(CONFIG_SETTINGS.filter((name) => !(name in sample.Values))).toEqual([]);
  });

  it('leaves every secret empty', () => {
    const secretNames = Object.keys(sample.Values).filter((k) =>
      /SECRET|PASSWORD|KEY|CERTIFICATE|CONNECTION_STRING/i.test(k),
    );
    expect(secretNames).toContain('AZURE_CLIENT_SECRET');
    expect(secretNames.filter((k) => sample.Values[k] !== '')).toEqual([]);
  });

  const designPath = path.resolve(repoRoot, 'docs/design.md');
  it('covers every setting of docs/design.md §4', () => {
    const section = /## 4\.[\s\S]*?\n## 5\./.exec(readFileSync(designPath, 'utf8'))?.[0] ?? '';
    const names = new Set<string>();
    for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
      for (const m of (row.split('|')[1] ?? '').matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)) names.add(m[1] ?? '');
    }

    expect(names.size).toBeGreaterThan(5);
    expect([...names].filter((n) => !CONFIG_SETTINGS.includes(n as (typeof CONFIG_SETTINGS)[number]))).toEqual([]);
  });
});

describe('azure.yaml and main.parameters.json', () => {
  it('deploys this folder as a TypeScript Function App from infra/bicep/main.bicep', () => {
    expect(apiService?.fields).toMatchObject({ project: '.', host: 'function' });
    expect(['ts', 'js']).toContain(apiService?.fields.language);
    const infraPath = path.join(repoRoot, azd.infra.path ?? 'infra', `${azd.infra.module ?? 'main'}.bicep`);
    expect(existsSync(infraPath)).toBe(true);
  });

  it('relies on azd running `npm run build`, and package.json points the host at the compiled functions', () => {
    const pkg = JSON.parse(read('package.json')) as { main?: string; scripts?: Record<string, string> };
    expect(pkg.scripts?.build, 'azd and the remote build both run npm run build').toBeTruthy();
    expect(pkg.main).toBe('dist/functions/*.js');
    const compiledFunctions = readdirSync(path.join(repoRoot, 'functions')).filter((f) => f.endsWith('.ts'));
    expect(compiledFunctions.length).toBeGreaterThan(0);
  });

  it('passes every main.bicep parameter without a default, and only parameters main.bicep declares', () => {
    const parameters = Object.keys(
      (JSON.parse(read('infra/bicep/main.parameters.json')) as { parameters: Record<string, unknown> }).parameters,
    );
    const declared = infra.main.declarations.filter((d) => d.keyword === 'param');

    expect(parameters.filter((p) => !declared.some((d) => d.name === p))).toEqual([]);
    expect(declared.filter((d) => d.value === undefined && !parameters.includes(d.name)).map((d) => d.name)).toEqual(
      [],
    );
  });
});

describe('no secrets committed', () => {
  const files = [
    ...walk(path.join(repoRoot, 'infra')),
    path.join(repoRoot, 'azure.yaml'),
    path.join(repoRoot, 'local.settings.sample.json'),
  ];

  it.each(files.map((f) => [path.relative(repoRoot, f)]))('%s has nothing secret-looking', (relative) => {
    expect(secretFindings(read(relative), relative)).toEqual([]);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

describe('each check can fail', () => {
  it('reports a setting the Function App lacks', () => {
    const broken = mutated('modules/functionapp.bicep', /\n\s*\{ name: 'TABLES_ENDPOINT'[^\n]*/, '');

    expect(missingSettings(functionApp(broken), AZURE_REQUIRED_SETTINGS)).toEqual(['TABLES_ENDPOINT']);
  });

  it('reports a required setting that is only set conditionally', () => {
    const broken = mutated('modules/functionapp.bicep', /\n\s*\{ name: 'API_AUDIENCE', value: apiAudience \}/, '', [
      "{ name: 'CONSOLE_CLIENT_ID', value: consoleClientId }",
      "{ name: 'API_AUDIENCE', value: apiAudience }",
    ]);

    expect(functionApp(broken)?.settings.has('API_AUDIENCE')).toBe(true);
    expect(missingSettings(functionApp(broken), AZURE_REQUIRED_SETTINGS)).toEqual(['API_AUDIENCE']);
  });

  it('reports a forbidden secret setting', () => {
    const broken = mutated(
      'modules/functionapp.bicep',
      "{ name: 'LOG_LEVEL', value: logLevel }",
      "{ name: 'LOG_LEVEL', value: logLevel }\n  { name: 'AZURE_CLIENT_SECRET', value: 'x' }",
    );

    expect(forbiddenSettings(functionApp(broken), AZURE_FORBIDDEN_SETTINGS)).toEqual(['AZURE_CLIENT_SECRET']);
  });

  it("reports a connection that does not use the managed identity, or another identity's client id", () => {
    const credential = mutated(
      'modules/functionapp.bicep',
      "{ name: 'ServiceBusConnection__credential', value: 'managedidentity' }",
      "{ name: 'ServiceBusConnection__credential', value: 'connectionstring' }",
    );
    const clientId = mutated(
      'main.bicep',
      'identityClientId: identity.outputs.clientId',
      'identityClientId: identity.outputs.principalId',
    );

    expect(identityWiringProblems(credential, functionApp(credential)).join('\n')).toMatch(
      /ServiceBusConnection__credential/,
    );
    expect(identityWiringProblems(clientId, functionApp(clientId)).join('\n')).toMatch(
      /AZURE_CLIENT_ID must be the attached identity's client id/,
    );
  });

  it('reports a consumption plan that is not Flex, and a legacy runtime setting', () => {
    const plan = mutated('modules/functionapp.bicep', "name: 'FC1'", "name: 'Y1'");
    const legacy = mutated(
      'modules/functionapp.bicep',
      "{ name: 'LOG_LEVEL', value: logLevel }",
      "{ name: 'LOG_LEVEL', value: logLevel }\n  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }",
    );

    expect(flexConsumptionProblems(functionApp(plan), 'api')).toEqual(["plan sku.name must be 'FC1' (is 'Y1')"]);
    expect(flexConsumptionProblems(functionApp(legacy), 'api')).toEqual([
      'FUNCTIONS_WORKER_RUNTIME must not be set on Flex Consumption',
    ]);
    const untagged = mutated('modules/functionapp.bicep', "'azd-service-name': 'api'", "'azd-service-name': 'web'");
    expect(flexConsumptionProblems(functionApp(untagged), 'api')).toEqual([
      "the site must carry the tag azd-service-name: 'api' (is web)",
    ]);
  });

  it('reports a missing queue and a queue setting that differs from QUEUE_SETTINGS', () => {
    const missing = mutated('modules/servicebus.bicep', "  'mps-mailbox'\n", '');
    const deliveries = mutated('modules/servicebus.bicep', 'maxDeliveryCount: 10', 'maxDeliveryCount: 5');
    const lock = mutated('modules/servicebus.bicep', "lockDuration: 'PT5M'", "lockDuration: 'PT1M'");

    expect(queueProblems(missing, Object.values(QUEUES), QUEUE_SETTINGS)).toEqual([
      "queue 'mps-mailbox' is not created by the templates",
    ]);
    expect(queueProblems(deliveries, Object.values(QUEUES), QUEUE_SETTINGS)).toHaveLength(2);
    expect(queueProblems(lock, [QUEUES.expand], QUEUE_SETTINGS)).toEqual([
      'mps-expand: lockDuration is 60 s, the code expects 300 s',
    ]);
  });

  it('reports a missing role, an extra role, and a role given to someone other than the identity', () => {
    const missing = mutated('modules/roles.bicep', /\/\/ ServiceBusQueueSender[\s\S]*?\n\}\n/, '');
    const extra = mutated(
      'modules/roles.bicep',
      "var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'",
      "var serviceBusDataSender = 'b24988ac-6180-42a0-ab88-20f7382dd24c'",
    );
    const principal = mutated(
      'main.bicep',
      'principalId: identity.outputs.principalId',
      'principalId: deployer().objectId',
    );

    expect(roleProblems(missing, AZURE_ROLE_REQUIREMENTS)).toEqual([
      expect.stringMatching(/^Azure Service Bus Data Sender .* is not assigned/),
    ]);
    expect(roleProblems(extra, AZURE_ROLE_REQUIREMENTS).join('\n')).toMatch(
      /b24988ac-6180-42a0-ab88-20f7382dd24c is not one the code needs/,
    );
    expect(roleProblems(principal, AZURE_ROLE_REQUIREMENTS).join('\n')).toMatch(
      /principalId must be the managed identity's principalId/,
    );
  });

  it('reports a role GUID whose comment does not name it', () => {
    expect(
      uncommentedRoleGuids(
        "var x = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Blob Data Owner",
        AZURE_ROLE_REQUIREMENTS,
      ),
    ).toHaveLength(1);
  });

  it(
    'reports host.json lock renewal shorter than the lock or the function timeout, ' +
      'and a timeout longer than a run',
    () => {
      const base = JSON.parse(stripJsonComments(read('host.json'))) as {
        functionTimeout: string;
        extensions: { serviceBus: Record<string, unknown> };
      };
      const shortRenewal = {
        ...base,
        extensions: { serviceBus: { ...base.extensions.serviceBus, maxAutoLockRenewalDuration: '00:04:00' } },
      };

      expect(hostJsonProblems(shortRenewal, { lockDurationSeconds: 300, runTimeoutMinutes: 360 })).toHaveLength(2);
      expect(hostJsonProblems(base, { lockDurationSeconds: 300, runTimeoutMinutes: 5 })).toEqual([
        expect.stringMatching(/shorter than RUN_TIMEOUT_MINUTES/),
      ]);
    },
  );

  it("finds secret-looking values, including Azurite's published key outside code", () => {
    expect(
      secretFindings(
        "value: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abcdefghijklmnopqrstuvwxyz0123456789=='",
        'x',
      ),
    ).not.toEqual([]);
    expect(
      secretFindings(
        'key: Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
        'x',
      ),
    ).not.toEqual([]);
    expect(secretFindings('properties: { primaryKey: storage.listKeys().keys[0].value }', 'x')).not.toEqual([]);
    expect(secretFindings('"AZURE_CLIENT_SECRET": ""', 'x')).toEqual([]);
  });
});

describe('Bicep reader', () => {
  it('ignores comments, keeps interpolated strings, and reads loops, conditions and nested literals', () => {
    const file = parseBicep(`
// a comment with 'quotes' and { braces
/* block
   comment */
@description('The name')
param name string = 'a//b' // not a comment inside the string
var list = [
  'one'
  'two'
]
resource thing 'Microsoft.Test/things@2024-01-01' = if (deploy) {
  name: '\${name}-x'
  properties: {
    items: concat(list, empty(name) ? [] : [
      { name: 'X', value: 1 }
    ])
    escaped: 'it\\'s'
  }
}
resource many 'Microsoft.Test/things@2024-01-01' = [for item in list: {
  name: item
}]
`);
    const param = declaration(file, 'param', 'name');
    const thing = declaration(file, 'resource', 'thing');
    const many = declaration(file, 'resource', 'many');

    expect(param?.value).toEqual({ kind: 'string', value: 'a//b', interpolated: false });
    expect(param?.decorators).toEqual(["description('The name')"]);
    expect(thing?.condition).toBe('(deploy)');
    expect(thing?.value?.kind).toBe('object');
    expect(many?.value).toMatchObject({ kind: 'loop', variable: 'item', iterable: { kind: 'expr', raw: 'list' } });
  });

  it('rejects unterminated strings instead of reading past them', () => {
    expect(() => parseBicep("param a string = 'oops\nparam b string")).toThrow(/unterminated string/);
  });
});
