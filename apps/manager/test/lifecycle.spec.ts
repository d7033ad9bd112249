/**
 * start/stop edge cases on a small topology (3 hubs, 2 clients, k = 2):
 * stop without start, start twice, --client/--hub filters and unknown names,
 * restart right after stop, a client that cannot get ready.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPortFree } from '@dske/test-support';
import { cleanUpAll, liveNodePids, manager, parseStatus, smallTopology, withoutStillWaiting } from './support/manager-run';

const HUBS = ['hank', 'helen', 'hilary'];
const CLIENTS = ['carol', 'curtis'];

describe('manager start and stop on a small topology', () => {
  afterEach(cleanUpAll);

  const allFree = async (base: number, count = 5) => (await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + i)))).every(Boolean);

  it('stop without start: each node reports it could not be stopped (not running), and stop succeeds', async () => {
    const t = await smallTopology();
    const run = await manager(t.dir, ['stop']);
    expect(run.stdout).toEqual([
      `Stopping client curtis on port ${t.port(4)}`,
      `Stopping client carol on port ${t.port(3)}`,
      `Stopping hub hilary on port ${t.port(2)}`,
      `Stopping hub helen on port ${t.port(1)}`,
      `Stopping hub hank on port ${t.port(0)}`,
      'Waiting for all nodes to be stopped',
    ]);
    expect(run.stderr).toEqual([
      `Could not stop client curtis on port ${t.port(4)}: connection refused`,
      `Could not stop client carol on port ${t.port(3)}: connection refused`,
      `Could not stop hub hilary on port ${t.port(2)}: connection refused`,
      `Could not stop hub helen on port ${t.port(1)}: connection refused`,
      `Could not stop hub hank on port ${t.port(0)}: connection refused`,
    ]);
    expect(run.code).toBe(0);
  });

  it('a running node that refuses to stop (wrong mgmt token, reached through --url-base) fails stop', async () => {
    const t = await smallTopology();
    expect((await manager(t.dir, ['--hub', 'hank', 'start'], { DSKE_MGMT_TOKEN: 'right-token' })).code).toBe(0);
    const run = await manager(t.dir, ['--url-base', 'http://127.0.0.1', '--hub', 'hank', 'stop'], { DSKE_MGMT_TOKEN: 'wrong-token' });
    expect(run.stderr).toEqual([
      `Could not stop hub hank at http://127.0.0.1:${t.port(0)}: mgmt stop answered 401`,
      'manager: error: 1 of 1 nodes could not be stopped: hub hank',
    ]);
    expect(run.code).toBe(1);
    expect(await isPortFree(t.port(0))).toBe(false);
    // With the right token it stops.
    expect((await manager(t.dir, ['--hub', 'hank', 'stop'], { DSKE_MGMT_TOKEN: 'right-token' })).code).toBe(0);
  });

  it('start twice: the second waits, then reports the nodes from the previous run were not stopped; after stop, start works at once', async () => {
    const t = await smallTopology();
    const first = await manager(t.dir, ['start']);
    expect(first.code, first.stderr.join('\n')).toBe(0);
    const started = Date.now();
    // Just over one report interval (5 s), to see one "Still waiting" line.
    const second = await manager(t.dir, ['start'], { DSKE_MANAGER_PORT_WAIT_SECS: '5.5' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
    const all = 'hub hank, hub helen, hub hilary, client carol, client curtis';
    expect(second.stdout).toEqual(['Waiting for all nodes to be stopped', `Still waiting for ${all} to be stopped`]);
    const busy = [...HUBS.map((h, i) => `hub ${h} (port ${t.port(i)})`), ...CLIENTS.map((c, j) => `client ${c} (port ${t.port(3 + j)})`)].join(', ');
    expect(second.stderr).toEqual([`manager: error: the nodes from a previous run were not stopped: ${busy} still in use after 5.5 s; stop them with './manager stop'`]);
    expect(second.code).toBe(1);
    // The first run's nodes are untouched and still answer.
    expect(liveNodePids(t.dir)).toHaveLength(5);
    const status = await manager(t.dir, ['status']);
    expect(status.code).toBe(0);
    expect(parseStatus(status.stdout).map((n) => n.status.name)).toEqual([...HUBS, ...CLIENTS]);
    expect((await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-pair'])).code).toBe(0);

    // After stop the ports are free at once for the next start, despite the connections just made (TIME_WAIT).
    const stop = await manager(t.dir, ['stop']);
    expect(stop.code).toBe(0);
    expect(liveNodePids(t.dir)).toEqual([]);
    expect(await allFree(t.base)).toBe(true);
    const third = await manager(t.dir, ['start'], { DSKE_MANAGER_PORT_WAIT_SECS: '1' });
    expect(third.code, third.stderr.join('\n')).toBe(0);
    expect(liveNodePids(t.dir)).toHaveLength(5);
  });

  it('--client and --hub select nodes; an unknown name starts or stops nothing', async () => {
    const t = await smallTopology();
    const unknown = await manager(t.dir, ['--client', 'carol', '--client', 'corrie', '--hub', 'hank', 'start']);
    expect(unknown).toEqual({ code: 1, stdout: [], stderr: ["manager: error: unknown client 'corrie' (not in dske-config.yaml)"] });
    const unknownHub = await manager(t.dir, ['--hub', 'hugo', 'stop']);
    expect(unknownHub).toEqual({ code: 1, stdout: [], stderr: ["manager: error: unknown hub 'hugo' (not in dske-config.yaml)"] });
    expect(readdirSync(t.dir)).toEqual(['dske-config.yaml']);
    expect(await allFree(t.base)).toBe(true);

    const hubs = await manager(t.dir, ['--hub', 'hank', '--hub', 'helen', '--hub', 'hilary', 'start']);
    expect(hubs.stderr).toEqual([]);
    expect(withoutStillWaiting(hubs.stdout)).toEqual([
      'Waiting for hub hank, hub helen, hub hilary to be stopped',
      ...HUBS.map((h, i) => `Starting hub ${h} on port ${t.port(i)}`),
      'Waiting for hub hank, hub helen, hub hilary to be started',
    ]);
    expect(hubs.code).toBe(0);

    // The guide's example, minus its unknown corrie: hubs start before clients, the label keeps command-line order.
    const mixed = await manager(t.dir, ['--client', 'curtis', '--client', 'carol', 'start']);
    expect(withoutStillWaiting(mixed.stdout)).toEqual([
      'Waiting for client curtis, client carol to be stopped',
      `Starting client carol on port ${t.port(3)}`,
      `Starting client curtis on port ${t.port(4)}`,
      'Waiting for client curtis, client carol to be started',
    ]);
    expect(mixed.code).toBe(0);
    expect(existsSync(join(t.dir, 'client-carol.out'))).toBe(true);

    const status = await manager(t.dir, ['--client', 'carol', '--hub', 'helen', 'status']);
    expect(status.code).toBe(0);
    expect(parseStatus(status.stdout).map((n) => n.header)).toEqual([`Status for hub helen on port ${t.port(1)}`, `Status for client carol on port ${t.port(3)}`]);

    const pair = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-pair']);
    expect(pair.stdout.at(-1)).toBe('Key values match');

    const some = await manager(t.dir, ['--client', 'carol', '--hub', 'hank', 'stop']);
    expect(withoutStillWaiting(some.stdout)).toEqual([
      `Stopping client carol on port ${t.port(3)}`,
      `Stopping hub hank on port ${t.port(0)}`,
      'Waiting for client carol, hub hank to be stopped',
    ]);
    expect(some.code).toBe(0);
    expect(liveNodePids(t.dir)).toHaveLength(3);
    expect(await isPortFree(t.port(0))).toBe(true);
    expect(await isPortFree(t.port(1))).toBe(false);

    // status still reports the others; the stopped ones are errors on stderr.
    const partial = await manager(t.dir, ['status']);
    expect(partial.stdout.filter((l) => l.startsWith('Status for '))).toEqual([
      ...HUBS.map((h, i) => `Status for hub ${h} on port ${t.port(i)}`),
      ...CLIENTS.map((c, j) => `Status for client ${c} on port ${t.port(3 + j)}`),
    ]);
    expect(partial.stderr).toEqual([
      `Could not get status of hub hank on port ${t.port(0)}: connection refused`,
      `Could not get status of client carol on port ${t.port(3)}: connection refused`,
      'manager: error: could not get the status of hub hank, client carol',
    ]);
    expect(partial.code).toBe(1);

    // The stopped hub and client start again at once (no wait for TIME_WAIT).
    const restarted = Date.now();
    const again = await manager(t.dir, ['--client', 'carol', '--hub', 'hank', 'start']);
    expect(again.code, again.stderr.join('\n')).toBe(0);
    expect(again.stdout).not.toContain('Still waiting for client carol, hub hank to be stopped');
    expect(Date.now() - restarted).toBeLessThan(30_000);
    expect(liveNodePids(t.dir)).toHaveLength(5);
  });

  it('a node that does not answer is reported and ended by PID', async () => {
    const t = await smallTopology();
    expect((await manager(t.dir, ['--hub', 'hank', 'start'])).code).toBe(0);
    const [pid] = liveNodePids(t.dir);
    // A frozen process: it holds its port but answers nothing, and handles no SIGTERM.
    process.kill(pid, 'SIGSTOP');
    const run = await manager(t.dir, ['--hub', 'hank', 'stop']);
    expect(run.stderr).toEqual([`Could not stop hub hank on port ${t.port(0)}: no answer within 5 s`]);
    expect(withoutStillWaiting(run.stdout)).toEqual([`Stopping hub hank on port ${t.port(0)}`, `Ended hub hank (PID ${pid}) with SIGKILL`, 'Waiting for hub hank to be stopped']);
    expect(run.code).toBe(0);
    expect(liveNodePids(t.dir)).toEqual([]);
    expect(await isPortFree(t.port(0))).toBe(true);
  });

  it('a client that cannot get ready in time is reported with its readyz reason and stopped', async () => {
    const t = await smallTopology();
    const run = await manager(t.dir, ['--client', 'carol', 'start'], { DSKE_MANAGER_READY_WAIT_SECS: '2' });
    expect(run.stdout).toEqual(['Waiting for client carol to be stopped', `Starting client carol on port ${t.port(3)}`, 'Waiting for client carol to be started']);
    expect(run.stderr).toHaveLength(3);
    // The client's own /readyz message follows (it names the hubs it lacks).
    expect(run.stderr[0]).toMatch(new RegExp(`^Node client carol on port ${t.port(3)} is not ready: readyz answered 503: .*hubs`));
    expect(run.stderr.slice(1)).toEqual(['Stopping the nodes started in this run: client carol', 'manager: error: start failed: not ready after 2 s: client carol']);
    expect(run.code).toBe(1);
    expect(liveNodePids(t.dir)).toEqual([]);
    expect(await isPortFree(t.port(3))).toBe(true);
  });
});
