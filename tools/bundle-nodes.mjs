#!/usr/bin/env node
// One file per node program: apps/{hub,client}/dist/main.js (tsc's output, decorator metadata already in it)
// bundled with its libraries and packages into apps/{hub,client}/dist/node.js. A node then starts without
// resolving and reading some 1,400 module files (about a fifth of its start-up CPU).
// Usage: node tools/bundle-nodes.mjs [hub] [client]   (default: both)
import { build } from 'esbuild';
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
    logLevel: 'warning',
    legalComments: 'none',
  });
}
