/** What every command starts from: the loaded topology, the selected nodes, the timings. */
import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadTopology, TopologyError, type Topology } from '@dske/topology';
import { ConfigError } from './errors';
import type { ManagerIo } from './io';
import { selectNodes, type Selection } from './selection';
import { timingsFrom, type Timings } from './timings';

/** The program-level options (before the subcommand). */
export interface GlobalOptions {
  config?: string;
  client?: string[];
  hub?: string[];
}

export interface ManagerContext {
  io: ManagerIo;
  topology: Topology;
  selection: Selection;
  timings: Timings;
  /** The topology file as the user named it, for messages. */
  configName: string;
}

export function loadContext(options: GlobalOptions, io: ManagerIo): ManagerContext {
  const configName = options.config ?? DEFAULT_CONFIG_FILE;
  const timings = timingsFrom(io.env);
  let topology: Topology;
  try {
    topology = loadTopology(resolve(io.cwd, configName));
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    // Reworded with the name the user typed rather than the absolute path.
    const { line, field, code, reason } = error;
    throw new ConfigError(new TopologyError({ file: configName, line, field, code, reason }).message);
  }
  const selection = selectNodes(topology, { clients: options.client ?? [], hubs: options.hub ?? [] }, configName);
  return { io, topology, selection, timings, configName };
}
