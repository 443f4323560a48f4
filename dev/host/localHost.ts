import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import azureFunctions, { type HttpResponseInit, type Timer } from '@azure/functions';
import { CronExpressionParser } from 'cron-parser';
import type { InProcessQueue } from '../../shared/adapters/queue/inProcessQueue.js';
import {
  registeredFunctions,
  type FunctionDefinition,
  type HttpFunctionDefinition,
} from '../../shared/host/registry.js';
import { SECURITY_HEADERS } from '../../shared/host/http.js';
import type { Logger } from '../../shared/logging.js';
import { runAsInstance, type Services } from '../../shared/composition.js';
import { isPortTaken } from '../azurite.js';
import { serviceBusConcurrency } from './hostJson.js';

export interface LocalHostOptions {
  port: number;
  host?: string;
  queue: InProcessQueue;
  logger: Logger;
  /** Fire timers on their schedules (tests drive timers by hand and turn this off). */
  timers?: boolean;
  functionsDir?: string;
  /** Local-only routes under /dev/ (the console's dev sign-in), asked first; resolving false falls through to 404. */
  devRoutes?: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<boolean>;
  /**
   * Isolated app instances (LOCAL_INSTANCES), as Azure's scale-out runs them: each queue delivery goes to the one
   * with the fewest of that queue's invocations in flight (an instance with a free slot takes the next message),
   * each with host.json's Service Bus concurrency of its own; HTTP requests go round robin; timers run on the first.
   * Without it every invocation uses the process's services.
   */
  instances?: readonly Services[];
  /** The host.json whose extensions.serviceBus.maxConcurrentCalls applies (default: the project's). */
  hostJson?: string;
}

export interface LocalHost {
  url: string;
  port: number;
  definitions: readonly FunctionDefinition[];
  /** Runs a timer function now, as the schedule would. */
  fireTimer(name: string): Promise<void>;
  stop(): Promise<void>;
}

// The package is a webpack-built CommonJS bundle: Node's ESM loader cannot see these two as named exports.
const { HttpRequest, InvocationContext } = azureFunctions;
type InvocationContext = InstanceType<typeof InvocationContext>;

const here = path.dirname(fileURLToPath(import.meta.url));

/** Imports every function file so each registers itself (same files Azure loads through package.json `main`). */
export async function loadFunctionFiles(
  dir = path.resolve(here, '../../functions'),
): Promise<readonly FunctionDefinition[]> {
  const files = readdirSync(dir)
    .filter((f) => (f.endsWith('.js') || f.endsWith('.ts')) && !f.endsWith('.d.ts'))
    .sort();
  for (const file of files) await import(pathToFileURL(path.join(dir, file)).href);
  return registeredFunctions();
}

interface CompiledRoute {
  def: HttpFunctionDefinition;
  segments: Array<{ literal: string } | { param: string; optional: boolean; catchAll: boolean }>;
}

function compileRoute(def: HttpFunctionDefinition): CompiledRoute {
  const segments = def.route
    .split('/')
    .filter(Boolean)
    .map((s) => {
      const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\?)?\}$/.exec(s);
      if (!m) return { literal: s.toLowerCase() };
      return { param: m[2]!, optional: m[3] === '?', catchAll: m[1] === '*' };
    });
  return { def, segments };
}

/** Matches decoded path segments against a route template; Functions matches literals case-insensitively. */
function matchRoute(route: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const seg = route.segments[i]!;
    const part = parts[i];
    if ('literal' in seg) {
      if (part === undefined || part.toLowerCase() !== seg.literal) return undefined;
      continue;
    }
    if (seg.catchAll) {
      params[seg.param] = parts.slice(i).join('/');
      return params;
    }
    if (part === undefined) {
      if (seg.optional) continue;
      return undefined;
    }
    params[seg.param] = part;
  }
  return parts.length <= route.segments.length ? params : undefined;
}

function send(res: http.ServerResponse, init: HttpResponseInit): void {
  const headers = new Headers(init.headers as ConstructorParameters<typeof Headers>[0]);
  let body: Buffer | undefined;
  if (init.jsonBody !== undefined) {
    body = Buffer.from(JSON.stringify(init.jsonBody));
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (typeof init.body === 'string') {
    body = Buffer.from(init.body);
  } else if (init.body instanceof Uint8Array) {
    body = Buffer.from(init.body);
  } else if (init.body instanceof ArrayBuffer) {
    body = Buffer.from(init.body);
  }
  res.statusCode = init.status ?? 200;
  headers.forEach((value, key) => {
    res.setHeader(key, value);
  });
  res.end(body);
}

function problemInit(status: number, title: string, detail: string): HttpResponseInit {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title, status, detail }),
  };
}

function invocationContext(
  functionName: string,
  logger: Logger,
  triggerMetadata: Record<string, unknown> = {},
): InvocationContext {
  const invocationId = randomUUID();
  const log = logger.child({ fn: functionName, invocationId });
  return new InvocationContext({
    invocationId,
    functionName,
    triggerMetadata,
    logHandler: (level, ...args) => {
      const message = args
        .map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a)))
        .join(' ');
      if (level === 'error' || level === 'critical') log.error(message);
      else if (level === 'warning') log.warn(message);
      else if (level === 'debug' || level === 'trace') log.debug(message);
      else log.info(message);
    },
  });
}

const MAX_REQUEST_BYTES = 1024 * 1024;

/** The request body, or undefined once it passes `limit` (what follows is read and dropped). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        settled = true;
        chunks.length = 0;
        return resolve(undefined);
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!settled) resolve(Buffer.concat(chunks));
      settled = true;
    });
    req.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
  });
}

/**
 * The local Functions host: the same registered handlers as Azure, an HTTP server for /api/*, timers on their
 * NCRONTAB schedules (UTC) and Service Bus queue triggers fed by the in-process queue.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const { logger, queue } = options;
  const host = options.host ?? '127.0.0.1';
  const definitions = await loadFunctionFiles(options.functionsDir);
  const routes = definitions.filter((d): d is HttpFunctionDefinition => d.kind === 'http').map(compileRoute);

  if (await isPortTaken(options.port, host)) {
    throw new Error(`Port ${options.port} is already in use: stop the other process or set PORT to a free port`);
  }

  const instances = options.instances ?? [];
  const asInstance = <T>(index: number, fn: () => T): T => {
    const services = instances[index % Math.max(1, instances.length)];
    return services ? runAsInstance(services, fn) : fn();
  };
  let nextHttpInstance = 0;

  const server = http.createServer((req, res) => {
    void asInstance(nextHttpInstance++, () => handleHttp(req, res)).catch((error: unknown) => {
      logger.error({ err: (error as Error).message }, 'local host failed to handle a request');
      if (!res.headersSent)
        send(res, problemInit(500, 'Internal Server Error', 'The local host failed to handle the request'));
      else res.destroy();
    });
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${host}:${options.port}`}`);
    if (options.devRoutes && url.pathname.startsWith('/dev/') && (await options.devRoutes(req, res, url))) return;
    if (!url.pathname.startsWith('/api/'))
      return send(res, problemInit(404, 'Not Found', 'Only /api/... is served here'));
    let parts: string[];
    try {
      parts = url.pathname
        .slice('/api/'.length)
        .split('/')
        .filter((p, i, all) => p !== '' || i < all.length - 1)
        .map((p) => decodeURIComponent(p));
    } catch {
      return send(res, problemInit(400, 'Bad Request', 'The request path is not valid percent-encoding'));
    }
    let matchedPath = false;
    for (const route of routes) {
      const params = matchRoute(route, parts);
      if (!params) continue;
      matchedPath = true;
      if (!route.def.methods.includes((req.method ?? 'GET').toUpperCase() as never)) continue;
      const body = await readBody(req, MAX_REQUEST_BYTES);
      if (body === undefined) {
        // The rest of the upload is discarded, not left on a connection the client would reuse.
        const tooLarge = problemInit(
          413,
          'Payload Too Large',
          `The request body is larger than ${MAX_REQUEST_BYTES} bytes`,
        );
        return send(res, {
          ...tooLarge,
          headers: { ...(tooLarge.headers as Record<string, string>), Connection: 'close' },
        });
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const request = new HttpRequest({
        method: req.method ?? 'GET',
        url: url.toString(),
        headers,
        query,
        params,
        ...(body.length ? { body: { bytes: body } } : {}),
      });
      const response = await route.def.handler(request, invocationContext(route.def.name, logger));
      return send(res, response);
    }
    return send(
      res,
      matchedPath
        ? problemInit(405, 'Method Not Allowed', `${req.method} is not allowed on ${url.pathname}`)
        : problemInit(404, 'Not Found', `No route matches ${url.pathname}`),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${options.port} is already in use: stop the other process or set PORT to a free port`)
          : error,
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  // Queue triggers: the in-process queue hands each message to the registered handler with trigger metadata. As in
  // Azure, every Service Bus function takes host.json's maxConcurrentCalls messages at once per instance.
  const perInstance = serviceBusConcurrency(options.hostJson);
  for (const def of definitions) {
    if (def.kind !== 'queue') continue;
    const inFlight = new Array<number>(Math.max(1, instances.length)).fill(0);
    queue.subscribe(
      def.queueName,
      async (body, meta) => {
        const index = inFlight.indexOf(Math.min(...inFlight));
        inFlight[index] = (inFlight[index] ?? 0) + 1;
        try {
          const context = invocationContext(def.name, logger, { ...meta });
          await asInstance(index, () => def.handler(body, context));
        } finally {
          inFlight[index] = (inFlight[index] ?? 1) - 1;
        }
      },
      { concurrency: perInstance * inFlight.length },
    );
  }

  // Timers: one pending setTimeout per timer; an invocation still running when the next is due is skipped.
  const timerHandles = new Map<string, NodeJS.Timeout>();
  const running = new Map<string, Promise<void>>();
  let stopping = false;
  async function runTimer(name: string, isPastDue = false): Promise<void> {
    const def = definitions.find((d) => d.kind === 'timer' && d.name === name);
    if (def?.kind !== 'timer') throw new Error(`No timer function named '${name}'`);
    const inFlight = running.get(name);
    if (inFlight) return inFlight;
    const timer: Timer = {
      isPastDue,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: '', next: '', lastUpdated: new Date().toISOString() },
    };
    const run = asInstance(0, () => def.handler(timer, invocationContext(name, logger))).catch((error: unknown) => {
      logger.error({ fn: name, err: (error as Error).message }, 'timer invocation failed');
    });
    running.set(name, run);
    try {
      await run;
    } finally {
      running.delete(name);
    }
  }
  function scheduleNext(name: string, schedule: string): void {
    if (stopping) return;
    const next = CronExpressionParser.parse(schedule, { tz: 'UTC' }).next().toDate();
    const handle = setTimeout(
      () => {
        void runTimer(name).finally(() => scheduleNext(name, schedule));
      },
      Math.max(0, next.getTime() - Date.now()),
    );
    timerHandles.set(name, handle);
  }
  if (options.timers !== false) {
    for (const def of definitions) if (def.kind === 'timer') scheduleNext(def.name, def.schedule);
  }

  return {
    url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}`,
    port,
    definitions,
    fireTimer: (name) => runTimer(name),
    stop: async () => {
      stopping = true;
      for (const handle of timerHandles.values()) clearTimeout(handle);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.all(running.values());
      await queue.close();
    },
  };
}
