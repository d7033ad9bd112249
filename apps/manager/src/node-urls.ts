/** Where the manager reaches a node: its base URL on 127.0.0.1, where the node listens. */
import { clientBaseUrl, DEFAULT_HOST, hubBaseUrl, type NodePlan } from '@dske/topology';

export function nodeBaseUrl(node: NodePlan): string {
  return node.kind === 'hub' ? hubBaseUrl(DEFAULT_HOST, node.port, node.name) : clientBaseUrl(DEFAULT_HOST, node.port, node.name);
}
