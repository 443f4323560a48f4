/**
 * The deployment's plain files against the code, without the compiler: the settings lists of shared/settings.ts
 * against loadConfig, local.settings.sample.json, azure.yaml, and committed files free of secrets.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_SETTINGS } from '../../shared/settings.js';
import { readAzureYaml, secretFindings } from './files.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (relative: string) => readFileSync(path.join(repoRoot, relative), 'utf8');

describe('settings lists (shared/settings.ts) against loadConfig', () => {
  it('CONFIG_SETTINGS names exactly the keys of the settings schema in shared/config.ts', () => {
    const source = read('shared/config.ts');
    const body = /const settingsSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1];
    expect(body, 'settingsSchema = z.object({...}) not found in shared/config.ts').toBeDefined();
    const keys = [...(body ?? '').matchAll(/^ {2}([A-Za-z_][A-Za-z0-9_]*):/gm)].map((m) => m[1]);

    expect([...keys].sort()).toEqual([...CONFIG_SETTINGS].sort());
  });
});

describe('local.settings.sample.json', () => {
  const sample = JSON.parse(read('local.settings.sample.json')) as { Values: Record<string, string> };

  it('lists every setting loadConfig reads', () => {
    expect(CONFIG_SETTINGS.filter((name) => !(name in sample.Values))).toEqual([]);
  });

  it('leaves every secret empty', () => {
    const secretNames = Object.keys(sample.Values).filter((k) =>
      /SECRET|PASSWORD|KEY|CERTIFICATE|CONNECTION_STRING/i.test(k),
    );
    expect(secretNames).toContain('AZURE_CLIENT_SECRET');
    expect(secretNames.filter((k) => sample.Values[k] !== '')).toEqual([]);
  });

  it('covers every setting of docs/design.md §4', () => {
    const section = /## 4\.[\s\S]*?\n## 5\./.exec(read('docs/design.md'))?.[0] ?? '';
    const names = new Set<string>();
    for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
      for (const m of (row.split('|')[1] ?? '').matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)) names.add(m[1] ?? '');
    }

    expect(names.size).toBeGreaterThan(5);
    expect([...names].filter((n) => !CONFIG_SETTINGS.includes(n as (typeof CONFIG_SETTINGS)[number]))).toEqual([]);
  });
});

describe('azure.yaml', () => {
  const azd = readAzureYaml(read('azure.yaml'));
  const api = azd.services.find((s) => s.name === 'api');

  it('deploys this folder as a TypeScript Function App from infra/bicep/main.bicep', () => {
    expect(api?.fields).toMatchObject({ project: '.', host: 'function' });
    expect(['ts', 'js']).toContain(api?.fields.language);
    const infraPath = path.join(repoRoot, azd.infra.path ?? 'infra', `${azd.infra.module ?? 'main'}.bicep`);
    expect(existsSync(infraPath)).toBe(true);
  });

  it('points at docs/deploy.md, which exists, as main.bicep does', () => {
    expect(read('azure.yaml')).toContain('docs/deploy.md');
    expect(read('infra/bicep/main.bicep')).toContain('docs/deploy.md');
    expect(existsSync(path.join(repoRoot, 'docs/deploy.md'))).toBe(true);
  });
});

describe('no secrets committed', () => {
  const files = [
    ...walk(path.join(repoRoot, 'infra/bicep')),
    path.join(repoRoot, 'azure.yaml'),
    path.join(repoRoot, 'local.settings.sample.json'),
  ];

  it.each(files.map((f) => [path.relative(repoRoot, f)]))('%s has nothing secret-looking', (relative) => {
    expect(secretFindings(read(relative), relative)).toEqual([]);
  });

  it("finds secret-looking values, including Azurite's published key outside code", () => {
    expect(
      secretFindings(
        "value: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abcdefghijklmnopqrstuvwxyz0123456789=='",
        'x',
      ),
    ).not.toEqual([]);
    expect(
      secretFindings(
        'key: Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
        'x',
      ),
    ).not.toEqual([]);
    expect(secretFindings('properties: { primaryKey: storage.listKeys().keys[0].value }', 'x')).not.toEqual([]);
    expect(secretFindings('"AZURE_CLIENT_SECRET": ""', 'x')).toEqual([]);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}
