/**
 * Driving nodes at given addresses, as for a deployed topology (docker
 * compose's published ports, kubectl port-forward, cluster DNS): a local
 * topology reached through --url-base http://127.0.0.1, through a {port}
 * template, and through --node-url overrides pointing at TCP forwarders on
 * other ports (what a port-forward is). start refuses both options.
 */
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, isPortFree } from '@dske/test-support';
import { writePidRecord } from '../src/node-processes';
import { cleanUpAll, liveNodePids, manager, parseEtsi, parseStatus, smallTopology, withoutStillWaiting, type TopologyDir } from './support/manager-run';

const NODES = ['hank', 'helen', 'hilary', 'carol', 'curtis'];
const kindOf = (i: number) => (i < 3 ? 'hub' : 'client');

/** A TCP forwarder from `listenPort` to 127.0.0.1:`targetPort` that counts connections: a stand-in for kubectl port-forward. */
class Forwarder {
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(
    readonly listenPort: number,
    targetPort: number,
  ) {
    this.server = createServer((down) => {
      this.connections++;
      const up = connect(targetPort, '127.0.0.1');
      for (const s of [down, up]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      down.pipe(up).pipe(down);
      up.on('close', () => down.destroy());
      down.on('close', () => up.destroy());
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.listenPort, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('--url-base and --node-url on a running topology', () => {
  let t: TopologyDir;
  const p = (i: number) => t.port(i);
  const forwarders: Forwarder[] = [];

  beforeAll(async () => {
    t = await smallTopology();
    const started = await manager(t.dir, ['start']);
    expect(started.code, started.stderr.join('\n')).toBe(0);
  });
  afterAll(async () => {
    await Promise.all(forwarders.map((f) => f.close()));
    await cleanUpAll();
  });

  const expectAllStatuses = (stdout: string[]) =>
    expect(parseStatus(stdout).map((n) => [n.header, n.status.name])).toEqual(NODES.map((name, i) => [`Status for ${kindOf(i)} ${name} on port ${p(i)}`, name]));

  it('start refuses them: it only starts local processes', async () => {
    for (const option of [['--url-base', 'http://127.0.0.1'], ['--node-url', 'carol=http://127.0.0.1:1']]) {
      const run = await manager(t.dir, [...option, 'start']);
      expect(run).toEqual({ code: 2, stdout: [], stderr: [`manager: error: start does not take ${option[0]}: it starts local node processes (status, stop and etsi-qkd take them)`] });
    }
  });

  const statusAndKeys = async (urlBase: string) => {
    const status = await manager(t.dir, ['--url-base', urlBase, 'status']);
    expect(status.stderr).toEqual([]);
    expect(status.code).toBe(0);
    expectAllStatuses(status.stdout);
    const keys = await manager(t.dir, ['--url-base', urlBase, 'etsi-qkd', 'sam', 'sunny', 'get-key-pair']);
    expect(keys.stderr).toEqual([]);
    expect(keys.code).toBe(0);
    expect(keys.stdout[keys.stdout.length - 1]).toBe('Key values match');
  };

  for (const base of ['http://127.0.0.1', 'http://localhost:{port}']) {
    it(`status and get-key-pair through --url-base ${base}`, () => statusAndKeys(base));
  }

  it('a template with {kind} and {name}: one gateway routing /KIND/NAME/... to each node (as an ingress would)', async () => {
    const portOf = new Map(NODES.map((name, i) => [`${kindOf(i)}/${name}`, p(i)]));
    let routed = 0;
    const gateway = createHttpServer((req, res) => {
      const match = /^\/(hub|client)\/([^/]+)(\/.*)$/.exec(req.url ?? '');
      const port = match ? portOf.get(`${match[1]}/${match[2]}`) : undefined;
      if (match === null || port === undefined) {
        res.writeHead(502).end();
        return;
      }
      routed++;
      const upstream = httpRequest({ host: '127.0.0.1', port, path: match[3], method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    const gatewayPort = await freePortRange(1);
    await new Promise<void>((resolve) => gateway.listen(gatewayPort, '127.0.0.1', resolve));
    try {
      await statusAndKeys(`http://127.0.0.1:${gatewayPort}/{kind}/{name}`);
      expect(routed).toBe(5 + 2);
    } finally {
      await new Promise((resolve) => gateway.close(resolve));
    }
  });

  it('--node-url sends a node\'s requests to its URL (here: forwarders on other ports), over --url-base for that node only', async () => {
    const carolPort = await freePortRange(2);
    const curtisPort = carolPort + 1;
    const carol = new Forwarder(carolPort, p(3));
    const curtis = new Forwarder(curtisPort, p(4));
    forwarders.push(carol, curtis);
    await Promise.all([carol.listen(), curtis.listen()]);
    // No node listens on 127.0.0.2: only the overridden nodes can answer.
    const nowhere = ['--url-base', 'http://127.0.0.2:{port}'];
    const urls = ['--node-url', `carol=http://127.0.0.1:${carolPort}`, '--node-url', `curtis=http://localhost:${curtisPort}/`];

    const keys = await manager(t.dir, [...nowhere, ...urls, 'etsi-qkd', 'sam', 'sunny', 'get-key-pair', '--size', '512']);
    expect(keys.stderr).toEqual([]);
    expect(keys.code).toBe(0);
    // The headers keep naming the plan ports, as the guide shows them.
    expect(parseEtsi(keys.stdout).map((c) => c.header)).toEqual([
      `Invoke ETSI QKD Get Key API on client (KME) carol port ${p(3)} master encryptor (SAE) sam slave encryptor (SAE) sunny:`,
      `Invoke ETSI QKD Get Key with Key IDs API on client (KME) curtis port ${p(4)} master encryptor (SAE) sam slave encryptor (SAE) sunny:`,
    ]);
    expect(carol.connections).toBe(1);
    expect(curtis.connections).toBe(1);

    const status = await manager(t.dir, [...nowhere, ...urls, 'status']);
    expect(status.code).toBe(1);
    expect(parseStatus(status.stdout.filter((l) => !/^Status for hub /.test(l))).map((n) => n.status.name)).toEqual(['carol', 'curtis']);
    expect(status.stderr).toEqual([
      `Could not get status of hub hank at http://127.0.0.2:${p(0)}: connection refused`,
      `Could not get status of hub helen at http://127.0.0.2:${p(1)}: connection refused`,
      `Could not get status of hub hilary at http://127.0.0.2:${p(2)}: connection refused`,
      'manager: error: could not get the status of hub hank, hub helen, hub hilary',
    ]);
    expect(carol.connections).toBe(2);
  });

  it('a node that does not answer at its URL is named with that URL', async () => {
    const dead = await freePortRange(1);
    const run = await manager(t.dir, ['--node-url', `curtis=http://127.0.0.1:${dead}`, 'etsi-qkd', 'sam', 'sunny', 'get-key-pair']);
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual([`manager: error: client (KME) curtis at http://127.0.0.1:${dead} did not answer: connection refused`]);
  });

  it('stop through --url-base: asks each node, waits until none answers; a second stop finds none', async () => {
    const stop = await manager(t.dir, ['--url-base', 'http://127.0.0.1:{port}', 'stop']);
    expect(stop.stderr).toEqual([]);
    expect(stop.code).toBe(0);
    expect(withoutStillWaiting(stop.stdout)).toEqual([
      ...NODES.map((name, i) => `Stopping ${kindOf(i)} ${name} on port ${p(i)}`).reverse(),
      'Waiting for all nodes to be stopped',
    ]);
    // The processes finish exiting on their own (stop sends no signal to remote nodes).
    const deadline = Date.now() + 10_000;
    while (liveNodePids(t.dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(liveNodePids(t.dir)).toEqual([]);
    expect((await Promise.all(NODES.map((_, i) => isPortFree(p(i))))).every(Boolean)).toBe(true);

    // Nothing answers any more. Through a URL that cannot be told from a wrong one: each node is reported, and stop fails.
    const again = await manager(t.dir, ['--url-base', 'http://127.0.0.1', 'stop']);
    expect(again.code).toBe(1);
    expect(again.stderr).toEqual([
      ...NODES.map((name, i) => `Could not stop ${kindOf(i)} ${name} at http://127.0.0.1:${p(i)}: connection refused`).reverse(),
      'manager: error: 5 of 5 nodes could not be stopped: client curtis, client carol, hub hilary, hub helen, hub hank',
    ]);
    // The stale pid files of the stopped processes are gone too; the nodes' state stays.
    expect(readdirSync(join(t.dir, '.dske-manager'))).toEqual(['state']);
  });
});

describe('stop through --url-base when nothing answers', () => {
  afterAll(cleanUpAll);

  it('forgets the pid files of node processes that are gone (a node still exiting at the last stop)', async () => {
    const t = await smallTopology();
    // A process that has ended: its PID is free, so the recorded command line no longer matches anything.
    const ended = spawnSync(process.execPath, ['-e', '0']);
    expect(ended.status).toBe(0);
    NODES.forEach((name, i) =>
      writePidRecord(t.dir, { kind: kindOf(i), name, port: t.port(i), pid: ended.pid!, command: [process.execPath, 'apps/x/dist/node.js', name], started_at: new Date().toISOString() }),
    );
    const stop = await manager(t.dir, ['--url-base', 'http://127.0.0.1', 'stop']);
    expect(stop.code).toBe(1);
    expect(stop.stderr.at(-1)).toBe('manager: error: 5 of 5 nodes could not be stopped: client curtis, client carol, hub hilary, hub helen, hub hank');
    expect(existsSync(join(t.dir, '.dske-manager')) ? readdirSync(join(t.dir, '.dske-manager')).filter((f) => f.endsWith('.pid')) : []).toEqual([]);
  });
});
