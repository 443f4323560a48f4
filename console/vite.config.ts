import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The console is served by functions/console.ts at /api/console/ from dist/console (same origin as the API). */
export default defineConfig({
  root: here,
  base: '/api/console/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: path.resolve(here, '../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    // The CSP allows only same-origin scripts: no inline polyfill, no inlined data: assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
