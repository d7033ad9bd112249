import { createServer, connect, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { NodePlan } from '@dske/topology';
import { freePortRange } from '@dske/test-support';
import { isPortFree, waitForFreePorts } from './port-wait';
import { waitLoop } from './wait-loop';

const listen = (port: number) =>
  new Promise<Server>((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const hub = (port: number): NodePlan => ({ kind: 'hub', name: `h${port}`, port, index: 0 });

describe('isPortFree', () => {
  it('is false while something listens, true after it closed', async () => {
    const port = await freePortRange(1);
    const server = await listen(port);
    expect(await isPortFree(port)).toBe(false);
    await close(server);
    expect(await isPortFree(port)).toBe(true);
  });

  it('is true while the port only has connections in TIME_WAIT (a bind test, not a socket count)', async () => {
    const port = await freePortRange(1);
    const server = await listen(port);
    // The server closes each connection first, so its side of the port goes to TIME_WAIT.
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket: Socket = connect(port, '127.0.0.1');
        socket.on('data', () => undefined);
        socket.on('close', () => resolve());
      });
    }
    await close(server);
    expect(await isPortFree(port)).toBe(true);
  });
});

describe('waitForFreePorts', () => {
  it('returns at once when the ports are free, the busy nodes at the deadline otherwise', async () => {
    const [a, b] = [await freePortRange(1), await freePortRange(1)];
    const options = { timeoutMs: 300, pollEveryMs: 50, reportEveryMs: 10_000, onStillWaiting: () => undefined };
    expect(await waitForFreePorts([hub(a), hub(b)], options)).toEqual([]);
    const server = await listen(b);
    const started = Date.now();
    expect(await waitForFreePorts([hub(a), hub(b)], options)).toEqual([hub(b)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await close(server);
  });

  it('finishes as soon as the port is released', async () => {
    const port = await freePortRange(1);
    const server = await listen(port);
    setTimeout(() => void close(server), 200);
    const busy = await waitForFreePorts([hub(port)], { timeoutMs: 5000, pollEveryMs: 50, reportEveryMs: 10_000, onStillWaiting: () => undefined });
    expect(busy).toEqual([]);
  });
});

describe('waitLoop', () => {
  it('reports "still waiting" every interval with what is pending', async () => {
    const reports: string[][] = [];
    let polls = 0;
    const left = await waitLoop({
      timeoutMs: 1000,
      pollEveryMs: 20,
      reportEveryMs: 100,
      pending: async () => (++polls < 18 ? ['connie'] : []),
      onStillWaiting: (pending) => reports.push(pending),
    });
    expect(left).toEqual([]);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports[0]).toEqual(['connie']);
  });

  it('stops at the deadline; a throwing probe aborts the wait', async () => {
    expect(await waitLoop({ timeoutMs: 50, pollEveryMs: 10, reportEveryMs: 1000, pending: async () => ['x'], onStillWaiting: () => undefined })).toEqual(['x']);
    await expect(waitLoop({ timeoutMs: 50, pollEveryMs: 10, reportEveryMs: 1000, pending: () => Promise.reject(new Error('exited')), onStillWaiting: () => undefined })).rejects.toThrow('exited');
  });
});
