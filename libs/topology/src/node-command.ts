/**
 * How to start each node of a topology: argv for local processes (the
 * manager) and environment variables for containers (compose, Kubernetes).
 * Flags and variable names come from HUB_SETTINGS and CLIENT_SETTINGS.
 */
import type { ClientPlan, HubPlan, Topology } from './plan';
import { nodeArgs, nodeEnvironment, type SettingValues } from './setting-render';
import { CLIENT_SETTINGS, DEFAULT_HOST, HUB_SETTINGS } from './settings';
import { hubBaseUrl } from './urls';
import { clientTlsPaths } from './tls-files';
import { hubRedisUrl } from './redis-url';

/**
 * Node.js flags every hub and client runs with (the manager, the container
 * entrypoint, the tests): semi-spaces of 2 MiB instead of 16 keep a node about
 * 20 MiB smaller under load with the same key throughput (nodes-e2e:bench; 4 MiB
 * cost 4 MiB more per node, and no longer buys CPU since the hot path allocates less).
 * The build's code cache is made with these flags (V8 refuses a cache made
 * with others). No node runs WebAssembly (a client calls its hubs with node's
 * own HTTP client, not undici with its WebAssembly parser), so the flags that
 * kept it in Liftoff are gone.
 * `gc` is exposed for
 * the one full collection a node makes when it falls idle after work
 * (IdleHeapCollector in service-runtime): 8-10 MiB less per idle node.
 */
export const NODE_RUNTIME_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--expose-gc'];

/**
 * Environment every hub and client runs with, beside NODE_RUNTIME_FLAGS
 * (set by the manager, the container entrypoint and the tests): one glibc
 * malloc arena instead of one per thread that allocates (V8's helpers,
 * libuv's pool, OpenSSL). Each arena keeps the memory freed in it, so a node
 * that served a burst of keys stayed 10-13 MiB larger; with one it does not,
 * for the same CPU per key (nodes-e2e:bench).
 */
export const NODE_RUNTIME_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/**
 * The file a hub or client runs, below apps/KIND: the one-file bundle that
 * tools/bundle-nodes.mjs makes of tsc's dist/main.js (`npm run build` makes
 * both). It starts about a quarter faster: no 1,400 module files to find and read.
 */
export const NODE_PROGRAM_FILE = 'dist/node.js';

export interface NodeCommandOptions {
  /** Listen address passed as --host; left out (node default 127.0.0.1) when not given. */
  host?: string;
  /** Host in the hub URLs a client is given; defaults to `host`, then 127.0.0.1. */
  hubHost?: (hubName: string) => string;
  /** Overrides the topology's redis_url template for hubs ({name}, {index}). */
  redisUrl?: string;
  /** Scheme of the hub URLs a client is given (https: the hubs serve TLS). */
  hubScheme?: 'http' | 'https';
  /** More settings for the node (secrets, state, probes), by setting key. */
  extra?: (node: HubPlan | ClientPlan) => SettingValues;
}

export interface NodeEnvironmentOptions extends NodeCommandOptions {
  /** Containers must say where to listen, usually 0.0.0.0. */
  host: string;
}

function hubValues(topology: Topology, hub: HubPlan, opts: NodeCommandOptions): SettingValues {
  const template = opts.redisUrl ?? topology.settings.redis_url;
  return {
    port: hub.port,
    host: opts.host,
    share_timeout_secs: topology.settings.share_timeout_secs,
    redis_url: template === undefined ? undefined : hubRedisUrl(template, hub),
    ...opts.extra?.(hub),
  };
}

function clientValues(topology: Topology, client: ClientPlan, opts: NodeCommandOptions): SettingValues {
  const hubHost = opts.hubHost ?? (() => opts.host ?? DEFAULT_HOST);
  const s = topology.settings;
  return {
    port: client.port,
    host: opts.host,
    // File order matters: share i goes to the client's i-th hub.
    hubs: topology.hubs.map((h) => hubBaseUrl(hubHost(h.name), h.port, h.name, opts.hubScheme)),
    encryptors: client.encryptors,
    min_nr_shares: s.min_nr_shares,
    allow_single_share: s.allow_single_share ? 'yes' : undefined,
    start_request_psrd_threshold: s.start_request_psrd_threshold,
    stop_request_psrd_threshold: s.stop_request_psrd_threshold,
    get_psrd_block_size: s.get_psrd_block_size,
    ...(s.tls_dir !== undefined ? clientTlsPaths(s.tls_dir, client.name) : {}),
    ...opts.extra?.(client),
  };
}

export function hubArgs(topology: Topology, hub: HubPlan, opts: NodeCommandOptions = {}): string[] {
  return nodeArgs(hub.name, HUB_SETTINGS, hubValues(topology, hub, opts));
}

export function clientArgs(topology: Topology, client: ClientPlan, opts: NodeCommandOptions = {}): string[] {
  return nodeArgs(client.name, CLIENT_SETTINGS, clientValues(topology, client, opts));
}

export function hubEnvironment(topology: Topology, hub: HubPlan, opts: NodeEnvironmentOptions): Record<string, string> {
  return nodeEnvironment(hub.name, HUB_SETTINGS, hubValues(topology, hub, opts));
}

export function clientEnvironment(topology: Topology, client: ClientPlan, opts: NodeEnvironmentOptions): Record<string, string> {
  return nodeEnvironment(client.name, CLIENT_SETTINGS, clientValues(topology, client, opts));
}
