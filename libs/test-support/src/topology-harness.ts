import { httpsJson } from './https';
import { freePortRange } from './ports';
import { NodeProcess, probeMessage, spawnNode, StatusProbe, waitForReady } from './processes';
import { RedisServer } from './redis-server';
import { startProxy, type ProxyHooks } from './hub-proxy';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';

export interface HarnessOptions {
  hubs?: string[];
  clients?: Array<{ name: string; encryptors: string[] }>;
  minNrShares?: number;
  shareTimeoutSecs?: number;
  /** Each hub gets a redis-server of its own (as in the containers), stopped by close(). */
  redisPerHub?: boolean;
  /** Extra arguments for one hub, e.g. its own --redis-url and --state-dir. */
  hubArgsFor?: (name: string, index: number) => string[];
  /** Extra arguments for every client. */
  clientArgs?: string[];
  /** Extra arguments for one client (after `clientArgs`), e.g. its own TLS certificate. */
  clientArgsFor?: (name: string) => string[];
  /** Clients serve HTTPS (started with the TLS flags): client URLs and readiness probes use https. */
  https?: boolean;
  /** Hubs serve HTTPS too (a secure deployment): hub URLs and their readiness probes use https. */
  hubsHttps?: boolean;
  /** How long each node may take to answer /readyz 200 (default 60 s: a client once took more than 30 in CI). */
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Every node gets a --state-dir of its own (KIND-NAME in a temporary directory that close() removes). */
  stateDirs?: boolean;
  /** Clients reach each hub through a plain HTTP proxy with these hooks (to watch or disturb the wire). */
  hubProxy?: (hubName: string) => ProxyHooks;
}

/** Readiness over HTTPS: any server certificate will do, no client certificate is sent. */
const httpsStatus: StatusProbe = async (url) => {
  const answer = await httpsJson('GET', url, { tls: { insecure: true }, timeoutMs: 1000 });
  return { status: answer.status, message: probeMessage(answer.body) };
};

export const DEFAULT_HUBS = ['hank', 'helen', 'hilary', 'holly', 'hugo'];
export const DEFAULT_CLIENTS = [
  { name: 'carol', encryptors: ['sam'] },
  { name: 'celia', encryptors: ['serena'] },
  { name: 'cindy', encryptors: [] },
  { name: 'connie', encryptors: ['sofia'] },
  { name: 'curtis', encryptors: ['sunny', 'susan'] },
];

/**
 * Real hub and client processes on free ports (the user guide's topology by
 * default), started the way the manager starts them; close() kills them by PID.
 */
export class TopologyHarness {
  readonly hubs = new Map<string, NodeProcess>();
  readonly clients = new Map<string, NodeProcess>();
  readonly hubUrls: string[] = [];
  /** With redisPerHub: each hub's own Redis. */
  readonly stores = new Map<string, RedisServer>();
  private readonly hubCommand = new Map<string, { args: string[]; env?: NodeJS.ProcessEnv }>();
  private readonly clientCommand = new Map<string, { args: string[]; env?: NodeJS.ProcessEnv }>();
  /** With stateDirs: the directory holding every node's KIND-NAME state directory. */
  stateRoot: string | undefined;
  private readonly proxies: Server[] = [];
  private constructor(
    private readonly basePort: number,
    private readonly clientScheme: 'http' | 'https' = 'http',
    private readonly hubScheme: 'http' | 'https' = 'http',
  ) {}

  /**
   * Start the topology; when another process took one of the probed ports
   * before a node bound it, start again on fresh ports (at most 3 times).
   */
  static async start(options: HarnessOptions = {}): Promise<TopologyHarness> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TopologyHarness.startOnce(options);
      } catch (error) {
        if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
      }
    }
  }

  private static async startOnce(options: HarnessOptions): Promise<TopologyHarness> {
    const hubs = options.hubs ?? DEFAULT_HUBS;
    const clients = options.clients ?? DEFAULT_CLIENTS;
    const proxied = options.hubProxy !== undefined;
    const base = await freePortRange(hubs.length + clients.length + (proxied ? hubs.length : 0));
    const harness = new TopologyHarness(base, options.https ? 'https' : 'http', options.hubsHttps ? 'https' : 'http');
    const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    try {
      if (options.stateDirs) harness.stateRoot = mkdtempSync(join(tmpdir(), 'dske-node-state-'));
      const stateArgs = (kind: string, name: string) => (harness.stateRoot === undefined ? [] : ['--state-dir', join(harness.stateRoot, `${kind}-${name}`)]);
      if (options.redisPerHub) for (const name of hubs) harness.stores.set(name, await RedisServer.start());
      // What the clients are given: the hubs themselves, or a proxy in front of each.
      const clientHubUrls: string[] = [];
      for (const [i, name] of hubs.entries()) {
        const hubPort = base + i;
        harness.hubUrls.push(`${options.hubsHttps ? 'https' : 'http'}://127.0.0.1:${hubPort}/hub/${name}`);
        if (!proxied) {
          clientHubUrls.push(harness.hubUrls[i]);
        } else {
          const proxyPort = base + hubs.length + clients.length + i;
          harness.proxies.push(await startProxy(proxyPort, hubPort, options.hubProxy!(name)));
          clientHubUrls.push(`http://127.0.0.1:${proxyPort}/hub/${name}`);
        }
        const args = [name, '--port', String(hubPort), '--share-timeout-secs', String(options.shareTimeoutSecs ?? 60), ...stateArgs('hub', name)];
        const store = harness.stores.get(name);
        if (store) args.push('--redis-url', store.url);
        args.push(...(options.hubArgsFor?.(name, i) ?? []));
        harness.hubCommand.set(name, { args, env: options.env });
        harness.hubs.set(name, spawnNode('hub', name, hubPort, args, options.env));
      }
      clients.forEach((client, j) => {
        const port = base + hubs.length + j;
        const args = [client.name, '--port', String(port), '--hubs', ...clientHubUrls, '--min-nr-shares', String(options.minNrShares ?? 3), ...(options.minNrShares === 1 ? ['--allow-single-share', 'yes'] : []), ...stateArgs('client', client.name), ...(options.clientArgs ?? []), ...(options.clientArgsFor?.(client.name) ?? [])];
        if (client.encryptors.length > 0) args.push('--encryptors', ...client.encryptors);
        harness.clientCommand.set(client.name, { args, env: options.env });
        harness.clients.set(client.name, spawnNode('client', client.name, port, args, options.env));
      });
      const probes = [...harness.hubs.values(), ...harness.clients.values()].map((node) => {
        const https = node.kind === 'hub' ? options.hubsHttps : options.https;
        return https
          ? waitForReady(`https://127.0.0.1:${node.port}/readyz`, node, readyTimeoutMs, httpsStatus)
          : waitForReady(`http://127.0.0.1:${node.port}/readyz`, node, readyTimeoutMs);
      });
      // Every node's outcome, not only the first failure: which nodes were still waiting, and on what, tells why.
      const failed = (await Promise.allSettled(probes)).flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
      if (failed.length > 0) {
        const others = failed.slice(1).map((error) => `\n- ${error.message.split('\n')[0]}`);
        throw new Error(`${failed[0].message}${others.length > 0 ? `\nAlso not ready:${others.join('')}` : ''}`);
      }
      return harness;
    } catch (error) {
      await harness.close();
      throw error;
    }
  }

  get base(): number {
    return this.basePort;
  }

  hub(name: string): NodeProcess {
    const node = this.hubs.get(name);
    if (!node) throw new Error(`no hub ${name}`);
    return node;
  }

  client(name: string): NodeProcess {
    const node = this.clients.get(name);
    if (!node) throw new Error(`no client ${name}`);
    return node;
  }

  hubUrl(name: string): string {
    return `${this.hubScheme}://127.0.0.1:${this.hub(name).port}/hub/${name}`;
  }

  clientUrl(name: string): string {
    return `${this.clientScheme}://127.0.0.1:${this.client(name).port}/client/${name}`;
  }

  /** Kill a hub (SIGKILL) and start it again on the same port, with the same arguments: its state is what its store kept. */
  restartHub(name: string): Promise<NodeProcess> {
    return this.restart('hub', name);
  }

  /** Kill a client (SIGKILL) and start it again on the same port, with the same arguments (and state directory). */
  restartClient(name: string): Promise<NodeProcess> {
    return this.restart('client', name);
  }

  private async restart(kind: 'hub' | 'client', name: string): Promise<NodeProcess> {
    const old = kind === 'hub' ? this.hub(name) : this.client(name);
    await old.kill();
    const { args, env } = (kind === 'hub' ? this.hubCommand : this.clientCommand).get(name)!;
    const node = spawnNode(kind, name, old.port, args, env);
    (kind === 'hub' ? this.hubs : this.clients).set(name, node);
    const scheme = kind === 'hub' ? this.hubScheme : this.clientScheme;
    await (scheme === 'https' ? waitForReady(`https://127.0.0.1:${node.port}/readyz`, node, 30_000, httpsStatus) : waitForReady(`http://127.0.0.1:${node.port}/readyz`, node));
    return node;
  }

  async close(): Promise<void> {
    // SIGKILL, unless DSKE_TEST_STOP_SIGNAL=SIGTERM asks for a clean stop (a node run with --cpu-prof writes its profile then).
    const signal = process.env.DSKE_TEST_STOP_SIGNAL === 'SIGTERM' ? 'SIGTERM' : 'SIGKILL';
    await Promise.all([...this.clients.values(), ...this.hubs.values()].map((node) => node.kill(signal)));
    await Promise.all([...this.stores.values()].map((store) => store.stop()));
    await Promise.all(
      this.proxies.map((proxy) => {
        const closed = new Promise((resolve) => proxy.close(resolve));
        proxy.closeAllConnections();
        return closed;
      }),
    );
    if (this.stateRoot !== undefined) rmSync(this.stateRoot, { recursive: true, force: true });
  }
}
