import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '@dske/topology';
import { ManagerError } from './errors';
import { describeNodes, selectNodes, stopOrder } from './selection';

const guide = loadTopology(join(__dirname, '..', '..', '..', 'dske-config.yaml'));
const select = (clients: string[], hubs: string[]) => selectNodes(guide, { clients, hubs }, 'dske-config.yaml');
const names = (nodes: Array<{ kind: string; name: string }>) => nodes.map((n) => `${n.kind} ${n.name}`);

describe('selectNodes', () => {
  it('selects every node, hubs then clients in file order, as "all nodes" without filters', () => {
    const all = select([], []);
    expect(all.label).toBe('all nodes');
    expect(names(all.nodes)).toEqual([
      'hub hank', 'hub helen', 'hub hilary', 'hub holly', 'hub hugo',
      'client carol', 'client celia', 'client cindy', 'client connie', 'client curtis',
    ]);
  });

  it('labels a filter clients first, then hubs, each in command-line order; nodes stay in topology order', () => {
    const some = select(['curtis', 'carol'], ['helen', 'hank']);
    expect(some.label).toBe('client curtis, client carol, hub helen, hub hank');
    expect(names(some.nodes)).toEqual(['hub hank', 'hub helen', 'client carol', 'client curtis']);
  });

  it('matches the guide: "Waiting for client carol to be stopped" and "Waiting for hub hugo to be stopped"', () => {
    expect(select(['carol'], []).label).toBe('client carol');
    expect(select([], ['hugo']).label).toBe('hub hugo');
  });

  it('ignores a repeated name', () => {
    const twice = select(['carol', 'carol'], ['hank', 'hank']);
    expect(twice.label).toBe('client carol, hub hank');
    expect(twice.nodes).toHaveLength(2);
  });

  it('rejects an unknown name, naming it and the file (exit status 1)', () => {
    expect(() => select(['carol', 'corrie'], ['hank'])).toThrow(new ManagerError("unknown client 'corrie' (not in dske-config.yaml)"));
    expect(() => select([], ['harold'])).toThrow("unknown hub 'harold' (not in dske-config.yaml)");
    try {
      select(['corrie'], []);
    } catch (error) {
      expect((error as ManagerError).exitCode).toBe(1);
    }
  });

  it('says when a hub was given as a client, or the reverse', () => {
    expect(() => select(['hank'], [])).toThrow("unknown client 'hank' (hank is a hub in dske-config.yaml)");
    expect(() => select([], ['carol'])).toThrow("unknown hub 'carol' (carol is a client in dske-config.yaml)");
  });
});

describe('stopOrder', () => {
  it('is the reverse of start order: clients last-first, then hubs last-first', () => {
    expect(names(stopOrder(select([], []).nodes))).toEqual([
      'client curtis', 'client connie', 'client cindy', 'client celia', 'client carol',
      'hub hugo', 'hub holly', 'hub hilary', 'hub helen', 'hub hank',
    ]);
  });

  it('does not reorder its input', () => {
    const nodes = select([], []).nodes;
    stopOrder(nodes);
    expect(nodes[0].name).toBe('hank');
  });
});

describe('describeNodes', () => {
  it('joins with commas', () => {
    expect(describeNodes([{ kind: 'client', name: 'connie' }, { kind: 'hub', name: 'hank' }])).toBe('client connie, hub hank');
  });
});
