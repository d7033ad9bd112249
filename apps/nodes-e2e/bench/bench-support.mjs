import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** What the node benchmarks need: a time limit that ends the run, percentiles, the SAE pairs and one key pair. */

/** End the process after `limitMs` (test-support kills every node it spawned on exit). */
export function startWatchdog(limitMs) {
  const watchdog = setTimeout(() => {
    console.error(`benchmark exceeded ${limitMs / 1000} s; stopping`);
    process.exit(1);
  }, limitMs);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
  return watchdog;
}

/** User and system CPU time of a process so far, in ms (/proc/PID/stat, clock ticks of 10 ms). */
export function processCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

/** The p-th percentile of an ascending array (nearest rank). */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** master SAE @ its client -> slave SAE @ its client (every SAE of the guide's topology takes part). */
export const SAE_PAIRS = [
  ['carol', 'sam', 'curtis', 'sunny'],
  ['celia', 'serena', 'connie', 'sofia'],
  ['connie', 'sofia', 'carol', 'sam'],
  ['curtis', 'susan', 'celia', 'serena'],
  ['curtis', 'sunny', 'connie', 'sofia'],
  ['carol', 'sam', 'curtis', 'susan'],
  ['celia', 'serena', 'carol', 'sam'],
  ['connie', 'sofia', 'curtis', 'sunny'],
];

/**
 * The benchmarks' own HTTP client, as lean as the floor's: node:http over one keep-alive agent for every node.
 * It runs on the cores the nodes run on, so its cost is taken from theirs: fetch (WHATWG streams and headers)
 * spent 3.9 ms of CPU per sequential key pair and 2.0 with 8 SAE loops; this spends 1.5 and 0.8.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** A request's or answer's whole body as text, to `done`. */
export const readAll = (stream, done) => {
  const chunks = [];
  stream.on('data', (chunk) => chunks.push(chunk));
  stream.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
};

/** One call: { status, text, body (the parsed JSON, undefined if none) }; `body` is sent as JSON. */
export function benchJson(method, url, { headers = {}, body } = {}) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const sent = text === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, agent, headers: sent }, (response) => {
      response.on('error', reject);
      readAll(response, (answer) => {
        let parsed;
        try {
          parsed = answer ? JSON.parse(answer) : undefined;
        } catch {
          parsed = undefined;
        }
        resolve({ status: response.statusCode, text: answer, body: parsed });
      });
    });
    request.setTimeout(30_000, () => request.destroy(new Error(`${method} ${url}: no answer within 30 s`)));
    request.on('error', reject);
    request.end(text);
  });
}

/**
 * `number` key pairs on a running topology: get key at the master's client, get key with key IDs at the slave's
 * client (one request each way, for all the keys), which must give the same keys. Returns the times in ms.
 */
export async function keyPair(topology, [masterClient, master, slaveClient, slave], number = 1) {
  const t0 = performance.now();
  const made = await benchJson('GET', `${topology.clientUrl(masterClient)}/etsi/api/v1/keys/${slave}/enc_keys?size=256&number=${number}`, { headers: { authorization: `Bearer ${master}` } });
  if (made.status !== 200 || !Array.isArray(made.body?.keys)) throw new Error(`get key ${master} -> ${slave}: ${made.status} ${made.text}`);
  const t1 = performance.now();
  const keys = made.body.keys;
  const url = `${topology.clientUrl(slaveClient)}/etsi/api/v1/keys/${master}/dec_keys`;
  const headers = { authorization: `Bearer ${slave}` };
  const fetched =
    number === 1 ? await benchJson('GET', `${url}?key_ID=${keys[0].key_ID}`, { headers }) : await benchJson('POST', url, { headers, body: { key_IDs: keys.map((k) => ({ key_ID: k.key_ID })) } });
  if (fetched.status !== 200 || JSON.stringify(fetched.body.keys) !== JSON.stringify(keys)) throw new Error(`get key with key IDs ${master} -> ${slave}: ${fetched.status} ${fetched.text}`);
  const t2 = performance.now();
  return { pair: t2 - t0, enc: t1 - t0, dec: t2 - t1 };
}
