/**
 * Waiting for started nodes to be ready: each answers 200 on /readyz only
 * once it can do its job (a client: registered with min_nr_shares hubs that
 * gave it PSRD). A bound port is not enough, since the first key request
 * would then fail. A node whose process exits ends the wait at once.
 */
import type { NodePlan } from '@dske/topology';
import type { Endpoints } from './endpoints';
import { HttpFailure, httpRequest } from './http';
import type { LaunchedNode } from './node-processes';
import { waitLoop } from './wait-loop';

export interface NotReady {
  node: NodePlan;
  /** The node's own /readyz message, or why it did not answer. */
  reason: string;
}

/** Thrown when started nodes exit before they are ready. */
export class NodesExited extends Error {
  constructor(readonly nodes: LaunchedNode[]) {
    super(`${nodes.length} node(s) exited during start`);
    this.name = 'NodesExited';
  }
}

export interface ReadinessOptions {
  /** Where each node answers (HTTPS for the clients of a topology with tls_dir). */
  endpoints: Endpoints;
  timeoutMs: number;
  pollEveryMs: number;
  reportEveryMs: number;
  onStillWaiting(nodes: NodePlan[]): void;
  onProgress?(pending: NodePlan[]): void;
}

export const readyUrl = (endpoints: Endpoints, node: NodePlan): string => `${endpoints.of(node).root}/readyz`;

async function probe(endpoints: Endpoints, node: NodePlan): Promise<string | undefined> {
  try {
    const answer = await httpRequest('GET', readyUrl(endpoints, node), { timeoutMs: 2000, tls: endpoints.tlsFor(node) });
    if (answer.status === 200) return undefined;
    const message = (answer.json as { message?: unknown } | undefined)?.message;
    return `readyz answered ${answer.status}${typeof message === 'string' ? `: ${message}` : ''}`;
  } catch (error) {
    if (error instanceof HttpFailure) return `no answer ${endpoints.where(node)} (${error.reason})`;
    return error instanceof Error ? error.message : String(error);
  }
}

/** Resolves to the nodes not ready at the deadline (empty when all are ready); throws NodesExited. */
export async function waitForReady(launched: readonly LaunchedNode[], options: ReadinessOptions): Promise<NotReady[]> {
  let pending = [...launched];
  const reasons = new Map<LaunchedNode, string>();
  const left = await waitLoop({
    ...options,
    onStillWaiting: (nodes) => options.onStillWaiting(nodes.map((n) => n.node)),
    onProgress: (nodes) => options.onProgress?.(nodes.map((n) => n.node)),
    pending: async () => {
      const results = await Promise.all(pending.map((n) => probe(options.endpoints, n.node)));
      // Checked after the probe: a node that died while we asked is caught now, not a poll later.
      const exited = launched.filter((n) => n.exit !== undefined);
      if (exited.length > 0) throw new NodesExited(exited);
      pending.forEach((n, i) => {
        const reason = results[i];
        if (reason !== undefined) reasons.set(n, reason);
      });
      pending = pending.filter((_, i) => results[i] !== undefined);
      return pending;
    },
  });
  return left.map((n) => ({ node: n.node, reason: reasons.get(n) ?? 'not ready' }));
}
