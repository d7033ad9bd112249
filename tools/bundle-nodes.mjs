#!/usr/bin/env node
// One file per node program: apps/{hub,client}/dist/main.js (tsc's output, decorator metadata already in it)
// bundled with its libraries and packages into
// apps/{hub,client}/dist/node-bundle.js. A node then starts without resolving and reading some 1,400 module files
// (about a fifth of its start-up CPU). Next to it: node.js, the program file (tools/node-entry.cjs), which runs
// the bundle with node-bundle.cache, a V8 code cache of everything a start compiles, made here by starting the
// node once (about 40 % less start-up CPU again).
// Usage: [BUNDLE_READABLE=1] node tools/bundle-nodes.mjs [hub] [client]   (default: both)
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Found at run time from node_modules, not bundled. */
const EXTERNAL = [
  // Native addons, loaded through their own lookup (relative to their own directory).
  'better-sqlite3',
  '@dske/native-memory',
  // Serves its files from its own directory (__dirname): bundled, that would be ours.
  'swagger-ui-dist',
  // Packages NestJS asks for only when an app uses them (microservices, websockets, other adapters, caches).
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/platform-fastify',
  '@nestjs/platform-socket.io',
  '@fastify/static',
  'class-transformer/storage',
];

/**
 * Modules required at start-up for what no node uses: class-validator's for decorators no DTO of ours uses
 * (IsPhoneNumber's libphonenumber-js metadata, 1.5 MiB of heap; one validator.js file per rule), and the others
 * named below. Each becomes a stand-in that loads the real module from node_modules on first use, and is all the
 * bundle holds of it (with validator's index, 600 KB of source less per node). The stand-in is a function proxy, so it can be called (validator's files
 * export their function) or read (`.parsePhoneNumber`); `__esModule` is the real module's, read here at build time,
 * so that the importer's interop helper does not load it just to ask.
 */
const LOADED_ON_FIRST_USE = [
  { importer: /node_modules\/class-validator\//, specifier: /^libphonenumber-js\/max$/ },
  { importer: /node_modules\/class-validator\//, specifier: /^validator\/lib\/[A-Za-z0-9]+$/ },
  // IsStrongPassword's require of validator's index, which requires every rule.
  { importer: /node_modules\/class-validator\//, specifier: /^validator$/ },
  // Read only for metric exemplars, which no node turns on.
  { importer: /node_modules\/prom-client\//, specifier: /^@opentelemetry\/api$/ },
  // File uploads (FileInterceptor), which no route takes.
  { importer: /node_modules\/@nestjs\/platform-express\//, specifier: /^multer$/ },
  // Formats a key in the message of an error that qs's side channel throws on misuse.
  { importer: /node_modules\/side-channel[a-z-]*\//, specifier: /^object-inspect$/ },
];

/**
 * Modules the bundle requires from node_modules, at the moment it required them before: data, whose JSON V8
 * parses without keeping its text (mime-db, 150 KB, read at start), and modules only ever required late (inside
 * a function, or by a module that is itself loaded on demand) that most nodes never load. Bundled, their source
 * would be part of every node's (V8 keeps a running script's source whole). iconv-lite's
 * double-byte tables (400 KB) serve only a form body in a CJK charset; ioredis (250 KB) only hubs with a Redis
 * URL (HubState.openRedis imports the Redis store on demand). bundle.spec.ts checks that these requires resolve.
 */
const LEFT_IN_NODE_MODULES = [
  { importer: /node_modules\/mime-types\/index\.js$/, specifier: /^mime-db$/ },
  { importer: /node_modules\/iconv-lite\/encodings\/dbcs-data\.js$/, specifier: /^\.\/tables\/[a-z0-9-]+\.json$/ },
  { importer: /apps\/hub\/dist\/shares\/redis-share-store\.js$/, specifier: /^ioredis$/ },
];
const requireHere = createRequire(import.meta.url);

/** How the bundle in `dist` requires an installed file: relative to itself, so a moved checkout or image still finds it. */
function requirePath(dist, file) {
  const path = relative(dist, file);
  return path.startsWith('.') ? path : `./${path}`;
}

/** For each { importer, specifier } of `list`, `resolved(args, file)` says how such a require is bundled (`file`: the installed file it names). */
function onListedRequire(bundle, list, resolved) {
  for (const { importer, specifier } of list) {
    bundle.onResolve({ filter: specifier }, (args) => (importer.test(args.importer) ? resolved(args, requireHere.resolve(args.path, { paths: [args.resolveDir] })) : undefined));
  }
}

const leftInNodeModules = (dist) => ({
  name: 'left-in-node-modules',
  setup(bundle) {
    onListedRequire(bundle, LEFT_IN_NODE_MODULES, (args, file) => {
      if (args.kind !== 'require-call') throw new Error(`bundle-nodes: ${args.importer} imports ${args.path} with ${args.kind}, not require()`);
      return { path: requirePath(dist, file), external: true };
    });
  },
});

const loadedOnFirstUse = (dist) => ({
  name: 'loaded-on-first-use',
  setup(bundle) {
    // Named relative to the checkout: esbuild writes the name into the bundle, which should not depend on where it was built.
    onListedRequire(bundle, LOADED_ON_FIRST_USE, (_args, file) => ({ path: relative(root, file), namespace: 'first-use' }));
    // The stand-in's own require of the real module stays a require of the installed file: its source is not bundled.
    bundle.onResolve({ filter: /.*/, namespace: 'first-use' }, (args) => ({ path: args.path, external: true }));
    bundle.onLoad({ filter: /.*/, namespace: 'first-use' }, (args) => {
      const real = join(root, args.path);
      const esModule = requireHere(real).__esModule === true;
      const contents = [
        'let loaded;',
        `const load = () => (loaded ??= require(${JSON.stringify(requirePath(dist, real))}));`,
        'module.exports = new Proxy(function firstUse() {}, {',
        '  apply: (_, self, args) => Reflect.apply(load(), self, args),',
        `  get: (_, key) => (key === '__esModule' ? ${esModule} : load()[key]),`,
        '});',
      ].join('\n');
      return { contents, loader: 'js', resolveDir: dirname(real) };
    });
  },
});

const apps = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['hub', 'client'];
for (const app of apps) {
  if (app !== 'hub' && app !== 'client') throw new Error(`bundle-nodes: unknown app '${app}' (hub, client)`);
  const dist = join(root, 'apps', app, 'dist');
  const { outputFiles } = await build({
    entryPoints: [join(dist, 'main.js')],
    outfile: join(dist, 'node-bundle.js'),
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // No keepNames: it wraps every named closure in __name(), which redefines `name` each time a hot function
    // runs (3 % of a client's CPU, 10-15 % of the sequential key rate). The inputs are CommonJS, which esbuild
    // wraps per module without renaming, so our classes, Nest's and the DTOs (Swagger names schemas after them,
    // Nest its log contexts after providers) keep their names; only some ESM helpers inside rxjs and tslib are
    // renamed, and nothing reads their names. apps/nodes-e2e/src/bundle.spec.ts checks
    // that no class of the apps and libraries is renamed.
    keepNames: false,
    external: EXTERNAL,
    plugins: [loadedOnFirstUse(dist), leftInNodeModules(dist)],
    logLevel: 'warning',
    legalComments: 'none',
    // V8 keeps the source of a running script: without whitespace and comments it is 2 MB (3 MiB of RSS) smaller
    // and parses faster. Identifiers stay, so stack traces still name their functions. BUNDLE_READABLE=1
    // keeps esbuild's per-module comments, which a CPU profile needs to be summed by package.
    minifyWhitespace: process.env.BUNDLE_READABLE !== '1',
  });
  const file = join(dist, 'node-bundle.js');
  // The module function's source, as node.js compiles it (see tools/node-entry.cjs): node.js maps the file where
  // it can, so it is replaced by a new file, never rewritten in place under a running node.
  writeFileSync(`${file}.tmp`, Module.wrap(asciiOnly(file, outputFiles[0].text)));
  renameSync(`${file}.tmp`, file);
  copyFileSync(join(root, 'tools', 'node-entry.cjs'), join(dist, 'node.js'));
  chmodSync(join(dist, 'node.js'), 0o755);
  await writeCodeCache(app, dist);
}

/**
 * V8 keeps a script's source for as long as it runs, in one byte per
 * character only if every character is Latin-1; a single other one (esbuild
 * leaves them in regular expressions and comments, e.g. validator's locale
 * alphabets) doubles it, 6 MiB more per node. And node.js maps the file as its
 * source only when each byte is a character (ASCII). Every non-ASCII UTF-16 unit
 * becomes a \uXXXX escape, which means the same in a string, a regular
 * expression (with or without the u flag, surrogate pairs included), an
 * identifier and a comment.
 */
function asciiOnly(file, text) {
  // The bundle runs inside node.js's module wrapper, where a #! line would not parse (it stays a line: same numbers).
  const source = text.replace(/^#!/, '//');
  // After a backslash the escape would change meaning: none today; refuse rather than guess.
  const escaped = /\\[^\x00-\x7f]/.exec(source);
  if (escaped) throw new Error(`bundle-nodes: ${file} has an escaped non-ASCII character at offset ${escaped.index}`);
  return source.replace(/[^\x00-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The code cache of a node's start: the node starts once as the nodes run (NODE_RUNTIME_FLAGS, which V8's
 * check of a cache includes), on a free port of 127.0.0.1 with no state and, for a client, hubs that do not
 * answer; once it listens it is stopped (SIGTERM), and node.js writes the cache of all it compiled as it ends.
 */
async function writeCodeCache(app, dist) {
  const cacheFile = join(dist, 'node-bundle.cache');
  rmSync(cacheFile, { force: true });
  const { NODE_RUNTIME_FLAGS } = requireHere(join(root, 'libs', 'topology', 'dist', 'node-command.js'));
  const port = String(await freePort());
  const nowhere = ['a', 'b', 'c'].map((hub) => `http://127.0.0.1:9/hub/${hub}`).join(',');
  const args = app === 'hub' ? ['code-cache', '--port', port] : ['code-cache', '--port', port, '--hubs', nowhere, '--encryptors', 'code-cache'];
  // Only what a start needs: no DSKE_* setting of this shell reaches the training start.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DSKE_WRITE_CODE_CACHE: '1' };
  const child = spawn(process.execPath, [...NODE_RUNTIME_FLAGS, join(dist, 'node.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ended = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const listening = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 60_000);
    const read = (chunk) => {
      output += chunk;
      if (/listening on /.test(output)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  child.kill('SIGTERM');
  const stuck = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const { code, signal } = await ended;
  clearTimeout(stuck);
  if (!listening || !existsSync(cacheFile) || statSync(cacheFile).size === 0) {
    throw new Error(`bundle-nodes: the ${app}'s training start made no code cache (exit ${code ?? signal}):\n${output}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
