#!/usr/bin/env node
'use strict';
// A hub's or client's program file (apps/KIND/dist/node.js, copied here by tools/bundle-nodes.mjs): it runs
// the bundle beside it (node-bundle.js) with the V8 code cache the build made of it (node-bundle.cache). A
// start then takes the functions it runs from the cache instead of compiling them, which is about 40 % of a
// node's start-up CPU. A cache that does not fit (another Node.js or V8 flags, a rebuilt bundle of another
// length) is refused by V8, and the bundle is compiled as it would be without one.
// The bundle holds the module function's source, wrapped by the build as Module.wrap would. It is mapped, not
// read, where @dske/native-memory was built: V8 keeps a running script's source, and mapped its 2.2-2.5 MB stay
// in the file's pages (shared by every node of the checkout or image, and dropped from an idle node by its idle
// collector) instead of the heap. The build replaces the file with a new one, never in place, as a node maps it.
// DSKE_WRITE_CODE_CACHE=1 (the build's training start): no cache is read, and one of everything compiled until
// the process ends is written. DSKE_CODE_CACHE_REPORT=1: says on stderr whether the cache was taken, and whether
// the source was mapped or read.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');
const { installedNativeMemory } = require('@dske/native-memory');

const bundle = join(__dirname, 'node-bundle.js');
const cacheFile = join(__dirname, 'node-bundle.cache');
const training = process.env.DSKE_WRITE_CODE_CACHE === '1';

let cachedData;
if (!training) {
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache (a build without one): compiled as usual.
  }
}
const mapped = installedNativeMemory()?.mapLatin1File(bundle);
const script = new vm.Script(mapped ?? readFileSync(bundle, 'utf8'), {
  filename: bundle,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (process.env.DSKE_CODE_CACHE_REPORT === '1') {
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'refused' : 'taken';
  process.stderr.write(`code cache: ${cache}; source: ${mapped === undefined ? 'read' : 'mapped'}\n`);
}
cachedData = undefined;
if (training) {
  // Written at the build's SIGTERM (NestJS then stops the node and ends it by the signal, without 'exit').
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
    renameSync(`${cacheFile}.tmp`, cacheFile);
  };
  process.once('SIGTERM', write);
  process.once('exit', write);
}

// The bundle runs as the main module would: its own module object, and require() resolving from its directory.
const main = new Module(bundle, null);
main.filename = bundle;
main.paths = Module._nodeModulePaths(dirname(bundle));
script.runInThisContext()(main.exports, Module.createRequire(bundle), main, bundle, dirname(bundle));
