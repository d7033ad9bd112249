import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJson, TopologyHarness } from '@dske/test-support';

const HUBS = ['ha', 'hb', 'hc'];

// Every hub behind a proxy that answers its encryptor directory 404, as the reference's hubs (which have
// none) do; everything else passes through. k = 2 of 3.
describe('hubs without an encryptor directory (as the reference implementation\'s)', () => {
  let topology: TopologyHarness;
  let asked = 0;

  beforeAll(async () => {
    topology = await TopologyHarness.start({
      hubs: HUBS,
      clients: [
        { name: 'ca', encryptors: ['sa'] },
        { name: 'cb', encryptors: ['sb'] },
      ],
      minNrShares: 2,
      hubProxy: () => ({
        onRequest: (req, res) => {
          if (req.method !== 'GET' || !/\/dske\/oob\/v1\/encryptors(\?|$)/.test(req.url ?? '')) return false;
          asked++;
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'Not Found' }));
          return true;
        },
      }),
    });
  });
  afterAll(async () => {
    await topology?.close();
  });

  it('keys are still made and delivered, the hubs routing them by slave SAE; Status names no target KME; the client says so once per hub', async () => {
    const status = await httpJson<{ target_KME_ID: string; slave_SAE_ID: string }>('GET', `${topology.clientUrl('ca')}/etsi/api/v1/keys/sb/status`, { headers: { authorization: 'Bearer sa' } });
    expect(status.status, status.text).toBe(200);
    expect(status.body).toMatchObject({ slave_SAE_ID: 'sb', target_KME_ID: '' });
    for (let i = 0; i < 3; i++) {
      const made = await httpJson<{ keys: Array<{ key_ID: string; key: string }> }>('GET', `${topology.clientUrl('ca')}/etsi/api/v1/keys/sb/enc_keys`, { headers: { authorization: 'Bearer sa' } });
      expect(made.status, made.text).toBe(200);
      const fetched = await httpJson<{ keys: Array<{ key_ID: string; key: string }> }>('GET', `${topology.clientUrl('cb')}/etsi/api/v1/keys/sa/dec_keys?key_ID=${made.body.keys[0].key_ID}`, {
        headers: { authorization: 'Bearer sb' },
      });
      expect(fetched.status, fetched.text).toBe(200);
      expect(fetched.body.keys).toEqual(made.body.keys);
    }
    expect(asked).toBeGreaterThan(0);
    for (const client of ['ca', 'cb']) {
      const log = topology.client(client).log();
      for (const hub of HUBS) expect(log.match(new RegExp(`Hub ${hub} has no encryptor directory`, 'g')), `${client} about ${hub}`).toHaveLength(1);
    }
  });
});
