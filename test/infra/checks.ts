/**
 * Consistency checks between infra/bicep, azure.yaml, host.json, local.settings.sample.json and the code.
 * Each check is a pure function returning findings (empty = consistent), so the tests can run it on the real
 * files and on broken variants to prove it can fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  declaration,
  literalString,
  parseBicep,
  property,
  resolve,
  resourcesOfType,
  valueText,
  type BicepDeclaration,
  type BicepFile,
  type BicepValue,
} from './bicep.js';
import type { AzureRoleRequirement, AzureRoleScope } from '../../shared/settings.js';

export interface Infra {
  main: BicepFile;
  /** Module files by the path main.bicep uses for them, e.g. `modules/roles.bicep`. */
  modules: Map<string, BicepFile>;
  /** Raw text of every file by the same keys (plus `main.bicep`), for comment-level checks. */
  texts: Map<string, string>;
}

/** Parses main.bicep and every module under `dir/modules`. */
export function loadInfra(dir: string): Infra {
  const texts: Record<string, string> = { 'main.bicep': readFileSync(path.join(dir, 'main.bicep'), 'utf8') };
  for (const name of readdirSync(path.join(dir, 'modules'))) {
    if (name.endsWith('.bicep')) texts[`modules/${name}`] = readFileSync(path.join(dir, 'modules', name), 'utf8');
  }
  return infraFromTexts(texts);
}

/** Builds the model from texts keyed by relative path (`main.bicep`, `modules/x.bicep`). */
export function infraFromTexts(texts: Record<string, string>): Infra {
  const mainText = texts['main.bicep'];
  if (mainText === undefined) throw new Error('main.bicep is missing');
  const modules = new Map<string, BicepFile>();
  for (const [name, text] of Object.entries(texts)) {
    if (name !== 'main.bicep') modules.set(name, parseBicep(text, name));
  }
  return { main: parseBicep(mainText, 'main.bicep'), modules, texts: new Map(Object.entries(texts)) };
}

function allFiles(infra: Infra): BicepFile[] {
  return [infra.main, ...infra.modules.values()];
}

function findResources(infra: Infra, type: string): Array<{ file: BicepFile; resource: BicepDeclaration }> {
  return allFiles(infra).flatMap((file) => resourcesOfType(file, type).map((resource) => ({ file, resource })));
}

/** The expression main.bicep passes for a module parameter (`modules/x.bicep`, `identityClientId`). */
export function moduleArgument(infra: Infra, modulePath: string, param: string): BicepValue | undefined {
  const call = infra.main.declarations.find((d) => d.keyword === 'module' && d.type === modulePath);
  return property(call?.value, `params.${param}`);
}

/** A module output's expression, by the symbolic name main.bicep gives the module (`identity.outputs.clientId`). */
function moduleOutput(infra: Infra, reference: string): BicepValue | undefined {
  const m = /^([A-Za-z_]\w*)\.outputs\.([A-Za-z_]\w*)$/.exec(reference);
  if (!m) return undefined;
  const call = declaration(infra.main, 'module', m[1] ?? '');
  const file = call?.type ? infra.modules.get(call.type) : undefined;
  return file ? declaration(file, 'output', m[2] ?? '')?.value : undefined;
}

// ---------------------------------------------------------------------------------------------- app settings

export interface AppSetting {
  value: BicepValue;
  /** Set only under a condition (`cond ? [] : [...]`). */
  conditional: boolean;
}

export interface FunctionAppModel {
  file: BicepFile;
  modulePath: string;
  site: BicepDeclaration;
  settings: Map<string, AppSetting>;
}

/**
 * The Flex Consumption Function App and its app settings (siteConfig.appSettings and/or a config/appsettings child).
 */
export function functionApp(infra: Infra): FunctionAppModel | undefined {
  for (const [modulePath, file] of [['main.bicep', infra.main] as const, ...infra.modules]) {
    const site = resourcesOfType(file, 'Microsoft.Web/sites').find((r) =>
      /functionapp/i.test(literalString(property(r.value, 'kind')) ?? ''),
    );
    if (!site) continue;
    const settings = new Map<string, AppSetting>();
    collectSettings(file, property(site.value, 'properties.siteConfig.appSettings'), false, settings, new Set());
    for (const config of resourcesOfType(file, 'Microsoft.Web/sites/config')) {
      if (literalString(property(config.value, 'name')) !== 'appsettings') continue;
      const props = resolve(file, property(config.value, 'properties'));
      if (props?.kind === 'object')
        for (const [name, value] of props.entries) settings.set(name, { value, conditional: false });
    }
    return { file, modulePath, site, settings };
  }
  return undefined;
}

function collectSettings(
  file: BicepFile,
  value: BicepValue | undefined,
  conditional: boolean,
  out: Map<string, AppSetting>,
  seen: Set<string>,
): void {
  if (!value) return;
  if (value.kind === 'array') {
    for (const item of value.items) collectSettings(file, item, conditional, out, seen);
  } else if (value.kind === 'object') {
    const name = literalString(value.entries.get('name'));
    const settingValue = value.entries.get('value');
    if (name && settingValue) out.set(name, { value: settingValue, conditional });
  } else if (value.kind === 'expr') {
    const isConditional = conditional || /\?/.test(value.raw);
    for (const literal of value.literals) collectSettings(file, literal, isConditional, out, seen);
    for (const id of value.identifiers) {
      const target = declaration(file, 'var', id);
      if (target && !seen.has(id)) {
        seen.add(id);
        collectSettings(file, target.value, isConditional, out, seen);
      }
    }
  }
}

/** Names in `required` that the Function App does not set unconditionally. */
export function missingSettings(app: FunctionAppModel | undefined, required: readonly string[]): string[] {
  if (!app) return [...required];
  return required.filter((name) => {
    const setting = app.settings.get(name);
    return !setting || setting.conditional;
  });
}

/** Names in `forbidden` that the Function App sets anyway. */
export function forbiddenSettings(app: FunctionAppModel | undefined, forbidden: readonly string[]): string[] {
  return app ? forbidden.filter((name) => app.settings.has(name)) : [];
}

/**
 * The value a setting gets at deployment when it can be known from the templates: a literal, or a parameter
 * of the function app module that main.bicep fills from a literal or from a main.bicep parameter's default.
 */
export function deployedValue(infra: Infra, app: FunctionAppModel, name: string): string | undefined {
  const setting = app.settings.get(name);
  if (!setting) return undefined;
  const literal = literalString(setting.value);
  if (literal !== undefined) return literal;
  if (setting.value.kind !== 'expr') return undefined;
  // `string(x)` only converts a number parameter: look through it.
  const raw = /^string\((\w+)\)$/.exec(setting.value.raw)?.[1] ?? setting.value.raw;
  if (!/^[A-Za-z_]\w*$/.test(raw)) return undefined;
  const local = resolve(app.file, { kind: 'expr', raw, identifiers: [raw], literals: [] });
  if (literalString(local) !== undefined) return literalString(local);
  const argument = moduleArgument(infra, app.modulePath, raw);
  const fromMain = resolve(infra.main, argument);
  if (literalString(fromMain) !== undefined) return literalString(fromMain);
  if (fromMain?.kind === 'number') return String(fromMain.value);
  return undefined;
}

/**
 * How the identity settings are wired: every client-id setting must come from the user-assigned identity the
 * site runs as, and the `__credential` settings must say `managedidentity`.
 */
export function identityWiringProblems(infra: Infra, app: FunctionAppModel | undefined): string[] {
  if (!app) return ['no Function App (Microsoft.Web/sites with kind functionapp) found'];
  const problems: string[] = [];
  for (const name of ['AzureWebJobsStorage__credential', 'ServiceBusConnection__credential']) {
    const value = literalString(app.settings.get(name)?.value);
    if (value !== 'managedidentity')
      problems.push(`${name} must be 'managedidentity' (is ${value === undefined ? 'not a literal' : `'${value}'`})`);
  }
  const identityType = literalString(property(app.site.value, 'identity.type'));
  if (identityType !== 'UserAssigned')
    problems.push(`the Function App identity must be UserAssigned (is ${identityType ?? 'unset'})`);
  const assigned = property(app.site.value, 'identity.userAssignedIdentities');
  const identityKey = assigned?.kind === 'object' ? [...assigned.entries.keys()][0] : undefined;
  const identityParam = identityKey ? /^\$\{(\w+)\}$/.exec(identityKey)?.[1] : undefined;
  const identityIdSource = identityParam ? valueText(moduleArgument(infra, app.modulePath, identityParam)) : '';
  const identityModule = /^(\w+)\.outputs\.id$/.exec(identityIdSource)?.[1];
  if (!identityModule)
    problems.push(`the Function App identity must come from an identity module output (is '${identityIdSource}')`);
  const expectedClientId = `${identityModule ?? '?'}.outputs.clientId`;
  for (const name of ['AzureWebJobsStorage__clientId', 'ServiceBusConnection__clientId', 'AZURE_CLIENT_ID']) {
    const value = app.settings.get(name)?.value;
    const source =
      value?.kind === 'expr' ? valueText(moduleArgument(infra, app.modulePath, value.raw)) : valueText(value);
    if (source !== expectedClientId)
      problems.push(`${name} must be the attached identity's client id (${expectedClientId}), is '${source}'`);
  }
  const auth = app.settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')?.value;
  const authParam =
    auth?.kind === 'string' ? /^Authorization=AAD;ClientId=\$\{(\w+)\}$/.exec(auth.value)?.[1] : undefined;
  if (!authParam || valueText(moduleArgument(infra, app.modulePath, authParam)) !== expectedClientId) {
    problems.push(
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be ' +
        `'Authorization=AAD;ClientId=<identity client id>' (is '${valueText(auth)}')`,
    );
  }
  const clientIdOutput = valueText(moduleOutput(infra, expectedClientId));
  if (!/\.properties\.clientId$/.test(clientIdOutput))
    problems.push(
      `${expectedClientId} must be a user-assigned identity's properties.clientId (is '${clientIdOutput}')`,
    );
  return problems;
}

/** Flex Consumption shape: plan SKU, runtime, memory, deployment storage with the user-assigned identity, https. */
export function flexConsumptionProblems(app: FunctionAppModel | undefined, expectedServiceName: string): string[] {
  if (!app) return ['no Function App (Microsoft.Web/sites with kind functionapp) found'];
  const problems: string[] = [];
  const site = app.site.value;
  const expect = (label: string, actual: string | undefined, wanted: string) => {
    if (actual !== wanted)
      problems.push(`${label} must be '${wanted}' (is ${actual === undefined ? 'unset' : `'${actual}'`})`);
  };
  expect('site kind', literalString(property(site, 'kind')), 'functionapp,linux');
  const planRef = valueText(property(site, 'properties.serverFarmId')).replace(/\.id$/, '');
  const plan = declaration(app.file, 'resource', planRef);
  expect('plan sku.name', literalString(property(plan?.value, 'sku.name')), 'FC1');
  expect('plan sku.tier', literalString(property(plan?.value, 'sku.tier')), 'FlexConsumption');
  if (
    property(site, 'properties.httpsOnly')?.kind !== 'bool' ||
    valueText(property(site, 'properties.httpsOnly')) !== 'true'
  )
    problems.push('httpsOnly must be true');
  const config = property(site, 'properties.functionAppConfig');
  if (!config) return [...problems, 'properties.functionAppConfig is missing (required on Flex Consumption)'];
  expect('runtime.name', literalString(property(config, 'runtime.name')), 'node');
  const version = property(config, 'runtime.version');
  const versionParam = version?.kind === 'expr' ? declaration(app.file, 'param', version.raw) : undefined;
  const allowed = versionParam?.decorators.find((d) => d.startsWith('allowed'));
  const versions = literalString(version)
    ? [literalString(version)]
    : [...(allowed ?? '').matchAll(/'(\d+)'/g)].map((m) => m[1]);
  if (versions.length === 0 || versions.some((v) => v !== '20' && v !== '22'))
    problems.push(
      `runtime.version must be Node 20 or 22 (is ${valueText(version)}, allowed ${versions.join('/') || 'anything'})`,
    );
  expect(
    'scaleAndConcurrency.instanceMemoryMB',
    valueText(property(config, 'scaleAndConcurrency.instanceMemoryMB')),
    '2048',
  );
  if (!property(config, 'scaleAndConcurrency.maximumInstanceCount'))
    problems.push('scaleAndConcurrency.maximumInstanceCount is missing');
  expect('deployment.storage.type', literalString(property(config, 'deployment.storage.type')), 'blobContainer');
  expect(
    'deployment.storage.authentication.type',
    literalString(property(config, 'deployment.storage.authentication.type')),
    'UserAssignedIdentity',
  );
  for (const legacy of [
    'FUNCTIONS_WORKER_RUNTIME',
    'FUNCTIONS_EXTENSION_VERSION',
    'WEBSITE_RUN_FROM_PACKAGE',
    'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  ]) {
    if (app.settings.has(legacy)) problems.push(`${legacy} must not be set on Flex Consumption`);
  }
  const tags = property(site, 'tags');
  const tagObjects = tags?.kind === 'object' ? [tags] : tags?.kind === 'expr' ? tags.literals : [];
  const serviceTag = tagObjects
    .map((t) => (t.kind === 'object' ? literalString(t.entries.get('azd-service-name')) : undefined))
    .find((v) => v !== undefined);
  if (serviceTag !== expectedServiceName)
    problems.push(
      `the site must carry the tag azd-service-name: '${expectedServiceName}' (is ${serviceTag ?? 'unset'})`,
    );
  return problems;
}

// ---------------------------------------------------------------------------------------------- queues

/** Seconds of an ISO 8601 duration such as PT5M, PT1H30M or P14D. */
export function isoDurationSeconds(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}

export interface QueueExpectations {
  maxDeliveryCount: number;
  duplicateDetectionWindowMinutes: number;
  lockDurationSeconds: number;
}

export interface QueueModel {
  name: string;
  properties: BicepValue | undefined;
}

/** Every Service Bus queue the templates create, with its properties (loops expanded by their literal list). */
export function serviceBusQueues(infra: Infra): QueueModel[] {
  const queues: QueueModel[] = [];
  for (const { file, resource } of findResources(infra, 'Microsoft.ServiceBus/namespaces/queues')) {
    if (resource.existing) continue;
    const value = resource.value;
    if (value?.kind === 'loop') {
      const list = resolve(file, value.iterable);
      const nameExpr = property(value.body, 'name');
      for (const item of list?.kind === 'array' ? list.items : []) {
        const itemName = literalString(item);
        if (itemName === undefined) continue;
        const name = nameExpr?.kind === 'expr' && nameExpr.raw === value.variable ? itemName : literalString(nameExpr);
        if (name) queues.push({ name, properties: property(value.body, 'properties') });
      }
    } else {
      const name = literalString(property(value, 'name'));
      if (name) queues.push({ name, properties: property(value, 'properties') });
    }
  }
  return queues;
}

/** Differences between the code's queues (QUEUES, QUEUE_SETTINGS) and the templates. */
export function queueProblems(infra: Infra, queueNames: readonly string[], expected: QueueExpectations): string[] {
  const problems: string[] = [];
  const queues = serviceBusQueues(infra);
  for (const name of queueNames) {
    const queue = queues.find((q) => q.name === name);
    if (!queue) {
      problems.push(`queue '${name}' is not created by the templates`);
      continue;
    }
    const p = queue.properties;
    const lock = isoDurationSeconds(literalString(property(p, 'lockDuration')) ?? '');
    if (lock !== expected.lockDurationSeconds)
      problems.push(
        `${name}: lockDuration is ${lock ?? 'unset'} s, the code expects ${expected.lockDurationSeconds} s`,
      );
    const deliveries = property(p, 'maxDeliveryCount');
    if (deliveries?.kind !== 'number' || deliveries.value !== expected.maxDeliveryCount) {
      problems.push(
        `${name}: maxDeliveryCount is ${valueText(deliveries) || 'unset'}, ` +
          `the code expects ${expected.maxDeliveryCount}`,
      );
    }
    if (valueText(property(p, 'requiresDuplicateDetection')) !== 'true')
      problems.push(`${name}: requiresDuplicateDetection must be true`);
    const window = isoDurationSeconds(literalString(property(p, 'duplicateDetectionHistoryTimeWindow')) ?? '');
    if (window !== expected.duplicateDetectionWindowMinutes * 60) {
      problems.push(
        `${name}: duplicateDetectionHistoryTimeWindow is ` +
          `${window === undefined ? 'unset' : `${window / 60} min`}, ` +
          `the code expects ${expected.duplicateDetectionWindowMinutes} min`,
      );
    }
    if (valueText(property(p, 'deadLetteringOnMessageExpiration')) !== 'true')
      problems.push(`${name}: deadLetteringOnMessageExpiration must be true`);
    if (valueText(property(p, 'requiresSession')) === 'true')
      problems.push(`${name}: sessions are not used by the code`);
  }
  const namespaces = findResources(infra, 'Microsoft.ServiceBus/namespaces').filter((r) => !r.resource.existing);
  if (namespaces.length !== 1) problems.push(`expected one Service Bus namespace, found ${namespaces.length}`);
  for (const { resource } of namespaces) {
    const sku = literalString(property(resource.value, 'sku.name'));
    if (sku !== 'Standard' && sku !== 'Premium')
      problems.push(`Service Bus sku must be Standard or Premium for duplicate detection (is ${sku ?? 'unset'})`);
    if (valueText(property(resource.value, 'properties.disableLocalAuth')) !== 'true')
      problems.push('Service Bus disableLocalAuth must be true (no SAS keys)');
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------- roles

const SCOPE_TYPES: Record<AzureRoleScope, string> = {
  storageAccount: 'Microsoft.Storage/storageAccounts',
  serviceBusNamespace: 'Microsoft.ServiceBus/namespaces',
  applicationInsights: 'Microsoft.Insights/components',
};

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export interface RoleAssignmentModel {
  file: BicepFile;
  symbol: string;
  roleDefinitionIds: string[];
  scopeType: string | undefined;
  principalParam: string | undefined;
  principalType: string | undefined;
}

/** Every role assignment in the templates: role GUIDs (through vars), scope resource type, principal parameter. */
export function roleAssignments(infra: Infra): RoleAssignmentModel[] {
  return findResources(infra, 'Microsoft.Authorization/roleAssignments').map(({ file, resource }) => {
    const roleDef = property(resource.value, 'properties.roleDefinitionId');
    const ids = new Set<string>();
    const texts = [valueText(roleDef)];
    if (roleDef?.kind === 'expr') {
      for (const id of roleDef.identifiers) {
        const v = declaration(file, 'var', id)?.value;
        if (v) texts.push(valueText(v));
      }
    }
    for (const t of texts) for (const m of t.matchAll(GUID)) ids.add(m[0].toLowerCase());
    const scopeRef = valueText(property(resource.value, 'scope'));
    const scope = declaration(file, 'resource', scopeRef);
    const principal = property(resource.value, 'properties.principalId');
    return {
      file,
      symbol: resource.name,
      roleDefinitionIds: [...ids],
      scopeType: scope?.type?.split('@')[0],
      principalParam:
        principal?.kind === 'expr' && declaration(file, 'param', principal.raw) ? principal.raw : undefined,
      principalType: literalString(property(resource.value, 'properties.principalType')),
    };
  });
}

/** Required roles missing (or on the wrong scope), extra roles, and assignments not made to the app's identity. */
export function roleProblems(infra: Infra, required: readonly AzureRoleRequirement[]): string[] {
  const problems: string[] = [];
  const assignments = roleAssignments(infra);
  for (const need of required) {
    const wanted = SCOPE_TYPES[need.scope];
    const match = assignments.find(
      (a) => a.roleDefinitionIds.includes(need.roleDefinitionId) && a.scopeType?.toLowerCase() === wanted.toLowerCase(),
    );
    if (!match)
      problems.push(`${need.role} (${need.roleDefinitionId}) is not assigned on the ${wanted} (${need.reason})`);
  }
  const known = new Set(required.map((r) => r.roleDefinitionId));
  for (const a of assignments) {
    if (a.roleDefinitionIds.length !== 1)
      problems.push(`${a.symbol}: expected exactly one role definition GUID, found ${a.roleDefinitionIds.length}`);
    for (const id of a.roleDefinitionIds)
      if (!known.has(id)) problems.push(`${a.symbol}: role ${id} is not one the code needs (least privilege)`);
    if (a.principalType !== 'ServicePrincipal')
      problems.push(`${a.symbol}: principalType must be 'ServicePrincipal' (avoids replication-delay failures)`);
    const modulePath = [...infra.modules].find(([, f]) => f === a.file)?.[0];
    const source = a.principalParam && modulePath ? valueText(moduleArgument(infra, modulePath, a.principalParam)) : '';
    if (!/^\w+\.outputs\.principalId$/.test(source))
      problems.push(
        `${a.symbol}: principalId must be the managed identity's principalId (is ` +
          `'${source || 'not a module parameter'}')`,
      );
  }
  return problems;
}

/** Role GUIDs in a file's text that have no `// <role name>` comment on their line. */
export function uncommentedRoleGuids(text: string, required: readonly AzureRoleRequirement[]): string[] {
  const problems: string[] = [];
  for (const line of text.split('\n')) {
    for (const m of line.matchAll(GUID)) {
      const role = required.find((r) => r.roleDefinitionId === m[0].toLowerCase());
      const comment = line.slice(line.indexOf('//') >= 0 ? line.indexOf('//') : line.length);
      if (!role) problems.push(`GUID ${m[0]} is not a known role`);
      else if (!comment.includes(role.role)) problems.push(`GUID ${m[0]} lacks the comment '// ${role.role}'`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------- host.json & secrets

/** host.json allows `//` comments; removes them (outside strings) so JSON.parse accepts the text. */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** Seconds of a .NET TimeSpan string as host.json uses it (`00:10:00`, `00:00:00.80`, `1.00:00:00`). */
export function timeSpanSeconds(text: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

export interface HostExpectations {
  lockDurationSeconds: number;
  runTimeoutMinutes: number;
}

/** host.json against the queues and the run timeout: locks outlive invocations, runs outlive invocations. */
export function hostJsonProblems(hostJson: unknown, expected: HostExpectations): string[] {
  const problems: string[] = [];
  const root = (hostJson ?? {}) as Record<string, unknown>;
  const timeout = typeof root.functionTimeout === 'string' ? timeSpanSeconds(root.functionTimeout) : undefined;
  if (timeout === undefined)
    problems.push('functionTimeout must be set (Flex Consumption default is 30 min; the code plans for less)');
  const serviceBus = ((root.extensions ?? {}) as Record<string, unknown>).serviceBus as
    | Record<string, unknown>
    | undefined;
  const renewal =
    typeof serviceBus?.maxAutoLockRenewalDuration === 'string'
      ? timeSpanSeconds(serviceBus.maxAutoLockRenewalDuration)
      : undefined;
  if (renewal === undefined) {
    problems.push('extensions.serviceBus.maxAutoLockRenewalDuration must be set');
  } else {
    if (renewal < expected.lockDurationSeconds)
      problems.push(
        `maxAutoLockRenewalDuration (${renewal} s) ` +
          `is shorter than the queue lockDuration (${expected.lockDurationSeconds} s)`,
      );
    if (timeout !== undefined && renewal < timeout) {
      problems.push(
        `maxAutoLockRenewalDuration (${renewal} s) is shorter than functionTimeout (${timeout} s): ` +
          'a long invocation would lose its lock and the message would be delivered twice at once',
      );
    }
  }
  if (timeout !== undefined && timeout >= expected.runTimeoutMinutes * 60) {
    problems.push(
      `functionTimeout (${timeout} s) must be shorter than RUN_TIMEOUT_MINUTES ` +
        `(${expected.runTimeoutMinutes} min) or live runs are timed out`,
    );
  }
  if (serviceBus?.autoCompleteMessages === false)
    problems.push('autoCompleteMessages must stay true: handlers settle by returning or throwing');
  const bundle = (root.extensionBundle ?? {}) as Record<string, unknown>;
  const lower = /^\[(\d+)/.exec(String(bundle.version ?? ''))?.[1];
  if (bundle.id !== 'Microsoft.Azure.Functions.ExtensionBundle' || lower === undefined || Number(lower) < 4) {
    problems.push(
      `extensionBundle must be Microsoft.Azure.Functions.ExtensionBundle [4.*, ...) ` +
        `for identity-based Service Bus connections (is ${JSON.stringify(bundle)})`,
    );
  }
  return problems;
}

const B64 = '[A-Za-z0-9+/]'; // one base64 character

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/AccountKey\s*=\s*[A-Za-z0-9+/]{20,}/i, 'storage account key'],
  [/SharedAccessKey\s*=\s*[A-Za-z0-9+/]{20,}/i, 'Service Bus / Event Hubs SAS key'],
  [/[?&]sig=[A-Za-z0-9%+/]{20,}/i, 'SAS token signature'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key'],
  [/\blistKeys\s*\(/, 'listKeys() (puts an account key into the deployment)'],
  [/\blistConnectionStrings\s*\(/, 'listConnectionStrings()'],
  [/InstrumentationKey=[0-9a-f-]{36}/i, 'literal Application Insights key'],
  [/(?:client_?secret|password|pwd)["']?\s*[:=]\s*["'][^"'\s$]{6,}/i, 'secret-looking assignment'],
  // Mixed case and digits: a key, not a resource type path such as Microsoft.Storage/storageAccounts/blobServices/...
  [
    new RegExp(`(?<!${B64})(?=${B64}*[0-9])(?=${B64}*[a-z])(?=${B64}*[A-Z])${B64}{40,}={0,2}(?!${B64})`),
    'long base64 string',
  ],
];

/** Secret-looking content in a committed file. Azurite's published development key is allowed only in code. */
export function secretFindings(text: string, file: string): string[] {
  const findings: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const [pattern, label] of SECRET_PATTERNS) {
      if (pattern.test(line)) findings.push(`${file}:${index + 1}: ${label}`);
    }
  });
  return findings;
}

// ---------------------------------------------------------------------------------------------- azure.yaml

export interface AzdService {
  name: string;
  fields: Record<string, string>;
}

export interface AzdProject {
  infra: Record<string, string>;
  services: AzdService[];
  hooks: string[];
}

/** Reads the flat parts of azure.yaml we use (infra.*, services.<name>.*, hook names) without a YAML library. */
export function readAzureYaml(text: string): AzdProject {
  const project: AzdProject = { infra: {}, services: [], hooks: [] };
  let section = '';
  let service: AzdService | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    const m = /^\s*([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] ?? '';
    const value = (m[2] ?? '').replace(/^["']|["']$/g, '');
    if (indent === 0) {
      section = key;
      service = undefined;
    } else if (section === 'infra' && indent === 2) {
      project.infra[key] = value;
    } else if (section === 'services' && indent === 2) {
      service = { name: key, fields: {} };
      project.services.push(service);
    } else if (section === 'services' && indent === 4 && service) {
      service.fields[key] = value;
      if (key === 'hooks') project.hooks.push(`${service.name}.hooks`);
    } else if (section === 'hooks' && indent === 2) {
      project.hooks.push(key);
    }
  }
  return project;
}
