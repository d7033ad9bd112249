// Steady-state CPU profiles of every node of the benchmark topology (issue #12: "the profile decides").
// A profile from start to exit (node --cpu-prof) is dominated by start-up and the JIT's warm-up; this one warms
// the nodes up first, then starts V8's profiler in each node over its inspector, runs the measured load, and
// stops it. Prints the busy time of hubs and of clients summed by package (from the bundle's module comments:
// build with `BUNDLE_READABLE=1 node tools/bundle-nodes.mjs` first) and the busiest functions; writes one
// .cpuprofile per node (open it in Chrome's DevTools or speedscope).
// Settings (environment): PROFILE_WARMUP_PAIRS (1500), PROFILE_PAIRS (1000), PROFILE_LOOPS (1; 8 as the
// benchmark's concurrent phase), PROFILE_NUMBER (1; 32 as its batch phase), PROFILE_DIR (tmp/profiles).
// Wall-clock sampling: time a node spends in a socket write while the kernel runs the receiving node shows as
// (writev)/(writeLatin1String); the benchmark's user/system CPU per pair is the measure of cost.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { keyPair, SAE_PAIRS, startWatchdog } from './bench-support.mjs';

const require = createRequire(import.meta.url);
const { WebSocket } = require('undici');

const WARMUP_PAIRS = Number(process.env.PROFILE_WARMUP_PAIRS ?? 1500);
const PAIRS = Number(process.env.PROFILE_PAIRS ?? 1000);
const LOOPS = Number(process.env.PROFILE_LOOPS ?? 1);
const NUMBER = Number(process.env.PROFILE_NUMBER ?? 1);
const DIR = process.env.PROFILE_DIR ?? join(process.cwd(), 'tmp', 'profiles');
const SAMPLING_US = 200;

// Every node listens for an inspector on a port of its own choosing (it prints which, in its log).
process.env.DSKE_TEST_NODE_FLAGS = `${process.env.DSKE_TEST_NODE_FLAGS ?? ''} --inspect=127.0.0.1:0`;
const { default: testSupport } = await import('../../../libs/test-support/dist/index.js');
const { TopologyHarness } = testSupport;

let topology;
const watchdog = startWatchdog(600_000);

/** `total` key pairs over `loops` SAE loops; the keys per second. */
async function load(total, loops, number) {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      while (next < total) {
        const i = next++;
        await keyPair(topology, SAE_PAIRS[(loops === 1 ? i : loop) % SAE_PAIRS.length], number);
      }
    }),
  );
  return (total * number) / ((performance.now() - start) / 1000);
}

/** A DevTools protocol session with the node's inspector, found in its log. */
async function inspect(node) {
  const deadline = performance.now() + 10_000;
  let url;
  while (!(url = /Debugger listening on (ws:\/\/\S+)/.exec(node.log())?.[1])) {
    if (performance.now() > deadline) throw new Error(`${node.kind} ${node.name}: no inspector address in ${node.logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`${node.kind} ${node.name}: inspector at ${url} refused`));
  });
  let id = 0;
  const waiting = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  };
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      waiting.set(++id, (message) => (message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve(message.result)));
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { node, call, close: () => socket.close() };
}

/** Which package (or app/lib of ours) each line of a bundle belongs to, from esbuild's `// path` comments. */
function moduleLines(file) {
  const marks = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const path = /^\/\/ (\S+\.(?:js|json|mjs|cjs))$/.exec(line)?.[1];
      if (path) marks.push([index, /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.replace(/^(apps|libs)\/([^/]+)\/.*$/, '$1/$2')]);
    });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = '(bundle prelude)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid][0] <= line) [found, lo] = [marks[mid][1], mid + 1];
      else hi = mid - 1;
    }
    return found;
  };
}

/** Busy milliseconds by package and by function over the profiles of one kind of node. */
function summarize(kind, profiles) {
  const bundle = join(process.cwd(), 'apps', kind, 'dist', 'node-bundle.js');
  const packageOf = moduleLines(bundle);
  const byPackage = new Map();
  const byFunction = new Map();
  let busy = 0;
  for (const profile of profiles) {
    const self = new Map();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
    for (const { id, callFrame } of profile.nodes) {
      const ms = self.get(id) ?? 0;
      if (ms === 0 || callFrame.functionName === '(idle)') continue;
      const native = callFrame.functionName.startsWith('(') ? callFrame.functionName : `(${callFrame.functionName || 'native'})`;
      const where = callFrame.url.endsWith(`apps/${kind}/dist/node-bundle.js`) ? packageOf(callFrame.lineNumber) : callFrame.url || native;
      busy += ms;
      byPackage.set(where, (byPackage.get(where) ?? 0) + ms);
      const fn = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    }
  }
  const top = (map, count) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, ms]) => `  ${((100 * ms) / busy).toFixed(1).padStart(5)} %  ${name}`);
  console.log(`${kind}s: ${profiles.length} profiles, ${busy.toFixed(0)} ms busy; by package:`);
  console.log(top(byPackage, 25).join('\n'));
  console.log(`${kind}s: busiest functions:`);
  console.log(top(byFunction, 25).join('\n'));
  if (!readFileSync(bundle, 'utf8').includes('\n// node_modules/')) console.log(`  (${bundle} has no module comments: BUNDLE_READABLE=1 node tools/bundle-nodes.mjs, then profile again, to sum by package)`);
}

try {
  topology = await TopologyHarness.start({ readyTimeoutMs: 60_000 });
  console.log(`warm-up: ${WARMUP_PAIRS} sequential pairs at ${(await load(WARMUP_PAIRS, 1, 1)).toFixed(1)} pairs/s`);
  const sessions = await Promise.all([...topology.hubs.values(), ...topology.clients.values()].map(inspect));
  for (const { call } of sessions) {
    await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: SAMPLING_US });
    await call('Profiler.start');
  }
  const rate = await load(PAIRS, LOOPS, NUMBER);
  console.log(`profiled: ${PAIRS} request pairs, ${LOOPS} loop(s), number=${NUMBER}: ${rate.toFixed(1)} keys/s (slower than unprofiled)`);
  mkdirSync(DIR, { recursive: true });
  const profiles = { hub: [], client: [] };
  for (const { node, call, close } of sessions) {
    const { profile } = await call('Profiler.stop');
    writeFileSync(join(DIR, `${node.kind}-${node.name}.cpuprofile`), JSON.stringify(profile));
    profiles[node.kind].push(profile);
    close();
  }
  console.log(`profiles in ${DIR}`);
  summarize('hub', profiles.hub);
  summarize('client', profiles.client);
} catch (error) {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
} finally {
  await topology?.close();
  clearTimeout(watchdog);
}
