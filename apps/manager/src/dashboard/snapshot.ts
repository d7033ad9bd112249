/**
 * What the dashboard page is sent once a second (Server-Sent Events): the
 * topology laid out, each node's state, each client-hub pair's pools and the
 * counters. Types only: the page (apps/manager/page) imports them too.
 */

export interface Point {
  x: number;
  y: number;
}

export interface DashboardNode extends Point {
  kind: 'hub' | 'client';
  name: string;
  port: number;
  /** Answered its last mgmt status request. */
  up: boolean;
  /** Why not, when down (connection refused, timed out, mgmt status answered 401...). */
  reason?: string;
  /** When it last turned up or down (ISO time), as this dashboard saw it. */
  since: string;
  /** Swagger UI and ReDoc of the node, as this manager reaches it. */
  docs: string;
  redoc: string;
}

/** Unused bytes of one pool, or null when neither side of the pair answered. */
export type PoolBytes = number | null;

export interface DashboardEdge {
  client: string;
  hub: string;
  from: Point;
  to: Point;
  /** Where the pair's two pool bars are drawn. */
  glyph: Point;
  /** The pool the client allocates from (it pads shares and signs requests with it). */
  clientPool: PoolBytes;
  /** The pool the hub allocates from (its answers and the shares it delivers). */
  hubPool: PoolBytes;
  /** The client is registered with the hub (null: unknown, the client is down). */
  registered: boolean | null;
  /** The client's last call to the hub got an answer (null: unknown). */
  reachable: boolean | null;
  /** Which side the pool figures come from. */
  seenBy: 'client' | 'hub' | null;
  /** PSRD blocks that arrived in each pool since this dashboard started (new block IDs in its status): the refills. */
  clientPoolRefills: number;
  hubPoolRefills: number;
}

export interface EtsiErrorView {
  time: string;
  method: string;
  route: string;
  status: number;
  code: string;
  message: string;
}

export interface ClientPanel {
  name: string;
  up: boolean;
  encryptors: string[];
  keysMade: number | null;
  keysDelivered: number | null;
  keyRequestsFailed: number | null;
  /** Keys per second over the last minutes, one value per poll, oldest first (null: the client did not answer). */
  madePerSecond: Array<number | null>;
  deliveredPerSecond: Array<number | null>;
  recentErrors: EtsiErrorView[];
}

export interface HubPanel {
  name: string;
  up: boolean;
  sharesHeld: number | null;
  sharesExpired: number | null;
  sharesStored: number | null;
  sharesDelivered: number | null;
}

export interface Thresholds {
  /** Below this a client asks its hub for PSRD (start_request_psrd_threshold). */
  start: number;
  /** ...until a pool holds this much (stop_request_psrd_threshold). */
  stop: number;
  /** The most a refill leaves in a pool (stop + block size - 1): a full bar. */
  full: number;
}

export interface Snapshot {
  time: string;
  configName: string;
  pollEveryMs: number;
  /** Seconds of history in the per-client charts. */
  historySecs: number;
  width: number;
  height: number;
  thresholds: Thresholds;
  nodes: DashboardNode[];
  edges: DashboardEdge[];
  clients: ClientPanel[];
  hubs: HubPanel[];
}
