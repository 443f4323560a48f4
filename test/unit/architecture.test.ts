import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return files(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

function resolved(file: string, spec: string): string {
  return spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec;
}

describe('architecture', () => {
  it('domain code imports no SDK, no adapter, no host and no I/O module', () => {
    const offenders = files('shared/domain').flatMap((file) =>
      imports(file)
        .filter(
          (spec) =>
            /^@azure\/|^@microsoft\/|^node:(fs|http|https|net|child_process)$/.test(spec) ||
            /shared\/(adapters|host|usecases)\b/.test(resolved(file, spec)),
        )
        .map((spec) => `${file} → ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('function files only register, parse, call a use case and map (no adapters, no SDK clients, no domain logic)', () => {
    const offenders: string[] = [];
    for (const file of files('functions')) {
      for (const spec of imports(file)) {
        const target = resolved(file, spec);
        const allowed =
          spec === 'zod' ||
          spec === '@azure/functions' ||
          spec.startsWith('node:') ||
          /^shared\/(host|usecases|ports|domain)\//.test(target) ||
          target === 'shared/composition.js' ||
          target === 'shared/errors.js';
        if (!allowed) offenders.push(`${file} → ${spec}`);
      }
      const text = readFileSync(path.join(root, file), 'utf8');
      // Thin: no loops over data and no table or HTTP client calls in entry points.
      if (/\bfor\s*\(|\.submit\(|\bfetch\(/.test(text.replace(/\/\/.*$/gm, '')))
        offenders.push(`${file} contains logic (loops / storage / HTTP calls)`);
    }
    expect(offenders).toEqual([]);
  });

  it('shared/ never imports dev/, test/ or bench/, and only config.ts reads process.env', () => {
    const offenders: string[] = [];
    for (const file of [...files('shared'), ...files('functions')]) {
      for (const spec of imports(file))
        if (/^(dev|test|bench)\//.test(resolved(file, spec))) offenders.push(`${file} → ${spec}`);
      if (file !== path.join('shared', 'config.ts') && /process\.env/.test(readFileSync(path.join(root, file), 'utf8')))
        offenders.push(`${file} reads process.env`);
    }
    expect(offenders).toEqual([]);
  });

  it('the checker itself sees a violation (guards against a regex that matches nothing)', () => {
    expect(imports('shared/adapters/tables/tableStore.ts')).toContain('@azure/data-tables');
    expect(resolved('shared/domain/x.ts', '../adapters/y.js')).toBe(path.join('shared', 'adapters', 'y.js'));
  });
});
