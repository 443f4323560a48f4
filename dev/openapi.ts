/**
 * Writes the API contract the console and CI read, from the routes themselves:
 *
 *   node dist/dev/openapi.js           docs/openapi.json and console/src/api.generated.ts (openapi-typescript)
 *   node dist/dev/openapi.js --check   exits 1, naming the file, when either differs from what the routes produce
 *
 * Both files are checked in so a change to a route's schema shows up in review as a change to the contract.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { openApiDocument } from '../functions/openapi.js';
import { loadFunctionFiles } from './host/localHost.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled into dist/dev: the repository root is two levels up.
const root = path.resolve(here, '../..');
const OPENAPI_FILE = path.join(root, 'docs/openapi.json');
const API_TYPES_FILE = path.join(root, 'console/src/api.generated.ts');

const TYPES_HEADER =
  '// Generated from docs/openapi.json by `npm run api:generate` (openapi-typescript). Do not edit: change the\n' +
  "// route's zod schema, regenerate, and commit both files. `npm run api:check` fails when they are stale.\n\n";

/** The two contract files as the registered routes produce them today. */
async function contractFiles(): Promise<Array<{ file: string; text: string }>> {
  await loadFunctionFiles(path.join(root, 'dist/functions'));
  const document = openApiDocument();
  const json = `${JSON.stringify(document, null, 2)}\n`;
  const types = TYPES_HEADER + astToString(await openapiTS(JSON.parse(json) as OpenAPI3, { alphabetize: true }));
  return [
    { file: OPENAPI_FILE, text: json },
    { file: API_TYPES_FILE, text: types },
  ];
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const stale: string[] = [];
  for (const { file, text } of await contractFiles()) {
    if (readOrEmpty(file) === text) continue;
    if (values.check) stale.push(path.relative(root, file));
    else writeFileSync(file, text);
  }
  if (stale.length > 0) {
    process.stderr.write(
      `${stale.join(' and ')} ${stale.length > 1 ? 'are' : 'is'} not what the routes produce: ` +
        'run `npm run api:generate` and commit the result.\n',
    );
    process.exit(1);
  }
}

await main();
