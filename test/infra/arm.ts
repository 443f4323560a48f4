/**
 * Checks over what the real Bicep compiler makes of infra/bicep: the compiled ARM JSON, and its snapshot (the
 * template evaluated by Bicep's own deployment engine with sample parameters, nested deployments expanded). Values
 * known only at deployment stay ARM expressions such as `[reference('<identity id>', '2023-01-31').clientId]`,
 * which is exactly what the wiring checks compare. Each check returns findings (empty = consistent).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BicepDiagnostic, BicepSession, SnapshotMetadata } from '../../dev/bicep.js';
import type { AzureRoleRequirement, AzureRoleScope } from '../../shared/settings.js';

export interface ArmResource {
  id: string;
  type: string;
  name: string;
  kind?: string;
  sku?: { name?: string; tier?: string };
  identity?: { type?: string; userAssignedIdentities?: Record<string, unknown> };
  tags?: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: ARM properties are free-form JSON, read path by path below
  properties?: Record<string, any>;
}

export interface ArmTemplate {
  parameters: Record<string, { type: string; defaultValue?: unknown; allowedValues?: unknown[] }>;
}

/** One variant of the templates as the compiler sees it. */
export interface Compiled {
  diagnostics: BicepDiagnostic[];
  template: ArmTemplate | undefined;
  resources: ArmResource[];
}

/** Placeholder deployment context: nothing is deployed, the ids only have to be well-formed. */
export const SNAPSHOT_METADATA: SnapshotMetadata = {
  tenantId: '00000000-0000-0000-0000-00000000aaaa',
  subscriptionId: '00000000-0000-0000-0000-00000000bbbb',
  location: 'swedencentral',
  deploymentName: 'mps-test',
};

/** A textual edit of one template file; `apply` throws when the text is not found, so a defect never misses. */
export interface Edit {
  file: string;
  from: string | RegExp;
  to: string;
}

/**
 * Copies infra/bicep to a temporary folder, applies the edits, compiles main.bicep, writes the ARM JSON and
 * evaluates it with `params` (a .bicepparam body after its `using` line).
 */
export async function compileVariant(
  session: BicepSession,
  bicepDir: string,
  edits: readonly Edit[],
  params: string,
): Promise<Compiled> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mps-bicep-'));
  cpSync(bicepDir, dir, { recursive: true });
  for (const edit of edits) {
    const file = path.join(dir, edit.file);
    const text = readFileSync(file, 'utf8');
    const next = text.replace(edit.from, edit.to);
    if (next === text) throw new Error(`seeded defect does not apply to ${edit.file}: ${String(edit.from)}`);
    writeFileSync(file, next);
  }
  const compiled = await session.compile(path.join(dir, 'main.bicep'));
  if (!compiled.contents) return { diagnostics: compiled.diagnostics, template: undefined, resources: [] };
  writeFileSync(path.join(dir, 'main.json'), compiled.contents);
  const paramsFile = path.join(dir, 'sample.bicepparam');
  writeFileSync(paramsFile, `using 'main.json'\n${params}`);
  const snapshot = await session.snapshot(paramsFile, SNAPSHOT_METADATA);
  return {
    diagnostics: compiled.diagnostics,
    template: JSON.parse(compiled.contents) as ArmTemplate,
    resources: snapshot.predictedResources as unknown as ArmResource[],
  };
}

const ofType = (resources: readonly ArmResource[], type: string) =>
  resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `[reference('<id>', '<api>').<property>]`, the snapshot's form of a value known only after deployment. */
function referenceTo(id: string, property: string): RegExp {
  return new RegExp(`^\\[reference\\('${escapeRegExp(id)}', '[^']+'\\)\\.${escapeRegExp(property)}\\]$`, 'i');
}

function one(resources: readonly ArmResource[], type: string, problems: string[]): ArmResource | undefined {
  const found = ofType(resources, type);
  if (found.length !== 1) problems.push(`expected one ${type}, found ${found.length}`);
  return found[0];
}

function expectValue(problems: string[], label: string, actual: unknown, wanted: unknown): void {
  if (actual !== wanted) problems.push(`${label} must be ${JSON.stringify(wanted)} (is ${JSON.stringify(actual)})`);
}

/** The Function App and the user-assigned identity it runs as. */
export function functionApp(resources: readonly ArmResource[]): { site?: ArmResource; identityId?: string } {
  const site = ofType(resources, 'Microsoft.Web/sites').find((r) => /functionapp/i.test(r.kind ?? ''));
  const identityId = Object.keys(site?.identity?.userAssignedIdentities ?? {})[0];
  return { site, identityId };
}

// ---------------------------------------------------------------------------------------------- resources

/** Flex Consumption plan and app, identity, storage, Service Bus and App Insights as the code expects them. */
export function resourceProblems(resources: readonly ArmResource[], serviceName: string): string[] {
  const problems: string[] = [];
  const plan = one(resources, 'Microsoft.Web/serverfarms', problems);
  expectValue(problems, 'plan sku.name', plan?.sku?.name, 'FC1');
  expectValue(problems, 'plan sku.tier', plan?.sku?.tier, 'FlexConsumption');
  expectValue(problems, 'plan reserved (Linux)', plan?.properties?.reserved, true);

  const { site, identityId } = functionApp(resources);
  if (!site) return [...problems, 'no Function App (Microsoft.Web/sites of kind functionapp)'];
  expectValue(problems, 'site kind', site.kind, 'functionapp,linux');
  expectValue(problems, 'site serverFarmId', site.properties?.serverFarmId, plan?.id);
  expectValue(problems, 'site httpsOnly', site.properties?.httpsOnly, true);
  expectValue(problems, `site tag azd-service-name`, site.tags?.['azd-service-name'], serviceName);
  expectValue(problems, 'site identity.type', site.identity?.type, 'UserAssigned');
  const identities = ofType(resources, 'Microsoft.ManagedIdentity/userAssignedIdentities');
  if (
    Object.keys(site.identity?.userAssignedIdentities ?? {}).length !== 1 ||
    !identities.some((i) => i.id === identityId)
  )
    problems.push('the site must run as exactly one user-assigned identity created by the templates');

  const config = site.properties?.functionAppConfig;
  expectValue(problems, 'runtime.name', config?.runtime?.name, 'node');
  expectValue(problems, 'scaleAndConcurrency.instanceMemoryMB', config?.scaleAndConcurrency?.instanceMemoryMB, 2048);
  if (typeof config?.scaleAndConcurrency?.maximumInstanceCount !== 'number')
    problems.push('scaleAndConcurrency.maximumInstanceCount must be set');
  const storage = one(resources, 'Microsoft.Storage/storageAccounts', problems);
  const deployment = config?.deployment?.storage;
  expectValue(problems, 'deployment.storage.type', deployment?.type, 'blobContainer');
  expectValue(
    problems,
    'deployment.storage.authentication.type',
    deployment?.authentication?.type,
    'UserAssignedIdentity',
  );
  expectValue(
    problems,
    'deployment.storage.authentication.userAssignedIdentityResourceId',
    deployment?.authentication?.userAssignedIdentityResourceId,
    identityId,
  );
  if (!storage || !String(deployment?.value ?? '').includes(`'${storage.id}'`))
    problems.push("deployment.storage.value must be a container of the templates' storage account");

  expectValue(problems, 'storage allowSharedKeyAccess', storage?.properties?.allowSharedKeyAccess, false);
  expectValue(problems, 'storage minimumTlsVersion', storage?.properties?.minimumTlsVersion, 'TLS1_2');
  expectValue(problems, 'storage supportsHttpsTrafficOnly', storage?.properties?.supportsHttpsTrafficOnly, true);
  const insights = one(resources, 'Microsoft.Insights/components', problems);
  expectValue(problems, 'Application Insights DisableLocalAuth', insights?.properties?.DisableLocalAuth, true);
  const namespace = one(resources, 'Microsoft.ServiceBus/namespaces', problems);
  if (namespace?.sku?.name !== 'Standard' && namespace?.sku?.name !== 'Premium')
    problems.push(`Service Bus sku must be Standard or Premium for duplicate detection (is ${namespace?.sku?.name})`);
  expectValue(problems, 'Service Bus disableLocalAuth', namespace?.properties?.disableLocalAuth, true);
  return problems;
}

// ---------------------------------------------------------------------------------------------- queues

/** Seconds of an ISO 8601 duration such as PT5M, PT1H30M or P14D. */
export function isoDurationSeconds(text: unknown): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(String(text));
  if (!m || text === 'P' || String(text).endsWith('T')) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}

export interface QueueExpectations {
  maxDeliveryCount: number;
  duplicateDetectionWindowMinutes: number;
  lockDurationSeconds: number;
}

/** Every queue of the code exists with the properties the code relies on; no queue the code does not use. */
export function queueProblems(
  resources: readonly ArmResource[],
  queueNames: readonly string[],
  expected: QueueExpectations,
): string[] {
  const problems: string[] = [];
  const queues = new Map(
    ofType(resources, 'Microsoft.ServiceBus/namespaces/queues').map((q) => [q.name.split('/').pop() ?? '', q]),
  );
  for (const name of queueNames) {
    const p = queues.get(name)?.properties;
    if (!p) {
      problems.push(`queue '${name}' is not created by the templates`);
      continue;
    }
    const lock = isoDurationSeconds(p.lockDuration);
    if (lock !== expected.lockDurationSeconds)
      problems.push(`${name}: lockDuration is ${lock} s, the code expects ${expected.lockDurationSeconds} s`);
    if (p.maxDeliveryCount !== expected.maxDeliveryCount)
      problems.push(
        `${name}: maxDeliveryCount is ${p.maxDeliveryCount}, the code expects ${expected.maxDeliveryCount}`,
      );
    if (p.requiresDuplicateDetection !== true) problems.push(`${name}: requiresDuplicateDetection must be true`);
    const window = isoDurationSeconds(p.duplicateDetectionHistoryTimeWindow);
    if (window !== expected.duplicateDetectionWindowMinutes * 60)
      problems.push(
        `${name}: duplicateDetectionHistoryTimeWindow is ${p.duplicateDetectionHistoryTimeWindow}, ` +
          `the code expects ${expected.duplicateDetectionWindowMinutes} min`,
      );
    if (p.deadLetteringOnMessageExpiration !== true)
      problems.push(`${name}: deadLetteringOnMessageExpiration must be true`);
    if (p.requiresSession === true) problems.push(`${name}: sessions are not used by the code`);
  }
  for (const name of queues.keys())
    if (!queueNames.includes(name)) problems.push(`queue '${name}' is not one the code uses`);
  return problems;
}

// ---------------------------------------------------------------------------------------------- roles

const SCOPE_TYPES: Record<AzureRoleScope, string> = {
  storageAccount: 'Microsoft.Storage/storageAccounts',
  serviceBusNamespace: 'Microsoft.ServiceBus/namespaces',
  applicationInsights: 'Microsoft.Insights/components',
};

export interface RoleAssignment {
  roleDefinitionId: string;
  /** Resource id the assignment is scoped to (from its extensionResourceId). */
  scope: string | undefined;
  principalId: unknown;
  principalType: unknown;
}

/** Role assignments of the snapshot; the scope is the first argument of the id's extensionResourceId(). */
export function roleAssignments(resources: readonly ArmResource[]): RoleAssignment[] {
  return ofType(resources, 'Microsoft.Authorization/roleAssignments').map((r) => ({
    roleDefinitionId: String(r.properties?.roleDefinitionId ?? '')
      .split('/')
      .pop()
      ?.toLowerCase() as string,
    scope: /^\[extensionResourceId\('([^']+)'/.exec(r.id)?.[1],
    principalId: r.properties?.principalId,
    principalType: r.properties?.principalType,
  }));
}

/** Exactly the required roles, each on its resource, each to the Function App's identity as a service principal. */
export function roleProblems(resources: readonly ArmResource[], required: readonly AzureRoleRequirement[]): string[] {
  const problems: string[] = [];
  const { identityId } = functionApp(resources);
  const assignments = roleAssignments(resources);
  const scopeType = (id: string | undefined) => resources.find((r) => r.id === id)?.type;
  for (const need of required) {
    const onScope = assignments.filter(
      (a) => a.roleDefinitionId === need.roleDefinitionId && scopeType(a.scope) === SCOPE_TYPES[need.scope],
    );
    if (onScope.length !== 1)
      problems.push(`${need.role} (${need.roleDefinitionId}) is not assigned on the ${SCOPE_TYPES[need.scope]}`);
  }
  const known = new Set(required.map((r) => r.roleDefinitionId));
  for (const a of assignments) {
    const label = `role ${a.roleDefinitionId} on ${a.scope ?? '?'}`;
    if (!known.has(a.roleDefinitionId)) problems.push(`${label} is not one the code needs (least privilege)`);
    if (!identityId || !referenceTo(identityId, 'principalId').test(String(a.principalId)))
      problems.push(`${label}: principalId must be the Function App identity's principalId (is ${a.principalId})`);
    if (a.principalType !== 'ServicePrincipal') problems.push(`${label}: principalType must be ServicePrincipal`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------- app settings

export interface SettingLists {
  /** Every name loadConfig() reads. */
  config: readonly string[];
  /** Names the Functions host and worker read. */
  host: readonly string[];
  /** Names that must be set (loadConfig's Azure adapters, the host's connections). */
  required: readonly string[];
  /** Secrets and connection strings that must never be set. */
  forbidden: readonly string[];
}

/** The Function App's app settings by name (the last one wins, as in App Service). */
export function appSettings(resources: readonly ArmResource[]): Map<string, string> {
  const list = (functionApp(resources).site?.properties?.siteConfig?.appSettings ?? []) as Array<{
    name: string;
    value: unknown;
  }>;
  return new Map(list.map((s) => [s.name, String(s.value)]));
}

/** App settings against the code, and every identity setting wired to the identity the site runs as. */
export function settingProblems(resources: readonly ArmResource[], lists: SettingLists): string[] {
  const problems: string[] = [];
  const settings = appSettings(resources);
  const { identityId } = functionApp(resources);
  const known = new Set([...lists.config, ...lists.host]);
  for (const name of settings.keys())
    if (!known.has(name)) problems.push(`${name} is read by neither loadConfig nor the host`);
  for (const name of lists.required) if (!settings.has(name)) problems.push(`${name} is not set`);
  for (const name of lists.forbidden) if (settings.has(name)) problems.push(`${name} must not be set (a secret)`);
  for (const legacy of ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE'])
    if (settings.has(legacy)) problems.push(`${legacy} must not be set on Flex Consumption`);
  expectValue(
    problems,
    'FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR',
    settings.get('FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR'),
    'true',
  );
  for (const name of ['AzureWebJobsStorage__credential', 'ServiceBusConnection__credential'])
    expectValue(problems, name, settings.get(name), 'managedidentity');
  const clientId = identityId ? referenceTo(identityId, 'clientId') : /^$/;
  for (const name of ['AzureWebJobsStorage__clientId', 'ServiceBusConnection__clientId', 'AZURE_CLIENT_ID']) {
    if (!clientId.test(settings.get(name) ?? ''))
      problems.push(`${name} must be the site identity's clientId (is ${settings.get(name)})`);
  }
  const auth = /^\[format\('Authorization=AAD;ClientId=\{0\}', (.*)\)\]$/.exec(
    settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING') ?? '',
  );
  if (!auth || !clientId.test(`[${auth[1]}]`))
    problems.push("APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be 'Authorization=AAD;ClientId=<identity clientId>'");
  const storage = ofType(resources, 'Microsoft.Storage/storageAccounts')[0];
  expectValue(
    problems,
    'AzureWebJobsStorage__accountName',
    settings.get('AzureWebJobsStorage__accountName'),
    storage?.name,
  );
  if (!storage || !referenceTo(storage.id, 'primaryEndpoints.table').test(settings.get('TABLES_ENDPOINT') ?? ''))
    problems.push("TABLES_ENDPOINT must be the templates' storage account's table endpoint");
  const namespace = ofType(resources, 'Microsoft.ServiceBus/namespaces')[0];
  if (!namespace || !settings.get('ServiceBusConnection__fullyQualifiedNamespace')?.includes(`'${namespace.id}'`))
    problems.push("ServiceBusConnection__fullyQualifiedNamespace must come from the templates' namespace");
  return problems;
}

/**
 * The settings as loadConfig() would see them in Azure: literal values as deployed, and for each value Azure fills
 * in at deployment (an ARM expression in the snapshot) a sample of the same shape.
 */
export function deployedEnvironment(
  resources: readonly ArmResource[],
  samples: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of appSettings(resources)) {
    const sample = samples[name];
    if (!value.startsWith('[')) env[name] = value;
    else if (sample !== undefined) env[name] = sample;
    else throw new Error(`${name} is only known at deployment (${value}): add a sample value for it`);
  }
  return env;
}
