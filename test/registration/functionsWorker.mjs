// Loads a function app the way the Azure Functions Node.js worker does, in a process of its own, and prints what
// registered. Usage: node functionsWorker.mjs <functionAppDirectory>. The steps follow the worker's sources
// (github.com/Azure/azure-functions-nodejs-worker): setupCoreModule.ts puts `@azure/functions-core` behind
// Module.prototype.require; startApp.ts globs package.json `main` and imports each file in turn (loadScriptFile.ts:
// `import()` for ESM), and on Node 20+ an entry point that throws blocks the app (shouldBlockOnEntryPointError,
// what FUNCTIONS_NODE_BLOCK_ON_ENTRY_POINT_ERROR=true asks for on older Node); registerFunction.ts refuses a second
// function with the same id and any registration once startup is over. The app under test carries no test code:
// the core module exists only in this process.
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';

const appDir = path.resolve(process.argv[2] ?? '.');
const functions = [];
const hooks = [];
let programmingModel;
let startupOver = false;

class Disposable {
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  dispose() {
    this.callOnDispose();
  }
}

const coreApi = {
  version: 'registration-test',
  hostVersion: 'registration-test',
  setProgrammingModel: (model) => {
    programmingModel = { name: model.name, version: model.version };
  },
  getProgrammingModel: () => programmingModel,
  registerHook: (hookName, callback) => {
    hooks.push({ hookName, callback });
    return new Disposable(() => {});
  },
  log: () => {},
  registerFunction: (metadata, callback) => {
    if (startupOver) throw new Error('A function can only be registered during app startup.');
    const functionId = metadata.functionId || metadata.name;
    if (functions.some((f) => f.functionId === functionId)) {
      throw new Error(`A function with id "${functionId}" has already been registered.`);
    }
    if (typeof callback !== 'function') throw new Error(`Function "${functionId}" has no handler`);
    functions.push({ functionId, name: metadata.name, bindings: metadata.bindings, retry: metadata.retryOptions });
    return new Disposable(() => {});
  },
  Disposable,
};

Module.prototype.require = new Proxy(Module.prototype.require, {
  apply(target, thisArg, args) {
    return args[0] === '@azure/functions-core' ? coreApi : Reflect.apply(target, thisArg, args);
  },
});

const packageJson = JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8'));
const pattern = packageJson.main;
let current;
try {
  if (!pattern) throw new Error('package.json has no "main"');
  const files = await glob(pattern, { cwd: appDir });
  if (files.length === 0) throw new Error('Found zero files matching the supplied pattern');
  for (const file of files) {
    current = file;
    const fullPath = path.join(appDir, file);
    // The worker imports ESM (package.json "type": "module") and requires CommonJS.
    if (packageJson.type === 'module' || file.endsWith('.mjs')) await import(pathToFileURL(fullPath).href);
    else Module.createRequire(fullPath)(fullPath);
  }
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`Worker was unable to load entry point "${current ?? pattern}": ${message}`);
  process.exit(1);
}
startupOver = true;

process.stdout.write(
  `${JSON.stringify({ programmingModel, hooks: hooks.map((h) => h.hookName), functions }, null, 2)}\n`,
);
// The app's module-level clients (SDK timers, sockets) may keep the loop alive; registration is all we wanted.
process.exit(0);
