/**
 * Turns the nodes' mgmt status answers into the page's Snapshot: who is up,
 * each client-hub pair's pools (from the client's view, or the hub's when
 * the client is down), counters and their per-second rates. Pure: the
 * NodeWatcher feeds it, tests feed it by hand. Status bodies are read
 * defensively (a deployed node may be another version); PSRD previews are
 * never copied into the snapshot.
 */
import type { NodePlan, Topology } from '@dske/topology';
import { RateSeries } from './activity-history';
import { layoutGraph, type GraphLayout } from './layout';
import type { ClientPanel, DashboardEdge, DashboardNode, EtsiErrorView, HubPanel, PoolBytes, Snapshot } from './snapshot';

/** What the watcher last learnt of one node. */
export interface NodeReading {
  up: boolean;
  reason?: string;
  /** The parsed mgmt status, when it answered. */
  status?: unknown;
}

export interface NodeLinks {
  docs: string;
  redoc: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Unused bytes of a pool status ({blocks: [{nr_unused_bytes}]}), or null if it is not one. */
export function unusedBytes(pool: unknown): PoolBytes {
  if (!isObject(pool) || !Array.isArray(pool.blocks)) return null;
  return pool.blocks.reduce((n: number, b) => n + (isObject(b) ? (count(b.nr_unused_bytes) ?? 0) : 0), 0);
}

function errorsOf(activity: Json | undefined): EtsiErrorView[] {
  return list(activity?.recent_etsi_errors)
    .filter(isObject)
    .map((e) => ({ time: String(e.time ?? ''), method: String(e.method ?? ''), route: String(e.route ?? ''), status: count(e.status) ?? 0, code: String(e.code ?? ''), message: String(e.message ?? '') }));
}

const key = (node: Pick<NodePlan, 'kind' | 'name'>) => `${node.kind}/${node.name}`;

/** The block IDs of a pool status. */
function blockIds(pool: unknown): string[] {
  return isObject(pool) && Array.isArray(pool.blocks) ? pool.blocks.filter(isObject).map((b) => String(b.uuid ?? '')).filter((id) => id !== '') : [];
}

/**
 * Refills of one pool, counted from the block IDs its status lists: a block
 * not seen before arrived since the last reading (the first reading only
 * learns what is there).
 */
class RefillCount {
  private seen: Set<string> | undefined;
  count = 0;

  observe(ids: readonly string[]): void {
    if (this.seen !== undefined) for (const id of ids) if (!this.seen.has(id)) this.count++;
    // Only the blocks still listed matter for the next reading (a used-up block is gone for good).
    this.seen = new Set(ids);
  }
}

export class DashboardModel {
  private readonly layout: GraphLayout;
  private readonly readings = new Map<string, NodeReading & { since: string }>();
  private readonly made = new Map<string, RateSeries>();
  private readonly delivered = new Map<string, RateSeries>();
  private readonly historyPoints: number;
  /** Per client-hub pair and pool (C: the client allocates, H: the hub does). */
  private readonly refills = new Map<string, RefillCount>();

  constructor(
    private readonly topology: Topology,
    private readonly configName: string,
    private readonly links: (node: NodePlan) => NodeLinks,
    private readonly pollEveryMs: number,
    private readonly historySecs = 300,
    started = new Date(),
  ) {
    this.layout = layoutGraph(topology.hubs.length, topology.clients.length);
    this.historyPoints = Math.max(1, Math.round((historySecs * 1000) / pollEveryMs));
    for (const node of topology.nodes) this.readings.set(key(node), { up: false, reason: 'not asked yet', since: started.toISOString() });
    for (const client of topology.clients) {
      this.made.set(client.name, new RateSeries(this.historyPoints));
      this.delivered.set(client.name, new RateSeries(this.historyPoints));
    }
  }

  /** One answer (or none) of a node's mgmt status at `at`; true when the node turned up or down. */
  update(node: NodePlan, reading: NodeReading, at: Date): boolean {
    const before = this.readings.get(key(node));
    const turned = before === undefined || before.up !== reading.up;
    this.readings.set(key(node), { ...reading, since: turned ? at.toISOString() : (before?.since ?? at.toISOString()) });
    this.countRefills(node);
    if (node.kind === 'client') {
      const activity = this.activityOf(node);
      this.made.get(node.name)?.record(count(activity?.keys_made) ?? undefined, at.getTime());
      this.delivered.get(node.name)?.record(count(activity?.keys_delivered) ?? undefined, at.getTime());
    }
    return turned;
  }

  private refillsOf(client: string, hub: string, pool: 'C' | 'H'): RefillCount {
    const id = `${client}/${hub}/${pool}`;
    let count = this.refills.get(id);
    if (count === undefined) this.refills.set(id, (count = new RefillCount()));
    return count;
  }

  /** New block IDs in a client's pools (or, for a client that is down, in the hub's copies). */
  private countRefills(node: NodePlan): void {
    const status = this.statusOf(node);
    if (status === undefined) return;
    if (node.kind === 'client') {
      for (const peer of list(status.peer_hubs).filter(isObject)) {
        this.refillsOf(node.name, String(peer.hub_name), 'C').observe(blockIds(peer.local_pool));
        this.refillsOf(node.name, String(peer.hub_name), 'H').observe(blockIds(peer.peer_pool));
      }
      return;
    }
    for (const peer of list(status.peer_clients).filter(isObject)) {
      // Counted from the client's view while it answers, so each block counts once.
      if (this.statusOf({ kind: 'client', name: String(peer.client_name) }) !== undefined) continue;
      this.refillsOf(String(peer.client_name), node.name, 'C').observe(blockIds(peer.peer_pool));
      this.refillsOf(String(peer.client_name), node.name, 'H').observe(blockIds(peer.local_pool));
    }
  }

  /** The node's last status body, when it answered. */
  statusOf(node: Pick<NodePlan, 'kind' | 'name'>): Json | undefined {
    const reading = this.readings.get(key(node));
    return reading?.up && isObject(reading.status) ? reading.status : undefined;
  }

  private activityOf(node: Pick<NodePlan, 'kind' | 'name'>): Json | undefined {
    const activity = this.statusOf(node)?.activity;
    return isObject(activity) ? activity : undefined;
  }

  snapshot(now: Date): Snapshot {
    const { settings } = this.topology;
    return {
      time: now.toISOString(),
      configName: this.configName,
      pollEveryMs: this.pollEveryMs,
      historySecs: this.historySecs,
      width: this.layout.width,
      height: this.layout.height,
      thresholds: {
        start: settings.start_request_psrd_threshold,
        stop: settings.stop_request_psrd_threshold,
        full: settings.stop_request_psrd_threshold + settings.get_psrd_block_size - 1,
      },
      nodes: this.topology.nodes.map((node) => this.nodeView(node)),
      edges: this.topology.clients.flatMap((client) => this.topology.hubs.map((hub) => this.edgeView(client, hub))),
      clients: this.topology.clients.map((client) => this.clientPanel(client)),
      hubs: this.topology.hubs.map((hub) => this.hubPanel(hub)),
    };
  }

  private nodeView(node: NodePlan): DashboardNode {
    const reading = this.readings.get(key(node))!;
    const at = node.kind === 'hub' ? this.layout.hubs[node.index] : this.layout.clients[node.index];
    return {
      kind: node.kind,
      name: node.name,
      port: node.port,
      up: reading.up,
      ...(reading.up ? {} : { reason: reading.reason ?? 'no answer' }),
      since: reading.since,
      ...this.links(node),
      x: at.x,
      y: at.y,
    };
  }

  private edgeView(client: NodePlan, hub: NodePlan): DashboardEdge {
    const base = {
      client: client.name,
      hub: hub.name,
      from: this.layout.clients[client.index],
      to: this.layout.hubs[hub.index],
      glyph: this.layout.glyph(client.index, hub.index),
      clientPoolRefills: this.refillsOf(client.name, hub.name, 'C').count,
      hubPoolRefills: this.refillsOf(client.name, hub.name, 'H').count,
    };
    const seenByClient = list(this.statusOf(client)?.peer_hubs).filter(isObject).find((p) => p.hub_name === hub.name);
    if (seenByClient !== undefined) {
      return {
        ...base,
        clientPool: unusedBytes(seenByClient.local_pool),
        hubPool: unusedBytes(seenByClient.peer_pool),
        registered: typeof seenByClient.registered === 'boolean' ? seenByClient.registered : null,
        reachable: typeof seenByClient.reachable === 'boolean' ? seenByClient.reachable : null,
        seenBy: 'client',
      };
    }
    // The client is down: the hub's copies of the same two pools (on the hub, local is the one the hub allocates from).
    const seenByHub = list(this.statusOf(hub)?.peer_clients).filter(isObject).find((p) => p.client_name === client.name);
    if (seenByHub !== undefined) {
      return { ...base, clientPool: unusedBytes(seenByHub.peer_pool), hubPool: unusedBytes(seenByHub.local_pool), registered: null, reachable: null, seenBy: 'hub' };
    }
    return { ...base, clientPool: null, hubPool: null, registered: this.statusOf(hub) ? false : null, reachable: null, seenBy: null };
  }

  private clientPanel(client: NodePlan & { encryptors?: string[] }): ClientPanel {
    const status = this.statusOf(client);
    const activity = this.activityOf(client);
    const encryptors = list(status?.encryptor_names).map(String);
    return {
      name: client.name,
      up: status !== undefined,
      encryptors: status === undefined ? [...(client.encryptors ?? [])] : encryptors,
      keysMade: count(activity?.keys_made),
      keysDelivered: count(activity?.keys_delivered),
      keyRequestsFailed: count(activity?.key_requests_failed),
      madePerSecond: this.made.get(client.name)?.series ?? [],
      deliveredPerSecond: this.delivered.get(client.name)?.series ?? [],
      recentErrors: errorsOf(activity),
    };
  }

  private hubPanel(hub: NodePlan): HubPanel {
    const status = this.statusOf(hub);
    const activity = this.activityOf(hub);
    return {
      name: hub.name,
      up: status !== undefined,
      // The hub's own count; an older hub without it: the shares its status lists.
      sharesHeld: status === undefined ? null : (count(activity?.shares_held) ?? list(status.shares).length),
      sharesExpired: count(activity?.shares_expired),
      sharesStored: count(activity?.shares_stored),
      sharesDelivered: count(activity?.shares_delivered),
    };
  }
}
