import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's host.json: the nearest one above this file (from source and from dist/ alike). */
export function hostJsonPath(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'host.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`No host.json above ${from}`);
  }
}

/** host.json text with its `//` and `/* *\/` comments (which the Functions host accepts) blanked out. */
export function withoutComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * `extensions.serviceBus.maxConcurrentCalls`: how many messages the Functions host hands each Service Bus function
 * at once, per instance (learn.microsoft.com/azure/azure-functions/functions-bindings-service-bus#hostjson-settings).
 * The local host applies the same number; host.json must set it, so neither host falls back to a default.
 */
export function serviceBusConcurrency(file = hostJsonPath()): number {
  const hostJson = JSON.parse(withoutComments(readFileSync(file, 'utf8'))) as {
    extensions?: { serviceBus?: { maxConcurrentCalls?: unknown } };
  };
  const value = hostJson.extensions?.serviceBus?.maxConcurrentCalls;
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new Error(`${file} must set extensions.serviceBus.maxConcurrentCalls to a positive integer`);
  return value as number;
}
