// Biome's formatter wraps code at 120 columns but never splits a string or a comment; this check covers what it
// leaves, over every tracked source and doc file Biome formats (the recordings and wire samples are captured data).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const SOURCE = /\.(ts|tsx|mjs|cjs|js|css|bicep|sh)$/;
const CAPTURED = /^(test\/recordings|test\/contract\/fixtures|test\/simulator\/wire-samples)\//;
const GENERATED = /\.generated\.ts$/;

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => (SOURCE.test(f) || f === '.ci/run') && !CAPTURED.test(f) && !GENERATED.test(f));

const offenders = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed by git but deleted in the working tree
  }
  text.split('\n').forEach((line, i) => {
    if ([...line].length > MAX) offenders.push(`${file}:${i + 1}: ${[...line].length} characters`);
  });
}
if (offenders.length > 0) {
  console.error(`${offenders.length} line(s) longer than ${MAX} characters:\n${offenders.join('\n')}`);
  process.exit(1);
}
console.log(`line width: ${files.length} files, every line ≤ ${MAX} characters`);
