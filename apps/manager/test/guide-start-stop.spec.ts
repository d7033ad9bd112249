/**
 * The user guide's "Start the topology", "Stop the topology", "One
 * background process per node" and "Report the topology status", on the
 * guide's own topology (5 hubs, 5 clients), checked line by line.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '@dske/test-support';
import { NODE_RUNTIME_FLAGS } from '@dske/topology';
import { cleanUpAll, guideTopology, liveNodePids, manager, parseStatus, withoutStillWaiting, type TopologyDir } from './support/manager-run';

const HUBS = ['hank', 'helen', 'hilary', 'holly', 'hugo'];
const CLIENTS: Array<[string, string[]]> = [
  ['carol', ['sam']],
  ['celia', ['serena']],
  ['cindy', []],
  ['connie', ['sofia']],
  ['curtis', ['sunny', 'susan']],
];

describe("the user guide's topology: start, ps, status, stop", () => {
  let t: TopologyDir;
  const p = (i: number) => t.port(i);
  const hubUrls = () => HUBS.map((h, i) => `http://127.0.0.1:${p(i)}/hub/${h}`);

  beforeAll(async () => {
    t = await guideTopology();
  });
  afterAll(cleanUpAll);

  it('start prints the guide lines and leaves every node ready', async () => {
    const run = await manager(t.dir, ['start']);
    expect(run.stderr).toEqual([]);
    expect(withoutStillWaiting(run.stdout)).toEqual([
      'Waiting for all nodes to be stopped',
      ...HUBS.map((h, i) => `Starting hub ${h} on port ${p(i)}`),
      ...CLIENTS.map(([c], j) => `Starting client ${c} on port ${p(5 + j)}`),
      'Waiting for all nodes to be started',
    ]);
    expect(run.code).toBe(0);
    for (let i = 0; i < 10; i++) {
      const ready = await fetch(`http://127.0.0.1:${p(i)}/readyz`);
      expect(ready.status).toBe(200);
    }
  });

  it('runs one background node process per node with the long command line', () => {
    expect(liveNodePids(t.dir)).toHaveLength(10);
    const argv = (kind: string, name: string) => {
      const record = JSON.parse(readFileSync(join(t.dir, '.dske-manager', `${kind}-${name}.pid`), 'utf8')) as { pid: number };
      return readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
    };
    const program = (kind: string) => join(__dirname, '..', '..', kind, 'dist', 'node.js');
    expect(argv('hub', 'hank')).toEqual([...NODE_RUNTIME_FLAGS, program('hub'), 'hank', '--port', String(p(0)), '--share-timeout-secs', '60', '--state-dir', '.dske-manager/state/hub-hank']);
    expect(argv('client', 'curtis')).toEqual([
      ...NODE_RUNTIME_FLAGS, program('client'), 'curtis', '--port', String(p(9)), '--state-dir', '.dske-manager/state/client-curtis', '--hubs', ...hubUrls(),
      '--encryptors', 'sunny', 'susan', '--min-nr-shares', '3', '--start-request-psrd-threshold', '500', '--stop-request-psrd-threshold', '2000', '--get-psrd-block-size', '1000',
    ]);
    expect(argv('client', 'cindy')).not.toContain('--encryptors');
    // Each node's output goes to its .out file in the working directory.
    expect(readFileSync(join(t.dir, 'hub-hank.out'), 'utf8')).toContain('listening on http://127.0.0.1:');
    expect(readFileSync(join(t.dir, 'client-carol.out'), 'utf8')).toContain('Begin register task for peer hub hank');
    // The hubs were ready before any client started: every client registered at its first attempt.
    for (const [c] of CLIENTS) expect(readFileSync(join(t.dir, `client-${c}.out`), 'utf8')).not.toMatch(/Register with peer hub \S+ failed/);
  });

  it('status reports every node: a header, then its JSON', async () => {
    const run = await manager(t.dir, ['status']);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    const nodes = parseStatus(run.stdout);
    expect(nodes.map((n) => n.header)).toEqual([
      ...HUBS.map((h, i) => `Status for hub ${h} on port ${p(i)}`),
      ...CLIENTS.map(([c], j) => `Status for client ${c} on port ${p(5 + j)}`),
    ]);
    for (const [i, hub] of HUBS.entries()) {
      const status = nodes[i].status as { name: string; peer_clients: Array<{ client_name: string; encryptor_names: string[]; local_pool: Pool; peer_pool: Pool }> };
      expect(status.name).toBe(hub);
      expect(status.peer_clients.map((c) => c.client_name).sort()).toEqual(CLIENTS.map(([c]) => c).sort());
      for (const peer of status.peer_clients) {
        expect(peer.encryptor_names).toEqual(CLIENTS.find(([c]) => c === peer.client_name)?.[1]);
        expectPool(peer.local_pool, 'local');
        expectPool(peer.peer_pool, 'peer');
      }
    }
    for (const [j, [client, encryptors]] of CLIENTS.entries()) {
      const status = nodes[5 + j].status as { name: string; encryptor_names: string[]; peer_hubs: Array<{ hub_name: string; registered: boolean; reachable: boolean; local_pool: Pool; peer_pool: Pool }> };
      expect(status.name).toBe(client);
      expect(status.encryptor_names).toEqual(encryptors);
      expect(status.peer_hubs.map((h) => h.hub_name)).toEqual(HUBS);
      for (const peer of status.peer_hubs) {
        expect(peer.registered).toBe(true);
        expect(peer.reachable).toBe(true);
        expectPool(peer.local_pool, 'local');
        expectPool(peer.peer_pool, 'peer');
      }
    }
  });

  it('status with --client prints one header line and JSON that parses on its own (tail -n +2 | jq)', async () => {
    const run = await manager(t.dir, ['--client', 'carol', 'status']);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toBe(`Status for client carol on port ${p(5)}`);
    const status = JSON.parse(run.stdout.slice(1).join('\n')) as { name: string; peer_hubs: Array<{ hub_name: string; local_pool: Pool }> };
    expect(status.name).toBe('carol');
    // The guide's jq query: the local pool for peer hub hank on client carol.
    expectPool(status.peer_hubs.find((h) => h.hub_name === 'hank')?.local_pool, 'local');
  });

  it('stop prints the guide lines in reverse order and frees every port', async () => {
    const run = await manager(t.dir, ['stop']);
    expect(run.stderr).toEqual([]);
    expect(withoutStillWaiting(run.stdout)).toEqual([
      ...[...CLIENTS].reverse().map(([c], j) => `Stopping client ${c} on port ${p(9 - j)}`),
      ...[...HUBS].reverse().map((h, i) => `Stopping hub ${h} on port ${p(4 - i)}`),
      'Waiting for all nodes to be stopped',
    ]);
    expect(run.code).toBe(0);
    expect(liveNodePids(t.dir)).toEqual([]);
    for (let i = 0; i < 10; i++) expect(await isPortFree(p(i))).toBe(true);
    // The logs remain, and each node's state for the next start; no pid file.
    expect(readdirSync(join(t.dir, '.dske-manager'))).toEqual(['state']);
    expect(readdirSync(join(t.dir, '.dske-manager', 'state')).sort()).toEqual([...HUBS.map((h) => `hub-${h}`), ...CLIENTS.map(([c]) => `client-${c}`)].sort());
    expect(existsSync(join(t.dir, 'client-curtis.out'))).toBe(true);
  });
});

interface Pool {
  owner: string;
  blocks: Array<{ uuid: string; size: number; data: string; nr_used_bytes: number; nr_unused_bytes: number }>;
}

function expectPool(pool: Pool | undefined, owner: 'local' | 'peer'): void {
  expect(pool?.owner).toBe(owner);
  expect(pool?.blocks.length).toBeGreaterThan(0);
  for (const block of pool?.blocks ?? []) {
    expect(block.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(block.nr_used_bytes + block.nr_unused_bytes).toBe(block.size);
  }
}
