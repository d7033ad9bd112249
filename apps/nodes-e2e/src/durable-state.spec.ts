import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, spawnNode, TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

const HUBS = ['ha', 'hb', 'hc'];
const CLIENTS = [
  { name: 'ca', encryptors: ['sa'] },
  { name: 'cb', encryptors: ['sb'] },
];
const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

/** What every node logged about registering, across all its runs (a restarted node logs into a new file). */
function registrations(topology: TopologyHarness, logs: Map<string, string>): { hub: number; client: number } {
  const all = (kind: 'hub' | 'client', names: string[]) =>
    names.map((n) => (logs.get(`${kind}-${n}`) ?? '') + (kind === 'hub' ? topology.hub(n) : topology.client(n)).log()).join('\n');
  return {
    hub: count(all('hub', HUBS), /Registered client/g),
    client: count(all('client', CLIENTS.map((c) => c.name)), /Begin register task/g),
  };
}

for (const backend of ['embedded', 'redis'] as const) {
  // k = 2 of 3; every node with a state directory of its own, the hubs on their state file or their own Redis.
  describe(`a node killed with SIGKILL resumes from its state (${backend})`, () => {
    let topology: TopologyHarness;
    let etsi: EtsiCaller;
    /** Logs of the runs before a restart, by KIND-NAME. */
    const earlier = new Map<string, string>();

    beforeAll(async () => {
      topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 2, stateDirs: true, redisPerHub: backend === 'redis' });
      etsi = new EtsiCaller(topology);
    });
    afterAll(async () => {
      await topology?.close();
    });

    const keep = (kind: 'hub' | 'client', name: string) => {
      const node = kind === 'hub' ? topology.hub(name) : topology.client(name);
      earlier.set(`${kind}-${name}`, (earlier.get(`${kind}-${name}`) ?? '') + node.log());
    };

    async function getKey(): Promise<{ id: string; key: string }> {
      const made = await etsi.getKey('ca', 'sa', 'sb');
      expect(made.status, JSON.stringify(made.body)).toBe(200);
      return { id: made.body.keys[0].key_ID, key: made.body.keys[0].key };
    }

    async function expectDelivered(made: { id: string; key: string }): Promise<void> {
      const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', made.id);
      expect(fetched.status, JSON.stringify(fetched.body)).toBe(200);
      expect(fetched.body.keys[0].key).toBe(made.key);
    }

    it('every hub killed between Get key and Get key with key IDs: the slave gets the key; nobody registered again', async () => {
      const made = await getKey();
      const before = registrations(topology, earlier);
      for (const name of HUBS) {
        keep('hub', name);
        await topology.restartHub(name);
        expect(topology.hub(name).log()).toMatch(/Resumed 2 client registrations with \d+ PSRD blocks/);
      }
      await expectDelivered(made);
      expect(registrations(topology, earlier)).toEqual(before);
      // And the pools go on: a new pair through the restarted hubs, still without a registration.
      await expectDelivered(await getKey());
      expect(registrations(topology, earlier)).toEqual(before);
    });

    it('the slave client killed between Get key and Get key with key IDs: it resumes and gets the key; nobody registered again', async () => {
      const made = await getKey();
      const before = registrations(topology, earlier);
      keep('client', 'cb');
      await topology.restartClient('cb');
      expect(topology.client('cb').log()).toContain('Resumed registration with peer hub ha');
      await expectDelivered(made);
      expect(registrations(topology, earlier)).toEqual(before);
    });

    it('the master client killed after Get key: the slave gets the key, and the master goes on with its pools (no byte used twice, or a hub would refuse)', async () => {
      const made = await getKey();
      const before = registrations(topology, earlier);
      keep('client', 'ca');
      await topology.restartClient('ca');
      await expectDelivered(made);
      for (let i = 0; i < 5; i++) await expectDelivered(await getKey());
      expect(registrations(topology, earlier)).toEqual(before);
      expect(topology.client('ca').log()).not.toMatch(/already used|signature\.invalid|registering again/);
    });
  });
}

describe('a state that cannot be used stops the start, naming the file', () => {
  let topology: TopologyHarness;
  beforeAll(async () => {
    topology = await TopologyHarness.start({ hubs: ['ha'], clients: [{ name: 'ca', encryptors: ['sa'] }], minNrShares: 1, stateDirs: true });
  });
  afterAll(async () => {
    await topology?.close();
  });

  async function startFails(kind: 'hub' | 'client', name: string, args: string[]): Promise<string> {
    const port = await freePortRange(1);
    const node = spawnNode(kind, name, port, [name, '--port', String(port), ...args]);
    const started = setTimeout(() => void node.kill(), 20_000);
    await new Promise((r) => node.child.once('exit', r));
    clearTimeout(started);
    expect(node.child.exitCode).toBe(1);
    return node.log();
  }

  it('a truncated hub state file, a garbage client state file, a state sealed under another storage key', async () => {
    const hubDir = join(topology.stateRoot!, 'hub-ha');
    const clientDir = join(topology.stateRoot!, 'client-ca');
    // Stopped, so that the state file holds everything (a killed node leaves the newest pages in the write-ahead log).
    await topology.hub('ha').kill('SIGTERM');
    await topology.client('ca').kill('SIGTERM');

    const hubFile = join(hubDir, 'state.db');
    const hubCopy = readFileSync(hubFile);
    truncateSync(hubFile, Math.floor(statSync(hubFile).size / 3));
    const hubLog = await startFails('hub', 'ha', ['--state-dir', hubDir]);
    expect(hubLog).toContain(`hub: error: ${hubFile}: not a usable state file`);
    expect(hubLog).not.toContain('listening on');
    writeFileSync(hubFile, hubCopy);

    const clientFile = join(clientDir, 'state.db');
    writeFileSync(clientFile, 'not a database, but long enough to look like one '.repeat(100));
    const clientLog = await startFails('client', 'ca', ['--state-dir', clientDir, '--hubs', topology.hubUrls[0], '--min-nr-shares', '1', '--allow-single-share', 'yes']);
    expect(clientLog).toContain(`client: error: ${clientFile}: not a usable state file`);

    writeFileSync(join(hubDir, 'storage.key'), Buffer.alloc(32, 7));
    const sealed = await startFails('hub', 'ha', ['--state-dir', hubDir]);
    expect(sealed).toMatch(new RegExp(`hub: error: ${hubFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record \\S+ does not open with this node's storage key`));
  });
});
