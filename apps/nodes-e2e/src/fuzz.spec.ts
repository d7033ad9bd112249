import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJson, TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';
import { clientStatus, hubStatus, unusedBytes } from './signed-peer';

/*
 * A bounded, seeded fuzz campaign of the project's own over loopback: every
 * operation each node documents in its OpenAPI document, sent with one
 * defect the contract always refuses (a method the path does not take, a
 * look-alike path, a prototype name, a body too deep, malformed JSON, a
 * non-JSON body, an unknown parameter...) among random noise, then fully
 * random requests. Nothing may answer 5xx, every refusal is a JSON 4xx, and
 * nothing changes: both clients' pools on every node, the hubs' shares, and
 * a key pair works afterwards.
 */
const SEED = Number(process.env.DSKE_FUZZ_SEED ?? 20261201);
const TARGETED = Number(process.env.DSKE_FUZZ_REQUESTS ?? 8000);
const RANDOM = Math.round(TARGETED / 4);
const MGMT_TOKEN = 'fuzz-mgmt-token';
const HUBS = ['ha', 'hb'];
const CLIENTS = [
  { name: 'ca', encryptors: ['sa'] },
  { name: 'cb', encryptors: ['sb'] },
];

/** mulberry32: small, seeded, reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Operation {
  node: { port: number; prefix: string };
  method: string;
  path: string;
  methods: string[];
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
function send(port: number, req: Sent): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers: req.headers, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end(req.body);
  });
}

describe(`fuzzing every endpoint family (seed ${SEED}, ${TARGETED} + ${RANDOM} requests)`, () => {
  let topology: TopologyHarness;
  let operations: Operation[];
  const random = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const chance = (p: number) => random() < p;

  const VALUES = ['sa', 'sb', 'ca', 'cb', 'ha', 'nobody', 'SA', '', '0', '-1', '1e9', '99999999999999999999', 'null', 'true', '%00', '..', 'a'.repeat(300), '4b700076-9691-4935-9e9b-707c1425fd29', '💥', '<script>', "' OR 1=1"];
  const JSON_VALUES = (): unknown => pick<() => unknown>([
    () => pick(VALUES),
    () => Math.floor(random() * 1e6) * (chance(0.5) ? -1 : 1),
    () => random(),
    () => null,
    () => chance(0.5),
    () => [pick(VALUES), Math.floor(random() * 10)],
    () => ({ [pick(['number', 'size', 'key_IDs', 'client_name', 'shares', 'fragments', 'x'])]: pick(VALUES) }),
  ])();
  const fill = (template: string) => template.replace(/\{[^}]+\}/g, () => encodeURIComponent(pick(VALUES.slice(0, 8))));
  const noiseQuery = () => (chance(0.5) ? '' : new URLSearchParams(Object.fromEntries(Array.from({ length: 1 + Math.floor(random() * 3) }, () => [pick(['number', 'size', 'key_ID', 'client_name', 'pool_owner', 'key_id', 'master_sae_id']), pick(VALUES)]))).toString());
  const noiseBody = () => JSON.stringify(Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(['number', 'size', 'key_IDs', 'client_name', 'encryptor_names', 'shares', 'master_sae_id']), JSON_VALUES()])));
  const noiseHeaders = (): Record<string, string> => ({
    ...(chance(0.6) ? { authorization: pick(['Bearer sa', 'Bearer sb', 'Bearer nobody', 'sa', 'Bearer', `Bearer ${MGMT_TOKEN}x`, 'Basic Zm9vOmJhcg==']) } : {}),
    ...(chance(0.3) ? { 'dske-signature': pick(['', '%', 'x%y', `${'4b700076-9691-4935-9e9b-707c1425fd29'}:0:32%AAAA`, 'a:b:c%=']) } : {}),
  });

  /** One request with a defect the contract refuses whatever the endpoint. */
  function targeted(op: Operation): Sent {
    const path = fill(op.path);
    const headers: Record<string, string> = noiseHeaders();
    const query = noiseQuery();
    const url = (p: string, q: string) => (q ? `${p}?${q}` : p);
    const withBody = (body: string, type = 'application/json') => ({ 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...headers });
    const defects: Array<() => Sent> = [
      () => ({ method: pick(['HEAD', 'DELETE', 'PATCH', 'OPTIONS', 'PUT', 'POST', 'GET'].filter((m) => !op.methods.includes(m))), path: url(path, query), headers }),
      () => ({ method: op.method, path: url(chance(0.5) ? `${path}/` : path.replace(/[a-z]/, (c) => c.toUpperCase()), query), headers }),
      () => ({ method: op.method, path: url(path, `${query ? `${query}&` : ''}${pick(['__proto__', 'constructor', 'prototype'])}=1`), headers }),
    ];
    if (op.method !== 'GET') {
      defects.push(
        () => {
          const depth = 17 + Math.floor(random() * 3000);
          const body = chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
          return { method: op.method, path: url(path, query), headers: withBody(body), body };
        },
        () => {
          const body = `{"${pick(['__proto__', 'constructor', 'prototype'])}":${JSON.stringify(JSON_VALUES())},${noiseBody().slice(1)}`.replace(/,}$/, '}');
          return { method: op.method, path: url(path, query), headers: withBody(body), body };
        },
        () => {
          const body = noiseBody().slice(0, -1) + pick([',', ':', '"', '{', ']']);
          return { method: op.method, path: url(path, query), headers: withBody(body), body };
        },
        () => {
          const body = noiseBody();
          return { method: op.method, path: url(path, query), headers: withBody(body, pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x'])), body };
        },
      );
    }
    return pick(defects)();
  }

  /** Anything at all, within a node's prefix or not. */
  function wild(): { port: number; req: Sent } {
    const op = pick(operations);
    const segments = Array.from({ length: Math.floor(random() * 8) }, () => pick(['hub', 'client', 'ha', 'ca', 'dske', 'api', 'oob', 'v1', 'mgmt', 'status', 'etsi', 'keys', 'enc_keys', 'dec_keys', 'key-share', 'docs', '..', '%2e%2e', '']));
    const path = `/${segments.join('/')}${chance(0.5) ? `?${noiseQuery()}` : ''}`;
    const method = pick(['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS']);
    const body = ['GET', 'HEAD'].includes(method) || chance(0.3) ? undefined : chance(0.8) ? noiseBody() : pick(['{', 'null', '[]', '"x"', '1', '{"a":{"b":{"c":[[[[[]]]]]}}}']);
    const headers = { ...noiseHeaders(), ...(body !== undefined ? { 'content-type': pick(['application/json', 'text/plain']), 'content-length': String(Buffer.byteLength(body)) } : {}) };
    return { port: op.node.port, req: { method, path: chance(0.5) ? path : `${op.node.prefix}${path}`, headers, body } };
  }

  async function snapshot() {
    const clients = await Promise.all(CLIENTS.map(async ({ name }) => (await clientStatus(topology.clientUrl(name), { authorization: `Bearer ${MGMT_TOKEN}` })).peer_hubs.map((h) => [h.hub_name, unusedBytes(h.local_pool), unusedBytes(h.peer_pool)])));
    const hubs = await Promise.all(
      HUBS.map(async (hub) => {
        const status = await hubStatus(topology.hubUrl(hub), { authorization: `Bearer ${MGMT_TOKEN}` });
        return { clients: status.peer_clients.filter((c) => c.client_name === 'ca' || c.client_name === 'cb').map((c) => [c.client_name, unusedBytes(c.local_pool), unusedBytes(c.peer_pool)]), shares: status.shares };
      }),
    );
    return { clients, hubs };
  }

  beforeAll(async () => {
    topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 2, env: { DSKE_MGMT_TOKEN: MGMT_TOKEN } });
    operations = [];
    for (const [kind, names] of [['hub', HUBS], ['client', CLIENTS.map((c) => c.name)]] as const) {
      for (const name of names) {
        const node = kind === 'hub' ? topology.hub(name) : topology.client(name);
        const doc = await httpJson<{ paths: Record<string, Record<string, unknown>> }>('GET', `http://127.0.0.1:${node.port}/openapi.json`);
        for (const [path, ops] of Object.entries(doc.body.paths)) {
          const methods = Object.keys(ops).map((m) => m.toUpperCase());
          for (const method of methods) operations.push({ node: { port: node.port, prefix: `/${kind}/${name}` }, method, path, methods });
        }
      }
    }
    // Every family is in the campaign.
    for (const family of ['/dske/oob/v1/registration', '/dske/oob/v1/psrd', '/dske/api/v1/key-share', '/dske/api/v1/key-shares', '/etsi/api/v1/keys/', '/mgmt/v1/stop', '/mgmt/v1/status', '/readyz']) {
      expect(operations.some((op) => op.path.includes(family)), family).toBe(true);
    }
  });
  afterAll(async () => {
    agent.destroy();
    await topology?.close();
  });

  it('no 5xx, every refusal a JSON 4xx, no side effect, and the nodes still do their job', async () => {
    const before = await snapshot();
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    const note = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    for (let i = 0; i < TARGETED; i++) {
      const op = pick(operations);
      const req = targeted(op);
      const answer = await send(op.node.port, req);
      note(answer.status);
      if (answer.status < 400 || answer.status >= 500) problems.push(`${answer.status} for ${req.method} ${req.path.slice(0, 120)} ${req.body?.slice(0, 80) ?? ''}`);
      else if (req.method !== 'HEAD' && !answer.type.startsWith('application/json')) problems.push(`${answer.status} without JSON for ${req.method} ${req.path.slice(0, 120)}`);
      if (problems.length > 20) break;
    }
    for (let i = 0; i < RANDOM && problems.length <= 20; i++) {
      const { port, req } = wild();
      const answer = await send(port, req);
      note(answer.status);
      if (answer.status >= 500) problems.push(`${answer.status} for ${req.method} ${req.path.slice(0, 120)} ${req.body?.slice(0, 80) ?? ''}`);
    }
    expect(problems, `statuses ${JSON.stringify([...statuses])}`).toEqual([]);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(await snapshot()).toEqual(before);
    for (const node of [...topology.hubs.values(), ...topology.clients.values()]) {
      expect(node.child.exitCode, node.name).toBeNull();
      expect(node.log()).not.toMatch(/Internal Server Error|internal error|RangeError/);
    }
    const etsi = new EtsiCaller(topology);
    const made = await etsi.getKey('ca', 'sa', 'sb');
    expect(made.status).toBe(200);
    const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made.body.keys[0].key_ID);
    expect(fetched.body.keys).toEqual(made.body.keys);
  });
});
