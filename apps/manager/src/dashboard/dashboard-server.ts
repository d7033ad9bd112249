/**
 * The dashboard's HTTP server (node:http): the page and its assets, the
 * snapshot pushed with Server-Sent Events at /events (and as JSON at
 * /api/snapshot), and a node's raw mgmt status at /api/nodes/KIND/NAME/status,
 * fetched with the manager's own credentials. Read-only: nothing here
 * changes a node. Requests whose Host is not this server's are refused, so a
 * web page elsewhere cannot read the topology through DNS rebinding.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { DashboardAsset } from './dashboard-assets';
import type { Snapshot } from './snapshot';

export interface DashboardSource {
  snapshot(): Snapshot;
  /** A fresh mgmt status of one node, or undefined for a node not in the topology. */
  rawStatus(kind: string, name: string): Promise<{ status: number; body: unknown } | { failure: string } | undefined>;
}

const SECURITY_HEADERS = {
  // Everything from this origin, no inline script: the page cannot be made to load or send anything elsewhere.
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ statusCode: status, error: STATUS_CODES[status], message }));
}

/** An address as a Host header names it (IPv6 in brackets). */
const asHost = (address: string) => (isIP(address) === 6 ? `[${address}]` : address.toLowerCase());

/**
 * The names a browser may use for this server: loopback, the address it is
 * bound to, and for a wildcard bind every address of this machine and its
 * host name. Any other Host is a name that points here by accident or by
 * DNS rebinding.
 */
export function hostNames(bindHost: string): string[] {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (bindHost !== '0.0.0.0' && bindHost !== '::') names.add(asHost(bindHost));
  else {
    for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) names.add(asHost(a.address));
    names.add(hostname().toLowerCase());
  }
  return [...names];
}

export class DashboardServer {
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private allowedHosts = new Set<string>();

  constructor(
    private readonly source: DashboardSource,
    private readonly assets: Map<string, DashboardAsset>,
    private readonly bindHost: string,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) refuse(res, 400, 'bad request');
        else res.destroy();
      });
    });
  }

  /** Listen; resolves with the port (0 asks the system for a free one). */
  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.bindHost, () => resolve());
    });
    const bound = (this.server.address() as AddressInfo).port;
    this.allowedHosts = new Set(hostNames(this.bindHost).map((n) => `${n}:${bound}`));
    return bound;
  }

  /** Push a snapshot to every open page. */
  broadcast(snapshot: Snapshot): void {
    const event = `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
    for (const res of this.streams) res.write(event);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  async close(): Promise<void> {
    for (const res of this.streams) res.end();
    this.streams.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.allowedHosts.has(String(req.headers.host ?? '').toLowerCase())) {
      return refuse(res, 421, `this dashboard answers for ${[...this.allowedHosts].join(', ')} only`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, `${req.method} is not allowed: the dashboard is read-only`, { allow: 'GET, HEAD' });
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://dashboard').pathname;
    } catch {
      return refuse(res, 400, 'bad request target');
    }
    const asset = this.assets.get(path);
    if (asset !== undefined) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': asset.body.length });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (path === '/events') return this.openStream(req, res);
    if (path === '/api/snapshot') return json(res, 200, this.source.snapshot());
    const node = /^\/api\/nodes\/(hub|client)\/([a-z][a-z0-9-]{0,62})\/status$/.exec(path);
    if (node !== null) {
      const answer = await this.source.rawStatus(node[1], node[2]);
      if (answer === undefined) return refuse(res, 404, `no ${node[1]} ${node[2]} in the topology`);
      if ('failure' in answer) return json(res, 502, { node: `${node[1]} ${node[2]}`, answered: false, reason: answer.failure });
      return json(res, 200, { node: `${node[1]} ${node[2]}`, answered: true, status: answer.status, body: answer.body });
    }
    return refuse(res, 404, `no such path ${path}`);
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    // Reconnect quickly when the manager restarts; the first snapshot goes at once.
    res.write(`retry: 1000\n\nevent: snapshot\ndata: ${JSON.stringify(this.source.snapshot())}\n\n`);
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }
}
