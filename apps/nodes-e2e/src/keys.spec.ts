import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJson, TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

// The user guide's topology: 5 hubs, 5 clients, min_nr_shares 3.
describe('keys end to end through the hubs', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;

  beforeAll(async () => {
    topology = await TopologyHarness.start();
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
  });

  const pairs: Array<[string, string, string, string]> = [
    ['carol', 'sam', 'curtis', 'sunny'],
    ['celia', 'serena', 'curtis', 'susan'],
    ['connie', 'sofia', 'carol', 'sam'],
    ['curtis', 'susan', 'celia', 'serena'],
  ];

  for (const [masterClient, master, slaveClient, slave] of pairs) {
    for (const bits of [128, 256, 1024, 8192]) {
      it(`${master}@${masterClient} -> ${slave}@${slaveClient}, ${bits} bits`, async () => {
        const made = await etsi.getKey(masterClient, master, slave, `size=${bits}`);
        expect(made.status).toBe(200);
        expect(made.body.keys).toHaveLength(1);
        const { key_ID, key } = made.body.keys[0];
        expect(key_ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(Buffer.from(key, 'base64')).toHaveLength(bits / 8);

        const fetched = await etsi.getKeyWithIds(slaveClient, master, slave, key_ID);
        expect(fetched.status).toBe(200);
        expect(fetched.body).toEqual({ keys: [{ key_ID, key }] });
      });
    }
  }

  it('acknowledgements ride on the next key-share message: pairs in a row send fewer acknowledgements of their own, and every share goes', async () => {
    const curtisLog = () => topology.client('curtis').log();
    const ownBefore = (curtisLog().match(/Call POST \S+\/key-share-acks 200/g) ?? []).length;
    const carriedBefore = (curtisLog().match(/Call GET \S+\/key-share\?\S*acknowledged_key_ids=\S+ 200/g) ?? []).length;
    for (let i = 0; i < 10; i++) {
      const made = await etsi.getKey('carol', 'sam', 'sunny');
      expect((await etsi.getKeyWithIds('curtis', 'sam', 'sunny', made.body.keys[0].key_ID)).status).toBe(200);
    }
    // Each get key with key IDs but the first carried the one before's acknowledgement to the hubs (the pairs here
    // follow each other well within the 250 ms an acknowledgement waits); at least one did.
    const carried = (curtisLog().match(/Call GET \S+\/key-share\?\S*acknowledged_key_ids=\S+ 200/g) ?? []).length - carriedBefore;
    expect(carried).toBeGreaterThan(0);
    const deadline = Date.now() + 10_000;
    for (const hub of topology.hubs.keys()) {
      let status = await httpJson<{ shares: unknown[] }>('GET', `${topology.hubUrl(hub)}/mgmt/v1/status`);
      while (status.body.shares.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        status = await httpJson<{ shares: unknown[] }>('GET', `${topology.hubUrl(hub)}/mgmt/v1/status`);
      }
      expect(status.body.shares, hub).toEqual([]);
    }
    const own = (curtisLog().match(/Call POST \S+\/key-share-acks 200/g) ?? []).length - ownBefore;
    expect(own).toBeLessThan(10 * topology.hubs.size);
  });

  it('delivers a key once: the second fetch is a 400', async () => {
    const made = await etsi.getKey('carol', 'sam', 'sunny');
    const id = made.body.keys[0].key_ID;
    expect((await etsi.getKeyWithIds('curtis', 'sam', 'sunny', id)).status).toBe(200);
    const again = await etsi.getKeyWithIds('curtis', 'sam', 'sunny', id);
    expect(again.status).toBe(400);
    expect(again.body.message).toBe('one or more keys specified are not found on KME');
  });

  it('keys flow with one and two hubs stopped, and fail with 503 at three', async () => {
    const before = await etsi.getKey('carol', 'sam', 'sunny');
    expect(before.status).toBe(200);

    await topology.hub('hugo').kill();
    const withOneDown = await etsi.getKey('carol', 'sam', 'sunny', 'size=256');
    expect(withOneDown.status).toBe(200);
    expect((await etsi.getKeyWithIds('curtis', 'sam', 'sunny', withOneDown.body.keys[0].key_ID)).body.keys[0].key).toBe(withOneDown.body.keys[0].key);

    await topology.hub('holly').kill();
    const withTwoDown = await etsi.getKey('connie', 'sofia', 'serena', 'size=1024');
    expect(withTwoDown.status).toBe(200);
    expect((await etsi.getKeyWithIds('celia', 'sofia', 'serena', withTwoDown.body.keys[0].key_ID)).body.keys[0].key).toBe(withTwoDown.body.keys[0].key);

    await topology.hub('hilary').kill();
    const withThreeDown = await etsi.getKey('carol', 'sam', 'sunny');
    expect(withThreeDown.status).toBe(503);
    expect(withThreeDown.body.message).toBe('only 2 of 5 hubs accepted a key share; 3 needed');
    expect(withThreeDown.body.details.map((d) => d.hub_name).sort()).toEqual(['hilary', 'holly', 'hugo']);

    // carol noticed: the stopped hubs are unreachable in its status, and ETSI Status says it can deliver no key now.
    const carol = await httpJson<{ peer_hubs: Array<{ hub_name: string; registered: boolean; reachable: boolean }> }>('GET', `${topology.clientUrl('carol')}/mgmt/v1/status`);
    expect(carol.body.peer_hubs.map((h) => [h.hub_name, h.reachable])).toEqual([['hank', true], ['helen', true], ['hilary', false], ['holly', false], ['hugo', false]]);
    const etsiStatus = await httpJson<{ stored_key_count: number; max_key_count: number }>('GET', `${topology.clientUrl('carol')}/etsi/api/v1/keys/sunny/status`, {
      headers: { authorization: 'Bearer sam' },
    });
    expect(etsiStatus.status).toBe(200);
    expect(etsiStatus.body.stored_key_count).toBe(0);
    // 128-bit default keys: (stop threshold 2000 + block 1000 - 1) / (16 key bytes + 32 signature bytes).
    expect(etsiStatus.body.max_key_count).toBe(62);

    // The key made before the stop is still stored on two hubs only: not enough, but not gone either.
    const late = await etsi.getKeyWithIds('curtis', 'sam', 'sunny', before.body.keys[0].key_ID);
    expect(late.status).toBe(503);

    // The hubs come back without state. With no key request in between, carol notices (it asks hubs that stopped
    // answering whether they are back), registers again, and Status counts keys again.
    for (const hub of ['hilary', 'holly', 'hugo']) await topology.restartHub(hub);
    await expect
      .poll(async () => (await httpJson<typeof carol.body>('GET', `${topology.clientUrl('carol')}/mgmt/v1/status`)).body.peer_hubs.map((h) => [h.hub_name, h.registered, h.reachable]), {
        timeout: 20_000,
        interval: 250,
      })
      .toEqual(['hank', 'helen', 'hilary', 'holly', 'hugo'].map((h) => [h, true, true]));
    expect(topology.client('carol').log()).toContain('Hub hugo is back and does not know this client; registering again');
    await expect
      .poll(async () => (await httpJson<{ stored_key_count: number }>('GET', `${topology.clientUrl('carol')}/etsi/api/v1/keys/sunny/status`, { headers: { authorization: 'Bearer sam' } })).body.stored_key_count, {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    const after = await etsi.getKey('carol', 'sam', 'sunny');
    expect(after.status).toBe(200);
    expect((await etsi.getKeyWithIds('curtis', 'sam', 'sunny', after.body.keys[0].key_ID)).body.keys[0].key).toBe(after.body.keys[0].key);
  });
});
