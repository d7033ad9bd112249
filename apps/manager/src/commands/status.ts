/**
 * `status`: each selected node's mgmt status, a header line then the JSON,
 * so that `./manager --client carol status | tail -n +2 | jq` works.
 * Problems go to stderr, keeping stdout parseable.
 */
import type { NodePlan } from '@dske/topology';
import type { ManagerContext } from '../context';
import { ManagerError, reasonOf } from '../errors';
import { HttpFailure, httpRequest } from '../http';
import { nodeBaseUrl } from '../node-urls';
import { prettyBody, statusHeader } from '../output';
import { describeNode, describeNodes } from '../selection';

export async function statusCommand(ctx: ManagerContext): Promise<void> {
  const { io } = ctx;
  const failed: NodePlan[] = [];
  for (const node of ctx.selection.nodes) {
    io.out(statusHeader(node));
    try {
      const answer = await httpRequest('GET', `${nodeBaseUrl(node)}/mgmt/v1/status`, { timeoutMs: ctx.timings.requestMs });
      if (answer.status === 200) {
        io.out(prettyBody(answer.text, answer.json));
        continue;
      }
      io.err(`Could not get status of ${describeNode(node)} on port ${node.port}: mgmt status answered ${answer.status}`);
    } catch (error) {
      io.err(`Could not get status of ${describeNode(node)} on port ${node.port}: ${error instanceof HttpFailure ? error.reason : reasonOf(error)}`);
    }
    failed.push(node);
  }
  if (failed.length > 0) throw new ManagerError(`could not get the status of ${describeNodes(failed)}`);
}
