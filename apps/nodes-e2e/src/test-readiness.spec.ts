import { createServer, type Server } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, type NodeProcess, probeMessage, waitForReady } from '@dske/test-support';

// The harness's readiness wait: when a node is not ready in time, the error says what /readyz last answered.
describe('waitForReady', () => {
  let server: Server;
  let port: number;
  let ready = false;
  const node = (log: string): NodeProcess =>
    ({ name: 'cb', kind: 'client', port, child: { exitCode: null } as ChildProcess, logFile: '', kill: async () => {}, log: () => log }) as NodeProcess;

  beforeAll(async () => {
    port = await freePortRange(1);
    server = createServer((_req, res) => {
      if (ready) res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      else res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"not-ready","message":"2 of 3 hubs registered with PSRD; 3 needed"}');
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('names the last answer and its reason when time runs out', async () => {
    ready = false;
    await expect(waitForReady(`http://127.0.0.1:${port}/readyz`, node('x listening on http://127.0.0.1'), 500)).rejects.toThrow(
      /^client cb not ready at http:\/\/127\.0\.0\.1:\d+\/readyz after 500 ms; last answer: 503 2 of 3 hubs registered with PSRD; 3 needed after \d+ ms\n/,
    );
  });

  it('does not count a 200 before the node logged that it listens, and says so', async () => {
    ready = true;
    await expect(waitForReady(`http://127.0.0.1:${port}/readyz`, node('starting'), 400)).rejects.toThrow('last answer: 200 (its log has no "listening on" yet)');
    await expect(waitForReady(`http://127.0.0.1:${port}/readyz`, node('x listening on http://127.0.0.1'), 400)).resolves.toBeUndefined();
  });

  it('reads the message of a JSON error body, and nothing from other bodies', () => {
    expect(probeMessage('{"message":"stopping"}')).toBe('stopping');
    expect(probeMessage({ message: 'stopping' })).toBe('stopping');
    expect(probeMessage('<html>')).toBeUndefined();
    expect(probeMessage('{"message":3}')).toBeUndefined();
    expect(probeMessage(null)).toBeUndefined();
  });
});
