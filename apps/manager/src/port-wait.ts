/**
 * Is a node's port free for the next start? Answered with a bind test using
 * Node's own listen, exactly what the node will do: libuv sets SO_REUSEADDR,
 * so connections lingering in TIME_WAIT do not count as busy, while a live
 * listener (an old node still running, or any other program) does. Counting
 * sockets with netstat would wait up to 60 s for TIME_WAIT for nothing.
 */
import { createServer } from 'node:net';
import { DEFAULT_HOST, type NodePlan } from '@dske/topology';
import { waitLoop } from './wait-loop';

export function isPortFree(port: number, host: string = DEFAULT_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host }, () => server.close(() => resolve(true)));
  });
}

export async function busyNodes(nodes: readonly NodePlan[]): Promise<NodePlan[]> {
  const free = await Promise.all(nodes.map((node) => isPortFree(node.port)));
  return nodes.filter((_, i) => !free[i]);
}

export interface PortWaitOptions {
  timeoutMs: number;
  pollEveryMs: number;
  reportEveryMs: number;
  onStillWaiting(busy: NodePlan[]): void;
  onProgress?(busy: NodePlan[]): void;
}

/** Waits until every node's port is free; resolves to the nodes whose port is still busy at the deadline. */
export function waitForFreePorts(nodes: readonly NodePlan[], options: PortWaitOptions): Promise<NodePlan[]> {
  return waitLoop({ ...options, pending: () => busyNodes(nodes) });
}
