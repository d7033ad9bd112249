/** The validated topology and its port plan. */
export interface HubPlan {
  kind: 'hub';
  name: string;
  port: number;
  /** 0-based position among the hubs in file order; share i goes to hub i. */
  index: number;
}

export interface ClientPlan {
  kind: 'client';
  name: string;
  port: number;
  /** 0-based position among the clients in file order. */
  index: number;
  encryptors: string[];
}

export type NodePlan = HubPlan | ClientPlan;

/** Every key of TOPOLOGY_DEFAULTS, filled in; redis_url only when the file sets it. */
export interface TopologySettings {
  base_port: number;
  start_request_psrd_threshold: number;
  stop_request_psrd_threshold: number;
  get_psrd_block_size: number;
  min_nr_shares: number;
  share_timeout_secs: number;
  redis_url?: string;
  /** Lab only: min_nr_shares 1 (every share is the whole key) is accepted. */
  allow_single_share?: boolean;
  /** Lab PKI directory (absolute, resolved against the topology file): clients serve the ETSI API over mutual TLS. */
  tls_dir?: string;
}

export interface Topology {
  file: string;
  settings: TopologySettings;
  hubs: HubPlan[];
  clients: ClientPlan[];
  /** Hubs in file order, then clients in file order. */
  nodes: NodePlan[];
  clientForEncryptor(sae: string): ClientPlan | undefined;
  node(kind: 'hub', name: string): HubPlan | undefined;
  node(kind: 'client', name: string): ClientPlan | undefined;
  node(kind: 'hub' | 'client', name: string): NodePlan | undefined;
}

export interface ClientSource {
  name: string;
  encryptors: string[];
}

/** Assigns ports: the i-th hub gets base_port + i, the j-th client base_port + N + j. Inputs are already validated. */
export function planTopology(file: string, settings: TopologySettings, hubNames: readonly string[], clients: readonly ClientSource[]): Topology {
  const base = settings.base_port;
  const hubs = hubNames.map((name, index): HubPlan => ({ kind: 'hub', name, port: base + index, index }));
  const clientPlans = clients.map(
    (c, index): ClientPlan => ({ kind: 'client', name: c.name, port: base + hubs.length + index, index, encryptors: [...c.encryptors] }),
  );
  const hubByName = new Map(hubs.map((h) => [h.name, h]));
  const clientByName = new Map(clientPlans.map((c) => [c.name, c]));
  const clientBySae = new Map(clientPlans.flatMap((c) => c.encryptors.map((sae) => [sae, c] as const)));

  function node(kind: 'hub', name: string): HubPlan | undefined;
  function node(kind: 'client', name: string): ClientPlan | undefined;
  function node(kind: 'hub' | 'client', name: string): NodePlan | undefined;
  function node(kind: 'hub' | 'client', name: string): NodePlan | undefined {
    return kind === 'hub' ? hubByName.get(name) : clientByName.get(name);
  }

  return {
    file,
    settings,
    hubs,
    clients: clientPlans,
    nodes: [...hubs, ...clientPlans],
    clientForEncryptor: (sae) => clientBySae.get(sae),
    node,
  };
}
