import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubHttp, MAX_HUB_RESPONSE_BYTES } from './hub-http';

const quiet = { log: () => undefined, warn: () => undefined } as never;

describe('HubHttp', () => {
  let server: Server;
  let base: URL;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const size = Number(query.get('size'));
      if (query.get('trickle') === '1') {
        // One byte every 50 ms, never ending: a socket's idle timeout would restart with each byte.
        res.writeHead(200, { 'content-type': 'application/json' });
        const drip = setInterval(() => res.write('a'), 50);
        res.once('close', () => clearInterval(drip));
        return;
      }
      // stated=1: with its length, as hubs answer.
      res.writeHead(200, { 'content-type': 'application/json', ...(query.get('stated') === '1' ? { 'content-length': String(size) } : {}) });
      // Written in pieces and without a length, as a hub that streams (or lies) would.
      const piece = Buffer.alloc(64 * 1024, 0x61);
      let left = size;
      const more = () => {
        while (left > 0) {
          const n = Math.min(left, piece.length);
          left -= n;
          if (!res.write(piece.subarray(0, n))) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hub/hx`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads answers up to the limit and refuses a longer one without buffering it', async () => {
    const http = new HubHttp(base, 5_000, quiet);
    const ok = await http.request('GET', '/x', { query: `size=${MAX_HUB_RESPONSE_BYTES}` });
    expect(ok.body.length).toBe(MAX_HUB_RESPONSE_BYTES);
    await expect(http.request('GET', '/x', { query: `size=${8 * MAX_HUB_RESPONSE_BYTES}`, logFailure: false })).rejects.toThrow(`answer longer than ${MAX_HUB_RESPONSE_BYTES} bytes`);
    expect(http.reachable).toBe(false);
    // The connection pool still works afterwards.
    expect((await http.request('GET', '/x', { query: 'size=10' })).body.length).toBe(10);
    await http.close();
  });

  it('the same for answers that state their length: read at once, refused at once when too long', async () => {
    const http = new HubHttp(base, 5_000, quiet);
    const ok = await http.request('GET', '/x', { query: `size=${MAX_HUB_RESPONSE_BYTES}&stated=1` });
    expect(ok.body.length).toBe(MAX_HUB_RESPONSE_BYTES);
    expect(ok.body.every((b) => b === 0x61)).toBe(true);
    await expect(http.request('GET', '/x', { query: `size=${MAX_HUB_RESPONSE_BYTES + 1}&stated=1`, logFailure: false })).rejects.toThrow(`answer longer than ${MAX_HUB_RESPONSE_BYTES} bytes`);
    expect((await http.request('GET', '/x', { query: 'size=10&stated=1' })).body.length).toBe(10);
    await http.close();
  });

  it('keeps one connection open between calls (keep-alive), and sends a body with its length in bytes', async () => {
    const connections: unknown[] = [];
    const echo = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(JSON.stringify({ length: req.headers['content-length'], type: req.headers['content-type'], body: Buffer.concat(chunks).toString(), path: req.url })));
    });
    echo.on('connection', (socket) => connections.push(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const http = new HubHttp(new URL(`http://127.0.0.1:${(echo.address() as AddressInfo).port}/hub/hx/`), 5_000, quiet);
    try {
      for (let i = 0; i < 5; i++) {
        const answer = await http.request('POST', '/api/v1/x', { body: '{"n":"\u00e9"}', query: 'a=1', headers: { 'x-sig': 'y' } });
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body.toString())).toEqual({ length: '10', type: 'application/json', body: '{"n":"\u00e9"}', path: '/hub/hx/api/v1/x?a=1' });
      }
      expect(connections).toHaveLength(1);
    } finally {
      await http.close();
      echo.closeAllConnections();
      await new Promise((resolve) => echo.close(resolve));
    }
  });

  it("closes an idle connection a second before the hub's Keep-Alive hint runs out, so no call goes out on one the hub is closing", async () => {
    const hub = createServer((_req, res) => res.end('{}'));
    hub.keepAliveTimeout = 2_000; // answers say `Keep-Alive: timeout=2`
    let closedAfter: number | undefined;
    let answered = 0;
    hub.on('connection', (socket) => socket.once('close', () => (closedAfter = performance.now() - answered)));
    await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
    const http = new HubHttp(new URL(`http://127.0.0.1:${(hub.address() as AddressInfo).port}/hub/hx`), 5_000, quiet);
    try {
      await http.request('GET', '/x');
      answered = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      expect(closedAfter).toBeDefined();
      expect(closedAfter!).toBeLessThan(1_500);
    } finally {
      await http.close();
      hub.closeAllConnections();
      await new Promise((resolve) => hub.close(resolve));
    }
  });

  it('lets a call under way end within its deadline before close() closes the connections', async () => {
    const silent = createServer(() => undefined); // never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const http = new HubHttp(new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/hub/hx`), 300, quiet);
    try {
      const call = http.request('GET', '/x', { logFailure: false });
      const outcome = call.then(
        () => 'answered',
        (error: Error) => error.message,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      await http.close();
      expect(await outcome).toBe('no answer within 300 ms');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('is unreachable after a refused connection, with the reason, until a call gets an answer', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const http = new HubHttp(new URL(`http://127.0.0.1:${port}/hub/hx`), 5_000, quiet);
    await expect(http.request('GET', '/x', { logFailure: false })).rejects.toThrow(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(http.reachable).toBe(false);
    await http.close();
  });

  it('gives up on an answer that never ends once the call deadline passes, though bytes keep coming', async () => {
    const http = new HubHttp(base, 400, quiet);
    const started = performance.now();
    await expect(http.request('GET', '/x', { query: 'trickle=1', logFailure: false })).rejects.toThrow('no answer within 400 ms');
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(http.reachable).toBe(false);
    expect((await http.request('GET', '/x', { query: 'size=10' })).body.length).toBe(10);
    expect(http.reachable).toBe(true);
    await http.close();
  });
});
