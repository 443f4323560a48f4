/**
 * The real Bicep compiler for infra/bicep, found the way a developer or CI has it:
 *
 *   1. `bicep` on PATH;
 *   2. the copy the Azure CLI keeps after `az bicep install` (<AZURE_CONFIG_DIR or ~/.azure>/bin/bicep);
 *   3. the NuGet package Azure.Bicep.CommandLine.<rid>, fetched once by `dotnet restore` of a throwaway
 *      project into node_modules/.cache/bicep/<version> (dotnet uses its own configured package sources).
 *
 * Tests talk to it over its JSON-RPC interface (`bicep jsonrpc --stdio`, stable since Bicep 0.29: see
 * ICliJsonRpcProtocol.cs in the Azure/bicep repository), so one process compiles many templates in a few seconds.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The compiler version this repository is checked with (CI fetches exactly this one from NuGet). */
export const BICEP_VERSION = '0.49.2';

/** NuGet runtime ids the Bicep CLI package is published for (src/Bicep.Cli.Nuget/build in Azure/bicep). */
const NUGET_RIDS: Record<string, string> = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'osx-x64',
  'darwin-arm64': 'osx-arm64',
  'win32-x64': 'win-x64',
  'win32-arm64': 'win-arm64',
};

export interface BicepCli {
  /** Executable to spawn. */
  path: string;
  /** Where it came from, for messages. */
  source: 'PATH' | 'Azure CLI' | 'NuGet';
  /** `bicep --version` output, e.g. `Bicep CLI version 0.49.2 (b34271ac51)`. */
  version: string;
}

function versionOf(executable: string): string | undefined {
  const result = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function runs(command: string, args: string[]): boolean {
  return spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 }).status === 0;
}

const exe = process.platform === 'win32' ? 'bicep.exe' : 'bicep';

/** Where `az bicep install` puts the binary (azure-cli: command_modules/resource/_bicep.py, get_config_dir()). */
function azureCliBicep(): string {
  const configDir = process.env.AZURE_CONFIG_DIR || path.join(os.homedir(), '.azure');
  return path.join(configDir, 'bin', exe);
}

/** The binary inside the restored package folder. */
function packagedBinary(packagesDir: string, packageId: string): string {
  return path.join(packagesDir, packageId.toLowerCase(), BICEP_VERSION, 'tools', exe);
}

/**
 * Fetches Azure.Bicep.CommandLine.<rid> with `dotnet restore` of a generated project into a staging folder, then
 * moves the packages folder into place in one rename, so concurrent test processes never see half a download.
 */
function fetchFromNuGet(cacheDir: string, packageId: string, log: (line: string) => void): string {
  const sdk = spawnSync('dotnet', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  const major = /^(\d+)\./.exec(sdk.stdout ?? '')?.[1];
  if (sdk.status !== 0 || !major) throw new Error('dotnet --version failed');
  mkdirSync(path.dirname(cacheDir), { recursive: true });
  const staging = mkdtempSync(`${cacheDir}.fetch-`);
  try {
    const project = path.join(staging, 'fetch.csproj');
    // PackageDownload fetches a package without referencing it: no build, no target framework assets needed.
    writeFileSync(
      project,
      '<Project Sdk="Microsoft.NET.Sdk">\n' +
        `  <PropertyGroup><TargetFramework>net${major}.0</TargetFramework></PropertyGroup>\n` +
        `  <ItemGroup><PackageDownload Include="${packageId}" Version="[${BICEP_VERSION}]" /></ItemGroup>\n` +
        '</Project>\n',
    );
    log(`Fetching ${packageId} ${BICEP_VERSION} with dotnet restore into ${cacheDir} (once)`);
    const packages = path.join(staging, 'packages');
    const restore = spawnSync(
      'dotnet',
      ['restore', project, '--packages', packages, '--nologo', '--verbosity', 'quiet'],
      {
        encoding: 'utf8',
        timeout: 600_000,
        env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
      },
    );
    const binary = packagedBinary(packages, packageId);
    if (restore.status !== 0 || !existsSync(binary)) {
      throw new Error(`dotnet restore of ${packageId} ${BICEP_VERSION} failed:\n${restore.stdout}${restore.stderr}`);
    }
    chmodSync(binary, 0o755);
    try {
      renameSync(packages, cacheDir);
    } catch (error) {
      // Another process finished first: its copy is the same package.
      if (!existsSync(packagedBinary(cacheDir, packageId))) throw error;
    }
    return packagedBinary(cacheDir, packageId);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export interface FindBicepOptions {
  /** The repository root; the NuGet copy is cached under its node_modules/.cache/bicep. */
  root: string;
  /** Progress lines (the NuGet fetch takes a while the first time). */
  log?: (line: string) => void;
}

/** The first Bicep CLI that runs: PATH, the Azure CLI's copy, the cached or freshly fetched NuGet package. */
export function findBicep({ root, log = () => {} }: FindBicepOptions): BicepCli {
  const tried: string[] = [];
  const onPath = versionOf('bicep');
  if (onPath) return { path: 'bicep', source: 'PATH', version: onPath };
  tried.push('no `bicep` on PATH');

  if (runs('az', ['version'])) {
    const azBicep = azureCliBicep();
    const version = existsSync(azBicep) ? versionOf(azBicep) : undefined;
    if (version) return { path: azBicep, source: 'Azure CLI', version };
    tried.push(`the Azure CLI has no Bicep at ${azBicep} (run \`az bicep install\`)`);
  } else {
    tried.push('no `az` on PATH');
  }

  const rid = NUGET_RIDS[`${process.platform}-${process.arch}`];
  if (!rid) {
    tried.push(`no Bicep CLI NuGet package for ${process.platform}-${process.arch}`);
  } else {
    const packageId = `Azure.Bicep.CommandLine.${rid}`;
    const cacheDir = path.join(root, 'node_modules', '.cache', 'bicep', BICEP_VERSION);
    const cached = packagedBinary(cacheDir, packageId);
    const cachedVersion = existsSync(cached) ? versionOf(cached) : undefined;
    if (cachedVersion) return { path: cached, source: 'NuGet', version: cachedVersion };
    if (runs('dotnet', ['--version'])) {
      try {
        const fetched = fetchFromNuGet(cacheDir, packageId, log);
        const version = versionOf(fetched);
        if (version) return { path: fetched, source: 'NuGet', version };
        tried.push(`${fetched} does not run`);
      } catch (error) {
        tried.push(error instanceof Error ? error.message : String(error));
      }
    } else {
      tried.push('no `dotnet` on PATH to fetch the NuGet package');
    }
  }

  throw new Error(
    'No Bicep CLI found. Any one of these works:\n' +
      '  - put `bicep` on PATH (https://aka.ms/bicep/install);\n' +
      '  - install the Azure CLI and run `az bicep install`;\n' +
      `  - install the .NET SDK: this script then fetches the NuGet package Azure.Bicep.CommandLine.<rid> ` +
      `${BICEP_VERSION} with \`dotnet restore\`.\n` +
      `Tried: ${tried.join('; ')}.`,
  );
}

// ---------------------------------------------------------------------------------------------- JSON-RPC

export interface BicepDiagnostic {
  source: string;
  range: { start: { line: number; char: number }; end: { line: number; char: number } };
  level: string;
  code: string;
  message: string;
}

export interface CompileResult {
  success: boolean;
  diagnostics: BicepDiagnostic[];
  /** The ARM JSON template, as `bicep build --stdout` prints it. */
  contents: string | null;
}

/** Deployment context a snapshot is evaluated in (ids are placeholders: nothing is deployed). */
export interface SnapshotMetadata {
  tenantId: string;
  subscriptionId: string;
  location: string;
  deploymentName: string;
  resourceGroup?: string;
}

/** `bicep snapshot`: the template evaluated with a parameters file, nested deployments expanded. */
export interface Snapshot {
  predictedResources: Array<Record<string, unknown>>;
  diagnostics: unknown[];
  outputs?: unknown;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** One `bicep jsonrpc --stdio` process (StreamJsonRpc framing: Content-Length headers). */
export class BicepSession {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private buffer = Buffer.alloc(0);
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    const fail = (error: Error) => {
      for (const request of this.pending.values()) request.reject(error);
      this.pending.clear();
    };
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`bicep jsonrpc exited (${code}): ${this.stderr.trim()}`)));
  }

  static start(cli: BicepCli): BicepSession {
    return new BicepSession(spawn(cli.path, ['jsonrpc', '--stdio'], { stdio: 'pipe' }));
  }

  /** Compiles a .bicep file with its bicepconfig.json: linter findings come back as diagnostics. */
  compile(file: string): Promise<CompileResult> {
    return this.call('bicep/compile', { path: file }) as Promise<CompileResult>;
  }

  /** Evaluates a .bicepparam file's template the way a deployment would, without deploying. */
  async snapshot(paramsFile: string, metadata: SnapshotMetadata): Promise<Snapshot> {
    const result = (await this.call('bicep/getSnapshot', { path: paramsFile, metadata })) as { snapshot: string };
    return JSON.parse(result.snapshot) as Snapshot;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }

  private call(method: string, params: unknown): Promise<unknown> {
    const id = ++this.nextId;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: *(\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString()) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      const request = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!request || message.id === undefined) continue;
      this.pending.delete(message.id);
      if (message.error) request.reject(new Error(message.error.message));
      else request.resolve(message.result);
    }
  }
}
