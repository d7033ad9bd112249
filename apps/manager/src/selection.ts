/**
 * Which nodes a command acts on (--client/--hub) and in which order.
 * Pure functions: the ordering and wording are what the user guide shows.
 */
import type { NodePlan, Topology } from '@dske/topology';
import { ManagerError } from './errors';

export type NodeKind = NodePlan['kind'];

/** Names from repeated --client and --hub options, in command-line order. */
export interface NodeFilter {
  clients: readonly string[];
  hubs: readonly string[];
}

export interface Selection {
  /** Selected nodes in topology order: hubs, then clients, each in file order (the guide's start order). */
  nodes: NodePlan[];
  /** What the waiting lines call the selection: "all nodes", or "client carol, client celia, hub hank". */
  label: string;
}

/** "hub hank", "client carol": how every output line names a node. */
export function describeNode(node: Pick<NodePlan, 'kind' | 'name'>): string {
  return `${node.kind} ${node.name}`;
}

export function describeNodes(nodes: readonly Pick<NodePlan, 'kind' | 'name'>[]): string {
  return nodes.map(describeNode).join(', ');
}

const unique = (names: readonly string[]): string[] => [...new Set(names)];

/**
 * Resolve the filters against the topology. An unknown name is an error
 * naming it, so that a typo never silently starts or stops nothing (the
 * reference manager.py ignores unknown names; PROTOCOL.md makes them errors).
 */
export function selectNodes(topology: Topology, filter: NodeFilter, configName: string): Selection {
  const clients = unique(filter.clients);
  const hubs = unique(filter.hubs);
  checkKnown(topology, 'client', clients, configName);
  checkKnown(topology, 'hub', hubs, configName);
  if (clients.length === 0 && hubs.length === 0) return { nodes: [...topology.nodes], label: 'all nodes' };
  const wanted = new Set([...clients.map((n) => `client ${n}`), ...hubs.map((n) => `hub ${n}`)]);
  // The label keeps command-line order, clients first, as the guide's
  // "Waiting for client carol, client corrie, hub hank to be stopped" does.
  const label = [...clients.map((name) => describeNode({ kind: 'client', name })), ...hubs.map((name) => describeNode({ kind: 'hub', name }))].join(', ');
  return { nodes: topology.nodes.filter((node) => wanted.has(describeNode(node))), label };
}

function checkKnown(topology: Topology, kind: NodeKind, names: readonly string[], configName: string): void {
  const other: NodeKind = kind === 'hub' ? 'client' : 'hub';
  for (const name of names) {
    if (topology.node(kind, name) !== undefined) continue;
    // A hub passed as --client (or the reverse) is the likely mistake; say so.
    const hint = topology.node(other, name) === undefined ? `not in ${configName}` : `${name} is a ${other} in ${configName}`;
    throw new ManagerError(`unknown ${kind} '${name}' (${hint})`);
  }
}

/** Stop order: the reverse of start order, so clients stop before the hubs they use. */
export function stopOrder(nodes: readonly NodePlan[]): NodePlan[] {
  return [...nodes].reverse();
}
