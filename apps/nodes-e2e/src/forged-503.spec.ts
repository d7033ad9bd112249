import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, httpJson, NodeProcess, spawnNode, startProxy, waitForReady } from '@dske/test-support';

// A hub's 503 body is not signed: whoever sits on the path can claim the hub needs any amount of PSRD.
// The client must cap what it asks for (keys x largest share + a signature), not pull megabytes.
describe('a forged "psrd.exhausted" answer with a huge needed_bytes', () => {
  const nodes: NodeProcess[] = [];
  let proxy: Server;
  let base: number;
  let forged = 0;

  beforeAll(async () => {
    base = await freePortRange(6);
    const [ha, hb, hc, proxyPort, ca, cb] = [base, base + 1, base + 2, base + 3, base + 4, base + 5];
    for (const [name, port] of [['ha', ha], ['hb', hb], ['hc', hc]] as const) nodes.push(spawnNode('hub', name, port, [name, '--port', String(port)]));
    // cb reaches hb through this proxy, which answers every share fetch with the forged 503.
    proxy = await startProxy(proxyPort, hb, {
      onRequest: (req, res) => {
        if (req.method !== 'GET' || !/\/dske\/api\/v1\/key-shares?\?/.test(req.url ?? '')) return false;
        forged++;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', code: 'psrd.exhausted', message: 'forged', details: { needed_bytes: 60_000_000 } }));
        return true;
      },
    });
    const hubUrl = (name: string, port: number) => `http://127.0.0.1:${port}/hub/${name}`;
    nodes.push(spawnNode('client', 'ca', ca, ['ca', '--port', String(ca), '--min-nr-shares', '2', '--encryptors', 'sa', '--hubs', hubUrl('ha', ha), hubUrl('hb', hb), hubUrl('hc', hc)]));
    nodes.push(spawnNode('client', 'cb', cb, ['cb', '--port', String(cb), '--min-nr-shares', '2', '--encryptors', 'sb', '--hubs', hubUrl('ha', ha), hubUrl('hb', proxyPort), hubUrl('hc', hc)]));
    await Promise.all(nodes.map((node) => waitForReady(`http://127.0.0.1:${node.port}/readyz`, node)));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it('the key is still recovered from the other hubs, and the client asked for bounded PSRD only', async () => {
    const made = await httpJson<{ keys: Array<{ key_ID: string; key: string }> }>('GET', `http://127.0.0.1:${base + 4}/client/ca/etsi/api/v1/keys/sb/enc_keys`, {
      headers: { authorization: 'Bearer sa' },
    });
    expect(made.status).toBe(200);
    const fetched = await httpJson<{ keys: Array<{ key: string }> }>('GET', `http://127.0.0.1:${base + 5}/client/cb/etsi/api/v1/keys/sa/dec_keys?key_ID=${made.body.keys[0].key_ID}`, {
      headers: { authorization: 'Bearer sb' },
    });
    expect(fetched.status).toBe(200);
    expect(fetched.body.keys[0].key).toBe(made.body.keys[0].key);
    expect(forged).toBeGreaterThan(1); // the client retried...

    // ...but each retry asked for at most one key's largest share (8 KiB) plus a signature beyond what it held.
    const status = await httpJson<{ peer_hubs: Array<{ hub_name: string; peer_pool: { blocks: Array<{ size: number }> } }> }>(
      'GET',
      `http://127.0.0.1:${base + 5}/client/cb/mgmt/v1/status`,
    );
    const pulled = status.body.peer_hubs.find((h) => h.hub_name === 'hb')!.peer_pool.blocks.reduce((n, b) => n + b.size, 0);
    expect(pulled).toBeLessThan(100_000);
  });
});
