import { request } from 'node:http';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardServer, hostNames, type DashboardSource } from './dashboard-server';
import type { Snapshot } from './snapshot';

const snapshot = (time: string) => ({ time, configName: 'dske-config.yaml', nodes: [], edges: [], clients: [], hubs: [] }) as unknown as Snapshot;

/** A plain request with any Host header (fetch does not let a caller set it). */
function get(port: number, path: string, options: { host?: string; method?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: options.host ?? `127.0.0.1:${port}` } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DashboardServer', () => {
  let server: DashboardServer;
  let port: number;
  let now = '2026-12-02T10:00:00.000Z';
  const source: DashboardSource = {
    snapshot: () => snapshot(now),
    rawStatus: async (kind, name) => {
      if (name === 'hank') return { status: 200, body: { name: 'hank' } };
      if (name === 'hugo') return { failure: 'connection refused' };
      return undefined;
    },
  };

  beforeAll(async () => {
    const assets = new Map([
      ['/', { type: 'text/html; charset=utf-8', body: Buffer.from('<!doctype html><title>x</title>') }],
      ['/assets/dashboard.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from('export {};') }],
    ]);
    server = new DashboardServer(source, assets, '127.0.0.1');
    port = await server.listen(0);
  });
  afterAll(() => server.close());

  it('serves the page and its assets with a policy that allows nothing from elsewhere', async () => {
    const page = await get(port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await get(port, '/assets/dashboard.js')).body).toBe('export {};');
    expect((await get(port, '/assets/dashboard.js', { method: 'HEAD' })).body).toBe('');
  });

  it('answers its own Host names only (a rebound DNS name gets 421), GET and HEAD only, JSON 404 elsewhere', async () => {
    expect((await get(port, '/', { host: `localhost:${port}` })).status).toBe(200);
    const rebound = await get(port, '/api/snapshot', { host: `evil.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body).message).toContain(`127.0.0.1:${port}`);
    const post = await get(port, '/api/snapshot', { method: 'POST' });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    const missing = await get(port, '/nothing');
    expect([missing.status, JSON.parse(missing.body).message]).toEqual([404, 'no such path /nothing']);
  });

  it('the snapshot as JSON, and a node\'s raw status: answered (200), not answering (502), not in the topology (404)', async () => {
    expect(JSON.parse((await get(port, '/api/snapshot')).body).time).toBe(now);
    expect(JSON.parse((await get(port, '/api/nodes/hub/hank/status')).body)).toEqual({ node: 'hub hank', answered: true, status: 200, body: { name: 'hank' } });
    const down = await get(port, '/api/nodes/hub/hugo/status');
    expect([down.status, JSON.parse(down.body)]).toEqual([502, { node: 'hub hugo', answered: false, reason: 'connection refused' }]);
    expect((await get(port, '/api/nodes/hub/hilda/status')).status).toBe(404);
    expect((await get(port, '/api/nodes/hub/Bad_Name/status')).status).toBe(404);
  });

  it('pushes a snapshot at once to a new stream, then each broadcast', async () => {
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/events' }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        res.on('data', (chunk: Buffer) => {
          for (const m of chunk.toString().matchAll(/^data: (.*)$/gm)) events.push(JSON.parse(m[1]).time);
          if (events.length === 2) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (error) => (events.length === 2 ? resolve() : reject(error)));
      req.end();
    });
    while (server.openStreams === 0) await new Promise((r) => setTimeout(r, 10));
    now = '2026-12-02T10:00:01.000Z';
    server.broadcast(snapshot(now));
    await done;
    expect(events).toEqual(['2026-12-02T10:00:00.000Z', '2026-12-02T10:00:01.000Z']);
  });

  it('a request target that is no URL is a 400, and the server goes on serving', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`GET //[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect((await get(port, '/')).status).toBe(200);
  });
});

describe('hostNames', () => {
  it('loopback and the bound address; IPv6 in brackets as a Host header has it', () => {
    expect(hostNames('127.0.0.1')).toEqual(['127.0.0.1', 'localhost', '[::1]']);
    expect(hostNames('fd00::5')).toEqual(['127.0.0.1', 'localhost', '[::1]', '[fd00::5]']);
  });

  it('a wildcard bind: every address of this machine and its host name, still not any name', () => {
    const names = hostNames('0.0.0.0');
    expect(names).toContain(hostname().toLowerCase());
    expect(names).toContain('127.0.0.1');
    expect(names).not.toContain('evil.example');
    expect(names).not.toContain('0.0.0.0');
  });
});
