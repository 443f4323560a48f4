/**
 * Consistency checks of the repository's deployment files that need no compiler: host.json against the queues and
 * the run timeout, committed files free of secrets, and the flat parts of azure.yaml. Pure functions returning
 * findings (empty = consistent), so the tests run them on the real files and on broken variants.
 */

// ---------------------------------------------------------------------------------------------- host.json & secrets

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
