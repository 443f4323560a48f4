import { createRequire } from 'node:module';
import {
  app,
  type HttpMethod,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
  type Timer,
} from '@azure/functions';
import type { RequiredRole } from './auth.js';
import { traceHttpInvocation, traceQueueInvocation, traceTimerInvocation } from './tracing.js';

export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
export type TimerHandler = (timer: Timer, context: InvocationContext) => Promise<void>;
/** A queue handler may answer its use case's outcome: the invocation's span records `outcome` and `reason`. */
export type QueueHandler = (message: unknown, context: InvocationContext) => Promise<unknown>;

/** Documentation the OpenAPI generator reads from each HTTP route. */
export interface RouteDocs {
  summary: string;
  tags?: string[];
  request?: { params?: unknown; query?: unknown; body?: unknown };
  responses?: Record<number, { description: string; schema?: unknown; contentType?: string }>;
}

export interface HttpFunctionDefinition {
  kind: 'http';
  name: string;
  /** Functions route template relative to /api, e.g. `tasks/{id}/runs`. */
  route: string;
  methods: HttpMethod[];
  role: RequiredRole;
  handler: HttpHandler;
  docs?: RouteDocs;
}

export interface TimerFunctionDefinition {
  kind: 'timer';
  name: string;
  /** NCRONTAB with seconds, evaluated in UTC. */
  schedule: string;
  handler: TimerHandler;
}

export interface QueueFunctionDefinition {
  kind: 'queue';
  name: string;
  /** A queue name, or `name/$deadletterqueue` for its dead-letter sub-queue. */
  queueName: string;
  handler: QueueHandler;
}

export type FunctionDefinition = HttpFunctionDefinition | TimerFunctionDefinition | QueueFunctionDefinition;

const definitions: FunctionDefinition[] = [];

/**
 * True inside the Azure Functions worker, which provides the virtual module `@azure/functions-core`.
 * Outside it we do not call `app.*` at all, so the local host never depends on the library's test mode.
 */
function insideFunctionsHost(): boolean {
  try {
    createRequire(import.meta.url)('@azure/functions-core');
    return true;
  } catch {
    return false;
  }
}

const registerWithAzure = insideFunctionsHost();

/** Registers an HTTP function with Azure Functions and records it for the local host and the route tests. */
export function registerHttp(definition: Omit<HttpFunctionDefinition, 'kind'>): HttpFunctionDefinition {
  const { handler, name, route } = definition;
  const traced: HttpHandler = (request, context) =>
    traceHttpInvocation(name, request.method, route, () => handler(request, context));
  const def: HttpFunctionDefinition = { kind: 'http', ...definition, handler: traced };
  definitions.push(def);
  if (registerWithAzure) {
    // Authorization happens in code (JWT + roles), so the Functions key check is off.
    app.http(def.name, { route: def.route, methods: def.methods, authLevel: 'anonymous', handler: def.handler });
  }
  return def;
}

/** Registers a timer function (UTC NCRONTAB). */
export function registerTimer(definition: Omit<TimerFunctionDefinition, 'kind'>): TimerFunctionDefinition {
  const { handler, name } = definition;
  const traced: TimerHandler = (timer, context) => traceTimerInvocation(name, () => handler(timer, context));
  const def: TimerFunctionDefinition = { kind: 'timer', ...definition, handler: traced };
  definitions.push(def);
  if (registerWithAzure) app.timer(def.name, { schedule: def.schedule, handler: def.handler });
  return def;
}

/**
 * Registers a Service Bus queue function (identity-based connection `ServiceBusConnection`). How many messages it
 * takes at once is host.json's maxConcurrentCalls per instance, alike for every queue function, in Azure and in the
 * local host; a handler that needs fewer limits itself in its use case (expandTarget: EXPANSIONS_PER_INSTANCE).
 */
export function registerQueue(definition: Omit<QueueFunctionDefinition, 'kind'>): QueueFunctionDefinition {
  const { handler, name } = definition;
  const traced: QueueHandler = (message, context) =>
    traceQueueInvocation(name, message, context, () => handler(message, context));
  const def: QueueFunctionDefinition = { kind: 'queue', ...definition, handler: traced };
  definitions.push(def);
  if (registerWithAzure) {
    app.serviceBusQueue(def.name, {
      connection: 'ServiceBusConnection',
      queueName: def.queueName,
      handler: def.handler,
    });
  }
  return def;
}

/** Everything registered so far in this process. */
export function registeredFunctions(): readonly FunctionDefinition[] {
  return definitions;
}
