/**
 * infra/bicep through the real Bicep compiler (dev/bicep.ts: PATH, `az`, or the NuGet package fetched once):
 * the templates compile and lint clean, and the compiled template, evaluated with sample parameters, creates what
 * the code expects. Every check family also runs on copies of the templates with seeded defects and must report
 * them, so a check that stopped looking cannot pass silently.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BicepSession, findBicep } from '../../dev/bicep.js';
import { type AppConfig, loadConfig } from '../../shared/config.js';
import { QUEUE_SETTINGS, QUEUES } from '../../shared/ports/queue.js';
import {
  AZURE_FORBIDDEN_SETTINGS,
  AZURE_HOST_SETTINGS,
  AZURE_REQUIRED_SETTINGS,
  AZURE_ROLE_REQUIREMENTS,
  CONFIG_SETTINGS,
} from '../../shared/settings.js';
import {
  appSettings,
  type Compiled,
  compileVariant,
  deployedEnvironment,
  type Edit,
  functionApp,
  queueProblems,
  resourceProblems,
  roleProblems,
  type SettingLists,
  settingProblems,
} from './arm.js';
import { withoutComments } from '../../dev/host/hostJson.js';
import { hostJsonProblems } from './files.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bicepDir = path.join(repoRoot, 'infra/bicep');
const read = (relative: string) => readFileSync(path.join(repoRoot, relative), 'utf8');

const API_AUDIENCE = '11111111-2222-3333-4444-555555555555';
const CONSOLE_CLIENT_ID = '22222222-3333-4444-5555-666666666666';
const PARAMS = [
  "param environmentName = 'mps-test'",
  "param location = 'swedencentral'",
  `param apiAudience = '${API_AUDIENCE}'`,
  '',
].join('\n');

const LISTS: SettingLists = {
  config: CONFIG_SETTINGS,
  host: AZURE_HOST_SETTINGS,
  required: [...AZURE_REQUIRED_SETTINGS, ...AZURE_HOST_SETTINGS],
  forbidden: AZURE_FORBIDDEN_SETTINGS,
};

/** Values Azure fills in at deployment (ARM expressions in the snapshot), in the shape Azure gives them. */
const DEPLOYMENT_SAMPLES: Record<string, string> = {
  AzureWebJobsStorage__clientId: '66666666-7777-8888-9999-000000000000',
  ServiceBusConnection__clientId: '66666666-7777-8888-9999-000000000000',
  AZURE_CLIENT_ID: '66666666-7777-8888-9999-000000000000',
  ServiceBusConnection__fullyQualifiedNamespace: 'sb-mps-abc123.servicebus.windows.net',
  TABLES_ENDPOINT: 'https://stmpsabc123.table.core.windows.net/',
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'InstrumentationKey=00000000-0000-0000-0000-000000000000;' +
    'IngestionEndpoint=https://swedencentral-0.in.applicationinsights.azure.com/',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=66666666-7777-8888-9999-000000000000',
  // environment().authentication.loginEndpoint in the public cloud (ARM template functions, environment()).
  AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com/',
};

/** Seeded defects, several per variant where they touch independent check families. */
const DEFECTS: Record<string, Edit[]> = {
  a: [
    { file: 'modules/functionapp.bicep', from: "name: 'FC1'", to: "name: 'Y1'" },
    { file: 'modules/servicebus.bicep', from: "  'mps-mailbox'\n", to: '' },
    {
      file: 'modules/roles.bicep',
      from: 'scope: namespace\n  properties: {\n    roleDefinitionId: s',
      to: 'scope: storage\n  properties: {\n    roleDefinitionId: s',
    },
    { file: 'modules/functionapp.bicep', from: "{ name: 'TABLES_ENDPOINT'", to: "{ name: 'TABLES_ENDPOINTS'" },
  ],
  b: [
    { file: 'modules/storage.bicep', from: 'allowSharedKeyAccess: false', to: 'allowSharedKeyAccess: true' },
    { file: 'modules/servicebus.bicep', from: "lockDuration: 'PT5M'", to: "lockDuration: 'PT1M'" },
    {
      file: 'main.bicep',
      from: 'principalId: identity.outputs.principalId',
      to: 'principalId: identity.outputs.clientId',
    },
    {
      file: 'modules/functionapp.bicep',
      from: "{ name: 'FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR', value: 'true' }",
      to:
        "{ name: 'FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR', value: 'false' }\n" +
        "  { name: 'TABLE_PREFIX', value: 'x' }",
    },
  ],
  c: [
    {
      file: 'modules/servicebus.bicep',
      from: 'requiresDuplicateDetection: true',
      to: 'requiresDuplicateDetection: false',
    },
    {
      file: 'main.bicep',
      from: 'identityClientId: identity.outputs.clientId',
      to: 'identityClientId: identity.outputs.principalId',
    },
    { file: 'main.bicep', from: "param nodeVersion string = '22'", to: "param nodeVersion string = '24'" },
  ],
  lint: [
    {
      file: 'main.bicep',
      from: 'environment().authentication.loginEndpoint',
      to: "'https://login.microsoftonline.com'",
    },
  ],
};

let session: BicepSession | undefined;
const compiled: Record<string, Compiled> = {};
const real = () => compiled.real as Compiled;
const withConsole = () => compiled.console as Compiled;
const broken = (name: keyof typeof DEFECTS) => compiled[name] as Compiled;

beforeAll(async () => {
  // The first run on a machine without bicep or az fetches the NuGet package (tens of MB) once.
  session = BicepSession.start(findBicep({ root: repoRoot, log: (line) => console.log(line) }));
  compiled.real = await compileVariant(session, bicepDir, [], PARAMS);
  compiled.console = await compileVariant(
    session,
    bicepDir,
    [],
    `${PARAMS}param consoleClientId = '${CONSOLE_CLIENT_ID}'\n`,
  );
  for (const [name, edits] of Object.entries(DEFECTS))
    compiled[name] = await compileVariant(session, bicepDir, edits, PARAMS);
}, 600_000);

afterAll(() => session?.close());

describe('the compiler', () => {
  it('builds and lints infra/bicep with no diagnostic at all', () => {
    expect(real().diagnostics).toEqual([]);
    expect(real().resources.length).toBeGreaterThan(10);
  });

  it('compiles each seeded-defect copy cleanly, so each defect reaches the checks below', () => {
    for (const name of ['a', 'b', 'c'] as const) expect(broken(name).diagnostics, name).toEqual([]);
  });

  it('reports an analyzer finding as an error (bicepconfig.json), failing the build', () => {
    expect(broken('lint').diagnostics.map((d) => [d.level, d.code])).toEqual([['Error', 'no-hardcoded-env-urls']]);
  });
});

describe('resources', () => {
  it('are a Flex Consumption Node app, one user-assigned identity, keyless storage, Service Bus, App Insights', () => {
    expect(resourceProblems(real().resources, 'api')).toEqual([]);
  });

  it('are reported when the plan is not Flex Consumption or the storage account accepts keys', () => {
    expect(resourceProblems(broken('a').resources, 'api')).toEqual(['plan sku.name must be "FC1" (is "Y1")']);
    expect(resourceProblems(broken('b').resources, 'api')).toEqual([
      'storage allowSharedKeyAccess must be false (is true)',
    ]);
  });
});

describe('Service Bus queues against QUEUES and QUEUE_SETTINGS', () => {
  it('creates each queue of the code with its lock, deliveries and duplicate detection, and no other', () => {
    expect(queueProblems(real().resources, Object.values(QUEUES), QUEUE_SETTINGS)).toEqual([]);
  });

  it('reports a missing queue, a shorter lock and duplicate detection turned off', () => {
    expect(queueProblems(broken('a').resources, Object.values(QUEUES), QUEUE_SETTINGS)).toEqual([
      "queue 'mps-mailbox' is not created by the templates",
    ]);
    expect(queueProblems(broken('b').resources, Object.values(QUEUES), QUEUE_SETTINGS)).toEqual([
      'mps-expand: lockDuration is 60 s, the code expects 300 s',
      'mps-mailbox: lockDuration is 60 s, the code expects 300 s',
      'mps-alert: lockDuration is 60 s, the code expects 300 s',
    ]);
    expect(queueProblems(broken('c').resources, Object.values(QUEUES), QUEUE_SETTINGS)).toEqual([
      'mps-expand: requiresDuplicateDetection must be true',
      'mps-mailbox: requiresDuplicateDetection must be true',
      'mps-alert: requiresDuplicateDetection must be true',
    ]);
  });
});

describe('role assignments against AZURE_ROLE_REQUIREMENTS', () => {
  it('assigns exactly the roles the code needs, each on its resource, to the identity the app runs as', () => {
    expect(roleProblems(real().resources, AZURE_ROLE_REQUIREMENTS)).toEqual([]);
  });

  it("includes Azure Service Bus Data Owner for the platform's target-based scaler", () => {
    const owner = AZURE_ROLE_REQUIREMENTS.find((r) => r.role === 'Azure Service Bus Data Owner');
    expect(owner).toMatchObject({
      roleDefinitionId: '090c5cfd-751d-490a-894a-3ce6f1109419',
      scope: 'serviceBusNamespace',
    });
  });

  it('reports a role on the wrong resource and a role given to another principal', () => {
    expect(roleProblems(broken('a').resources, AZURE_ROLE_REQUIREMENTS)).toEqual([
      'Azure Service Bus Data Receiver (4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0) is not assigned on the ' +
        'Microsoft.ServiceBus/namespaces',
    ]);
    const principal = roleProblems(broken('b').resources, AZURE_ROLE_REQUIREMENTS);
    expect(principal).toHaveLength(AZURE_ROLE_REQUIREMENTS.length);
    expect(principal[0]).toMatch(/principalId must be the Function App identity's principalId \(is .*\.clientId\]\)/);
  });
});

describe('app settings against loadConfig and the Functions host', () => {
  it('sets every required setting, only names loadConfig or the host reads, each identity one wired to the app', () => {
    expect(settingProblems(real().resources, LISTS)).toEqual([]);
  });

  it('makes a function module that throws at import fail the start (FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR)', () => {
    expect(appSettings(real().resources).get('FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR')).toBe('true');
  });

  it('gives loadConfig values it accepts, and they select every Azure adapter', () => {
    const config = loadConfig(deployedEnvironment(real().resources, DEPLOYMENT_SAMPLES));

    expect(missingAzureCapabilities(config)).toEqual([]);
    expect(config.api.audience).toBe(API_AUDIENCE);
    expect(config.tables).toMatchObject({ kind: 'endpoint', prefix: 'mps' });
    expect(config.tenant?.disableInstanceDiscovery).toBe(false);
    expect(config.console).toEqual({});
  });

  it('sets CONSOLE_CLIENT_ID only when one is given (loadConfig rejects an empty one)', () => {
    expect(appSettings(real().resources).has('CONSOLE_CLIENT_ID')).toBe(false);
    expect(appSettings(withConsole().resources).get('CONSOLE_CLIENT_ID')).toBe(CONSOLE_CLIENT_ID);
    expect(loadConfig(deployedEnvironment(withConsole().resources, DEPLOYMENT_SAMPLES)).console).not.toEqual({});
  });

  it('reports a missing, an unknown and a wrong setting, and a client id that is not the identity', () => {
    expect(settingProblems(broken('a').resources, LISTS)).toEqual([
      'TABLES_ENDPOINTS is read by neither loadConfig nor the host',
      'TABLES_ENDPOINT is not set',
      "TABLES_ENDPOINT must be the templates' storage account's table endpoint",
    ]);
    expect(settingProblems(broken('b').resources, LISTS)).toEqual([
      'TABLE_PREFIX is read by neither loadConfig nor the host',
      'FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR must be "true" (is "false")',
    ]);
    const wiring = settingProblems(broken('c').resources, LISTS);
    expect(wiring.map((p) => p.split(' ')[0])).toEqual([
      'AzureWebJobsStorage__clientId',
      'ServiceBusConnection__clientId',
      'AZURE_CLIENT_ID',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    ]);
  });
});

describe('Node.js runtime', () => {
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

  it('defaults to Node 22, allows 24, and package.json engines admit both', () => {
    expect(runtimeProblems(real(), engines)).toEqual([]);
    expect(functionApp(real().resources).site?.properties?.functionAppConfig?.runtime).toEqual({
      name: 'node',
      version: '22',
    });
  });

  it('README names the same default and allowed versions', () => {
    const param = real().template?.parameters.nodeVersion;
    const others = (param?.allowedValues ?? []).filter((v) => v !== param?.defaultValue).join(', ');

    expect(read('README.md').replace(/\s+/g, ' ')).toContain(
      `Azure runs it on Node.js ${param?.defaultValue} by default (${others} allowed)`,
    );
  });

  it('reports another default', () => {
    expect(runtimeProblems(broken('c'), engines)).toEqual(["nodeVersion default must be '22' (is '24')"]);
  });
});

describe('host.json against the queues and the deployed run timeout', () => {
  const hostJson: unknown = JSON.parse(withoutComments(read('host.json')));

  it('renews locks at least as long as an invocation may run, and runs time out after invocations', () => {
    const runTimeoutMinutes = Number(appSettings(real().resources).get('RUN_TIMEOUT_MINUTES'));

    expect(runTimeoutMinutes).toBeGreaterThan(0);
    expect(
      hostJsonProblems(hostJson, { lockDurationSeconds: QUEUE_SETTINGS.lockDurationSeconds, runTimeoutMinutes }),
    ).toEqual([]);
    expect(hostJsonProblems(hostJson, { lockDurationSeconds: 300, runTimeoutMinutes: 5 })).toEqual([
      expect.stringMatching(/shorter than RUN_TIMEOUT_MINUTES/),
    ]);
  });
});

describe('main.parameters.json (what azd passes)', () => {
  const passed = Object.keys(
    (JSON.parse(read('infra/bicep/main.parameters.json')) as { parameters: Record<string, unknown> }).parameters,
  );

  it('passes every parameter without a default, and only parameters main.bicep declares', () => {
    expect(parameterProblems(real(), passed)).toEqual([]);
    expect(parameterProblems(real(), [...passed.filter((p) => p !== 'location'), 'nodeVersionn'])).toEqual([
      'nodeVersionn is not a parameter of main.bicep',
      'location has no default and is not passed',
    ]);
  });
});

describe('docs/deploy.md against the templates', () => {
  const doc = read('docs/deploy.md');

  it('sets only variables main.parameters.json passes, and reads only outputs of main.bicep', () => {
    const parameters = read('infra/bicep/main.parameters.json');

    expect(deployDocProblems(doc, real(), parameters)).toEqual([]);
    expect(
      deployDocProblems(`${doc}\nazd env get-value FUNCTION_APP_HOST\nazd env set API_AUDENCE x`, real(), parameters),
    ).toEqual([
      'azd env set API_AUDENCE: main.parameters.json does not pass it to the template',
      'azd env get-value FUNCTION_APP_HOST: not an output of main.bicep',
    ]);
  });

  it('lists in its role table exactly the roles the templates assign', () => {
    expect(roleTable(doc)).toEqual(AZURE_ROLE_REQUIREMENTS.map((r) => r.role).sort());
    expect(roleTable(doc.replace(/\n\| Azure Service Bus Data Owner[^\n]*/, ''))).not.toContain(
      'Azure Service Bus Data Owner',
    );
  });
});

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

/** The template's nodeVersion parameter against the Node.js versions package.json admits. */
function runtimeProblems(variant: Compiled, engines: string): string[] {
  const problems: string[] = [];
  const param = variant.template?.parameters.nodeVersion;
  if (param?.defaultValue !== '22') problems.push(`nodeVersion default must be '22' (is '${param?.defaultValue}')`);
  if (JSON.stringify(param?.allowedValues) !== '["22","24"]')
    problems.push(`nodeVersion must allow 22 and 24 (allows ${JSON.stringify(param?.allowedValues)})`);
  const minimum = Number(/^>=(\d+)/.exec(engines)?.[1]);
  for (const version of param?.allowedValues ?? [])
    if (!(Number(version) >= minimum)) problems.push(`package.json engines (${engines}) exclude Node ${version}`);
  return problems;
}

/** main.parameters.json keys against the compiled template's parameters. */
function parameterProblems(variant: Compiled, passed: readonly string[]): string[] {
  const declared = variant.template?.parameters ?? {};
  return [
    ...passed.filter((p) => !(p in declared)).map((p) => `${p} is not a parameter of main.bicep`),
    ...Object.entries(declared)
      .filter(([name, p]) => p.defaultValue === undefined && !passed.includes(name))
      .map(([name]) => `${name} has no default and is not passed`),
  ];
}

/**
 * The guide's azd variables: each `azd env set X` is one main.parameters.json passes to the template (or azd's
 * own AZURE_LOCATION), and each `azd env get-value X` is an output of main.bicep or a variable the guide sets.
 */
function deployDocProblems(doc: string, variant: Compiled, parametersFile: string): string[] {
  const outputs = Object.keys((variant.template as { outputs?: object } | undefined)?.outputs ?? {});
  const passed = new Set([...parametersFile.matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]));
  const set = [...doc.matchAll(/azd env set ([A-Z_]+)/g)].map((m) => m[1] ?? '');
  const problems = set
    .filter((name) => name !== 'AZURE_LOCATION' && !passed.has(name))
    .map((name) => `azd env set ${name}: main.parameters.json does not pass it to the template`);
  const known = new Set([...outputs, ...set]);
  for (const m of doc.matchAll(/azd env get-value ([A-Z_]+)/g)) {
    if (!known.has(m[1] ?? '')) problems.push(`azd env get-value ${m[1]}: not an output of main.bicep`);
  }
  return [...new Set(problems)];
}

/** Role names in the first column of the guide's Azure role table (the one headed `| role |`). */
function roleTable(doc: string): string[] {
  const table = /\n\| role +\|[^\n]*\n\|[-| ]+\|\n((?:\|[^\n]*\n)+)/.exec(doc)?.[1] ?? '';
  return table
    .split('\n')
    .filter(Boolean)
    .map((row) => row.split('|')[1]?.trim() ?? '')
    .sort();
}
