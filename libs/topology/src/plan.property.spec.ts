import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MAX_HUBS, parseTopology, TopologyError } from './index';

const name = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/);

/** Random valid topologies: unique node names, unique encryptor names, ports that fit. */
const topologyArb = fc
  .record({
    hubCount: fc.integer({ min: 1, max: MAX_HUBS }),
    clientEncryptorCounts: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 12 }),
    names: fc.uniqueArray(name, { minLength: 16 + 12 + 36, maxLength: 16 + 12 + 36 }),
    baseFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    minFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    clientsFirst: fc.boolean(),
  })
  .map(({ hubCount, clientEncryptorCounts, names, baseFraction, minFraction, clientsFirst }) => {
    const pool = [...names];
    const hubs = pool.splice(0, hubCount);
    const clients = clientEncryptorCounts.map((count) => ({ name: pool.shift() as string, encryptors: pool.splice(0, count) }));
    const nodeCount = hubs.length + clients.length;
    const base_port = 1 + Math.floor(baseFraction * (65535 - nodeCount));
    const min_nr_shares = 1 + Math.floor(minFraction * (hubCount - 1));
    const hubsYaml = hubs.map((h) => ({ name: h }));
    const clientsYaml = clients.map((c) => (c.encryptors.length === 0 ? { name: c.name } : { name: c.name, encryptors: c.encryptors.map((e) => ({ name: e })) }));
    const body = clientsFirst ? { clients: clientsYaml, hubs: hubsYaml } : { hubs: hubsYaml, clients: clientsYaml };
    return { hubs, clients, base_port, text: stringify({ base_port, min_nr_shares, ...(min_nr_shares === 1 ? { allow_single_share: true } : {}), ...body }) };
  });

describe('port plan properties', () => {
  it('gives unique, contiguous ports from base_port: hubs in file order, then clients in file order', () => {
    fc.assert(
      fc.property(topologyArb, ({ hubs, clients, base_port, text }) => {
        const topology = parseTopology(text, 'random.yaml');
        const ports = topology.nodes.map((n) => n.port);
        expect(new Set(ports).size).toBe(ports.length);
        expect(ports).toEqual(ports.map((_, i) => base_port + i));
        expect(topology.hubs.map((h) => h.name)).toEqual(hubs);
        expect(topology.clients.map((c) => [c.name, c.encryptors])).toEqual(clients.map((c) => [c.name, c.encryptors]));
        expect(topology.nodes.map((n) => n.name)).toEqual([...hubs, ...clients.map((c) => c.name)]);
        topology.hubs.forEach((h, i) => expect([h.index, h.port]).toEqual([i, base_port + i]));
        topology.clients.forEach((c, j) => expect([c.index, c.port]).toEqual([j, base_port + hubs.length + j]));
        for (const c of clients) for (const sae of c.encryptors) expect(topology.clientForEncryptor(sae)?.name).toBe(c.name);
      }),
      { numRuns: 300 },
    );
  });

  it('fails only with a TopologyError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json().map((j) => stringify(JSON.parse(j)))), (text) => {
        try {
          parseTopology(text, 'random.yaml');
        } catch (error) {
          expect(error).toBeInstanceOf(TopologyError);
          for (const line of (error as Error).message.split('\n')) expect(line).toMatch(/^random\.yaml(:\d+)?: .+$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
