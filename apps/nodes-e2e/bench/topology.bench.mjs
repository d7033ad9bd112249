// Benchmark (issue #3): the user guide's topology (5 hubs, 5 clients, min_nr_shares 3) as real processes.
// Prints: time from spawn to all nodes ready; the warm-up (sequential pairs from cold nodes, rate per block);
// then, on warm nodes, key pairs per second with p50/p99 latency of
// get key + get key with key IDs, sequential and with 8 concurrent SAE loops; keys per second with number=32;
// resident memory per node (RSS, PSS and private; 2 s after start and idle BENCH_SETTLE_SECONDS later, after the run
// and BENCH_SETTLE_SECONDS later; with
// BENCH_SOAK_PAIRS, over a long run).
// Once per node state mode (BENCH_STATE, default all three): memory only; every node with a state directory and
// --state-sync full (fsync per commit, the default); and --state-sync normal (written to the OS, fsynced at checkpoints).
// Uses the built programs (apps/*/dist) and libs/test-support/dist. No timed assertions.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import testSupport from '../../../libs/test-support/dist/index.js';
import { keyPair as sharedKeyPair, percentile, processCpuMs, SAE_PAIRS, startWatchdog } from './bench-support.mjs';

const { TopologyHarness } = testSupport;

const SEQUENTIAL_PAIRS = Number(process.env.BENCH_SEQUENTIAL_PAIRS ?? 200);
const CONCURRENT_LOOPS = 8;
const CONCURRENT_PAIRS = Number(process.env.BENCH_CONCURRENT_PAIRS ?? 400);
const BATCH_REQUESTS = Number(process.env.BENCH_BATCH_REQUESTS ?? 60);
/**
 * BENCH_WARMUP_PAIRS: sequential pairs before the measured phases. V8 compiles a node's hot path to optimized code
 * only after a few thousand calls of each function, and every hub sees two messages per pair: the first 600 or so
 * pairs run at about two thirds of the steady rate (the warm-up line shows the curve).
 */
const WARMUP_PAIRS = Number(process.env.BENCH_WARMUP_PAIRS ?? 1500);
const WARMUP_BLOCK = 250;
const WARMUP_BATCH_REQUESTS = 40;
const WARMUP_LIMIT_MS = 45_000; // the warm-up stops early past this (durable state with fsync is slower)
/** BENCH_CLIENT_ARGS: more client flags, e.g. '--get-psrd-block-size 32000 --stop-request-psrd-threshold 64000'. */
const CLIENT_ARGS = (process.env.BENCH_CLIENT_ARGS ?? '').split(/\s+/).filter(Boolean);
/** BENCH_SOAK_PAIRS=N: after the phases, N more pairs with the nodes' memory printed every N/10 (no time limit). */
const SOAK_PAIRS = Number(process.env.BENCH_SOAK_PAIRS ?? 0);
/**
 * Memory is read again this long after the start and after the run: what V8 gives back once the load stops (0: not
 * read again). A node makes a full collection 5-10 s into an idle spell (IdleHeapCollector), and V8 gives back the
 * last of the pages it freed some 20 s after that.
 */
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 30);
const PHASE_LIMIT_MS = 30_000; // each measured phase stops early past this
const MODES = (process.env.BENCH_STATE ?? 'memory full normal').split(/[\s,]+/).filter(Boolean);
const WATCHDOG_MS = (200_000 + 2 * SETTLE_SECONDS * 1000) * MODES.length + SOAK_PAIRS * 100;

let topology;
const watchdog = startWatchdog(WATCHDOG_MS);

const ms = (v) => `${v.toFixed(1)} ms`;

const keyPair = (pair, number) => sharedKeyPair(topology, pair, number);

/** `pairs` sequential pairs, printed as the rate of each block of WARMUP_BLOCK: from cold nodes to optimized code. */
async function warmUp(pairs) {
  const rates = [];
  const cpuBefore = nodeCpuMs();
  const start = performance.now();
  let done = 0;
  while (done < pairs && performance.now() - start < WARMUP_LIMIT_MS) {
    const block = Math.min(WARMUP_BLOCK, pairs - done);
    const t0 = performance.now();
    for (let i = 0; i < block; i++) await keyPair(SAE_PAIRS[(done + i) % SAE_PAIRS.length]);
    rates.push((block / ((performance.now() - t0) / 1000)).toFixed(1));
    done += block;
  }
  if (done === 0) return;
  console.log(`warm-up, sequential: ${done} pairs in ${((performance.now() - start) / 1000).toFixed(2)} s; pairs/s per ${WARMUP_BLOCK}: ${rates.join(', ')}`);
  console.log(`  node CPU per pair (user+system): ${cpuPer(cpuBefore, done)}`);
  // The batch messages (key-shares) have code of their own to warm.
  const batchStart = performance.now();
  for (let i = 0; i < WARMUP_BATCH_REQUESTS; i++) await keyPair(SAE_PAIRS[i % SAE_PAIRS.length], 32);
  console.log(`  then ${WARMUP_BATCH_REQUESTS} request pairs with number=32: ${((WARMUP_BATCH_REQUESTS * 32) / ((performance.now() - batchStart) / 1000)).toFixed(0)} keys/s`);
}

/** Keys per second in pairs of requests for `number` keys each (the same SAE pair, one loop). */
async function batchPhase(number, requests) {
  const cpuBefore = nodeCpuMs();
  const ownBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + PHASE_LIMIT_MS;
  const samples = [];
  while (samples.length < requests && performance.now() < deadline) samples.push(await keyPair(SAE_PAIRS[0], number));
  const seconds = (performance.now() - start) / 1000;
  const done = samples.length;
  console.log(`number=${number}, 1 loop: ${done * number} keys in ${seconds.toFixed(2)} s = ${((done * number) / seconds).toFixed(0)} keys/s (get key, then get key with key IDs, both for all ${number})`);
  const p50 = (field) => ms(percentile(samples.map((s) => s[field]).sort((a, b) => a - b), 50));
  console.log(`  get key p50 ${p50('enc')}, get key with key IDs p50 ${p50('dec')}`);
  console.log(`  node CPU per request pair (user+system): ${cpuPer(cpuBefore, done)}; this bench client ${ownCpuPer(ownBefore, done)}`);
}

/** A long run: resident memory of every node every `every` pairs, to see whether it grows and stays. */
async function soak(pairs, every) {
  const nodes = allNodes();
  const line = (done) => {
    const kib = nodes.map((node) => rssKiB(node.child.pid));
    console.log(`  after ${String(done).padStart(6)} pairs: ${(kib.reduce((a, b) => a + b, 0) / 1024 / nodes.length).toFixed(1)} MiB per node (max ${(Math.max(...kib) / 1024).toFixed(1)})`);
  };
  console.log(`soak: ${pairs} pairs, 8 SAE loops, resident memory (RSS) every ${every}:`);
  line(0);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENT_LOOPS }, async (_, loop) => {
      while (next < pairs) {
        const i = ++next;
        await keyPair(SAE_PAIRS[loop % SAE_PAIRS.length]);
        if (i % every === 0) line(i);
      }
    }),
  );
}

async function phase(label, loops, totalPairs) {
  const samples = [];
  const deadline = performance.now() + PHASE_LIMIT_MS;
  let next = 0;
  const cpuBefore = nodeCpuMs();
  const ownBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      while (next < totalPairs && performance.now() < deadline) {
        const i = next++;
        samples.push(await keyPair(SAE_PAIRS[(loops === 1 ? i : loop) % SAE_PAIRS.length]));
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const stat = (field) => {
    const sorted = samples.map((s) => s[field]).sort((a, b) => a - b);
    return `p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}`;
  };
  console.log(`${label}: ${samples.length} pairs in ${seconds.toFixed(2)} s = ${(samples.length / seconds).toFixed(1)} pairs/s`);
  console.log(`  pair (get key + get key with key IDs): ${stat('pair')}`);
  console.log(`  get key: ${stat('enc')}; get key with key IDs: ${stat('dec')}`);
  console.log(`  node CPU per pair (user+system): ${cpuPer(cpuBefore, samples.length)}; this bench client ${ownCpuPer(ownBefore, samples.length)}`);
}

/** The bench process's own CPU since `before` (process.cpuUsage), per one of `count` pairs: it runs on the same cores. */
function ownCpuPer(before, count) {
  const { user, system } = process.cpuUsage(before);
  return `${((user + system) / 1000 / count).toFixed(1)} ms`;
}

/** The nodes' CPU since `before`, per one of `count` pairs, hubs and clients apart. */
function cpuPer(before, count) {
  const after = nodeCpuMs();
  const per = (kind) => {
    const nodes = [...after.keys()].filter((node) => node.kind === kind);
    const spent = (part) => nodes.map((node) => after.get(node)[part] - before.get(node)[part]);
    const sum = (values) => values.reduce((a, b) => a + b, 0) / count;
    const total = nodes.map((node, i) => spent('user')[i] + spent('system')[i]);
    // The system share is what the kernel spends on the node's sockets and wake-ups.
    return `${sum(total).toFixed(1)} ms (${sum(spent('system')).toFixed(1)} system; ${nodes.length} ${kind}s, ${(Math.max(...total) / count).toFixed(1)} ms the busiest)`;
  };
  return `hubs ${per('hub')}, clients ${per('client')}`;
}

/** User and system CPU time of every node so far, in ms. */
function nodeCpuMs() {
  return new Map(allNodes().map((node) => [node, processCpuMs(node.child.pid)]));
}

/** Every node of the running topology, hubs first. */
const allNodes = () => [...topology.hubs.values(), ...topology.clients.values()];

const rssKiB = (pid) => memoryKiB(pid).rss;

/**
 * RSS, PSS and private memory of a process in KiB. RSS counts every page of the node binary a process touched,
 * although the ten nodes share them; PSS divides each shared page among the processes that map it, and private
 * memory is what ending the process would give back.
 */
function memoryKiB(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: field('Rss'), pss: field('Pss'), private: field('Private_Clean') + field('Private_Dirty') };
}

/** "RSS a, PSS b, private c MiB" averaged over some nodes. */
function memoryLine(nodes) {
  const all = nodes.map((node) => memoryKiB(node.child.pid));
  const mean = (key) => (all.reduce((sum, m) => sum + m[key], 0) / 1024 / all.length).toFixed(1);
  return `RSS ${mean('rss')}, PSS ${mean('pss')}, private ${mean('private')} MiB`;
}

/** memoryLine of the hubs and of the clients. */
const memoryByKind = () => `per hub ${memoryLine([...topology.hubs.values()])}; per client ${memoryLine([...topology.clients.values()])}`;

/** The harness options of one state mode. */
function stateOptions(mode) {
  if (mode === 'memory') return {};
  if (mode !== 'full' && mode !== 'normal') throw new Error(`BENCH_STATE: unknown mode '${mode}' (memory, full, normal)`);
  const sync = ['--state-sync', mode];
  return { stateDirs: true, hubArgsFor: () => sync, clientArgs: sync };
}

try {
  for (const mode of MODES) {
    const what = mode === 'memory' ? 'state in memory only' : `durable state, --state-sync ${mode}`;
    console.log(`DSKE topology benchmark: 5 hubs, 5 clients, min_nr_shares 3, 256-bit keys, plain HTTP (lab mode), ${what}${CLIENT_ARGS.length > 0 ? `, clients with ${CLIENT_ARGS.join(' ')}` : ''}; node ${process.version}`);
    const spawned = performance.now();
    const options = stateOptions(mode);
    topology = await TopologyHarness.start({ readyTimeoutMs: 60_000, ...options, clientArgs: [...(options.clientArgs ?? []), ...CLIENT_ARGS] });
    console.log(`start: spawn to all 10 nodes ready (/readyz 200): ${((performance.now() - spawned) / 1000).toFixed(2)} s`);

    await new Promise((resolve) => setTimeout(resolve, 2000)); // registrations and first refills settle
    console.log(`resident memory 2 s after the start: ${memoryByKind()}`);
    if (SETTLE_SECONDS > 0) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
      console.log(`resident memory idle, ${SETTLE_SECONDS} s later: ${memoryByKind()}`);
    }
    await warmUp(WARMUP_PAIRS);
    await phase(`sequential, 1 loop`, 1, SEQUENTIAL_PAIRS);
    await phase(`concurrent, ${CONCURRENT_LOOPS} SAE loops`, CONCURRENT_LOOPS, CONCURRENT_PAIRS);
    await batchPhase(32, BATCH_REQUESTS);
    if (SOAK_PAIRS > 0) await soak(SOAK_PAIRS, Math.max(1, Math.round(SOAK_PAIRS / 10)));

    console.log('resident memory after the run (RSS):');
    const nodes = allNodes();
    const rows = nodes.map((node) => [`${node.kind} ${node.name}`, rssKiB(node.child.pid)]);
    for (const [name, kib] of rows) console.log(`  ${name.padEnd(14)} ${(kib / 1024).toFixed(1)} MiB`);
    const total = rows.reduce((sum, [, kib]) => sum + kib, 0);
    const perKind = (kind) => rows.filter(([name]) => name.startsWith(kind)).map(([, kib]) => kib / 1024);
    for (const kind of ['hub', 'client']) console.log(`  per ${kind}: ${Math.min(...perKind(kind)).toFixed(1)}-${Math.max(...perKind(kind)).toFixed(1)} MiB`);
    console.log(`  ${'total'.padEnd(14)} ${(total / 1024).toFixed(1)} MiB (${(total / 1024 / rows.length).toFixed(1)} MiB per node)`);
    console.log(`  ${memoryByKind()}`);
    if (SETTLE_SECONDS > 0) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
      console.log(`  ${SETTLE_SECONDS} s later, idle: ${memoryByKind()}`);
    }
    await topology.close();
    topology = undefined;
    console.log('');
  }
} catch (error) {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
} finally {
  await topology?.close();
  clearTimeout(watchdog);
}
