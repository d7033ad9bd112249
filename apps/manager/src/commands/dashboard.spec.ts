/**
 * The dashboard command in-process against stand-in nodes: the nodes are
 * reached where --node-url and the port plan say, a node that answers is up
 * with its pools, one that refuses or wants a token is down with the reason,
 * and the page's links point at each node's own /docs and /redoc.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange } from '@dske/test-support';
import type { ManagerIo } from '../io';
import { runManager } from '../run';
import type { Snapshot } from '../dashboard/snapshot';


/** A stand-in node answering mgmt status (or 401) under /KIND/NAME. */
function standIn(kind: string, name: string, body: unknown, status = 200): Promise<Server> {
  const server = createServer((req, res) => {
    const ok = req.url === `/${kind}/${name}/mgmt/v1/status`;
    res.writeHead(ok ? status : 404, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? body : { message: 'no' }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe('dashboard command', () => {
  let dir: string;
  let hank: Server;
  let carol: Server;
  let base: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dske-dashboard-'));
    // The port plan's own ports stay unused: helen, there, refuses the connection.
    base = await freePortRange(3);
    writeFileSync(join(dir, 'dske-config.yaml'), `base_port: ${base}\nmin_nr_shares: 2\nhubs: [{name: hank}, {name: helen}]\nclients: [{name: carol, encryptors: [{name: sam}]}]\n`);
    hank = await standIn('hub', 'hank', { name: 'hank', activity: { shares_stored: 2, shares_delivered: 1, shares_expired: 0 }, peer_clients: [], shares: [] });
    carol = await standIn('client', 'carol', { name: 'carol' }, 401);
  });
  afterAll(async () => {
    await Promise.all([hank, carol].map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a snapshot of the nodes where --node-url and the port plan put them, until told to stop', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: ManagerIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir, env: {} };
    let stop = () => undefined as void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let url = '';
    const listening = new Promise<void>((resolve) => {
      void runManager(['--node-url', `hank=http://127.0.0.1:${portOf(hank)}`, '--node-url', `carol=http://127.0.0.1:${portOf(carol)}`, 'dashboard', '--port', '0'], io, {
        dashboard: {
          until,
          onListening: (u) => {
            url = u;
            resolve();
          },
        },
      }).then((code) => out.push(`exit ${code}`));
    });
    await listening;
    expect(out[0]).toMatch(/^Dashboard for dske-config\.yaml \(2 hubs, 1 clients\) at http:\/\/127\.0\.0\.1:\d+\/$/);
    let snapshot: Snapshot | undefined;
    for (let i = 0; i < 50; i++) {
      snapshot = (await (await fetch(`${url}api/snapshot`)).json()) as Snapshot;
      if (snapshot.nodes.every((n) => n.reason !== 'not asked yet')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const nodes = new Map(snapshot!.nodes.map((n) => [n.name, n]));
    expect(nodes.get('hank')).toMatchObject({ up: true, docs: `http://127.0.0.1:${portOf(hank)}/docs`, redoc: `http://127.0.0.1:${portOf(hank)}/redoc` });
    expect(nodes.get('helen')).toMatchObject({ up: false, reason: 'connection refused', port: base + 1, docs: `http://127.0.0.1:${base + 1}/docs` });
    expect(nodes.get('carol')).toMatchObject({ up: false, reason: 'mgmt status answered 401 (a mgmt token is needed: --credentials)' });
    expect(snapshot!.hubs[0]).toMatchObject({ name: 'hank', up: true, sharesStored: 2, sharesHeld: 0 });
    const raw = (await (await fetch(`${url}api/nodes/hub/hank/status`)).json()) as { body: { name: string } };
    expect(raw.body.name).toBe('hank');
    stop();
    await expect.poll(() => out.at(-1)).toBe('exit 0');
    expect(out.slice(-2)).toEqual(['Dashboard stopped', 'exit 0']);
    expect(err).toEqual([]);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('a port in use is a one-line error', async () => {
    const err: string[] = [];
    const io: ManagerIo = { out: () => undefined, err: (l) => err.push(l), cwd: dir, env: {} };
    const code = await runManager(['dashboard', '--port', String(portOf(hank))], io, { dashboard: { until: Promise.resolve() } });
    expect(code).toBe(1);
    expect(err).toEqual([`manager: error: cannot listen on 127.0.0.1:${portOf(hank)}: the port is in use (choose another with --port)`]);
  });

  it('listening beyond loopback warns who can see it', async () => {
    const err: string[] = [];
    const io: ManagerIo = { out: () => undefined, err: (l) => err.push(l), cwd: dir, env: {} };
    const code = await runManager(['dashboard', '--port', '0', '--host', '0.0.0.0'], io, { dashboard: { until: Promise.resolve() } });
    expect(code).toBe(0);
    expect(err).toEqual(["Warning: the dashboard listens on 0.0.0.0: whoever reaches it sees every node's status, asked with this manager's credentials"]);
  });
});
