import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, httpJson, RedisServer, spawnNode, TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HUBS = ['ha', 'hb', 'hc'];

// Each hub with a redis-server of its own and a state directory of its own, as in the containers; k = 2 of 3.
describe('hubs on stores of their own', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;
  let stores: RedisServer[];
  let stateRoot: string;

  beforeAll(async () => {
    stateRoot = mkdtempSync(join(tmpdir(), 'dske-hub-state-'));
    topology = await TopologyHarness.start({
      hubs: HUBS,
      clients: [
        { name: 'ca', encryptors: ['sa'] },
        { name: 'cb', encryptors: ['sb'] },
      ],
      minNrShares: 2,
      redisPerHub: true,
      hubArgsFor: (name) => ['--state-dir', join(stateRoot, name)],
    });
    stores = HUBS.map((name) => topology.stores.get(name)!);
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
    if (stateRoot) rmSync(stateRoot, { recursive: true, force: true });
  });

  async function keyPair(): Promise<void> {
    const made = await etsi.getKey('ca', 'sa', 'sb');
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made.body.keys[0].key_ID);
    expect(fetched.status, JSON.stringify(fetched.body)).toBe(200);
    expect(fetched.body.keys[0].key).toBe(made.body.keys[0].key);
  }

  it('a hub whose Redis is down answers 503 store.unavailable within a second; keys are still made through the other hubs; it recovers by itself', async () => {
    await keyPair();
    await stores[0].stop();
    const hub = topology.hubUrl('ha');
    await sleep(300);

    let started = Date.now();
    const ready = await httpJson<{ code: string; message: string }>('GET', `http://127.0.0.1:${topology.hub('ha').port}/readyz`);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(ready.status).toBe(503);
    expect(ready.body.code).toBe('not-ready');
    started = Date.now();
    const status = await httpJson<{ statusCode: number; code: string; message: string }>('GET', `${hub}/mgmt/v1/status`);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(status.status).toBe(503);
    expect(status.body).toMatchObject({ statusCode: 503, code: 'store.unavailable' });
    expect(status.body.message).toMatch(/^share store unavailable: /);

    // The key is made and delivered through hb and hc; ha counts as unavailable for those requests.
    const made = await etsi.getKey('ca', 'sa', 'sb');
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made.body.keys[0].key_ID);
    expect(fetched.status, JSON.stringify(fetched.body)).toBe(200);
    expect(fetched.body.keys[0].key).toBe(made.body.keys[0].key);
    expect(topology.client('ca').log()).toMatch(/Call POST http:\/\/127\.0\.0\.1:\d+\/hub\/ha\/dske\/api\/v1\/key-share 503/);

    await sleep(2_000);
    await stores[0].start();
    const deadline = Date.now() + 10_000;
    while ((await httpJson('GET', `http://127.0.0.1:${topology.hub('ha').port}/readyz`)).status !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(100);
    }
    await keyPair();

    const log = topology.hub('ha').log();
    expect(log).not.toMatch(/Unhandled error event|ioredis|MaxRetriesPerRequest|Internal Server Error/);
    expect(log.match(/Share store redis:\/\/127\.0\.0\.1:\d+\/0 went away/g)).toHaveLength(1);
    expect(log.match(/Share store redis:\/\/127\.0\.0\.1:\d+\/0 is back/g)).toHaveLength(1);
  });

  it('every hub killed with SIGKILL between Get key and Get key with key IDs: the key is still delivered once they are back', async () => {
    const made = await etsi.getKey('ca', 'sa', 'sb');
    expect(made.status).toBe(200);
    for (const name of HUBS) await topology.restartHub(name);
    for (const name of HUBS) expect(topology.hub(name).log()).not.toContain('Created the storage key');
    const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made.body.keys[0].key_ID);
    expect(fetched.status, JSON.stringify(fetched.body)).toBe(200);
    expect(fetched.body.keys[0].key).toBe(made.body.keys[0].key);
  });

  it('a hub refuses to start on another hub\'s Redis, naming the owner', async () => {
    const port = await freePortRange(1);
    const intruder = spawnNode('hub', 'hx', port, ['hx', '--port', String(port), '--redis-url', stores[1].url]);
    await new Promise((r) => intruder.child.once('exit', r));
    expect(intruder.child.exitCode).toBe(1);
    expect(intruder.log()).toContain(`hub: error: ${stores[1].url}: this Redis server is the share store of hub hb; each hub needs a store of its own`);
  });
});

// k = 3 of 3: a fetch that reaches only some hubs cannot recover the key, but those hubs delete their shares.
describe('a fetch that gets too few shares keeps them for the retry', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;

  beforeAll(async () => {
    topology = await TopologyHarness.start({
      hubs: HUBS,
      clients: [
        { name: 'ca', encryptors: ['sa'] },
        { name: 'cb', encryptors: ['sb'] },
      ],
      minNrShares: 3,
      redisPerHub: true,
    });
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
  });

  it("one hub's Redis hangs during Get key with key IDs: 503, and once it answers again the retry delivers the key", async () => {
    const made = await etsi.getKey('ca', 'sa', 'sb');
    expect(made.status).toBe(200);
    const id = made.body.keys[0].key_ID;
    const store = topology.stores.get('hb')!;
    store.pause();
    try {
      let started = Date.now();
      const first = await etsi.getKeyWithIds('cb', 'sa', 'sb', id);
      expect(first.status, JSON.stringify(first.body)).toBe(503);
      expect(Date.now() - started).toBeLessThan(1_500);
      // The hub itself: within a second while its Redis hangs, with a JSON reason, and no timeout per request after the first.
      for (const limit of [1_000, 200]) {
        started = Date.now();
        const status = await httpJson<{ statusCode: number; code: string }>('GET', `${topology.hubUrl('hb')}/mgmt/v1/status`);
        expect(Date.now() - started).toBeLessThan(limit);
        expect(status.status).toBe(503);
        expect(status.body).toMatchObject({ statusCode: 503, code: 'store.unavailable' });
      }
    } finally {
      store.resume();
    }
    // ha and hc have deleted their shares; hb still holds its own; the client kept the two it got.
    const deadline = Date.now() + 10_000;
    let retry = await etsi.getKeyWithIds('cb', 'sa', 'sb', id);
    while (retry.status === 503 && Date.now() < deadline) {
      await sleep(200);
      retry = await etsi.getKeyWithIds('cb', 'sa', 'sb', id);
    }
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.keys).toEqual(made.body.keys);
    expect((await etsi.getKeyWithIds('cb', 'sa', 'sb', id)).status).toBe(400);
  });
});
