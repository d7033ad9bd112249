import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

// A mixed topology: ca signs v1 (as a node that knows only v1 would), cb signs v2; the hubs answer each in its own version.
describe('DSKE-Signature v1 and v2 side by side', () => {
  let topology: TopologyHarness;

  beforeAll(async () => {
    topology = await TopologyHarness.start({
      hubs: ['ha', 'hb', 'hc'],
      clients: [
        { name: 'ca', encryptors: ['sa'] },
        { name: 'cb', encryptors: ['sb'] },
      ],
      minNrShares: 2,
      clientArgsFor: (name) => (name === 'ca' ? ['--signature-version', '1'] : []),
    });
  });
  afterAll(async () => {
    await topology?.close();
  });

  it('key pairs work both ways between a v1 and a v2 client', async () => {
    const etsi = new EtsiCaller(topology);
    for (const [maker, taker, master, slave] of [
      ['ca', 'cb', 'sa', 'sb'],
      ['cb', 'ca', 'sb', 'sa'],
    ]) {
      const made = await etsi.getKey(maker, master, slave, 'number=3');
      expect(made.status, made.text).toBe(200);
      for (const { key_ID, key } of made.body.keys) {
        const fetched = await etsi.getKeyWithIds(taker, master, slave, key_ID);
        expect(fetched.status, fetched.text).toBe(200);
        expect(fetched.body.keys[0].key).toBe(key);
      }
    }
  });
});
