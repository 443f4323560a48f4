import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** `npm:@azure/data-tables` for a file inside an installed package (wherever node_modules is), else the path. */
function packageOf(resolved: string): string {
  return resolved.replace(/^(?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\/.*$/, 'npm:$1');
}

/** Cruises `dirs` under `baseDir` with the repo's own rule set (.dependency-cruiser.cjs), as `npm run deps` does. */
async function violations(baseDir: string, dirs: string[]): Promise<string[]> {
  const fromConfig = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
  const tsConfigFile = path.join(baseDir, 'tsconfig.json');
  const options: ICruiseOptions = { ...fromConfig, baseDir, tsConfig: { fileName: tsConfigFile } };
  const { output } = await cruise(dirs, options, {}, { tsConfig: extractTSConfig(tsConfigFile) });
  const result = output as ICruiseResult;
  return result.summary.violations
    .map((v) => `${v.rule.name}: ${v.from} → ${v.cycle ? 'cycle' : packageOf(v.to)}`)
    .sort((a, b) => a.localeCompare(b));
}

/**
 * A tiny tree with the repo's layout: files that follow the rules, and one file per rule that breaks it (and
 * only it). Written to a temporary folder so the broken imports never reach tsc or the linter.
 */
const FIXTURE: Record<string, string> = {
  'shared/errors.ts': 'export class AppError extends Error {}\n',
  'shared/logging.ts': 'export const logger = console;\n',
  'shared/config.ts': 'export const config = {};\n',
  'shared/domain/model.ts':
    "import { z } from 'zod';\nimport { AppError } from '../errors.js';\nexport { z, AppError };\n",
  'shared/ports/port.ts': "import type { AppError } from '../errors.js';\nexport type Port = { fail(): AppError };\n",
  'shared/usecases/story.ts':
    "import { createHash } from 'node:crypto';\nimport { z } from '../domain/model.js';\n" +
    "import type { Port } from '../ports/port.js';\nimport { logger } from '../logging.js';\n" +
    'export const story = (p: Port) => [createHash, z, p, logger];\n',
  'shared/adapters/store.ts': "import type { Port } from '../ports/port.js';\nexport const store = {} as Port;\n",
  'shared/composition.ts': "import { store } from './adapters/store.js';\nexport const services = { store };\n",
  'shared/host/http.ts': "import { services } from '../composition.js';\nexport const http = services;\n",
  'functions/ok.ts':
    "import { http } from '../shared/host/http.js';\nimport { story } from '../shared/usecases/story.js';\n" +
    'export const fn = [http, story];\n',
  'dev/tool.ts': 'export const tool = 1;\n',
  // One broken rule each.
  'shared/domain/usesLogging.ts': "import { logger } from '../logging.js';\nexport const x = logger;\n",
  'shared/domain/readsFiles.ts': "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
  'shared/usecases/readsConfig.ts': "import { config } from '../config.js';\nexport const x = config;\n",
  'shared/usecases/usesSdk.ts': "import { TableClient } from '@azure/data-tables';\nexport const x = TableClient;\n",
  'shared/ports/usesUseCase.ts': "import { story } from '../usecases/story.js';\nexport const x = story;\n",
  'shared/host/usesAdapter.ts': "import { store } from '../adapters/store.js';\nexport const x = store;\n",
  'shared/adapters/callsUseCase.ts': "import { story } from '../usecases/story.js';\nexport const x = story;\n",
  'functions/readsConfig.ts': "import { config } from '../shared/config.js';\nexport const x = config;\n",
  'shared/host/usesTool.ts': "import { tool } from '../../dev/tool.js';\nexport const x = tool;\n",
  'shared/host/cycleA.ts': "import { b } from './cycleB.js';\nexport const a = () => b;\n",
  'shared/host/cycleB.ts': "import { a } from './cycleA.js';\nexport const b = () => a;\n",
  'shared/host/missing.ts': "import { nothing } from './nowhere.js';\nexport const x = nothing;\n",
};

describe('dependency rule (dependency-cruiser, .dependency-cruiser.cjs)', () => {
  let fixture: string;

  beforeAll(() => {
    fixture = mkdtempSync(path.join(tmpdir(), 'mps-architecture-'));
    for (const [file, text] of Object.entries(FIXTURE)) {
      mkdirSync(path.dirname(path.join(fixture, file)), { recursive: true });
      writeFileSync(path.join(fixture, file), text);
    }
    writeFileSync(path.join(fixture, 'tsconfig.json'), readFileSync(path.join(root, 'tsconfig.json')));
    writeFileSync(
      path.join(fixture, 'package.json'),
      JSON.stringify({ type: 'module', dependencies: { zod: '*', '@azure/data-tables': '*' } }),
    );
    symlinkSync(path.join(root, 'node_modules'), path.join(fixture, 'node_modules'), 'dir');
  });

  afterAll(() => {
    rmSync(fixture, { recursive: true, force: true });
  });

  it('fires each rule on the fixture file that breaks it, and on nothing else', async () => {
    expect(await violations(fixture, ['shared', 'functions'])).toEqual([
      'adapters-depend-inward: shared/adapters/callsUseCase.ts → shared/usecases/story.ts',
      'domain-imports-only-domain-and-errors: shared/domain/usesLogging.ts → shared/logging.ts',
      'functions-call-host-and-use-cases: functions/readsConfig.ts → shared/config.ts',
      'no-circular: shared/host/cycleA.ts → cycle',
      'not-to-unresolvable: shared/host/missing.ts → ./nowhere.js',
      'only-composition-wires-adapters: shared/host/usesAdapter.ts → shared/adapters/store.ts',
      'ports-own-their-types: shared/ports/usesUseCase.ts → shared/usecases/story.ts',
      'production-code-not-to-tools: shared/host/usesTool.ts → dev/tool.ts',
      'pure-layers-do-no-io: shared/domain/readsFiles.ts → fs',
      'pure-layers-use-no-sdk: shared/usecases/usesSdk.ts → npm:@azure/data-tables',
      'usecases-import-only-domain-ports-errors-logging: shared/usecases/readsConfig.ts → shared/config.ts',
    ]);
  }, 60_000);

  it('the real tree (shared/, functions/) has no violation', async () => {
    expect(await violations(root, ['shared', 'functions'])).toEqual([]);
  }, 60_000);
});

function files(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return files(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

describe('one validated config', () => {
  it('only shared/config.ts reads process.env', () => {
    const readers = [...files('shared'), ...files('functions')].filter(
      (file) => /process\.env/.test(readFileSync(path.join(root, file), 'utf8')) && file !== 'shared/config.ts',
    );
    expect(readers).toEqual([]);
  });
});
