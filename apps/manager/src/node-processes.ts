/**
 * Node processes the manager starts: one detached `node` process per node,
 * output in `<kind>-<name>.out`, a pid file in `.dske-manager/`, both in the
 * working directory (as manager.py keeps its .out files there). The pid file
 * lets `stop` end a node that no longer answers, but only after checking that
 * the PID still runs exactly the command the manager started (PIDs get reused).
 */
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_SETTINGS, clientArgs, HUB_SETTINGS, hubArgs, MGMT_TOKEN_ENV, NODE_NAME_ENV, NODE_PROGRAM_FILE, NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS, type NodePlan, type Topology } from '@dske/topology';
import type { NodeKind } from './selection';
import { sleep } from './wait-loop';

export type { NodeKind };

/** apps/, from apps/manager/dist (built) or apps/manager/src (tests). */
const APPS_DIR = join(__dirname, '..', '..');

/** The built node program, e.g. <repo>/apps/hub/dist/node.js (NODE_PROGRAM_FILE). */
export function nodeProgram(kind: NodeKind): string {
  return join(APPS_DIR, kind, NODE_PROGRAM_FILE);
}

/**
 * The full command line, as `ps` will show it: node <flags> <program> <name>
 * --port ... --state-dir .dske-manager/state/KIND-NAME (relative: nodes run in
 * the manager's working directory).
 */
export function nodeCommand(topology: Topology, node: NodePlan, program: string = nodeProgram(node.kind)): string[] {
  const opts = { extra: () => ({ state_dir: nodeStateDir(node) }) };
  const args = node.kind === 'hub' ? hubArgs(topology, node, opts) : clientArgs(topology, node, opts);
  return [process.execPath, ...NODE_RUNTIME_FLAGS, program, ...args];
}

/**
 * The node's environment: ours minus the variables the node programs read
 * settings from (DSKE_PORT, REDIS_URL, ...), plus NODE_RUNTIME_ENV. The topology file is the only
 * source of a managed node's settings; a stray REDIS_URL or DSKE_HOST in the
 * user's shell must not change what `start` runs.
 */
export function nodeEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const settingVariables = new Set([NODE_NAME_ENV, ...HUB_SETTINGS.map((s) => s.env), ...CLIENT_SETTINGS.map((s) => s.env)]);
  // Except the mgmt token: it is not part of the topology, and the manager uses the same one to reach the nodes
  // (in the environment, not on the command line, where ps would show it).
  settingVariables.delete(MGMT_TOKEN_ENV);
  return { ...Object.fromEntries(Object.entries(env).filter(([name]) => !settingVariables.has(name))), ...NODE_RUNTIME_ENV };
}

export const logFileName = (node: Pick<NodePlan, 'kind' | 'name'>): string => `${node.kind}-${node.name}.out`;

export const STATE_DIR = '.dske-manager';
/** Where the nodes keep what outlives their processes (registrations, PSRD pools, shares, storage keys), relative to the working directory. */
export const NODE_STATE_ROOT = join(STATE_DIR, 'state');
export const nodeStateDir = (node: Pick<NodePlan, 'kind' | 'name'>): string => join(NODE_STATE_ROOT, `${node.kind}-${node.name}`);
const pidFile = (cwd: string, node: Pick<NodePlan, 'kind' | 'name'>) => join(cwd, STATE_DIR, `${node.kind}-${node.name}.pid`);

/** What a pid file holds (JSON). */
export interface PidRecord {
  kind: NodeKind;
  name: string;
  port: number;
  pid: number;
  /** argv of the process, compared with /proc/PID/cmdline before any kill. */
  command: string[];
  started_at: string;
}

export function writePidRecord(cwd: string, record: PidRecord): void {
  mkdirSync(join(cwd, STATE_DIR), { recursive: true });
  writeFileSync(pidFile(cwd, record), `${JSON.stringify(record, null, 2)}\n`);
}

export function readPidRecord(cwd: string, node: Pick<NodePlan, 'kind' | 'name'>): PidRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(pidFile(cwd, node), 'utf8')) as Partial<PidRecord>;
    if (typeof record.pid !== 'number' || !Array.isArray(record.command)) return undefined;
    return record as PidRecord;
  } catch {
    return undefined;
  }
}

export function removePidRecord(cwd: string, node: Pick<NodePlan, 'kind' | 'name'>): void {
  rmSync(pidFile(cwd, node), { force: true });
}

/** Removes the pid file directory once no node is recorded in it, so a stopped topology leaves only its logs. */
export function removeStateDirIfEmpty(cwd: string): void {
  try {
    rmdirSync(join(cwd, STATE_DIR));
  } catch {
    // Missing, or pid files remain.
  }
}

/** argv of a running process; undefined when it is gone or a zombie. */
export function processCommandLine(pid: number): string[] | undefined {
  const proc = `/proc/${pid}`;
  if (existsSync('/proc/self/cmdline')) {
    try {
      // A zombie has exited; its PID only waits to be reaped.
      const stat = readFileSync(`${proc}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
      const argv = readFileSync(`${proc}/cmdline`, 'utf8').split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
      return argv.length > 0 ? argv : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    // No /proc (macOS): ps gives the command line as one string.
    const line = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return line === '' ? undefined : [line];
  } catch {
    return undefined;
  }
}

/** True when the recorded PID is alive and still runs the command the manager started. */
export function isRecordedProcessRunning(record: PidRecord): boolean {
  const argv = processCommandLine(record.pid);
  return argv !== undefined && argv.join(' ') === record.command.join(' ');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return processCommandLine(pid) !== undefined || !existsSync('/proc/self/cmdline');
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

export type Termination = 'SIGTERM' | 'SIGKILL' | 'survived';

/** SIGTERM (the node closes its server and exits), then SIGKILL after the grace period. */
export async function terminate(pid: number, graceMs: number): Promise<Termination> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'SIGTERM';
  signal('SIGKILL');
  return (await waitForExit(pid, 2000)) ? 'SIGKILL' : 'survived';
}

/** A node started by this run of the manager. */
export interface LaunchedNode {
  node: NodePlan;
  child: ChildProcess;
  logFile: string;
  record: PidRecord;
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * Start the node in its own session (detached), so that it outlives the
 * manager and a Ctrl-C or closed terminal does not take it down; its stdin is
 * /dev/null and its output goes to the (truncated) log file.
 */
export function launchNode(topology: Topology, node: NodePlan, cwd: string, env: NodeJS.ProcessEnv, program?: string): LaunchedNode {
  const command = nodeCommand(topology, node, program);
  const logFile = join(cwd, logFileName(node));
  const log = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(command[0], command.slice(1), { cwd, env: nodeEnvironment(env), detached: true, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const record: PidRecord = { kind: node.kind, name: node.name, port: node.port, pid: child.pid ?? -1, command, started_at: new Date().toISOString() };
  const launched: LaunchedNode = { node, child, logFile, record };
  child.once('exit', (code, signal) => {
    launched.exit = { code, signal };
  });
  // A failed spawn (say, EAGAIN) surfaces as an exit the readiness wait reports.
  child.once('error', () => {
    launched.exit ??= { code: null, signal: null };
  });
  // The manager's own exit must not wait for its nodes.
  child.unref();
  if (child.pid !== undefined) writePidRecord(cwd, record);
  return launched;
}

/** The last lines of a node's log, for a report when it dies during start. */
export function logTail(file: string, lines = 20): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all.slice(-lines);
}
