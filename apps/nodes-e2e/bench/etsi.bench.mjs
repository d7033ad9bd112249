// Benchmark (issue #5): ETSI GS QKD 014 get key throughput, keys per second for number=1 and
// number=max_key_per_request (32), 256-bit keys, over plain HTTP (lab mode, Node's fetch) and
// over HTTPS with mutual TLS (lab PKI in a temp dir, node:https with keep-alive).
// Uses the built programs (apps/*/dist), libs/test-support/dist and libs/lab-pki/dist. No timed assertions.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import testSupport from '../../../libs/test-support/dist/index.js';
import labPki from '../../../libs/lab-pki/dist/index.js';
import { percentile, startWatchdog } from './bench-support.mjs';

const { TopologyHarness, httpJson, httpsJson, httpsAgent } = testSupport;
const { createLabPki } = labPki;

const HUBS = ['hank', 'helen', 'hilary', 'holly', 'hugo'];
const CLIENTS = [
  { name: 'carol', encryptors: ['sam'] },
  { name: 'curtis', encryptors: ['sunny'] },
];
const MIN_NR_SHARES = 3;
const CASE_MS = Number(process.env.BENCH_CASE_MS ?? 3000);
const WATCHDOG_MS = 110_000;

const watchdog = startWatchdog(WATCHDOG_MS);


/** `concurrency` loops of get key (sam -> sunny at carol) for CASE_MS; keys/s and request latency. */
async function measure(getKey, number, concurrency) {
  for (let i = 0; i < 5; i++) await getKey(number); // warm-up
  const latencies = [];
  let keys = 0;
  const start = performance.now();
  const deadline = start + CASE_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const delivered = await getKey(number);
        latencies.push(performance.now() - t0);
        keys += delivered;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { keysPerSecond: keys / seconds, requests: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function runMode(mode, topology, getKey) {
  for (const number of [1, 32]) {
    for (const concurrency of [1, 4]) {
      const r = await measure(getKey, number, concurrency);
      console.log(
        `${mode.padEnd(5)} number=${String(number).padEnd(2)} concurrency ${concurrency}: ${r.keysPerSecond.toFixed(0).padStart(6)} keys/s ` +
          `(${r.requests} requests, latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms)`,
      );
    }
  }
  await topology.close();
}

function check(response, number) {
  if (response.status !== 200 || response.body.keys.length !== number) throw new Error(`get key: ${response.status} ${response.text}`);
  return number;
}

let topology;
let dir;
let agent;
try {
  console.log(`ETSI 014 get key benchmark: sam@carol -> sunny@curtis, 5 hubs, min_nr_shares ${MIN_NR_SHARES}, 256-bit keys, ${CASE_MS / 1000} s per case; node ${process.version}`);

  let started = performance.now();
  topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: MIN_NR_SHARES, readyTimeoutMs: 60_000 });
  console.log(`http  topology ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const httpUrl = `${topology.clientUrl('carol')}/etsi/api/v1/keys/sunny/enc_keys`;
  await runMode('http', topology, async (number) =>
    check(await httpJson('GET', `${httpUrl}?number=${number}&size=256`, { headers: { authorization: 'Bearer sam' } }), number),
  );
  topology = undefined;

  const pki = await createLabPki({ clients: CLIENTS });
  dir = mkdtempSync(join(tmpdir(), 'dske-etsi-bench-'));
  for (const [file, pem] of pki) writeFileSync(join(dir, file), pem, { mode: 0o600 });
  started = performance.now();
  topology = await TopologyHarness.start({
    hubs: HUBS,
    clients: CLIENTS,
    minNrShares: MIN_NR_SHARES,
    https: true,
    readyTimeoutMs: 60_000,
    clientArgsFor: (name) => ['--tls-cert', join(dir, `kme-${name}.crt`), '--tls-key', join(dir, `kme-${name}.key`), '--tls-ca', join(dir, 'ca.crt')],
  });
  console.log(`mtls  topology ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  agent = httpsAgent({ cert: pki.get('sae-sam.crt'), key: pki.get('sae-sam.key'), ca: pki.get('ca.crt') }, 4);
  const tlsUrl = `${topology.clientUrl('carol')}/etsi/api/v1/keys/sunny/enc_keys`;
  await runMode('mtls', topology, async (number) => check(await httpsJson('GET', `${tlsUrl}?number=${number}&size=256`, { agent }), number));
  topology = undefined;
} catch (error) {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
} finally {
  agent?.destroy();
  await topology?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
