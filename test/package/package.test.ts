import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyFiles,
  directorySize,
  linkAllModules,
  productionPackages,
  ROOT,
  run,
  sizeOf,
  tempApp,
  uploadFiles,
} from './stage.js';

// Issue 21: what azd uploads (.funcignore applied as azd applies it), what the remote build makes of it, and what
// the running app holds. The remote build (npm install, npm run build, npm run build:azure) is replayed on a copy
// of the upload, with the repository's node_modules standing in for the install.

/** The upload must hold exactly what `npm run build` needs: these files, and the sources under these folders. */
const UPLOAD_FILES = ['host.json', 'package-lock.json', 'package.json', 'tsconfig.json', 'tsconfig.server.json'];
const UPLOAD_FOLDERS = ['functions/', 'shared/', 'console/'];
const NEVER_UPLOADED = [
  /(^|\/)(test|bench|dev|infra|docs|node_modules|dist|coverage)\//,
  /\.test\./,
  /(^|\/)\.env/,
  /(^|\/)local\.settings/,
  /\.(pem|pfx|key)$/,
];
/** Today about 1.2 MB, most of it package-lock.json: the bound leaves room for the code to grow, not a folder. */
const UPLOAD_MAX_BYTES = 3 * 1024 * 1024;
/**
 * The built server and console plus the production packages: about 175 MB today (the Azure SDK, MSAL, the
 * OpenTelemetry distro). TypeScript, Vite, Azurite, Playwright and the other devDependencies would add hundreds.
 */
const RUNNING_MAX_BYTES = 250 * 1024 * 1024;

/** What is wrong with an upload (empty: nothing). */
function uploadProblems(files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const file of UPLOAD_FILES) if (!files.includes(file)) problems.push(`${file} is missing`);
  for (const folder of UPLOAD_FOLDERS)
    if (!files.some((f) => f.startsWith(folder))) problems.push(`${folder} is missing`);
  for (const file of files) {
    if (!UPLOAD_FILES.includes(file) && !UPLOAD_FOLDERS.some((folder) => file.startsWith(folder)))
      problems.push(`${file} is uploaded but the build does not need it`);
    else if (NEVER_UPLOADED.some((pattern) => pattern.test(file))) problems.push(`${file} must never be uploaded`);
  }
  return problems;
}

/** What is wrong with the remote build's output in `appDir` (empty: nothing). */
function buildProblems(appDir: string): string[] {
  const problems: string[] = [];
  const dist = path.join(appDir, 'dist');
  const top = readdirSync(dist).sort();
  if (JSON.stringify(top) !== JSON.stringify(['console', 'functions', 'shared']))
    problems.push(`dist holds ${top.join(', ')}: only console, functions and shared are built for Azure`);
  const sources = new Set(readdirSync(path.join(appDir, 'functions')).map((f) => f.replace(/\.ts$/, '')));
  for (const file of readdirSync(path.join(dist, 'functions')).filter((f) => f.endsWith('.js')))
    if (!sources.has(file.replace(/\.js$/, ''))) problems.push(`dist/functions/${file} has no source: stale`);
  if (!existsSync(path.join(dist, 'console/index.html'))) problems.push('dist/console/index.html is missing');
  return problems;
}

describe('the upload azd zips with .funcignore', () => {
  const files = uploadFiles(ROOT);

  it('holds what the remote build needs and nothing else', () => {
    expect(uploadProblems(files)).toEqual([]);
    expect(files).toContain('functions/syncMailbox.ts');
    expect(files).toContain('console/vite.config.ts');
  });

  it(`stays under ${UPLOAD_MAX_BYTES / 1024 / 1024} MB`, () => {
    expect(sizeOf(ROOT, files)).toBeLessThan(UPLOAD_MAX_BYTES);
  });

  it('uses only patterns that azd (go-gitignore) and git read alike: no re-includes, no anchored wildcards', () => {
    const lines = readFileSync(path.join(ROOT, '.funcignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(lines.filter((l) => l.startsWith('!') || (l.startsWith('/') && /[*?[]/.test(l)))).toEqual([]);
    // azd refuses remoteBuild: true unless the ignore file leaves node_modules out (service_target_functionapp.go).
    expect(lines).toContain('node_modules/');
  });

  describe('catches a .funcignore that lost a line', () => {
    let tree: string;
    const ignoreFile = readFileSync(path.join(ROOT, '.funcignore'), 'utf8');
    const withoutLine = (line: string) =>
      ignoreFile
        .split('\n')
        .filter((l) => l.trim() !== line)
        .join('\n');

    beforeAll(() => {
      tree = tempApp('funcignore');
      const files: Record<string, string> = {
        'package.json': '{}',
        'package-lock.json': '{}',
        'host.json': '{}',
        'tsconfig.json': '{}',
        'tsconfig.server.json': '{}',
        'local.settings.json': '{}',
        '.env': 'SECRET=1',
        'functions/health.ts': '',
        'shared/config.ts': '',
        'shared/config.test.ts': '',
        'console/index.html': '',
        'console/src/main.tsx': '',
        'test/support/app.ts': '',
        'dev/start.ts': '',
        'bench/run.ts': '',
        'dist/functions/old.js': '',
        'node_modules/vite/index.js': '',
      };
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
        writeFileSync(path.join(tree, file), text);
      }
    });

    afterAll(() => {
      if (tree) rmSync(tree, { recursive: true, force: true });
    });

    it('passes with the whole file', () => {
      writeFileSync(path.join(tree, '.funcignore'), ignoreFile);
      expect(uploadProblems(uploadFiles(tree))).toEqual([]);
    });

    it.each([
      ['/test/', 'test/support/app.ts'],
      ['/dev/', 'dev/start.ts'],
      ['/bench/', 'bench/run.ts'],
      ['dist/', 'dist/functions/old.js'],
      ['node_modules/', 'node_modules/vite/index.js'],
      ['*.test.*', 'shared/config.test.ts'],
      ['.env', '.env'],
    ])('without %s it uploads %s', (line, file) => {
      writeFileSync(path.join(tree, '.funcignore'), withoutLine(line));
      expect(uploadProblems(uploadFiles(tree)).join('\n')).toContain(file);
    });
  });
});

describe('the remote build of that upload', () => {
  let app: string;

  beforeAll(async () => {
    app = tempApp('package');
    copyFiles(ROOT, uploadFiles(ROOT), app);
    linkAllModules(app);
    // A file no source builds any more, as an earlier build or a developer's disk would leave it.
    mkdirSync(path.join(app, 'dist/functions'), { recursive: true });
    writeFileSync(path.join(app, 'dist/functions/old.js'), "throw new Error('stale');\n");
    await run('npm', ['run', 'build', '--silent'], { cwd: app, timeout: 280_000 });
  }, 300_000);

  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('cleans dist/ and builds only the server and the console', () => {
    expect(buildProblems(app)).toEqual([]);
    expect(existsSync(path.join(app, 'dist/functions/old.js'))).toBe(false);
  });

  it('catches a stale file in dist/functions', () => {
    writeFileSync(path.join(app, 'dist/functions/old.js'), '');
    try {
      expect(buildProblems(app)).toEqual(['dist/functions/old.js has no source: stale']);
    } finally {
      rmSync(path.join(app, 'dist/functions/old.js'));
    }
  });

  it(`runs in under ${RUNNING_MAX_BYTES / 1024 / 1024} MB with production packages only`, () => {
    const production = productionPackages();
    expect(production).toContain('@azure/functions');
    // The build and test tools stay devDependencies: the remote build's prune (npm run build:azure) drops them.
    const tools = ['typescript', 'vite', 'vitest', 'azurite', '@biomejs/biome', 'playwright-core', '@redocly/cli'];
    expect(production.filter((name) => tools.includes(name))).toEqual([]);
    const packages = production.reduce((sum, name) => sum + directorySize(path.join(ROOT, 'node_modules', name)), 0);
    const running = directorySize(path.join(app, 'dist')) + sizeOf(ROOT, uploadFiles(ROOT)) + packages;
    expect(running).toBeLessThan(RUNNING_MAX_BYTES);
  });
});
