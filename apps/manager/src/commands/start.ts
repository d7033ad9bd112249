/**
 * `start`: wait for free ports, launch one detached process per selected
 * node (the hubs, and once they are ready the clients), wait until each is
 * ready. A start that fails (a node exits, or is not
 * ready in time) stops the nodes it launched, so that a failed start leaves
 * nothing half-running to block the next one.
 */
import { existsSync } from 'node:fs';
import type { NodePlan } from '@dske/topology';
import type { ManagerContext } from '../context';
import { ManagerError } from '../errors';
import { CREATE_HINT } from '../lab-pki-files';
import { launchNode, logFileName, logTail, nodeProgram, removePidRecord, terminate, type LaunchedNode, type NodeKind } from '../node-processes';
import { startingLine, stillWaitingLine, waitingLine } from '../output';
import { progressText, withProgressSummary } from '../progress-line';
import { waitForFreePorts } from '../port-wait';
import { NodesExited, waitForReady } from '../readiness';
import { describeNode, describeNodes } from '../selection';

export interface StartOptions {
  /** The program each node kind runs; tests substitute one that fails. */
  programFor?(kind: NodeKind): string;
}

const secs = (ms: number) => `${ms / 1000} s`;

export async function startCommand(ctx: ManagerContext, options: StartOptions = {}): Promise<void> {
  await withProgressSummary(ctx.io.progress, ctx.selection.nodes.length, 'ready', () => start(ctx, options));
}

async function start(ctx: ManagerContext, options: StartOptions): Promise<void> {
  const { io, selection, timings, topology } = ctx;
  const programFor = options.programFor ?? nodeProgram;
  for (const kind of new Set(selection.nodes.map((n) => n.kind))) {
    const program = programFor(kind);
    if (!existsSync(program)) throw new ManagerError(`the ${kind} program ${program} is missing; build it with 'npm run build'`);
  }
  // With tls_dir the clients serve HTTPS with the lab PKI: a missing file would only show as a client dying during start.
  const pki = ctx.endpoints.pki;
  const clients = selection.nodes.filter((n) => n.kind === 'client');
  if (pki !== undefined && clients.length > 0) {
    const missing = pki.missingFor(clients);
    if (missing.length > 0) throw new ManagerError(`tls_dir ${pki.dir} lacks ${missing.join(', ')}; ${CREATE_HINT}`);
  }

  io.out(waitingLine(selection.label, 'stopped'));
  const busy = await waitForFreePorts(selection.nodes, {
    timeoutMs: timings.portWaitMs,
    pollEveryMs: timings.pollEveryMs,
    reportEveryMs: timings.reportEveryMs,
    onStillWaiting: (nodes) => io.out(stillWaitingLine(describeNodes(nodes), 'stopped')),
    onProgress: (nodes) => {
      if (nodes.length > 0) io.progress?.show(`${selection.nodes.length - nodes.length} of ${selection.nodes.length} ports free · waiting for ${nodes.map((n) => `${describeNode(n)} (${n.port})`).join(', ')}`);
    },
  });
  if (busy.length > 0) {
    const which = busy.map((n) => `${describeNode(n)} (port ${n.port})`).join(', ');
    throw new ManagerError(`the nodes from a previous run were not stopped: ${which} still in use after ${secs(timings.portWaitMs)}; stop them with './manager stop'`);
  }

  const launched: LaunchedNode[] = [];
  const launch = (nodes: readonly NodePlan[]) => {
    for (const node of nodes) {
      io.out(startingLine(node));
      launched.push(launchNode(topology, node, io.cwd, io.env, programFor(node.kind)));
    }
  };
  // Hubs first, ready before any client starts: a client then registers at its first attempt (no connection
  // refused, no second-long retry).
  const hubs = selection.nodes.filter((n) => n.kind === 'hub');
  launch(hubs);
  if (hubs.length > 0 && clients.length > 0) await readyOrStop(ctx, launched, launched);
  launch(clients);

  io.out(waitingLine(selection.label, 'started'));
  await readyOrStop(ctx, launched, launched);
}

/** Wait until `waitFor` are ready; if one exits or is not ready in time, stop everything this run launched and fail. */
async function readyOrStop(ctx: ManagerContext, waitFor: readonly LaunchedNode[], launched: readonly LaunchedNode[]): Promise<void> {
  const { io, timings } = ctx;
  try {
    const notReady = await waitForReady(waitFor, {
      endpoints: ctx.endpoints,
      timeoutMs: timings.readyWaitMs,
      pollEveryMs: timings.pollEveryMs,
      reportEveryMs: timings.readyReportEveryMs,
      onStillWaiting: (nodes) => io.out(stillWaitingLine(describeNodes(nodes), 'started')),
      onProgress: (pending) => {
        const total = ctx.selection.nodes.length;
        io.progress?.show(progressText(launched.length - pending.length, total, 'ready', pending.map(describeNode)));
      },
    });
    if (notReady.length === 0) return;
    for (const { node, reason } of notReady) io.err(`Node ${describeNode(node)} on port ${node.port} is not ready: ${reason}`);
    await stopLaunched(ctx, launched);
    throw new ManagerError(`start failed: not ready after ${secs(timings.readyWaitMs)}: ${describeNodes(notReady.map((n) => n.node))}`);
  } catch (error) {
    if (!(error instanceof NodesExited)) throw error;
    for (const dead of error.nodes) reportExit(ctx, dead);
    await stopLaunched(ctx, launched);
    throw new ManagerError(`start failed: ${describeNodes(error.nodes.map((n) => n.node))} exited during start`);
  }
}

function reportExit(ctx: ManagerContext, dead: LaunchedNode): void {
  const how = dead.exit?.signal ? `signal ${dead.exit.signal}` : `exit code ${dead.exit?.code ?? 'unknown'}`;
  ctx.io.err(`Node ${describeNode(dead.node)} exited during start (${how}); last lines of ${logFileName(dead.node)}:`);
  for (const line of logTail(dead.logFile)) ctx.io.err(`  ${line}`);
}

/** Ends every node this run launched (those still running) and forgets their pid files. */
async function stopLaunched(ctx: ManagerContext, launched: readonly LaunchedNode[]): Promise<void> {
  const running = launched.filter((n) => n.exit === undefined && n.child.pid !== undefined);
  if (running.length > 0) ctx.io.err(`Stopping the nodes started in this run: ${describeNodes(running.map((n) => n.node))}`);
  await Promise.all(running.map((n) => terminate(n.child.pid as number, ctx.timings.killGraceMs)));
  for (const n of launched) removePidRecord(ctx.io.cwd, n.node);
}


