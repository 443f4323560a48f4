import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createHttpsFetch, createMicrosoftClients, DEFAULT_RETRY_POLICY } from '../shared/adapters/microsoft/index.js';
import { repoRoot } from './simulator/certs.js';
import { toolTenant } from './toolTenant.js';
import { TrafficCapture } from './record/capture.js';
import { buildRecording, writeRecording, type RecordingManifest } from './record/format.js';
import { recordSession } from './record/session.js';
import { recordWireSamples, WIRE_SAMPLE_SKIPPED, WIRE_SAMPLE_TOKEN } from './record/wireSamples.js';

const USAGE = `npm run tenant:record -- --out <dir> [--group <object id>] [--mailbox <upn>] [--pages <n>]
npm run tenant:record -- --out <dir> --from-wire-samples [<fixtures dir>]

Records the product's Graph and Exchange calls (reads only) against the tenant that AZURE_TENANT_ID,
AZURE_CLIENT_ID and AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH name (without them: the built-in
tenant simulator), pseudonymizes them and writes <dir>/manifest.json and <dir>/calls/*.json.
See docs/recording.md.`;

/**
 * `npm run tenant:record`: a recording of real traffic for the contract tests (test/contract/recordings.test.ts).
 * A developer tool like dev/probe.ts: it assembles the environment that loadConfig() validates.
 */
async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      out: { type: 'string' },
      group: { type: 'string' },
      mailbox: { type: 'string' },
      pages: { type: 'string', default: '2' },
      'from-wire-samples': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (values.help || !values.out) {
    print(USAGE);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const out = path.resolve(values.out);
  const tool = toolInfo();

  if (values['from-wire-samples']) {
    const fixtures = path.resolve(positionals[0] ?? path.join(repoRoot(), 'test', 'contract', 'fixtures'));
    print(`wire samples from ${fixtures}`);
    const { calls, capture, settings } = await recordWireSamples(fixtures, print);
    const recording = buildRecording(calls, {
      source: 'wire-samples',
      description:
        'The wire samples of test/contract/fixtures, each served as the answer to the request its README row names.',
      tenantId: settings.tenantId,
      graphBaseUrl: settings.graphBaseUrl,
      exchangeBaseUrl: settings.exchangeBaseUrl,
      retry: { maxAttempts: 1 },
      tool,
      droppedHeaders: { request: capture.droppedHeaders.request, response: capture.droppedHeaders.response },
      skipped: WIRE_SAMPLE_SKIPPED,
      secrets: [...capture.secrets, WIRE_SAMPLE_TOKEN],
    });
    writeRecording(out, recording, [...capture.secrets, WIRE_SAMPLE_TOKEN]);
    summarize(out, recording.manifest);
    return;
  }

  const { config, simulator } = await toolTenant(print);
  const tenant = config.tenant;
  print(`recording tenant ${tenant.tenantId} (reads only)`);
  print(`  Graph ${tenant.graphBaseUrl}, Exchange ${tenant.exchangeBaseUrl}`);

  const transport = createHttpsFetch(simulator ? { ca: simulator.caCertPem } : {});
  const capture = new TrafficCapture(tenant);
  const clients = createMicrosoftClients(tenant, {
    ...(simulator ? { ca: simulator.caCertPem } : {}),
    fetch: capture.wrap(transport.fetch),
  });
  const clientSecret = tenant.credential.kind === 'clientSecret' ? [tenant.credential.clientSecret] : [];
  const secrets = (): string[] => [...capture.secrets, ...clientSecret];
  try {
    const demo = simulator?.tenant.demo;
    const demoMailbox = demo ? simulator?.tenant.users.get(demo.alexId)?.userPrincipalName : undefined;
    const { calls, skipped } = await recordSession(clients, capture, {
      ...(values.group ? { group: values.group } : demo ? { group: demo.targetGroupId } : {}),
      ...(values.mailbox ? { mailbox: values.mailbox } : demoMailbox ? { mailbox: demoMailbox } : {}),
      maxPages: Math.max(1, Number(values.pages) || 2),
      log: print,
    });
    const recording = buildRecording(calls, {
      source: simulator ? 'simulator' : 'tenant',
      description: simulator
        ? 'The built-in tenant simulator (dev/simulator, seed 42), recorded with npm run tenant:record.'
        : 'A Microsoft 365 tenant, recorded with npm run tenant:record.',
      tenantId: tenant.tenantId,
      graphBaseUrl: tenant.graphBaseUrl,
      exchangeBaseUrl: tenant.exchangeBaseUrl,
      retry: { maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts },
      tool,
      droppedHeaders: { request: capture.droppedHeaders.request, response: capture.droppedHeaders.response },
      skipped,
      secrets: secrets(),
    });
    writeRecording(out, recording, secrets());
    summarize(out, recording.manifest);
  } finally {
    clients.close();
    transport.close();
    await simulator?.stop();
  }
}

function toolInfo(): RecordingManifest['tool'] {
  const root = repoRoot();
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  let commit: string | undefined;
  try {
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'ignore'];
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio }).trim();
  } catch {
    commit = undefined;
  }
  const name = `${pkg.name} tenant:record`;
  return { name, version: pkg.version, ...(commit ? { commit } : {}), node: process.version };
}

function summarize(out: string, manifest: RecordingManifest): void {
  const c = manifest.counts;
  print(`\nwrote ${out}: ${c.calls} calls (${c.failedCalls} failed), ${c.exchanges} requests`);
  print(`  ${c.graphRequests} to Graph, ${c.exchangeRequests} to Exchange`);
  print(`pseudonymized: ${JSON.stringify(manifest.pseudonymized.counts)}`);
  print('Review every file before you share it (docs/recording.md).');
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((error: unknown) => {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`record failed: ${reason}\n`);
  process.exitCode = 1;
});
