import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { NotFoundError } from '../shared/errors.js';
import { registerApi } from '../shared/host/http.js';
import { registerHttp } from '../shared/host/registry.js';

/**
 * The built-in admin console: a static single-page app built by Vite into dist/console and served here, plus the
 * tiny anonymous route telling it how to sign in with Entra ID. Static assets hold no tenant data, hence anonymous.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled: dist/functions/console.js → dist/console. From source (vitest): functions/console.ts → dist/console;
// the sibling console/ there is the Vite source tree, which must never be served.
const runningFromSource = import.meta.url.endsWith('.ts');
export const CONSOLE_ASSET_DIR = path.resolve(here, runningFromSource ? '../dist/console' : '../console');

export const CONSOLE_CSP = [
  "default-src 'self'",
  "connect-src 'self' https://login.microsoftonline.com",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

const STATIC_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names built assets `name-<hash>.ext` under assets/: their content never changes under that name. */
const HASHED_ASSET = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

function staticProblem(
  status: number,
  title: string,
  detail: string,
  extra: Record<string, string> = {},
): HttpResponseInit {
  return {
    status,
    headers: { ...STATIC_HEADERS, 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...extra },
    body: JSON.stringify({ type: 'about:blank', title, status, detail }),
  };
}

/** A regular file strictly inside the asset directory, or undefined (symlinks out of it do not count). */
async function assetFile(root: string, relative: string): Promise<string | undefined> {
  const candidate = path.resolve(root, relative);
  try {
    const real = await realpath(candidate);
    if (real !== root && !real.startsWith(root + path.sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The static file handler over one asset directory (exported so tests can point it at a scratch build). */
export function consoleAssetHandler(assetDir: string): (request: HttpRequest) => Promise<HttpResponseInit> {
  return (request) => serveConsole(assetDir, request);
}

async function serveConsole(assetDir: string, request: HttpRequest): Promise<HttpResponseInit> {
  const requested = (request.params.path ?? '').replace(/^\/+/, '');
  // Reject traversal outright (also encoded forms, which arrive decoded) rather than normalising it away.
  if (requested.split(/[\\/]/).some((segment) => segment === '..') || requested.includes('\0')) {
    return staticProblem(400, 'Bad Request', 'The path must not contain ".." segments');
  }
  let root: string;
  try {
    root = await realpath(assetDir);
  } catch {
    root = assetDir;
  }
  const index = await assetFile(root, 'index.html');
  if (!index) {
    return staticProblem(
      503,
      'Service Unavailable',
      'The console has not been built: run npm run build (it builds the console into dist/console).',
      { 'Retry-After': '60' },
    );
  }
  const file = requested === '' ? index : await assetFile(root, requested);
  if (!file) {
    // A missing hashed asset is a stale page asking for an old build: a 404 beats HTML served as JavaScript.
    if (requested.startsWith('assets/') || path.extname(requested) !== '') {
      return staticProblem(404, 'Not Found', `No console asset at ${requested}`);
    }
    return fileResponse(index, 'index.html');
  }
  return fileResponse(file, path.relative(root, file).split(path.sep).join('/'));
}

async function fileResponse(file: string, relative: string): Promise<HttpResponseInit> {
  const body = await readFile(file);
  const contentType = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const cacheControl = HASHED_ASSET.test(relative) ? 'public, max-age=31536000, immutable' : 'no-cache';
  return {
    status: 200,
    headers: { ...STATIC_HEADERS, 'Content-Type': contentType, 'Cache-Control': cacheControl },
    body,
  };
}

const consoleConfigView = z.object({ clientId: z.string(), authority: z.string(), scopes: z.array(z.string()) });

// Registered before the catch-all below: the local host matches routes in registration order (Azure prefers literals).
export const consoleConfig = registerApi({
  name: 'consoleConfig',
  route: 'console/config',
  method: 'GET',
  role: 'anonymous',
  summary: "The console's Entra ID sign-in settings (public client id, authority, API scope)",
  tags: ['Console'],
  responses: {
    200: { description: 'Sign-in settings for MSAL', schema: consoleConfigView },
    404: { description: 'Console sign-in is not configured (CONSOLE_CLIENT_ID unset)' },
  },
  handle: async ({ services }) => {
    const { config } = services;
    const clientId = config.console.clientId;
    if (!clientId || !config.tenant || !config.api.audience) {
      throw new NotFoundError(
        'CONSOLE.NOT_CONFIGURED',
        'console sign-in not configured: set CONSOLE_CLIENT_ID (and AZURE_TENANT_ID, API_AUDIENCE)',
      );
    }
    const audience = config.api.audience.replace(/\/+$/, '');
    return {
      json: {
        clientId,
        authority: `${config.tenant.authorityHost}/${config.tenant.tenantId}`,
        scopes: [`${audience}/.default`],
      },
    };
  },
});

export const consoleAssets = registerHttp({
  name: 'consoleAssets',
  route: 'console/{*path}',
  methods: ['GET'],
  role: 'anonymous',
  handler: consoleAssetHandler(CONSOLE_ASSET_DIR),
});
