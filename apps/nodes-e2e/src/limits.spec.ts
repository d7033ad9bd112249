import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJson, TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';
import { hubStatus, unusedBytes } from './signed-peer';

// Small limits so the tests reach them: 3 clients, 6,000 unused bytes or 8 blocks per pool, 4 undelivered shares per client.
const LIMITS = ['--max-clients', '3', '--max-pool-bytes', '6000', '--max-pool-blocks', '8', '--max-shares-per-client', '4'];

/** Two hubs with those limits, k = 2, and the two clients a key needs (`stateDirs`: each node on a state of its own). */
const limitedTopology = (stateDirs = false) =>
  TopologyHarness.start({
    hubs: ['ha', 'hb'],
    clients: [
      { name: 'ca', encryptors: ['sa'] },
      { name: 'cb', encryptors: ['sb'] },
    ],
    minNrShares: 2,
    stateDirs,
    hubArgsFor: () => LIMITS,
  });

describe('a hub bounds what anyone can make it hold: 429 beyond a limit, and nothing changes', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;

  beforeAll(async () => {
    topology = await limitedTopology();
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
  });

  it('registers at most --max-clients clients; a client already registered may register again', async () => {
    const register = (name: string) => httpJson<{ code: string; message: string }>('PUT', `${topology.hubUrl('ha')}/dske/oob/v1/registration`, { body: { client_name: name, encryptor_names: [] } });
    expect((await register('extra1')).status).toBe(200);
    const refused = await register('extra2');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'clients.too-many', message: 'this hub registers at most 3 clients' });
    expect((await register('extra1')).status).toBe(200);
    expect((await hubStatus(topology.hubUrl('ha'))).peer_clients.map((c) => c.client_name).sort()).toEqual(['ca', 'cb', 'extra1']);
  });

  it('a loop of PSRD requests for one client stops at the pool limits: 429, nothing added, the hub holds no more', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 100; i++) {
      answers.push((await httpJson('GET', `${topology.hubUrl('ha')}/dske/oob/v1/psrd?client_name=extra1&pool_owner=hub&size=700`)).status);
    }
    expect(answers.filter((s) => s === 200)).toHaveLength(8);
    expect(answers.slice(8)).toEqual(answers.slice(8).map(() => 429));
    const refused = await httpJson<{ code: string; message: string }>('GET', `${topology.hubUrl('ha')}/dske/oob/v1/psrd?client_name=extra1&pool_owner=client&size=6001`);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('psrd.pool-full');
    const extra = (await hubStatus(topology.hubUrl('ha'))).peer_clients.find((c) => c.client_name === 'extra1')!;
    expect([extra.local_pool.blocks.length, unusedBytes(extra.local_pool), extra.peer_pool.blocks.length]).toEqual([8, 5600, 0]);
  });

  it('at most --max-shares-per-client undelivered shares per client: the 5th key is refused by every hub (503 with each hub\'s 429), one fetched makes room', async () => {
    const made = [];
    for (let i = 0; i < 4; i++) {
      const answer = await etsi.getKey('ca', 'sa', 'sb');
      expect(answer.status, answer.text).toBe(200);
      made.push(answer.body.keys[0]);
    }
    const fifth = await etsi.getKey('ca', 'sa', 'sb');
    expect(fifth.status).toBe(503);
    expect(JSON.stringify(fifth.body.details)).toContain('429 shares.too-many');
    const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made[0].key_ID);
    expect(fetched.body.keys).toEqual([made[0]]);
    // The room is made when cb's acknowledgement reaches the hubs (it follows the delivery).
    const deadline = Date.now() + 10_000;
    const held = async () => Math.max(...(await Promise.all(['ha', 'hb'].map(async (hub) => (await hubStatus(topology.hubUrl(hub))).shares.length))));
    while ((await held()) > 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await held()).toBe(3);
    expect((await etsi.getKey('ca', 'sa', 'sb')).status).toBe(200);
  });
});

describe('the share limit holds across a hub restart (the hub counts what its state kept)', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;

  beforeAll(async () => {
    topology = await limitedTopology(true);
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
  });

  it('4 undelivered shares, both hubs killed and started again: the 5th key is still refused, and the 4 are delivered', async () => {
    const made = [];
    for (let i = 0; i < 4; i++) {
      const answer = await etsi.getKey('ca', 'sa', 'sb');
      expect(answer.status, answer.text).toBe(200);
      made.push(answer.body.keys[0]);
    }
    for (const hub of ['ha', 'hb']) await topology.restartHub(hub);
    const fifth = await etsi.getKey('ca', 'sa', 'sb');
    expect(fifth.status).toBe(503);
    expect(JSON.stringify(fifth.body.details)).toContain('429 shares.too-many');
    for (const key of made) expect((await etsi.getKeyWithIds('cb', 'sa', 'sb', key.key_ID)).body.keys).toEqual([key]);
  });
});
