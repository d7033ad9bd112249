#!/usr/bin/env node
// One file per node program: apps/{hub,client}/dist/main.js (tsc's output, decorator metadata already in it)
// bundled with its libraries and packages into apps/{hub,client}/dist/node.js. A node then starts without
// resolving and reading some 1,400 module files (about a fifth of its start-up CPU).
// Usage: [BUNDLE_READABLE=1] node tools/bundle-nodes.mjs [hub] [client]   (default: both)
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Found at run time from node_modules, not bundled. */
const EXTERNAL = [
  // A native addon, loaded through its own bindings lookup.
  'better-sqlite3',
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
 * Modules that class-validator requires at start-up for decorators no DTO of ours uses (IsPhoneNumber's
 * libphonenumber-js metadata, 1.5 MiB of heap; one validator.js file per rule): each becomes a stand-in that
 * loads the real module on first use. The stand-in is a function proxy, so it can be called (validator's files
 * export their function) or read (`.parsePhoneNumber`); `__esModule` is the real module's, read here at build time,
 * so that the importer's interop helper does not load it just to ask.
 */
const LOADED_ON_FIRST_USE = [
  { importer: /node_modules\/class-validator\//, specifier: /^libphonenumber-js\/max$/ },
  { importer: /node_modules\/class-validator\//, specifier: /^validator\/lib\/[A-Za-z0-9]+$/ },
];
const requireHere = createRequire(import.meta.url);

const loadedOnFirstUse = {
  name: 'loaded-on-first-use',
  setup(bundle) {
    for (const { importer, specifier } of LOADED_ON_FIRST_USE) {
      bundle.onResolve({ filter: specifier }, (args) => {
        if (!importer.test(args.importer)) return undefined;
        const real = requireHere.resolve(args.path, { paths: [args.resolveDir] });
        return { path: real, namespace: 'first-use' };
      });
    }
    bundle.onLoad({ filter: /.*/, namespace: 'first-use' }, (args) => {
      const esModule = requireHere(args.path).__esModule === true;
      const contents = [
        'let loaded;',
        `const load = () => (loaded ??= require(${JSON.stringify(args.path)}));`,
        'module.exports = new Proxy(function firstUse() {}, {',
        '  apply: (_, self, args) => Reflect.apply(load(), self, args),',
        `  get: (_, key) => (key === '__esModule' ? ${esModule} : load()[key]),`,
        '});',
      ].join('\n');
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

const apps = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['hub', 'client'];
for (const app of apps) {
  if (app !== 'hub' && app !== 'client') throw new Error(`bundle-nodes: unknown app '${app}' (hub, client)`);
  await build({
    entryPoints: [join(root, 'apps', app, 'dist', 'main.js')],
    outfile: join(root, 'apps', app, 'dist', 'node.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Class names stay: Swagger names its schemas after the DTO classes, Nest its log contexts after providers.
    keepNames: true,
    external: EXTERNAL,
    plugins: [loadedOnFirstUse],
    logLevel: 'warning',
    legalComments: 'none',
    // V8 keeps the source of a running script: without whitespace and comments it is 2 MB (3 MiB of RSS) smaller
    // and parses faster. Names stay (keepNames), so stack traces still name their functions. BUNDLE_READABLE=1
    // keeps esbuild's per-module comments, which a CPU profile needs to be summed by package.
    minifyWhitespace: process.env.BUNDLE_READABLE !== '1',
  });
  asciiOnly(join(root, 'apps', app, 'dist', 'node.js'));
}

/**
 * V8 keeps a script's source for as long as it runs, in one byte per
 * character only if every character is Latin-1; a single other one (esbuild
 * leaves them in regular expressions and comments, e.g. validator's locale
 * alphabets) doubles it, 6 MiB more per node. Every non-ASCII UTF-16 unit
 * becomes a \uXXXX escape, which means the same in a string, a regular
 * expression (with or without the u flag, surrogate pairs included), an
 * identifier and a comment.
 */
function asciiOnly(file) {
  const source = readFileSync(file, 'utf8');
  // After a backslash the escape would change meaning: none today; refuse rather than guess.
  const escaped = /\\[^\x00-\x7f]/.exec(source);
  if (escaped) throw new Error(`bundle-nodes: ${file} has an escaped non-ASCII character at offset ${escaped.index}`);
  writeFileSync(file, source.replace(/[^\x00-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
