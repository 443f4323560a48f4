import { execFile } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ignore from 'ignore';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const run = promisify(execFile);

/**
 * The files (relative, `/`-separated, sorted) azd zips for the Function App: the service folder walked as
 * createDeployableZip does (github.com/Azure/azure-dev, cli/azd/pkg/project/project_utils.go), which always drops
 * `.azure/`, the ignore file itself and `local.settings.json`, then everything `.funcignore` matches (an ignored
 * directory is not entered).
 */
export function uploadFiles(root: string): string[] {
  const rules = ignore().add(readFileSync(path.join(root, '.funcignore'), 'utf8'));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      const isDir = entry.isSymbolicLink() ? statSync(path.join(root, rel)).isDirectory() : entry.isDirectory();
      if (isDir && entry.name === '.azure') continue;
      if (!isDir && (entry.name === '.funcignore' || entry.name === 'local.settings.json')) continue;
      if (rules.ignores(isDir ? `${rel}/` : rel)) continue;
      if (isDir) walk(rel);
      else files.push(rel);
    }
  };
  walk('');
  return files.sort();
}

/** Total size in bytes of `files` under `root`. */
export function sizeOf(root: string, files: readonly string[]): number {
  return files.reduce((sum, f) => sum + statSync(path.join(root, f)).size, 0);
}

/** A fresh temporary directory for one staged app. */
export function tempApp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `mps-${prefix}-`));
}

/** Copies `files` from `root` into `dir`, keeping their paths. */
export function copyFiles(root: string, files: readonly string[], dir: string): void {
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(dir, file));
  }
}

/**
 * The packages `npm install --omit=dev` keeps: package-lock.json entries not marked `dev` (devOptional stays, as
 * npm keeps it), top level only (nested ones sit inside a package that is itself kept).
 */
export function productionPackages(root = ROOT): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; link?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([key]) => key.startsWith('node_modules/') && !key.slice(13).includes('node_modules/'))
    .filter(([, entry]) => !entry.dev)
    .map(([key]) => key.slice('node_modules/'.length))
    .sort();
}

/**
 * Gives `dir` a node_modules that holds only the production packages (links into the repository's), so what the
 * app imports resolves as it would after the remote build's prune.
 */
export function linkProductionModules(dir: string, root = ROOT): void {
  for (const name of productionPackages(root)) {
    const target = path.join(root, 'node_modules', name);
    const link = path.join(dir, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
  }
}

/** Gives `dir` the repository's whole node_modules (what the remote build installs before building). */
export function linkAllModules(dir: string, root = ROOT): void {
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

/** Bytes under a directory, following no links. */
export function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += directorySize(full);
    else if (entry.isFile()) total += lstatSync(full).size;
  }
  return total;
}
