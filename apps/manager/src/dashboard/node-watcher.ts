/**
 * Asks every node of the topology for its mgmt status once per poll
 * interval, each node on its own schedule (a node that hangs does not delay
 * the others), over one keep-alive connection per node. Each answer, or its
 * absence, goes to the model; `onChange` is told when a node turns up or down.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { NodePlan } from '@dske/topology';
import type { Endpoints } from '../endpoints';
import { reasonOf } from '../errors';
import { HttpFailure, httpRequest } from '../http';
import type { DashboardModel } from './dashboard-model';

export interface WatchOptions {
  pollEveryMs: number;
  /** Longer than this and the node counts as down (it must stay below the 3 s the page promises). */
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  onChange(): void;
}

export class NodeWatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly agents = new Map<string, HttpAgent>();
  private stopped = false;

  constructor(
    private readonly nodes: readonly NodePlan[],
    private readonly endpoints: Endpoints,
    private readonly model: DashboardModel,
    private readonly options: WatchOptions,
  ) {}

  start(): void {
    for (const node of this.nodes) void this.poll(node);
  }

  /** One fresh mgmt status of a node (the page's raw view): the answer, or why there is none. */
  async fetchStatus(node: NodePlan): Promise<{ status: number; body: unknown } | { failure: string }> {
    try {
      const answer = await httpRequest('GET', `${this.endpoints.of(node).api}/mgmt/v1/status`, {
        timeoutMs: this.options.timeoutMs,
        tls: this.endpoints.tlsFor(node),
        headers: this.endpoints.mgmtHeaders(node, this.options.env),
        agent: this.agentFor(node),
      });
      return { status: answer.status, body: answer.json ?? answer.text };
    } catch (error) {
      return { failure: error instanceof HttpFailure ? error.reason : reasonOf(error) };
    }
  }

  private agentFor(node: NodePlan): HttpAgent {
    const id = `${node.kind}/${node.name}`;
    let agent = this.agents.get(id);
    if (agent === undefined) {
      const https = new URL(this.endpoints.of(node).api).protocol === 'https:';
      agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 2 }) : new HttpAgent({ keepAlive: true, maxSockets: 2 });
      this.agents.set(id, agent);
    }
    return agent;
  }

  private async poll(node: NodePlan): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    const answer = await this.fetchStatus(node);
    if (this.stopped) return;
    const reading =
      'failure' in answer
        ? { up: false, reason: answer.failure }
        : answer.status === 200
          ? { up: true, status: answer.body }
          : { up: false, reason: `mgmt status answered ${answer.status}${answer.status === 401 ? ' (a mgmt token is needed: --credentials)' : ''}` };
    if (this.model.update(node, reading, new Date())) this.options.onChange();
    const wait = Math.max(0, this.options.pollEveryMs - (Date.now() - started));
    this.timers.set(`${node.kind}/${node.name}`, setTimeout(() => void this.poll(node), wait));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const agent of this.agents.values()) agent.destroy();
  }
}
