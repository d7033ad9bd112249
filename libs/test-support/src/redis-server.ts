import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePortRange } from './ports';

const servers = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of servers) child.kill('SIGKILL');
});

/** True when a Redis on 127.0.0.1:port answers PING with PONG within `timeoutMs`. */
export function redisAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * A redis-server of the test's own on a free port of 127.0.0.1, which the
 * test may stop, start again on the same port, or freeze. Nothing on disk,
 * unless given `dataDir`: then an append-only file there, fsynced at every
 * write, as the generated deployments run it (what it was told survives a
 * kill). Everything started is killed by PID in stop() and when the process
 * exits.
 */
export class RedisServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly dataDir?: string,
  ) {}

  static async start(options: { dataDir?: string } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePortRange(1), options.dataDir);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const persistence = this.dataDir === undefined ? ['--appendonly', 'no'] : ['--dir', this.dataDir, '--appendonly', 'yes', '--appendfsync', 'always'];
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' });
    this.child = child;
    servers.add(child);
    child.once('exit', () => servers.delete(child));
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers(this.port)) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`redis-server on port ${this.port} did not answer`);
  }

  /** Kill by PID (SIGKILL: Redis away at once, as in a crash) and wait for the exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.kill('SIGCONT');
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** Freeze the server (SIGSTOP): connections stay open but nothing answers, like a Redis that hangs. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }
}
