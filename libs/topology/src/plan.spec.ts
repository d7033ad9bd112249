import { describe, expect, it } from 'vitest';
import { parseTopology } from './index';

const doc = (...lines: string[]): string => `${lines.join('\n')}\n`;
const plan = (text: string): string[] => parseTopology(text, 'dske-config.yaml').nodes.map((n) => `${n.kind}:${n.name}:${n.port}:${n.index}`);

describe('port plan', () => {
  it('puts hubs first, then clients, each in file order', () => {
    expect(plan(doc('hubs: [{name: zed}, {name: amy}, {name: kim}]', 'clients: [{name: bob}, {name: al}]'))).toEqual([
      'hub:zed:8100:0',
      'hub:amy:8101:1',
      'hub:kim:8102:2',
      'client:bob:8103:0',
      'client:al:8104:1',
    ]);
  });

  it('starts at base_port', () => {
    expect(plan(doc('base_port: 1', 'min_nr_shares: 1', 'allow_single_share: true', 'hubs: [{name: h}]', 'clients: [{name: c}]'))).toEqual(['hub:h:1:0', 'client:c:2:0']);
  });

  it('counts clients after all hubs even when clients come first in the file', () => {
    expect(plan(doc('clients: [{name: c}]', 'min_nr_shares: 2', 'hubs: [{name: h1}, {name: h2}]', 'base_port: 9000'))).toEqual([
      'hub:h1:9000:0',
      'hub:h2:9001:1',
      'client:c:9002:0',
    ]);
  });

  it('plans a hubs-only topology', () => {
    expect(plan(doc('min_nr_shares: 1', 'allow_single_share: true', 'hubs: [{name: h}]', 'clients: []'))).toEqual(['hub:h:8100:0']);
  });

  it('plans 16 hubs and many clients', () => {
    const hubs = Array.from({ length: 16 }, (_, i) => `{name: h${i}}`).join(', ');
    const clients = Array.from({ length: 40 }, (_, i) => `{name: c${i}}`).join(', ');
    const nodes = parseTopology(doc(`hubs: [${hubs}]`, `clients: [${clients}]`), 'f').nodes;
    expect(nodes.map((n) => n.port)).toEqual(Array.from({ length: 56 }, (_, i) => 8100 + i));
    expect(nodes[16]).toEqual({ kind: 'client', name: 'c0', port: 8116, index: 0, encryptors: [] });
  });
});

describe('lookups', () => {
  const topology = parseTopology(
    doc('hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}, {name: susan}]}'),
    'f',
  );

  it('finds nodes by kind and name', () => {
    expect(topology.node('hub', 'helen')).toEqual({ kind: 'hub', name: 'helen', port: 8101, index: 1 });
    expect(topology.node('client', 'curtis')).toEqual({ kind: 'client', name: 'curtis', port: 8104, index: 1, encryptors: ['sunny', 'susan'] });
    expect(topology.node('client', 'helen')).toBeUndefined();
    expect(topology.node('hub', 'carol')).toBeUndefined();
    expect(topology.node('hub', 'nobody')).toBeUndefined();
  });

  it('finds the client serving an encryptor', () => {
    expect(topology.clientForEncryptor('susan')?.name).toBe('curtis');
    expect(topology.clientForEncryptor('sam')).toBe(topology.clients[0]);
    expect(topology.clientForEncryptor('carol')).toBeUndefined();
  });

  it('shares plan objects between hubs, clients and nodes', () => {
    expect(topology.nodes).toEqual([...topology.hubs, ...topology.clients]);
    expect(topology.nodes[3]).toBe(topology.clients[0]);
    expect(topology.node('hub', 'hank')).toBe(topology.hubs[0]);
  });
});
