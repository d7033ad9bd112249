/**
 * Node state across runs on a small topology (3 hubs, 2 clients, k = 2):
 * start resumes what the nodes kept in .dske-manager/state/KIND-NAME, reset
 * wipes it (refused while a node runs, with --client/--hub filters), and
 * start --fresh resets first.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpAll, manager, parseEtsi, smallTopology } from './support/manager-run';

const HUBS = ['hank', 'helen', 'hilary'];
const CLIENTS = ['carol', 'curtis'];
const stateDirs = (dir: string) => readdirSync(join(dir, '.dske-manager', 'state')).sort();
const log = (dir: string, node: string) => readFileSync(join(dir, `${node}.out`), 'utf8');

describe('manager: node state across runs', () => {
  afterEach(cleanUpAll);

  it('a key made before stop is delivered after start; the clients resume their registrations; reset and start --fresh begin afresh', async () => {
    const t = await smallTopology();
    expect((await manager(t.dir, ['start'])).code).toBe(0);
    expect(stateDirs(t.dir)).toEqual([...CLIENTS.map((c) => `client-${c}`), ...HUBS.map((h) => `hub-${h}`)].sort());
    const made = parseEtsi((await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key'])).stdout)[0].body as { keys: Array<{ key_ID: string; key: string }> };
    expect((await manager(t.dir, ['stop'])).code).toBe(0);

    // While the nodes are stopped their state stays; start resumes it.
    expect((await manager(t.dir, ['start'])).code).toBe(0);
    expect(log(t.dir, 'client-carol')).toContain('Resumed registration with peer hub hank');
    expect(log(t.dir, 'client-carol')).not.toContain('Begin register task');
    expect(log(t.dir, 'hub-hank')).toMatch(/Resumed 2 client registrations/);
    const fetched = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-with-key-ids', made.keys[0].key_ID]);
    expect(parseEtsi(fetched.stdout)[0].body).toEqual(made);

    // reset is refused while a selected node runs, and changes nothing.
    const refused = await manager(t.dir, ['--hub', 'helen', 'reset']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toEqual(["manager: error: reset: hub helen still running; stop them first ('./manager stop'), nothing was reset"]);
    expect(stateDirs(t.dir)).toHaveLength(5);
    expect((await manager(t.dir, ['stop'])).code).toBe(0);

    // Filters pick the nodes; a node without state says so.
    const one = await manager(t.dir, ['--client', 'curtis', 'reset']);
    expect(one.stdout).toEqual(['Reset client curtis: removed .dske-manager/state/client-curtis']);
    expect((await manager(t.dir, ['--client', 'curtis', 'reset'])).stdout).toEqual(['No state to reset for client curtis']);
    expect(stateDirs(t.dir)).toEqual(['client-carol', ...HUBS.map((h) => `hub-${h}`)]);

    // start --fresh: everything reset, every client registers afresh, and the old key is gone.
    const fresh = await manager(t.dir, ['start', '--fresh']);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout.slice(0, 5)).toEqual([
      ...HUBS.map((h) => `Reset hub ${h}: removed .dske-manager/state/hub-${h}`),
      'Reset client carol: removed .dske-manager/state/client-carol',
      'No state to reset for client curtis',
    ]);
    expect(log(t.dir, 'client-carol')).toContain('Begin register task for peer hub hank');
    const gone = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-with-key-ids', made.keys[0].key_ID]);
    expect(gone.code).toBe(1);
    expect((await manager(t.dir, ['stop'])).code).toBe(0);
    expect((await manager(t.dir, ['reset'])).code).toBe(0);
    expect(existsSync(join(t.dir, '.dske-manager'))).toBe(false);
  });
});
