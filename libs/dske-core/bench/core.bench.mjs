// Micro-benchmarks for the BUILT @dske/core (libs/dske-core/dist).
//   npx nx run dske-core:bench            (builds first: the bench target depends on build)
//   node libs/dske-core/bench/core.bench.mjs   (after: npx tsc -b libs/dske-core/tsconfig.json)
// DSKE_BENCH_MS sets the time budget per benchmark (default 1000 ms).
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
let core;
try {
  core = require('@dske/core');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND') {
    console.error('@dske/core is not built: run `npx tsc -b libs/dske-core/tsconfig.json` first.');
    process.exit(1);
  }
  throw error;
}
const { splitKey, recoverKey, PsrdPool, PsrdBlock, signMessage, verifyMessage } = core;

const BUDGET_NS = BigInt(Math.round(Number(process.env.DSKE_BENCH_MS ?? 1000) * 1e6));
const WARMUP_NS = BUDGET_NS / 10n;

/**
 * Run `batch(count)` repeatedly until the timed total reaches the budget.
 * `prepare(count)` runs before each batch, outside the timed part (refilling pools).
 */
function bench(name, { batch, prepare = () => {}, batchSize = 1 }) {
  const run = (budget) => {
    let ops = 0;
    let elapsed = 0n;
    while (elapsed < budget || ops < 3) {
      prepare(batchSize);
      const start = process.hrtime.bigint();
      batch(batchSize);
      elapsed += process.hrtime.bigint() - start;
      ops += batchSize;
    }
    return { ops, elapsed };
  };
  run(WARMUP_NS);
  const { ops, elapsed } = run(BUDGET_NS);
  const seconds = Number(elapsed) / 1e9;
  return { name, ops, opsPerSec: ops / seconds, usPerOp: (seconds * 1e6) / ops };
}

function check(condition, message) {
  if (!condition) throw new Error(`benchmark self-check failed: ${message}`);
}

/** A local pool and a peer pool holding the same blocks, refilled in 1 MiB blocks outside the timed part. */
function poolPair() {
  const local = new PsrdPool('local');
  const peer = new PsrdPool('peer');
  const refill = (needed) => {
    while (local.unusedBytes < needed) {
      const block = PsrdBlock.random(1 << 20);
      local.addBlock(block);
      peer.addBlock(new PsrdBlock(block.uuid, block.read(0, block.size)));
    }
  };
  return { local, peer, refill };
}

function splitRecover(keyBytes, n, k, batchSize) {
  const key = randomBytes(keyBytes);
  const shares = splitKey(key, n, k);
  check(Buffer.compare(recoverKey(shares.slice(n - k), k), key) === 0, 'split/recover round trip');
  return {
    batchSize,
    batch(count) {
      for (let i = 0; i < count; i++) {
        const s = splitKey(key, n, k);
        recoverKey(s.slice(n - k), k);
      }
    },
  };
}

function allocateTake() {
  const { local, peer, refill } = poolPair();
  refill(32);
  const a = local.allocate(32);
  check(Buffer.compare(peer.take(a.fragments, 32), a.bytes) === 0, 'peer takes the allocated bytes');
  return {
    batchSize: 1024,
    prepare: (count) => refill(count * 32),
    batch(count) {
      for (let i = 0; i < count; i++) {
        const allocation = local.allocate(32);
        peer.take(allocation.fragments, 32);
      }
    },
  };
}

function signVerify() {
  const { local, peer, refill } = poolPair();
  const query = 'client_name=client1&master_sae_id=sae1&slave_sae_id=sae2&key_id=0b2f7c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
  const body = randomBytes(1024);
  refill(32);
  verifyMessage(peer, signMessage(local, query, body), query, body);
  return {
    batchSize: 256,
    prepare: (count) => refill(count * 32),
    batch(count) {
      for (let i = 0; i < count; i++) verifyMessage(peer, signMessage(local, query, body), query, body);
    },
  };
}

const results = [
  bench('split+recover 32 B key, n=5 k=3', splitRecover(32, 5, 3, 64)),
  bench('split+recover 1 MiB key, n=5 k=3', splitRecover(1 << 20, 5, 3, 1)),
  bench('pool allocate+take 32 B', allocateTake()),
  bench('sign+verify 1 KiB body', signVerify()),
];

const header = ['benchmark', 'ops/s', 'us/op', 'ops'];
const rows = results.map((r) => [
  r.name,
  r.opsPerSec >= 100 ? Math.round(r.opsPerSec).toLocaleString('en-US') : r.opsPerSec.toFixed(2),
  r.usPerOp >= 100 ? r.usPerOp.toFixed(0) : r.usPerOp.toFixed(2),
  String(r.ops),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`@dske/core benchmarks (node ${process.version}, ${Number(BUDGET_NS) / 1e6} ms per benchmark)`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
