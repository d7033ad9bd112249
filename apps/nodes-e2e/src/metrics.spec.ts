import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJson, scrapeMetrics, TopologyHarness, type Scrape } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

const HUBS = ['ha', 'hb', 'hc'];
const CLIENTS = [
  { name: 'ca', encryptors: ['sa'] },
  { name: 'cb', encryptors: ['sb'] },
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Families every node of a kind has, besides Node's process metrics (the parser names a counter's family without _total). */
const HUB_FAMILIES = ['dske_node_info', 'dske_idle_collections', 'dske_shares_stored', 'dske_shares_delivered', 'dske_shares_expired', 'dske_shares_held', 'dske_registrations', 'dske_peers_registered', 'dske_psrd_blocks', 'dske_psrd_unused_bytes', 'dske_psrd_used_bytes', 'dske_hub_request_duration_seconds'];
const CLIENT_FAMILIES = ['dske_node_info', 'dske_idle_collections', 'dske_keys_made', 'dske_keys_delivered', 'dske_key_requests_failed', 'dske_etsi_request_duration_seconds', 'dske_hub_call_duration_seconds', 'dske_registrations', 'dske_peers_registered', 'dske_peers_reachable', 'dske_psrd_blocks', 'dske_psrd_unused_bytes', 'dske_psrd_used_bytes'];

describe('Prometheus metrics at /metrics on every hub and client', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;
  const root = (kind: 'hub' | 'client', name: string) => `http://127.0.0.1:${(kind === 'hub' ? topology.hub(name) : topology.client(name)).port}`;
  const scrapeAll = async () => {
    const entries = await Promise.all([...HUBS.map((h) => ['hub', h] as const), ...CLIENTS.map((c) => ['client', c.name] as const)].map(async ([kind, name]) => [name, await scrapeMetrics(root(kind, name))] as const));
    return new Map<string, Scrape>(entries);
  };
  /** Counters that follow an answer (delivered: once it was sent) settle within moments. */
  const settled = async (check: (now: Map<string, Scrape>) => boolean) => {
    for (let i = 0; i < 40; i++) {
      const now = await scrapeAll();
      if (check(now)) return now;
      await sleep(50);
    }
    return scrapeAll();
  };

  beforeAll(async () => {
    topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 2 });
    etsi = new EtsiCaller(topology);
  });
  afterAll(async () => {
    await topology?.close();
  });

  it('an idle node wakes a few times a second, not a hundred (the event-loop lag metric samples every 200 ms)', async () => {
    // Voluntary context switches of each node's main thread: every timer firing and every request is one or two.
    const switches = (pid: number) => Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))![1]);
    const pids = [...HUBS.map((h) => topology.hub(h).child.pid!), ...CLIENTS.map((c) => topology.client(c.name).child.pid!)];
    const before = pids.map(switches);
    await sleep(2000);
    const perSecond = pids.map((pid, i) => (switches(pid) - before[i]) / 2);
    // prom-client's default 10 ms sampling made this 100 or more.
    for (const rate of perSecond) expect(rate).toBeLessThan(30);
  });

  it('an idle node collects what its start left: one full garbage collection within seconds of the start (dske_idle_collections_total)', async () => {
    // Without it, V8 runs no full collection in a node that only idles, and the start's 8-10 MiB stay resident.
    const collections = async () => [...(await scrapeAll()).values()].map((scrape) => scrape.value('dske_idle_collections_total'));
    let counts = await collections();
    // Scraped every 2 s, not more often: a scrape is work, and the node collects only in an interval that is not busy.
    for (let i = 0; i < 15 && counts.some((count) => count < 1); i++) {
      await sleep(2000);
      counts = await collections();
    }
    for (const count of counts) expect(count).toBeGreaterThanOrEqual(1);
  });

  it('parses as the Prometheus text format, with HELP and TYPE, dske_ names by convention and the process metrics', async () => {
    const scrapes = await scrapeAll();
    for (const [name, scrape] of scrapes) {
      const expected = HUBS.includes(name) ? HUB_FAMILIES : CLIENT_FAMILIES;
      for (const family of expected) expect(scrape.families.has(family), `${name} ${family}`).toBe(true);
      for (const family of scrape.families.values()) {
        expect(family.help, family.name).not.toBe('');
        if (!family.name.startsWith('dske_')) continue;
        // Conventions: counters end in _total, durations are histograms in seconds, sizes in bytes.
        if (family.type === 'counter') for (const sample of family.samples) expect(sample.name).toBe(`${family.name}_total`);
        if (family.type === 'histogram') expect(family.name).toMatch(/_seconds$/);
        if (family.name.includes('bytes')) expect(family.name).toMatch(/_bytes$/);
      }
      expect(scrape.value('process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(scrape.value('dske_node_info', { kind: HUBS.includes(name) ? 'hub' : 'client', name })).toBe(1);
    }
    // Registration and the first refills are counted: every client with every hub, both pools.
    for (const hub of HUBS) {
      expect(scrapes.get(hub)!.value('dske_peers_registered')).toBe(2);
      for (const { name } of CLIENTS) expect(scrapes.get(hub)!.value('dske_registrations_total', { peer: name })).toBe(1);
    }
    for (const { name } of CLIENTS) {
      expect(scrapes.get(name)!.value('dske_peers_registered')).toBe(3);
      for (const hub of HUBS) {
        expect(scrapes.get(name)!.value('dske_psrd_blocks_total', { peer: hub, owner: 'client' })).toBeGreaterThan(0);
        expect(scrapes.get(name)!.value('dske_psrd_blocks_total', { peer: hub, owner: 'hub' })).toBeGreaterThan(0);
      }
    }
  });

  it('every key pair moves the key and share counters by exactly one', async () => {
    for (let pair = 1; pair <= 2; pair++) {
      const before = await scrapeAll();
      const made = await etsi.getKey('ca', 'sa', 'sb');
      expect(made.status).toBe(200);
      const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made.body.keys[0].key_ID);
      expect(fetched.status).toBe(200);
      const delta = (now: Map<string, Scrape>, node: string, metric: string, labels?: Record<string, string>) => now.get(node)!.value(metric, labels) - before.get(node)!.value(metric, labels);
      const after = await settled((now) => delta(now, 'cb', 'dske_keys_delivered_total', { role: 'slave' }) >= 1 && delta(now, 'ca', 'dske_keys_delivered_total', { role: 'master' }) >= 1);
      expect(delta(after, 'ca', 'dske_keys_made_total')).toBe(1);
      expect(delta(after, 'ca', 'dske_keys_delivered_total', { role: 'master' })).toBe(1);
      expect(delta(after, 'cb', 'dske_keys_delivered_total', { role: 'slave' })).toBe(1);
      expect(delta(after, 'cb', 'dske_keys_made_total')).toBe(0);
      expect(delta(after, 'ca', 'dske_etsi_request_duration_seconds_count', { route: 'GET /etsi/api/v1/keys/:slave_SAE_ID/enc_keys', outcome: 'ok' })).toBe(1);
      expect(delta(after, 'cb', 'dske_etsi_request_duration_seconds_count', { route: 'GET /etsi/api/v1/keys/:master_SAE_ID/dec_keys', outcome: 'ok' })).toBe(1);
      // Every hub stores a share; k = 2 of them are asked for theirs (which two moves on with each key).
      const delivered = HUBS.map((hub) => delta(after, hub, 'dske_shares_delivered_total'));
      const fetches = HUBS.map((hub) => delta(after, 'cb', 'dske_hub_call_duration_seconds_count', { peer: hub, route: 'GET /dske/api/v1/key-share', outcome: 'ok' }));
      expect(delivered.filter((n) => n === 1)).toHaveLength(2);
      expect(delivered.filter((n) => n === 0)).toHaveLength(1);
      expect(fetches).toEqual(delivered);
      for (const hub of HUBS) {
        expect(delta(after, hub, 'dske_shares_stored_total')).toBe(1);
        expect(delta(after, hub, 'dske_hub_request_duration_seconds_count', { route: 'POST /dske/api/v1/key-share', outcome: 'ok' })).toBe(1);
        expect(delta(after, 'ca', 'dske_hub_call_duration_seconds_count', { peer: hub, route: 'POST /dske/api/v1/key-share', outcome: 'ok' })).toBe(1);
      }
      for (const { name } of CLIENTS) expect(delta(after, name, 'dske_key_requests_failed_total')).toBe(0);
      // Key material never shows, nor which key it was.
      for (const scrape of after.values()) {
        expect(scrape.text).not.toContain(made.body.keys[0].key);
        expect(scrape.text.toLowerCase()).not.toContain(made.body.keys[0].key_ID.toLowerCase());
      }
    }
  });

  it('a refused request counts under its reason, and mgmt status lists it among the latest ETSI errors', async () => {
    const before = await scrapeMetrics(root('client', 'cb'));
    const unknown = await etsi.getKeyWithIds('cb', 'sa', 'sb', '0b7e1a52-8c4f-4d7e-9a3b-5f2c6d1e0a99');
    expect(unknown.status).toBe(400);
    const after = await scrapeMetrics(root('client', 'cb'));
    expect(after.value('dske_key_requests_failed_total', { role: 'slave', reason: 'etsi.keys-not-found' }) - before.value('dske_key_requests_failed_total', { role: 'slave', reason: 'etsi.keys-not-found' })).toBe(1);
    expect(after.value('dske_etsi_request_duration_seconds_count', { outcome: 'etsi.keys-not-found' })).toBe(before.value('dske_etsi_request_duration_seconds_count', { outcome: 'etsi.keys-not-found' }) + 1);
    const status = await httpJson<{ activity: { key_requests_failed: number; recent_etsi_errors: Array<{ code: string; status: number; route: string; message: string }> } }>('GET', `${topology.clientUrl('cb')}/mgmt/v1/status`);
    expect(status.body.activity.key_requests_failed).toBe(after.value('dske_key_requests_failed_total'));
    expect(status.body.activity.recent_etsi_errors[0]).toMatchObject({ code: 'etsi.keys-not-found', status: 400, route: '/etsi/api/v1/keys/:master_SAE_ID/dec_keys', message: 'one or more keys specified are not found on KME' });
  });

  it('a refusal before routing (a Get Key body that is not JSON) counts under its reason too', async () => {
    const reason = { role: 'master', reason: 'unsupported-media-type' };
    const before = (await scrapeMetrics(root('client', 'ca'))).value('dske_key_requests_failed_total', reason);
    const answer = await fetch(`${topology.clientUrl('ca')}/etsi/api/v1/keys/sb/enc_keys`, { method: 'POST', headers: { authorization: 'Bearer sa', 'content-type': 'text/plain' }, body: '{"number": 1}' });
    expect(answer.status).toBe(415);
    const after = await scrapeMetrics(root('client', 'ca'));
    expect(after.value('dske_key_requests_failed_total', reason) - before).toBe(1);
    expect(after.value('dske_etsi_request_duration_seconds_count', { route: 'POST /etsi/api/v1/keys/:slave_SAE_ID/enc_keys', outcome: 'unsupported-media-type' })).toBeGreaterThanOrEqual(1);
  });

  it('PSRD gauges agree with mgmt status, pool by pool', async () => {
    const scrape = await scrapeMetrics(root('client', 'ca'));
    const status = await httpJson<{ peer_hubs: Array<{ hub_name: string; local_pool: { blocks: Array<{ nr_unused_bytes: number }> }; peer_pool: { blocks: Array<{ nr_unused_bytes: number }> } }> }>('GET', `${topology.clientUrl('ca')}/mgmt/v1/status`);
    const unused = (pool: { blocks: Array<{ nr_unused_bytes: number }> }) => pool.blocks.reduce((n, b) => n + b.nr_unused_bytes, 0);
    for (const hub of status.body.peer_hubs) {
      expect(scrape.value('dske_psrd_unused_bytes', { peer: hub.hub_name, owner: 'client' })).toBe(unused(hub.local_pool));
      expect(scrape.value('dske_psrd_unused_bytes', { peer: hub.hub_name, owner: 'hub' })).toBe(unused(hub.peer_pool));
      expect(scrape.value('dske_psrd_used_bytes_total', { peer: hub.hub_name, owner: 'client' })).toBeGreaterThan(0);
    }
  });
});
