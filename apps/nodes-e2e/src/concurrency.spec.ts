import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJson, TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Many requests at once drain the PSRD pools faster than the background refill keeps them:
// every request must still succeed (refill and retry), and no share may be lost on the way.
// With Redis, fetches interleave at every await of the store: the hub must reserve its reply's PSRD before it deletes a share.
const redisHubs = ['ha', 'hb', 'hc'].map((h) => `${h}${randomBytes(3).toString('hex')}`);
describe('240 concurrent key pairs with hubs on Redis', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;

  beforeAll(async () => {
    topology = await TopologyHarness.start({
      hubs: redisHubs,
      clients: [
        { name: 'ca', encryptors: ['sa'] },
        { name: 'cb', encryptors: ['sb'] },
      ],
      minNrShares: 2,
      redisPerHub: true,
    });
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
  });

  it('all succeed and match, and no share is left behind', async () => {
    const made = await Promise.all(Array.from({ length: 240 }, () => etsi.getKey('ca', 'sa', 'sb', 'size=1024')));
    expect(made.map((r) => r.status)).toEqual(made.map(() => 200));
    const fetched = await Promise.all(made.map((r) => etsi.getKeyWithIds('cb', 'sa', 'sb', r.body.keys[0].key_ID)));
    expect(fetched.map((r) => r.status)).toEqual(fetched.map(() => 200));
    expect(fetched.map((r) => r.body.keys[0].key)).toEqual(made.map((r) => r.body.keys[0].key));
    // Once the client's acknowledgements arrive (they follow each delivery), no hub holds a share any more.
    for (const hub of redisHubs) {
      const deadline = Date.now() + 10_000;
      let status = await httpJson<{ shares: unknown[] }>('GET', `${topology.hubUrl(hub)}/mgmt/v1/status`);
      while (status.body.shares.length > 0 && Date.now() < deadline) {
        await sleep(100);
        status = await httpJson<{ shares: unknown[] }>('GET', `${topology.hubUrl(hub)}/mgmt/v1/status`);
      }
      expect(status.body.shares).toEqual([]);
    }
  });
});

describe('under concurrent load', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;

  beforeAll(async () => {
    topology = await TopologyHarness.start({
      hubs: ['ha', 'hb', 'hc'],
      clients: [
        { name: 'ca', encryptors: ['sa'] },
        { name: 'cb', encryptors: ['sb', 'sc'] },
      ],
      minNrShares: 2,
    });
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
  });

  it('240 parallel get key and then 240 parallel get key with key IDs all succeed and match', async () => {
    const made = await Promise.all(Array.from({ length: 240 }, () => etsi.getKey('ca', 'sa', 'sb', 'size=1024')));
    expect(made.map((r) => r.status)).toEqual(made.map(() => 200));
    const fetched = await Promise.all(made.map((r) => etsi.getKeyWithIds('cb', 'sa', 'sb', r.body.keys[0].key_ID)));
    expect(fetched.map((r) => r.status)).toEqual(fetched.map(() => 200));
    expect(fetched.map((r) => r.body.keys[0].key)).toEqual(made.map((r) => r.body.keys[0].key));
  });

  it('a client whose name is registered afresh mid-traffic keeps serving (no wedged refill) and recovers', async () => {
    const traffic = Promise.all(Array.from({ length: 20 }, () => etsi.getKey('ca', 'sa', 'sb')));
    await httpJson('PUT', `${topology.hubUrl('ha')}/dske/oob/v1/registration`, { body: { client_name: 'ca', encryptor_names: ['sa'] } });
    await traffic;
    // The client still answers at once, and key pairs work again after it re-registered.
    const health = await httpJson('GET', `http://127.0.0.1:${topology.client('ca').port}/healthz`);
    expect(health.status).toBe(200);
    let ok = false;
    for (let attempt = 0; attempt < 30 && !ok; attempt++) {
      const made = await etsi.getKey('ca', 'sa', 'sb');
      const fetched = made.status === 200 ? await etsi.getKeyWithIds('cb', 'sa', 'sb', made.body.keys[0].key_ID) : undefined;
      ok = fetched?.status === 200 && fetched.body.keys[0].key === made.body.keys[0].key;
      if (!ok) await sleep(500);
    }
    expect(ok).toBe(true);
    const status = await httpJson<{ peer_hubs: Array<{ hub_name: string; registered: boolean }> }>('GET', `${topology.clientUrl('ca')}/mgmt/v1/status`);
    expect(status.body.peer_hubs.every((h) => h.registered)).toBe(true);
  });

  it('an encryptor registered by one client cannot be claimed by another (409), so its shares stay with its KME', async () => {
    const steal = await httpJson<{ code: string; message: string }>('PUT', `${topology.hubUrl('ha')}/dske/oob/v1/registration`, {
      body: { client_name: 'mallory', encryptor_names: ['sb'] },
    });
    expect(steal.status).toBe(409);
    expect(steal.body.code).toBe('sae.taken');
    expect(steal.body.message).toBe('encryptor sb is already registered by client cb');
    const directory = await httpJson<{ clients: Array<{ client_name: string }> }>('GET', `${topology.hubUrl('ha')}/dske/oob/v1/encryptors`);
    expect(directory.body.clients.map((c) => c.client_name)).not.toContain('mallory');
  });

  it('key IDs that differ only in case are one key ID (400), and nothing is fetched', async () => {
    const made = await etsi.getKey('ca', 'sa', 'sb');
    const id = made.body.keys[0].key_ID;
    const response = await httpJson<{ message: string }>('POST', `${topology.clientUrl('cb')}/etsi/api/v1/keys/sa/dec_keys`, {
      headers: { authorization: 'Bearer sb' },
      body: { key_IDs: [{ key_ID: id }, { key_ID: id.toUpperCase() }] },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('key_IDs shall not repeat');
    expect((await etsi.getKeyWithIds('cb', 'sa', 'sb', id)).status).toBe(200);
  });
});
