import { describe, expect, it } from 'vitest';
import { parseTopology } from '@dske/topology';
import { DashboardModel, unusedBytes } from './dashboard-model';

const topology = parseTopology('min_nr_shares: 2\nhubs: [{name: hank}, {name: helen}]\nclients: [{name: carol, encryptors: [{name: sam}]}, {name: curtis, encryptors: [{name: sunny}]}]\n', 'dske-config.yaml');
const [hank, helen, carol, curtis] = topology.nodes;
const pool = (...unused: number[]) => ({ owner: 'local', blocks: unused.map((n, i) => ({ uuid: `b${i}`, size: 1000, data: 'AAAA...', nr_used_bytes: 1000 - n, nr_unused_bytes: n })) });
const clientStatus = (name: string, made: number, delivered: number, hubs: Array<[string, number, number]>) => ({
  name,
  encryptor_names: [name === 'carol' ? 'sam' : 'sunny'],
  activity: { keys_made: made, keys_delivered: delivered, key_requests_failed: 1, recent_etsi_errors: [{ time: '2026-12-02T10:00:00.000Z', method: 'GET', route: '/api/v1/keys/:slave_SAE_ID/enc_keys', status: 503, code: 'etsi.hubs-unavailable', message: 'only 1 of 2 hubs accepted a key share; 2 needed' }] },
  peer_hubs: hubs.map(([hub, local, peer]) => ({ hub_name: hub, hub_url: `http://127.0.0.1/hub/${hub}`, registered: true, reachable: hub !== 'helen', local_pool: pool(local), peer_pool: pool(peer) })),
});
const hubStatus = (name: string, clients: Array<[string, number, number]>) => ({
  name,
  activity: { shares_stored: 4, shares_delivered: 3, shares_expired: 1 },
  peer_clients: clients.map(([client, local, peer]) => ({ client_name: client, encryptor_names: [], local_pool: pool(local), peer_pool: pool(peer) })),
  shares: [{ master_client_name: 'carol', master_sae_id: 'sam', slave_sae_id: 'sunny', share_index: 0, size: 16 }],
});
const links = (node: { kind: string; name: string }) => ({ docs: `http://x/${node.name}/docs`, redoc: `http://x/${node.name}/redoc` });
const at = (secs: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, secs));

describe('DashboardModel', () => {
  it('starts with every node down ("not asked yet"), every pool unknown', () => {
    const snapshot = new DashboardModel(topology, 'dske-config.yaml', links, 1000, 300, at(0)).snapshot(at(0));
    expect(snapshot.nodes.map((n) => [n.kind, n.name, n.up, n.reason])).toEqual([
      ['hub', 'hank', false, 'not asked yet'],
      ['hub', 'helen', false, 'not asked yet'],
      ['client', 'carol', false, 'not asked yet'],
      ['client', 'curtis', false, 'not asked yet'],
    ]);
    expect(snapshot.edges).toHaveLength(4);
    expect(snapshot.edges.every((e) => e.clientPool === null && e.hubPool === null && e.seenBy === null)).toBe(true);
    expect(snapshot.thresholds).toEqual({ start: 500, stop: 2000, full: 2999 });
    expect(snapshot.clients[0]).toMatchObject({ name: 'carol', up: false, encryptors: ['sam'], keysMade: null, madePerSecond: Array(300).fill(null) });
  });

  it("pools come from the client's view; with the client down, from the hub's copies (its local pool is the hub-allocated one)", () => {
    const model = new DashboardModel(topology, 'dske-config.yaml', links, 1000, 300, at(0));
    model.update(carol, { up: true, status: clientStatus('carol', 0, 0, [['hank', 1936, 1920], ['helen', 400, 300]]) }, at(1));
    model.update(hank, { up: true, status: hubStatus('hank', [['curtis', 1700, 1800]]) }, at(1));
    const edges = new Map(model.snapshot(at(1)).edges.map((e) => [`${e.client}/${e.hub}`, e]));
    expect(edges.get('carol/hank')).toMatchObject({ clientPool: 1936, hubPool: 1920, registered: true, reachable: true, seenBy: 'client' });
    expect(edges.get('carol/helen')).toMatchObject({ clientPool: 400, hubPool: 300, reachable: false, seenBy: 'client' });
    expect(edges.get('curtis/hank')).toMatchObject({ clientPool: 1800, hubPool: 1700, registered: null, seenBy: 'hub' });
    expect(edges.get('curtis/helen')).toMatchObject({ clientPool: null, hubPool: null, seenBy: null });
    // The snapshot never carries PSRD previews, whatever the nodes show.
    expect(JSON.stringify(model.snapshot(at(1)))).not.toContain('AAAA');
  });

  it('counts, per-second rates and the latest ETSI errors per client; shares per hub', () => {
    const model = new DashboardModel(topology, 'dske-config.yaml', links, 1000, 5, at(0));
    model.update(carol, { up: true, status: clientStatus('carol', 10, 10, []) }, at(1));
    model.update(carol, { up: true, status: clientStatus('carol', 13, 14, []) }, at(2));
    model.update(hank, { up: true, status: hubStatus('hank', []) }, at(2));
    const snapshot = model.snapshot(at(2));
    expect(snapshot.clients[0]).toMatchObject({ up: true, keysMade: 13, keysDelivered: 14, keyRequestsFailed: 1, madePerSecond: [null, null, null, null, 3], deliveredPerSecond: [null, null, null, null, 4] });
    expect(snapshot.clients[0].recentErrors[0]).toMatchObject({ status: 503, code: 'etsi.hubs-unavailable' });
    expect(snapshot.hubs[0]).toEqual({ name: 'hank', up: true, sharesHeld: 1, sharesExpired: 1, sharesStored: 4, sharesDelivered: 3 });
    expect(snapshot.hubs[1]).toMatchObject({ name: 'helen', up: false, sharesHeld: null });
  });

  it('tells when a node turns up or down, and keeps when it did', () => {
    const model = new DashboardModel(topology, 'dske-config.yaml', links, 1000, 300, at(0));
    expect(model.update(helen, { up: true, status: hubStatus('helen', []) }, at(1))).toBe(true);
    expect(model.update(helen, { up: true, status: hubStatus('helen', []) }, at(2))).toBe(false);
    expect(model.update(helen, { up: false, reason: 'connection refused' }, at(3))).toBe(true);
    const node = model.snapshot(at(4)).nodes[1];
    expect(node).toMatchObject({ name: 'helen', up: false, reason: 'connection refused', since: at(3).toISOString(), docs: 'http://x/helen/docs' });
    // A client that stops answering leaves a gap in its chart.
    model.update(curtis, { up: true, status: clientStatus('curtis', 0, 1, []) }, at(1));
    model.update(curtis, { up: false, reason: 'no answer within 1 s' }, at(2));
    expect(model.snapshot(at(2)).clients[1]).toMatchObject({ up: false, keysDelivered: null, encryptors: ['sunny'] });
  });

  it('reads odd status bodies without failing (a node of another version)', () => {
    const model = new DashboardModel(topology, 'dske-config.yaml', links, 1000, 300, at(0));
    model.update(carol, { up: true, status: { name: 'carol', peer_hubs: [{ hub_name: 'hank', local_pool: 'x' }, 'nonsense'], activity: { keys_made: 'many' } } }, at(1));
    model.update(hank, { up: true, status: ['not', 'an', 'object'] }, at(1));
    const snapshot = model.snapshot(at(1));
    expect(snapshot.edges[0]).toMatchObject({ client: 'carol', hub: 'hank', clientPool: null, hubPool: null, seenBy: 'client' });
    expect(snapshot.clients[0]).toMatchObject({ keysMade: null, recentErrors: [] });
    expect(unusedBytes({ blocks: [{ nr_unused_bytes: 5 }, { nr_unused_bytes: 'x' }, null] })).toBe(5);
  });

  it('counts refills by the blocks that appear in a pool, from the client while it answers, else from the hub', () => {
    const model = new DashboardModel(topology, 'dske-config.yaml', links, 1000, 300, at(0));
    const withBlocks = (local: string[], peer: string[]) => ({
      ...clientStatus('carol', 0, 0, []),
      peer_hubs: [{ hub_name: 'hank', registered: true, reachable: true, local_pool: { blocks: local.map((uuid) => ({ uuid, nr_unused_bytes: 1000 })) }, peer_pool: { blocks: peer.map((uuid) => ({ uuid, nr_unused_bytes: 1000 })) } }],
    });
    const edge = () => model.snapshot(at(9)).edges.find((e) => e.client === 'carol' && e.hub === 'hank')!;
    model.update(carol, { up: true, status: withBlocks(['a', 'b'], ['p']) }, at(1));
    expect([edge().clientPoolRefills, edge().hubPoolRefills]).toEqual([0, 0]);
    // b used up and gone, c and d arrived: two refills of the client's pool.
    model.update(carol, { up: true, status: withBlocks(['c', 'd'], ['p']) }, at(2));
    expect([edge().clientPoolRefills, edge().hubPoolRefills]).toEqual([2, 0]);
    // Carol down: hank's copies go on counting (on the hub, its peer pool is the client-allocated one).
    model.update(carol, { up: false, reason: 'connection refused' }, at(3));
    model.update(hank, { up: true, status: { name: 'hank', peer_clients: [{ client_name: 'carol', peer_pool: { blocks: [{ uuid: 'd' }, { uuid: 'e' }] }, local_pool: { blocks: [{ uuid: 'p' }, { uuid: 'q' }] } }], shares: [] } }, at(4));
    expect([edge().clientPoolRefills, edge().hubPoolRefills]).toEqual([3, 1]);
  });
});
