/**
 * `status`: each selected node's mgmt status, a header line then the JSON,
 * so that `./manager --client carol status | tail -n +2 | jq` works.
 * Problems go to stderr, keeping stdout parseable.
 */
import type { NodePlan } from '@dske/topology';
import type { ManagerContext } from '../context';
import { ManagerError, reasonOf } from '../errors';
import { HttpFailure, httpRequest } from '../http';
import { prettyBody, statusHeader } from '../output';
import { describeNodes } from '../selection';

export async function statusCommand(ctx: ManagerContext): Promise<void> {
  const { io, endpoints } = ctx;
  const failed: NodePlan[] = [];
  for (const node of ctx.selection.nodes) {
    io.out(statusHeader(node));
    try {
      const url = `${endpoints.of(node).api}/mgmt/v1/status`;
      const answer = await httpRequest('GET', url, { timeoutMs: ctx.timings.requestMs, tls: endpoints.tlsFor(node), headers: endpoints.mgmtHeaders(node, io.env) });
      if (answer.status === 200) {
        io.out(prettyBody(answer.text, answer.json));
        continue;
      }
      io.err(`Could not get status of ${endpoints.describe(node)}: mgmt status answered ${answer.status}`);
    } catch (error) {
      io.err(`Could not get status of ${endpoints.describe(node)}: ${error instanceof HttpFailure ? error.reason : reasonOf(error)}`);
    }
    failed.push(node);
  }
  if (failed.length > 0) throw new ManagerError(`could not get the status of ${describeNodes(failed)}`);
}
