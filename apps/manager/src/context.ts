/** What every command starts from: the loaded topology, the selected nodes, where they are, the timings. */
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadTopology, TopologyError, type Topology } from '@dske/topology';
import { Endpoints, type NodeUrl, type UrlBase } from './endpoints';
import { ConfigError } from './errors';
import type { ManagerIo } from './io';
import { selectNodes, type Selection } from './selection';
import { timingsFrom, type Timings } from './timings';

/** The program-level options (before the subcommand). */
export interface GlobalOptions {
  config?: string;
  client?: string[];
  hub?: string[];
  urlBase?: UrlBase;
  nodeUrl?: NodeUrl[];
  credentials?: string;
}

export interface ManagerContext {
  io: ManagerIo;
  topology: Topology;
  selection: Selection;
  timings: Timings;
  /** Where each node is reached (local processes, or --url-base/--node-url), and the lab PKI with tls_dir. */
  endpoints: Endpoints;
  /** The topology file as the user named it, for messages. */
  configName: string;
}

/** A topology error (each of its problems on a line) reworded with the file name the user typed rather than the absolute path. */
export function asConfigError(error: TopologyError, configName: string): ConfigError {
  return new ConfigError(error.inFile(configName).message);
}

export function loadContext(options: GlobalOptions, io: ManagerIo): ManagerContext {
  const configName = options.config ?? DEFAULT_CONFIG_FILE;
  const timings = timingsFrom(io.env);
  let topology: Topology;
  try {
    topology = loadTopology(resolve(io.cwd, configName));
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    throw asConfigError(error, configName);
  }
  const selection = selectNodes(topology, { clients: options.client ?? [], hubs: options.hub ?? [] }, configName);
  const credentials = options.credentials === undefined ? undefined : resolve(io.cwd, options.credentials);
  const endpoints = new Endpoints(topology, { urlBase: options.urlBase, nodeUrls: options.nodeUrl, credentials }, configName);
  return { io, topology, selection, timings, endpoints, configName };
}
