import { describe, expect, it } from 'vitest';
import { Scrape } from '@dske/test-support';
import { counterTotal, NodeMetrics, outcomeOf } from './node-metrics';
import { routeBelowPrefix } from './request-metrics';

describe('NodeMetrics', () => {
  it('renders what the Prometheus parser reads back: node info, counters, read-when-scraped gauges and the process metrics', async () => {
    const metrics = new NodeMetrics('hub', 'hank', '1.0.0');
    const stored = metrics.counter('dske_test_stored_total', 'stored', ['peer']);
    stored.inc({ peer: 'carol' }, 2);
    stored.inc({ peer: 'curtis' });
    let peers = [{ name: 'carol', value: 5 }, { name: 'curtis', value: 7 }];
    metrics.gauge('dske_test_held', 'held', ['peer'], () => peers.map((p) => ({ labels: { peer: p.name }, value: p.value })));
    let scrape = new Scrape(await metrics.render());
    expect(scrape.value('dske_node_info', { kind: 'hub', name: 'hank', version: '1.0.0' })).toBe(1);
    expect(scrape.value('dske_test_stored_total')).toBe(3);
    expect(scrape.value('dske_test_held', { peer: 'curtis' })).toBe(7);
    expect(scrape.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    // A peer that is gone leaves no series behind.
    peers = [{ name: 'carol', value: 1 }];
    scrape = new Scrape(await metrics.render());
    expect(scrape.families.get('dske_test_held')?.samples).toEqual([{ name: 'dske_test_held', labels: { peer: 'carol' }, value: 1 }]);
    expect(await counterTotal(stored)).toBe(3);
    expect(await counterTotal(stored, { peer: 'carol' })).toBe(2);
  });

  it('psrdPools: unused bytes and the used-bytes counter per peer and owner', async () => {
    const metrics = new NodeMetrics('client', 'carol', '1.0.0');
    metrics.psrdPools(() => [
      { peer: 'hank', owner: 'client', pool: { unusedBytes: 1936, bytesUsed: 64 } },
      { peer: 'hank', owner: 'hub', pool: { unusedBytes: 1920, bytesUsed: 80 } },
    ]);
    const scrape = new Scrape(await metrics.render());
    expect(scrape.value('dske_psrd_unused_bytes', { peer: 'hank', owner: 'hub' })).toBe(1920);
    expect(scrape.value('dske_psrd_used_bytes_total', { peer: 'hank', owner: 'client' })).toBe(64);
    expect(scrape.families.get('dske_psrd_used_bytes')?.type).toBe('counter');
  });

  it('two nodes in one process keep their own registries', async () => {
    const a = new NodeMetrics('hub', 'ha', '1');
    const b = new NodeMetrics('hub', 'hb', '1');
    a.counter('dske_test_total', 'x').inc();
    b.counter('dske_test_total', 'x');
    expect(new Scrape(await a.render()).value('dske_test_total')).toBe(1);
    expect(new Scrape(await b.render()).value('dske_test_total')).toBe(0);
  });
});

describe('outcomeOf and routeBelowPrefix', () => {
  it('ok below 400, else the error code, else the status', () => {
    expect(outcomeOf(200, undefined)).toBe('ok');
    expect(outcomeOf(503, 'etsi.hubs-unavailable')).toBe('etsi.hubs-unavailable');
    expect(outcomeOf(404, undefined)).toBe('http-404');
  });

  it("strips the node's own prefix; root routes and no route stay as they are", () => {
    expect(routeBelowPrefix('/client/carol/etsi/api/v1/keys/:slave_SAE_ID/enc_keys', '/client/carol')).toBe('/etsi/api/v1/keys/:slave_SAE_ID/enc_keys');
    expect(routeBelowPrefix('/api/v1/keys/:slave_SAE_ID/status', '/client/carol')).toBe('/api/v1/keys/:slave_SAE_ID/status');
    expect(routeBelowPrefix(undefined, '/client/carol')).toBeUndefined();
  });
});
