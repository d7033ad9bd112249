import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeMetrics, TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

// Long enough that a busy 2-core machine fetches "in time" keys in time.
const TIMEOUT_SECS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Each hub on a redis-server of its own (the Redis variant), as in the containers.
const suffix = randomBytes(3).toString('hex');
const hubs = ['ha', 'hb', 'hc'].map((h) => `${h}${suffix}`);
const clients = [
  { name: 'ca', encryptors: ['sa'] },
  { name: 'cb', encryptors: ['sb'] },
];

for (const store of ['redis', 'embedded'] as const) {
  describe(`share expiry with the ${store} store`, () => {
    let topology: TopologyHarness;
    let etsi: EtsiCaller;
    let redis: Map<string, Redis> | undefined;

    beforeAll(async () => {
      topology = await TopologyHarness.start({ hubs, clients, minNrShares: 2, shareTimeoutSecs: TIMEOUT_SECS, redisPerHub: store === 'redis' });
      etsi = new EtsiCaller(topology);
      if (store === 'redis') redis = new Map(hubs.map((hub) => [hub, new Redis(topology.stores.get(hub)!.url)]));
    });
    afterAll(async () => {
      await Promise.all([...(redis?.values() ?? [])].map((r) => r.quit()));
      await topology?.close();
    });

    it('a key fetched in time is delivered', async () => {
      const made = await etsi.getKey('ca', 'sa', 'sb');
      expect(made.status).toBe(200);
      const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made.body.keys[0].key_ID);
      expect(fetched.status).toBe(200);
      expect(fetched.body.keys[0].key).toBe(made.body.keys[0].key);
    });

    it('a key not fetched within share_timeout_secs is gone (400)', async () => {
      const made = await etsi.getKey('ca', 'sa', 'sb');
      expect(made.status).toBe(200);
      const id = made.body.keys[0].key_ID;
      if (redis) {
        // Every hub holds its share as a Redis key with the share timeout as expiry.
        for (const hub of hubs) {
          const ttl = await redis.get(hub)!.ttl(`dske:${hub}:share:${id}`);
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(TIMEOUT_SECS);
        }
      }
      const status = await fetch(`${topology.hubUrl(hubs[0])}/mgmt/v1/status`).then((r) => r.json());
      expect(status.shares.map((s: { user_key_id: string }) => s.user_key_id)).toContain(id);
      const hubRoot = `http://127.0.0.1:${topology.hub(hubs[0]).port}`;
      const expiredBefore = (await scrapeMetrics(hubRoot)).value('dske_shares_expired_total');

      await sleep(TIMEOUT_SECS * 1000 + 700);
      if (redis) for (const hub of hubs) expect(await redis.get(hub)!.exists(`dske:${hub}:share:${id}`)).toBe(0);
      const after = await fetch(`${topology.hubUrl(hubs[0])}/mgmt/v1/status`).then((r) => r.json());
      expect(after.shares).toEqual([]);
      // Counted once, on the metric and in mgmt status alike.
      const scrape = await scrapeMetrics(hubRoot);
      expect(scrape.value('dske_shares_expired_total') - expiredBefore).toBe(1);
      expect(scrape.value('dske_shares_held')).toBe(0);
      expect(after.activity.shares_expired).toBe(scrape.value('dske_shares_expired_total'));
      const late = await etsi.getKeyWithIds('cb', 'sa', 'sb', id);
      expect(late.status).toBe(400);
      expect(late.body.message).toBe('one or more keys specified are not found on KME');
    });

    it('two fetches of one key at once (an SAE retrying) never split its shares: the key is delivered, then gone', async () => {
      const made = await etsi.getKey('ca', 'sa', 'sb');
      const id = made.body.keys[0].key_ID;
      const [a, b] = await Promise.all([etsi.getKeyWithIds('cb', 'sa', 'sb', id), etsi.getKeyWithIds('cb', 'sa', 'sb', id)]);
      // Overlapping, they share one gather and both get the key; one after the other, the second finds it delivered.
      // Never what happened before: each taking some of the shares, neither getting the key.
      const statuses = [a.status, b.status].sort();
      expect([[200, 200], [200, 400]]).toContainEqual(statuses);
      for (const answer of [a, b]) if (answer.status === 200) expect(answer.body.keys).toEqual(made.body.keys);
      expect((await etsi.getKeyWithIds('cb', 'sa', 'sb', id)).status).toBe(400);
    });
  });
}
