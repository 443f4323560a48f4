/**
 * `npm run infra:build`: lints infra/bicep/main.bicep (infra/bicep/bicepconfig.json makes every analyzer finding
 * an error) and compiles it into infra/build/main.json (git-ignored), with the Bicep CLI dev/bicep.ts finds.
 * Exits 1 on any diagnostic, so "no output" means the templates compile and lint clean.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBicep } from './bicep.js';

// Compiled into dist/dev: the repository root is two levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(root, 'infra/bicep/main.bicep');
const OUT = path.join(root, 'infra/build/main.json');

function run(cli: string, args: string[]): boolean {
  const result = spawnSync(cli, args, { encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (output) process.stderr.write(`${output}\n`);
  return result.status === 0 && output === '';
}

const cli = findBicep({ root, log: (line) => process.stderr.write(`${line}\n`) });
process.stderr.write(`${cli.version} (${cli.source})\n`);
const linted = run(cli.path, ['lint', MAIN]);
const built = run(cli.path, ['build', MAIN, '--outfile', OUT]);
if (!linted || !built) {
  process.stderr.write('infra:build failed: fix the diagnostics above.\n');
  process.exit(1);
}
process.stderr.write(`${path.relative(root, OUT)} written; lint clean.\n`);
