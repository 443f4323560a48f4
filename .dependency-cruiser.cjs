// The dependency rule of docs/architecture.md, checked on the import graph (npm run deps, and
// test/unit/architecture.test.ts, which also shows each rule firing on a fixture tree).
// Dependencies point inward: functions → host / use cases → ports → domain; only the composition root wires
// adapters, and an adapter implements a port.

/** npm packages a pure module may use: validation and time, no I/O. */
const PURE_PACKAGES = '(^|/)node_modules/(zod|luxon|cron-parser)/';
/** Node core modules that do I/O: never in domain/, use cases or ports (a hash from node:crypto is fine). */
const IO_CORE = '^(fs|fs/promises|http|https|http2|net|tls|dgram|dns|child_process|cluster|worker_threads)$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-domain-and-errors',
      comment: 'domain/ is pure: of our code it imports only domain/ and errors.ts.',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: { path: '^(shared|functions|dev|test|bench)/', pathNot: '^shared/(domain/|errors\\.ts$)' },
    },
    {
      name: 'usecases-import-only-domain-ports-errors-logging',
      comment: 'A use case tells the story over ports: domain/, ports/, errors, logging and other use cases only.',
      severity: 'error',
      from: { path: '^shared/usecases/' },
      to: {
        path: '^(shared|functions|dev|test|bench)/',
        pathNot: '^shared/(domain/|ports/|usecases/|errors\\.ts$|logging\\.ts$)',
      },
    },
    {
      name: 'ports-own-their-types',
      comment: 'ports/ declare the shapes adapters implement: they import domain/, errors and logging, nothing else.',
      severity: 'error',
      from: { path: '^shared/ports/' },
      to: {
        path: '^(shared|functions|dev|test|bench)/',
        pathNot: '^shared/(domain/|ports/|errors\\.ts$|logging\\.ts$)',
      },
    },
    {
      name: 'only-composition-wires-adapters',
      comment: 'Only shared/composition.ts imports an adapter (adapters may use their own helpers).',
      severity: 'error',
      from: { path: '^(shared|functions)/', pathNot: '^shared/(composition\\.ts$|adapters/)' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'adapters-depend-inward',
      comment: 'An adapter implements a port: it never calls a use case, the host or the composition root.',
      severity: 'error',
      from: { path: '^shared/adapters/' },
      to: { path: '^(shared/(usecases/|host/|composition\\.ts$)|functions/)' },
    },
    {
      name: 'functions-call-host-and-use-cases',
      comment: 'functions/ parse, call one use case through the host and map: no adapters, config or tools.',
      severity: 'error',
      from: { path: '^functions/' },
      to: {
        path: '^(shared|functions|dev|test|bench)/',
        pathNot: '^shared/(composition\\.ts$|host/|usecases/|ports/|domain/|errors\\.ts$)',
      },
    },
    {
      name: 'pure-layers-use-no-sdk',
      comment: 'domain/, use cases and ports use no SDK or I/O package: those belong to adapters.',
      severity: 'error',
      from: { path: '^shared/(domain|usecases|ports)/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg'], pathNot: PURE_PACKAGES },
    },
    {
      name: 'pure-layers-do-no-io',
      comment: 'domain/, use cases and ports reach no file, socket or process: adapters do.',
      severity: 'error',
      from: { path: '^shared/(domain|usecases|ports)/' },
      to: { dependencyTypes: ['core'], path: IO_CORE },
    },
    {
      name: 'production-code-not-to-tools',
      comment: 'shared/ and functions/ never import dev/, test/ or bench/.',
      severity: 'error',
      from: { path: '^(shared|functions)/' },
      to: { path: '^(dev|test|bench)/' },
    },
    {
      name: 'no-circular',
      comment: 'An import cycle hides which module owns a concern.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
