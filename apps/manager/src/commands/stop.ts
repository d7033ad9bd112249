/**
 * `stop`: ask each selected node to stop through its mgmt API, clients
 * before hubs, last-started first; end by PID a node that does not answer but
 * is still running the command this manager started; then wait until the
 * ports are free, so that the next `start` can bind them at once.
 */
import type { NodePlan } from '@dske/topology';
import type { ManagerContext } from '../context';
import { ManagerError, reasonOf } from '../errors';
import { HttpFailure, httpRequest } from '../http';
import { isRecordedProcessRunning, readPidRecord, removePidRecord, removeStateDirIfEmpty, terminate, type PidRecord } from '../node-processes';
import { nodeBaseUrl } from '../node-urls';
import { stillWaitingLine, stoppingLine, waitingLine } from '../output';
import { waitForFreePorts } from '../port-wait';
import { describeNode, describeNodes, stopOrder } from '../selection';
import { sleep } from '../wait-loop';

export async function stopCommand(ctx: ManagerContext): Promise<void> {
  const { io, selection, timings } = ctx;
  const order = stopOrder(selection.nodes);
  const notStopped: NodePlan[] = [];
  for (const node of order) {
    io.out(stoppingLine(node));
    const failure = await requestStop(ctx, node);
    if (failure === undefined) continue;
    io.err(`Could not stop ${describeNode(node)} on port ${node.port}: ${failure}`);
    if (!(await endByPid(ctx, node))) notStopped.push(node);
  }

  io.out(waitingLine(selection.label, 'stopped'));
  const busy = await waitForFreePorts(order, {
    timeoutMs: timings.portWaitMs,
    pollEveryMs: timings.pollEveryMs,
    reportEveryMs: timings.reportEveryMs,
    onStillWaiting: (nodes) => io.out(stillWaitingLine(describeNodes(nodes), 'stopped')),
  });
  await Promise.all(order.map((node) => settle(ctx, node)));
  removeStateDirIfEmpty(io.cwd);

  if (busy.length > 0) {
    const which = busy.map((n) => `${describeNode(n)} (port ${n.port})`).join(', ');
    throw new ManagerError(`ports still in use after ${timings.portWaitMs / 1000} s: ${which}`);
  }
  if (notStopped.length > 0) {
    throw new ManagerError(`${notStopped.length} of ${order.length} nodes could not be stopped (not running?): ${describeNodes(notStopped)}`);
  }
}

/** Undefined when the node accepted the stop, else why not. */
async function requestStop(ctx: ManagerContext, node: NodePlan): Promise<string | undefined> {
  try {
    const answer = await httpRequest('POST', `${nodeBaseUrl(node)}/mgmt/v1/stop`, { timeoutMs: ctx.timings.stopRequestMs });
    return answer.status === 200 ? undefined : `mgmt stop answered ${answer.status}`;
  } catch (error) {
    return error instanceof HttpFailure ? error.reason : reasonOf(error);
  }
}

/** A recorded node process that is still ours, else undefined (and its stale pid file goes). */
function runningRecord(ctx: ManagerContext, node: NodePlan): PidRecord | undefined {
  const record = readPidRecord(ctx.io.cwd, node);
  if (record !== undefined && isRecordedProcessRunning(record)) return record;
  removePidRecord(ctx.io.cwd, node);
  return undefined;
}

/** True when a process this manager started for the node was found and ended. */
async function endByPid(ctx: ManagerContext, node: NodePlan): Promise<boolean> {
  const record = runningRecord(ctx, node);
  if (record === undefined) return false;
  const how = await terminate(record.pid, ctx.timings.killGraceMs);
  if (how === 'survived') {
    ctx.io.err(`Could not end ${describeNode(node)} (PID ${record.pid}) even with SIGKILL`);
    return false;
  }
  ctx.io.out(`Ended ${describeNode(node)} (PID ${record.pid}) with ${how}`);
  removePidRecord(ctx.io.cwd, node);
  return true;
}

/**
 * After the ports are free a stopped node is still finishing its exit; give
 * it the grace period, then end it by PID, so `stop` leaves no process behind.
 */
async function settle(ctx: ManagerContext, node: NodePlan): Promise<void> {
  const deadline = Date.now() + ctx.timings.killGraceMs;
  for (;;) {
    const record = runningRecord(ctx, node);
    if (record === undefined) return;
    if (Date.now() >= deadline) {
      const how = await terminate(record.pid, ctx.timings.killGraceMs);
      if (how === 'survived') ctx.io.err(`Could not end ${describeNode(node)} (PID ${record.pid}) even with SIGKILL`);
      else ctx.io.out(`Ended ${describeNode(node)} (PID ${record.pid}) with ${how}`);
      removePidRecord(ctx.io.cwd, node);
      return;
    }
    await sleep(100);
  }
}
