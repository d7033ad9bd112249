/**
 * `reset`: wipe the state of the selected local nodes (registrations, PSRD
 * pools, undelivered shares, storage keys) so that their next start begins
 * afresh. Refused while a selected node runs: its state is in use.
 */
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ManagerContext } from '../context';
import { ManagerError } from '../errors';
import { isRecordedProcessRunning, NODE_STATE_ROOT, nodeStateDir, readPidRecord, removeStateDirIfEmpty } from '../node-processes';
import { busyNodes } from '../port-wait';
import { describeNode, describeNodes } from '../selection';

export async function resetCommand(ctx: ManagerContext): Promise<void> {
  const { io, selection } = ctx;
  const recorded = selection.nodes.filter((node) => {
    const record = readPidRecord(io.cwd, node);
    return record !== undefined && isRecordedProcessRunning(record);
  });
  const busy = await busyNodes(selection.nodes);
  const running = selection.nodes.filter((node) => recorded.includes(node) || busy.includes(node));
  if (running.length > 0) throw new ManagerError(`reset: ${describeNodes(running)} still running; stop them first ('./manager stop'), nothing was reset`);
  for (const node of selection.nodes) {
    const dir = nodeStateDir(node);
    const path = join(io.cwd, dir);
    if (!existsSync(path)) {
      io.out(`No state to reset for ${describeNode(node)}`);
      continue;
    }
    rmSync(path, { recursive: true, force: true });
    io.out(`Reset ${describeNode(node)}: removed ${dir}`);
  }
  try {
    rmdirSync(join(io.cwd, NODE_STATE_ROOT));
  } catch {
    // Other nodes' state remains, or there was none.
  }
  removeStateDirIfEmpty(io.cwd);
}
