/** The topology written back as a topology file, every default spelled out (for the Kubernetes ConfigMap). */
import type { Topology } from '../plan';
import { TOPOLOGY_DEFAULTS } from '../settings';
import { toYaml } from './common';

export function renderTopologyYaml(topology: Topology): string {
  const s = topology.settings;
  const doc: Record<string, unknown> = {};
  for (const key of Object.keys(TOPOLOGY_DEFAULTS) as Array<keyof typeof TOPOLOGY_DEFAULTS>) doc[key] = s[key];
  if (s.allow_single_share) doc.allow_single_share = true;
  if (s.redis_url !== undefined) doc.redis_url = s.redis_url;
  if (s.tls_dir !== undefined) doc.tls_dir = s.tls_dir;
  doc.hubs = topology.hubs.map((h) => ({ name: h.name }));
  doc.clients = topology.clients.map((c) => ({ name: c.name, encryptors: c.encryptors.map((name) => ({ name })) }));
  return toYaml(doc);
}
