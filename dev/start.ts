import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { azuriteConnectionString } from '../shared/config.js';
import { startAzurite, type AzuriteHandle } from './azurite.js';
import { DEFAULT_SIMULATOR_PORT, appSettingsFor, startSimulator, type RunningSimulator } from './simulator/index.js';

/**
 * `npm start`: everything local on embedded defaults. Azurite (tables) unless TABLES_* is set, the tenant
 * simulator unless AZURE_TENANT_ID is set, then the app process (dev/host/main.ts) with the simulator's CA
 * trusted through NODE_EXTRA_CA_CERTS (read by Node only at process start, hence a child process).
 */
let app: ChildProcess | undefined;
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, existsSync(path.resolve(here, '../package.json')) ? '..' : '../..');

function localSettings(): Record<string, string> {
  const file = path.join(repoRoot, 'local.settings.json');
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
    return Object.fromEntries(
      Object.entries(parsed.Values ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
    );
  } catch (error) {
    throw new Error(`local.settings.json is not valid JSON: ${(error as Error).message}`);
  }
}

function envNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name} must be a port number (1-65535)`);
  return n;
}

async function main(): Promise<void> {
  // Real environment wins over local.settings.json, as with the Functions host.
  const env: Record<string, string | undefined> = { ...localSettings(), ...process.env };
  let azurite: AzuriteHandle | undefined;
  let simulator: RunningSimulator | undefined;

  const stopAll = async () => {
    if (app && app.exitCode === null) {
      await new Promise<void>((resolve) => {
        app!.once('exit', () => resolve());
        app!.kill('SIGTERM');
      });
    }
    await simulator?.stop();
    await azurite?.stop();
  };

  try {
    if (!env.TABLES_CONNECTION_STRING && !env.TABLES_ENDPOINT) {
      azurite = await startAzurite({
        port: envNumber(env.AZURITE_TABLE_PORT, 10002, 'AZURITE_TABLE_PORT'),
        location: path.join(repoRoot, '.azurite'),
      });
      env.TABLES_CONNECTION_STRING = azuriteConnectionString(azurite.port);
      // The host then shards its tables the way Azurite needs (dev/tableLayout.ts).
      env.MPS_AZURITE = '1';
      process.stdout.write(`azurite tables   http://127.0.0.1:${azurite.port}/devstoreaccount1  (data in .azurite/)\n`);
    } else {
      process.stdout.write('tables           from TABLES_CONNECTION_STRING / TABLES_ENDPOINT\n');
    }

    if (!env.AZURE_TENANT_ID) {
      simulator = await startSimulator({
        port: envNumber(env.SIMULATOR_PORT, DEFAULT_SIMULATOR_PORT, 'SIMULATOR_PORT'),
      });
      Object.assign(env, {
        ...appSettingsFor(simulator),
        // An API token configuration given explicitly wins over the simulator's issuer.
        API_AUDIENCE: env.API_AUDIENCE ?? simulator.api.audience,
        API_ISSUER: env.API_ISSUER ?? simulator.api.issuer,
        API_JWKS_URI: env.API_JWKS_URI ?? simulator.api.jwksUri,
        MPS_SIMULATOR: '1',
        MPS_DEMO_GROUP_ID: simulator.tenant.demo.targetGroupId,
        MPS_DEMO_USER: simulator.tenant.users.get(simulator.tenant.demo.alexId)?.userPrincipalName ?? '',
      });
      process.stdout.write(
        `tenant simulator ${simulator.url}  (tenant ${simulator.tenantId}, ${simulator.tenant.users.size} users)\n`,
      );
    } else {
      process.stdout.write(
        `tenant           ${env.AZURE_TENANT_ID} via ${env.GRAPH_BASE_URL ?? 'https://graph.microsoft.com'}\n`,
      );
    }

    // Local receivers listen on 127.0.0.1 over http (docs/design.md §8.1); an explicit setting wins.
    env.ALERT_ALLOW_HTTP_LOOPBACK ??= 'true';
    app = fork(path.join(here, 'host', 'main.js'), [], { env, stdio: 'inherit' });
    const exitCode = await new Promise<number>((resolve) => app!.once('exit', (code) => resolve(code ?? 1)));
    await simulator?.stop();
    await azurite?.stop();
    process.exit(exitCode);
  } catch (error) {
    process.stderr.write(`npm start failed: ${(error as Error).message}\n`);
    await stopAll();
    process.exit(1);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Forward to the app process: it stops taking work and finishes in-flight invocations, then main() stops
  // the simulator and Azurite. A terminal's Ctrl+C reaches the child too; a second signal is harmless.
  process.on(signal, () => {
    if (app && app.exitCode === null) app.kill('SIGTERM');
    else process.exit(1);
  });
}

void main();
