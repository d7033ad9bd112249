// The floor under the node benchmark (issue #12): the same message pattern as a key pair of the default
// topology, on bare node:http in ten processes on this machine, with no DSKE work at all. 5 "hubs" answer a
// fixed signed-looking JSON body; 5 "clients" answer an ETSI-like GET by calling hubs in parallel over
// keep-alive: 5 POSTs for get key (one share per hub), 3 GETs for get key with key IDs (k = 3 of the shares).
// What the nodes spend above these figures is the cost of their own layers and checks.
// Settings (environment): FLOOR_WARMUP_PAIRS (3000), FLOOR_PAIRS (4000).
import { fork } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { benchJson, processCpuMs, readAll, startWatchdog } from './bench-support.mjs';

const SELF = fileURLToPath(import.meta.url);
const HUBS = 5;
const CLIENTS = 5;
const K = 3;
// About the size of a hub's signed key-share answer and a client's share message.
const shareBody = () =>
  JSON.stringify({
    share_index: 1,
    encryption_key_allocation: { fragments: [{ block_uuid: randomUUID(), start: 0, size: 32 }] },
    encrypted_share_value: randomBytes(32).toString('base64'),
    master_client_name: 'carol',
    master_sae_id: 'sam',
    slave_sae_id: 'sunny',
    user_key_id: randomUUID(),
  });
const mac = (text) => createHmac('sha256', randomBytes(32)).update(text).digest('base64');

function serve(handler) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
}

function hub() {
  serve((req, res) =>
    readAll(req, (text) => {
      if (text) JSON.parse(text);
      const out = shareBody();
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out), 'dske-signature': `x:0:32%${mac(out)}` });
      res.end(out);
    }),
  );
}

function client(hubPorts) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const call = (port, method) =>
    new Promise((resolve, reject) => {
      const body = method === 'POST' ? shareBody() : undefined;
      const query = 'client_name=curtis&master_sae_id=sam&slave_sae_id=sunny&key_id=6f1e0d7a-93f4-4ad2-b1c6-2c1d0f9e8a11';
      const headers = { 'dske-signature': `x:0:32%${mac(query + (body ?? ''))}`, ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) };
      const req = http.request({ host: '127.0.0.1', port, method, path: `/hub/h/dske/api/v1/key-share?${query}`, agent, headers }, (res) => readAll(res, (text) => resolve(JSON.parse(text))));
      req.on('error', reject);
      req.end(body);
    });
  serve(async (req, res) => {
    const enc = req.url.includes('enc_keys');
    await Promise.all((enc ? hubPorts : hubPorts.slice(0, K)).map((port) => call(port, enc ? 'POST' : 'GET')));
    const out = JSON.stringify({ keys: [{ key_ID: randomUUID(), key: randomBytes(32).toString('base64') }] });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
}

if (process.argv[2] === 'hub') hub();
else if (process.argv[2] === 'client') client(JSON.parse(process.argv[3]));
else await main();

async function main() {
  startWatchdog(300_000);
  const children = [];
  process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
  const start = (args) =>
    new Promise((resolve, reject) => {
      const child = fork(SELF, args);
      children.push(child);
      child.once('error', reject);
      child.once('message', (port) => resolve({ pid: child.pid, port }));
    });
  const hubs = await Promise.all(Array.from({ length: HUBS }, () => start(['hub'])));
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => start(['client', JSON.stringify(hubs.map((h) => h.port))])));
  // The same bench client as nodes-e2e:bench's.
  const get = (port, path) => benchJson('GET', `http://127.0.0.1:${port}${path}`);
  const pair = async (i) => {
    await get(clients[i % CLIENTS].port, '/api/v1/keys/sunny/enc_keys');
    await get(clients[(i + 1) % CLIENTS].port, '/api/v1/keys/sam/dec_keys?key_ID=6f1e0d7a-93f4-4ad2-b1c6-2c1d0f9e8a11');
  };
  const cpuMs = (nodes) =>
    nodes.reduce((sum, { pid }) => {
      const { user, system } = processCpuMs(pid);
      return sum + user + system;
    }, 0);
  const warmup = Number(process.env.FLOOR_WARMUP_PAIRS ?? 3000);
  const pairs = Number(process.env.FLOOR_PAIRS ?? 4000);
  console.log(`bare node:http floor: ${HUBS} hub and ${CLIENTS} client processes, 5 POSTs + ${K} GETs per pair over keep-alive; node ${process.version}`);
  for (let i = 0; i < warmup; i++) await pair(i);
  for (const loops of [1, 8]) {
    let next = 0;
    const hubsBefore = cpuMs(hubs);
    const clientsBefore = cpuMs(clients);
    const started = performance.now();
    await Promise.all(Array.from({ length: loops }, async () => { while (next < pairs) await pair(next++); }));
    const seconds = (performance.now() - started) / 1000;
    const per = (before, nodes) => ((cpuMs(nodes) - before) / pairs).toFixed(1);
    console.log(`${loops === 1 ? 'sequential, 1 loop' : `concurrent, ${loops} loops`}: ${(pairs / seconds).toFixed(1)} pairs/s; node CPU per pair: hubs ${per(hubsBefore, hubs)} ms, clients ${per(clientsBefore, clients)} ms`);
  }
  process.exit(0);
}
