/**
 * Drives the real ./manager as a user would: a subprocess in a fresh
 * directory holding a topology file on free ports. Every directory made here
 * is cleaned up by `cleanUp`: `./manager stop`, then SIGKILL for any node
 * process its pid files still name.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortRange } from '@dske/test-support';

export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
export const MANAGER = join(REPO_ROOT, 'manager');
/** The user guide's topology, as the repository ships it. */
export const GUIDE_CONFIG = readFileSync(join(REPO_ROOT, 'dske-config.yaml'), 'utf8');

export interface Run {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

export interface TopologyDir {
  dir: string;
  base: number;
  /** Port of the i-th node in the port plan. */
  port(index: number): number;
}

const lines = (text: string) => {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
};

/** Runs ./manager with `args` in `dir`; never rejects on a non-zero exit. */
export function manager(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(MANAGER, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: lines(stdout), stderr: lines(stderr) }));
  });
}

/** Lines the manager prints only when something is slow; timing-dependent, so exact-output checks drop them. */
export const withoutStillWaiting = (output: string[]) => output.filter((line) => !/^Still waiting for .* to be (started|stopped)$/.test(line));

const made: string[] = [];

/** A fresh directory with `dske-config.yaml`: `yaml` without base_port, which is set to a free port range. */
export async function topologyDir(yaml: string, nodeCount: number): Promise<TopologyDir> {
  const base = await freePortRange(nodeCount);
  const dir = mkdtempSync(join(tmpdir(), 'dske-manager-test-'));
  made.push(dir);
  writeFileSync(join(dir, 'dske-config.yaml'), `base_port: ${base}\n${yaml}`);
  return { dir, base, port: (index) => base + index };
}

export const guideTopology = () => topologyDir(GUIDE_CONFIG, 10);

/** 3 hubs, 2 clients, k = 2: enough for most tests at half the start time of the guide's ten nodes. */
export const SMALL_CONFIG = `min_nr_shares: 2
hubs:
  - name: hank
  - name: helen
  - name: hilary
clients:
  - name: carol
    encryptors:
      - name: sam
  - name: curtis
    encryptors:
      - name: sunny
`;
export const smallTopology = () => topologyDir(SMALL_CONFIG, 5);

interface PidRecord {
  pid: number;
  command: string[];
}

function pidRecords(dir: string): PidRecord[] {
  const state = join(dir, '.dske-manager');
  if (!existsSync(state)) return [];
  return readdirSync(state)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => JSON.parse(readFileSync(join(state, f), 'utf8')) as PidRecord);
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** PIDs from the directory's pid files that still run the recorded node command. */
export function liveNodePids(dir: string): number[] {
  return pidRecords(dir)
    .filter((r) => commandLine(r.pid) === r.command.join(' '))
    .map((r) => r.pid);
}

/** Stops whatever the tests started in `dir` (also after a failed test), then removes it. */
export async function cleanUp(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await manager(dir, ['stop'], { DSKE_MANAGER_PORT_WAIT_SECS: '10' });
  for (const pid of liveNodePids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export async function cleanUpAll(): Promise<void> {
  while (made.length > 0) await cleanUp(made.pop() as string);
}

/** Parses the output of `status`: a header line, then that node's JSON, for each node. */
export function parseStatus(stdout: string[]): Array<{ header: string; status: Record<string, unknown> }> {
  const nodes: Array<{ header: string; json: string[] }> = [];
  for (const line of stdout) {
    if (line.startsWith('Status for ')) nodes.push({ header: line, json: [] });
    else nodes[nodes.length - 1]?.json.push(line);
  }
  return nodes.map((n) => ({ header: n.header, status: JSON.parse(n.json.join('\n')) as Record<string, unknown> }));
}

/** The JSON bodies printed after each ETSI header line. */
export function parseEtsi(stdout: string[]): Array<{ header: string; body: Record<string, unknown> }> {
  const calls: Array<{ header: string; json: string[] }> = [];
  for (const line of stdout) {
    if (line.startsWith('Invoke ETSI QKD ')) calls.push({ header: line, json: [] });
    else if (line === 'Key values match' || line === 'Key values do not match') continue;
    else calls[calls.length - 1]?.json.push(line);
  }
  return calls.map((c) => ({ header: c.header, body: JSON.parse(c.json.join('\n')) as Record<string, unknown> }));
}
