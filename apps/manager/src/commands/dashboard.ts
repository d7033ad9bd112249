/**
 * `dashboard`: one live web page for the topology (local processes, or
 * deployed nodes through --url-base/--node-url/--credentials, like status).
 * Runs until Ctrl-C (SIGINT) or SIGTERM.
 */
import { isIP } from 'node:net';
import type { ManagerContext } from '../context';
import { DashboardModel } from '../dashboard/dashboard-model';
import { loadDashboardAssets } from '../dashboard/dashboard-assets';
import { DashboardServer } from '../dashboard/dashboard-server';
import { NodeWatcher } from '../dashboard/node-watcher';
import { ManagerError, UsageError } from '../errors';

export const DEFAULT_DASHBOARD_PORT = 8099;
export const DEFAULT_DASHBOARD_HOST = '127.0.0.1';
/** Every node is asked once a second; one that has not answered within a second counts as down (the page shows it within 3 s). */
export const DASHBOARD_POLL_MS = 1000;
export const DASHBOARD_TIMEOUT_MS = 1000;

export interface DashboardOptions {
  port: number;
  host: string;
}

export interface DashboardControl {
  /** Stop when this settles (tests); by default on SIGINT or SIGTERM. */
  until?: Promise<unknown>;
  /** Told the page's URL once the server listens. */
  onListening?(url: string): void;
}

/** --port: 0 (any free port) to 65535. */
export function parseDashboardPort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port: expected a port number from 0 to 65535, got '${value}'`);
  return port;
}

/** --host: an address to listen on (IPv4 or IPv6), or localhost. */
export function parseDashboardHost(value: string): string {
  if (value !== 'localhost' && isIP(value) === 0) throw new UsageError(`--host: expected an IP address to listen on (or localhost), got '${value}'`);
  return value;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export async function dashboardCommand(ctx: ManagerContext, options: DashboardOptions, control: DashboardControl = {}): Promise<void> {
  const { io, topology, endpoints } = ctx;
  const assets = loadDashboardAssets();
  const model = new DashboardModel(topology, ctx.configName, (node) => ({ docs: `${endpoints.of(node).root}/docs`, redoc: `${endpoints.of(node).root}/redoc` }), DASHBOARD_POLL_MS);
  const byName = new Map(topology.nodes.map((n) => [`${n.kind}/${n.name}`, n]));
  const watcher = new NodeWatcher(topology.nodes, endpoints, model, {
    pollEveryMs: DASHBOARD_POLL_MS,
    timeoutMs: DASHBOARD_TIMEOUT_MS,
    env: io.env,
    // A node that turns up or down is shown at once, not at the next tick (the watcher starts once the server listens).
    onChange: () => server.broadcast(model.snapshot(new Date())),
  });
  const server = new DashboardServer(
    {
      snapshot: () => model.snapshot(new Date()),
      rawStatus: async (kind, name) => {
        const node = byName.get(`${kind}/${name}`);
        return node === undefined ? undefined : watcher.fetchStatus(node);
      },
    },
    assets,
    options.host,
  );
  let port: number;
  try {
    port = await server.listen(options.port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use (choose another with --port)' : code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : (error as Error).message;
    throw new ManagerError(`cannot listen on ${options.host}:${options.port}: ${why}`);
  }
  const shownHost = options.host === '0.0.0.0' ? '127.0.0.1' : options.host === '::' ? '[::1]' : isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  const url = `http://${shownHost}:${port}/`;
  io.out(`Dashboard for ${ctx.configName} (${topology.hubs.length} hubs, ${topology.clients.length} clients) at ${url}`);
  if (!isLoopback(options.host)) {
    io.err(`Warning: the dashboard listens on ${options.host}: whoever reaches it sees every node's status, asked with this manager's credentials`);
  }
  io.out('Press Ctrl-C to stop');
  control.onListening?.(url);
  watcher.start();
  const ticker = setInterval(() => server.broadcast(model.snapshot(new Date())), DASHBOARD_POLL_MS);
  try {
    await (control.until ?? untilSignal());
  } finally {
    clearInterval(ticker);
    watcher.stop();
    await server.close();
  }
  io.out('Dashboard stopped');
}
