/**
 * `stop`: ask each selected node to stop through its mgmt API, clients
 * before hubs, last-started first; end by PID a node that does not answer but
 * is still running the command this manager started; then wait until the
 * ports are free, so that the next `start` can bind them at once. A local
 * node that is not running (nothing listens, no process of ours) is reported
 * and counts as stopped; so stopping twice succeeds.
 *
 * A node reached through --url-base or --node-url may run anywhere (a
 * container, a pod): it is only asked to stop, and then awaited until it no
 * longer answers; no local port or PID is involved. A refused connection
 * there fails stop: it may as well be a wrong URL.
 */
import type { NodePlan } from '@dske/topology';
import type { ManagerContext } from '../context';
import { ManagerError, reasonOf } from '../errors';
import { HttpFailure, httpRequest, NOT_LISTENING } from '../http';
import { isRecordedProcessRunning, readPidRecord, removePidRecord, removeStateDirIfEmpty, terminate, type PidRecord } from '../node-processes';
import { stillWaitingLine, stoppingLine, waitingLine } from '../output';
import { progressText, withProgressSummary } from '../progress-line';
import { busyNodes } from '../port-wait';
import { describeNode, describeNodes, stopOrder } from '../selection';
import { sleep, waitLoop } from '../wait-loop';

export async function stopCommand(ctx: ManagerContext): Promise<void> {
  await withProgressSummary(ctx.io.progress, ctx.selection.nodes.length, 'stopped', () => stop(ctx));
}

async function stop(ctx: ManagerContext): Promise<void> {
  const { io, selection, timings } = ctx;
  const order = stopOrder(selection.nodes);
  const isRemote = (node: NodePlan) => ctx.endpoints.of(node).remote;
  const notStopped: NodePlan[] = [];
  for (const [i, node] of order.entries()) {
    io.out(stoppingLine(node));
    io.progress?.show(`asking ${i + 1} of ${order.length} nodes to stop · ${describeNode(node)}`);
    const failure = await requestStop(ctx, node);
    if (failure === undefined) continue;
    io.err(`Could not stop ${ctx.endpoints.describe(node)}: ${failure}`);
    if (isRemote(node)) {
      // A refused connection to a remote URL may be a wrong URL or a closed port, not a stopped node.
      notStopped.push(node);
      continue;
    }
    const ended = await endByPid(ctx, node);
    if (ended === 'ended') continue;
    // Nothing listens locally and no process of ours runs it: the node is already stopped, which is what stop is for.
    if (ended === 'survived' || failure !== NOT_LISTENING) notStopped.push(node);
  }

  // Local nodes: until their ports are free. Remote nodes that accepted the stop: until they no longer answer.
  const local = order.filter((node) => !isRemote(node));
  const remote = order.filter((node) => isRemote(node) && !notStopped.includes(node));
  io.out(waitingLine(selection.label, 'stopped'));
  const left = await waitLoop({
    timeoutMs: timings.portWaitMs,
    pollEveryMs: timings.pollEveryMs,
    reportEveryMs: timings.reportEveryMs,
    onStillWaiting: (nodes) => io.out(stillWaitingLine(describeNodes(nodes), 'stopped')),
    onProgress: (pending) => io.progress?.show(progressText(order.length - pending.length, order.length, 'stopped', pending.map(describeNode))),
    pending: async () => {
      const [busy, answering] = await Promise.all([busyNodes(local), answeringNodes(ctx, remote)]);
      return order.filter((node) => busy.includes(node) || answering.includes(node));
    },
  });
  await Promise.all(local.map((node) => settle(ctx, node)));
  // A remote node may be one this manager started here: forget its pid file once that process is gone (never
  // signal it). Also for one that refused the connection: a process that was still exiting at the last stop is
  // gone now, and its pid file with it.
  for (const node of order.filter(isRemote)) runningRecord(ctx, node);
  removeStateDirIfEmpty(io.cwd);

  const busy = left.filter((node) => !isRemote(node));
  if (busy.length > 0) {
    const which = busy.map((n) => `${describeNode(n)} (port ${n.port})`).join(', ');
    throw new ManagerError(`ports still in use after ${timings.portWaitMs / 1000} s: ${which}`);
  }
  const answering = left.filter(isRemote);
  if (answering.length > 0) {
    const which = answering.map((n) => `${describeNode(n)} (${ctx.endpoints.of(n).root})`).join(', ');
    throw new ManagerError(`still answering after ${timings.portWaitMs / 1000} s: ${which}`);
  }
  if (notStopped.length > 0) {
    throw new ManagerError(`${notStopped.length} of ${order.length} nodes could not be stopped: ${describeNodes(notStopped)}`);
  }
}

/** Undefined when the node accepted the stop, else why not. */
async function requestStop(ctx: ManagerContext, node: NodePlan): Promise<string | undefined> {
  try {
    const url = `${ctx.endpoints.of(node).api}/mgmt/v1/stop`;
    const answer = await httpRequest('POST', url, { timeoutMs: ctx.timings.stopRequestMs, tls: ctx.endpoints.tlsFor(node), headers: ctx.endpoints.mgmtHeaders(node, ctx.io.env) });
    return answer.status === 200 ? undefined : `mgmt stop answered ${answer.status}`;
  } catch (error) {
    return error instanceof HttpFailure ? error.reason : reasonOf(error);
  }
}

/** The nodes that still answer at their URL (any HTTP answer to /readyz counts). */
async function answeringNodes(ctx: ManagerContext, nodes: readonly NodePlan[]): Promise<NodePlan[]> {
  const answers = await Promise.all(
    nodes.map(async (node) => {
      try {
        await httpRequest('GET', `${ctx.endpoints.of(node).root}/readyz`, { timeoutMs: 2000, tls: ctx.endpoints.tlsFor(node) });
        return true;
      } catch {
        return false;
      }
    }),
  );
  return nodes.filter((_, i) => answers[i]);
}

/** A recorded node process that is still ours, else undefined (and its stale pid file goes). */
function runningRecord(ctx: ManagerContext, node: NodePlan): PidRecord | undefined {
  const record = readPidRecord(ctx.io.cwd, node);
  if (record !== undefined && isRecordedProcessRunning(record)) return record;
  removePidRecord(ctx.io.cwd, node);
  return undefined;
}

/** End by PID the process this manager started for the node: 'none' when there is none. */
async function endByPid(ctx: ManagerContext, node: NodePlan): Promise<'none' | 'ended' | 'survived'> {
  const record = runningRecord(ctx, node);
  if (record === undefined) return 'none';
  const how = await terminate(record.pid, ctx.timings.killGraceMs);
  if (how === 'survived') {
    ctx.io.err(`Could not end ${describeNode(node)} (PID ${record.pid}) even with SIGKILL`);
    return 'survived';
  }
  ctx.io.out(`Ended ${describeNode(node)} (PID ${record.pid}) with ${how}`);
  removePidRecord(ctx.io.cwd, node);
  return 'ended';
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
