import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJson, TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// k = number of hubs, so every key needs every hub: a hub that lost its state must be rejoined.
describe('a hub that restarts without state', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;

  beforeAll(async () => {
    topology = await TopologyHarness.start({
      hubs: ['ha', 'hb', 'hc'],
      clients: [
        { name: 'ca', encryptors: ['sa'] },
        { name: 'cb', encryptors: ['sb'] },
      ],
      minNrShares: 3,
    });
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
  });

  async function keyPair(): Promise<{ made: number; fetched?: number }> {
    const made = await etsi.getKey('ca', 'sa', 'sb');
    if (made.status !== 200) return { made: made.status };
    const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made.body.keys[0].key_ID);
    expect(fetched.status === 200 ? fetched.body.keys[0].key : undefined).toBe(fetched.status === 200 ? made.body.keys[0].key : undefined);
    return { made: 200, fetched: fetched.status };
  }

  it('clients register again when the hub says it does not know them, and keys flow again', async () => {
    expect(await keyPair()).toEqual({ made: 200, fetched: 200 });

    const directory = async () => (await httpJson<{ clients: Array<{ client_name: string; registration_id: string }> }>('GET', `${topology.hubUrl('hb')}/dske/oob/v1/encryptors`)).body.clients;
    const before = await directory();
    expect(before.map((c) => c.client_name).sort()).toEqual(['ca', 'cb']);
    await topology.restartHub('hb');
    // The hub came back without state: none of the registrations it knew is there. (A client may already have
    // registered again, e.g. on a retried acknowledgement, but only under a new registration ID.)
    const after = await directory();
    for (const entry of after) expect(before.map((c) => c.registration_id)).not.toContain(entry.registration_id);

    // The first calls meet "client.unknown": each client registers again within the request and sends once more,
    // so the very first pair after the restart works (k = 3 = n: it needs hb).
    expect(await keyPair()).toEqual({ made: 200, fetched: 200 });

    const status = await httpJson<{ peer_clients: Array<{ client_name: string }> }>('GET', `${topology.hubUrl('hb')}/mgmt/v1/status`);
    expect(status.body.peer_clients.map((c) => c.client_name).sort()).toEqual(['ca', 'cb']);
    expect(topology.client('ca').log()).toContain('Hub hb does not know this client; registering again');
  });

  it('after another restart, a burst of 8 concurrent pairs all work, with one registration per client', async () => {
    expect(await keyPair()).toEqual({ made: 200, fetched: 200 });
    await topology.restartHub('hb');
    const results = await Promise.all(Array.from({ length: 8 }, () => keyPair()));
    expect(results).toEqual(Array.from({ length: 8 }, () => ({ made: 200, fetched: 200 })));
    // One registration per client for this restart, not one per late answer.
    const log = topology.client('ca').log();
    expect(log.split('Hub hb does not know this client; registering again').length - 1).toBe(2);
  });

  it('a client whose pools were reset behind its back (its name registered afresh) notices and registers again', async () => {
    expect(await keyPair()).toEqual({ made: 200, fetched: 200 });
    // The oob family is unauthenticated: anyone can register a client name afresh, wiping its pools on the hub.
    const reset = await httpJson('PUT', `${topology.hubUrl('hc')}/dske/oob/v1/registration`, { body: { client_name: 'ca', encryptor_names: ['sa'] } });
    expect(reset.status).toBe(200);

    let result = await keyPair();
    for (let attempt = 0; attempt < 30 && (result.made !== 200 || result.fetched !== 200); attempt++) {
      await sleep(500);
      result = await keyPair();
    }
    expect(result).toEqual({ made: 200, fetched: 200 });
    // The hub's 403 is unsigned; its directory shows another registration ID for ca, so ca registers again.
    expect(topology.client('ca').log()).toContain("Hub hc does not verify this client's signatures; registering again");
  });

  it('hub-owned blocks someone else fetched in the client\'s name are never used: the client never confirmed them', async () => {
    expect(await keyPair()).toEqual({ made: 200, fetched: 200 });
    const logBefore = topology.client('cb').log().length;
    // A stranger fetches hub-allocated PSRD in cb's name (lab mode: oob is open). Before confirmations the hub signed
    // with them once its older blocks ran out, cb could not verify, and had to register again (PSRD lost).
    for (let i = 0; i < 3; i++) {
      const stray = await httpJson('GET', `${topology.hubUrl('ha')}/dske/oob/v1/psrd?client_name=cb&pool_owner=hub&size=1000`);
      expect(stray.status).toBe(200);
    }
    // Drain the hub's pool for cb many times over with big keys fetched by cb (each costs key bytes + 32 from it).
    for (let i = 0; i < 12; i++) {
      const big = await etsi.getKey('ca', 'sa', 'sb', 'size=8192');
      expect(big.status, big.text).toBe(200);
      const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', big.body.keys[0].key_ID);
      expect(fetched.status, fetched.text).toBe(200);
      expect(fetched.body.keys).toEqual(big.body.keys);
    }
    const since = topology.client('cb').log().slice(logBefore);
    expect(since).not.toContain('uses PSRD blocks this client does not hold');
    expect(since).not.toContain('registering again');
  });
});
