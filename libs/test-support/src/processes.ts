import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_PROGRAM_FILE, NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS } from '@dske/topology';

/** Repository root, from libs/test-support/{src,dist}. */
export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const LOG_DIR = join(REPO_ROOT, 'tmp', 'test-logs');

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface NodeProcess {
  name: string;
  kind: 'hub' | 'client';
  port: number;
  child: ChildProcess;
  logFile: string;
  /** Kill by PID and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  log(): string;
}

/** Extra Node flags for every node the tests start, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a benchmark. */
const EXTRA_NODE_FLAGS = (process.env.DSKE_TEST_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** Start `node <flags> apps/<kind>/dist/node.js <args>` as the manager does, with its output in tmp/test-logs. */
export function spawnNode(kind: 'hub' | 'client', name: string, port: number, args: string[], env: NodeJS.ProcessEnv = {}): NodeProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${kind}-${name}-${port}.out`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [...NODE_RUNTIME_FLAGS, ...EXTRA_NODE_FLAGS, join(REPO_ROOT, 'apps', kind, NODE_PROGRAM_FILE), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...NODE_RUNTIME_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  return {
    name,
    kind,
    port,
    child,
    logFile,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A node asked to stop (SIGTERM) that is still running after 10 s is ended: a test never hangs on it.
      const ended = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(ended);
    },
    log: () => readFileSync(logFile, 'utf8'),
  };
}

/** The HTTP status a URL answers with, and the message of a JSON error body (throws when nothing listens). */
export type StatusProbe = (url: string) => Promise<{ status: number; message?: string }>;

const fetchStatus: StatusProbe = async (url) => {
  const answer = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return { status: answer.status, message: probeMessage(await answer.text()) };
};

/** The `message` of a JSON error body (a node's /readyz says why it is not ready), if any. */
export function probeMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** Poll a URL until it answers 200, the process dies, or time runs out; a timeout names the last answer. */
export async function waitForReady(url: string, node: NodeProcess, timeoutMs = 30_000, probe: StatusProbe = fetchStatus): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (node.child.exitCode !== null) throw new Error(`${node.kind} ${node.name} exited with ${node.child.exitCode}:\n${node.log().slice(-2000)}`);
    try {
      const answer = await probe(url);
      // Our node logs "listening on" once it has bound its port: a 200 from some other process on that port does not count.
      if (answer.status === 200 && node.log().includes(' listening on ')) return;
      const why = answer.status === 200 ? ' (its log has no "listening on" yet)' : answer.message === undefined ? '' : ` ${answer.message}`;
      last = `${answer.status}${why} after ${Date.now() - started} ms`;
    } catch (error) {
      last = `${(error as Error).message} after ${Date.now() - started} ms`;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${node.kind} ${node.name} not ready at ${url} after ${timeoutMs} ms; last answer: ${last}\n${node.log().slice(-4000)}`);
}
