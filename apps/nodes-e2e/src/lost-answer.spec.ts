import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, httpJson, NodeProcess, spawnNode, startProxy, waitForReady } from '@dske/test-support';

// k = 3 of 3 hubs: every share is needed. cb reaches hb through a proxy that passes the first share fetch on to hb
// (which hands the share out) but never returns hb's answer: the answer is lost on the way.
describe('an answer lost after the hub handed out its share', () => {
  const nodes: NodeProcess[] = [];
  let proxy: Server;
  let base: number;
  let dropped = 0;

  beforeAll(async () => {
    base = await freePortRange(6);
    const [ha, hb, hc, proxyPort, ca, cb] = [base, base + 1, base + 2, base + 3, base + 4, base + 5];
    for (const [name, port] of [['ha', ha], ['hb', hb], ['hc', hc]] as const) nodes.push(spawnNode('hub', name, port, [name, '--port', String(port)]));
    proxy = await startProxy(proxyPort, hb, {
      onAnswer: (req, answer, res) => {
        if (req.method !== 'GET' || !/\/dske\/api\/v1\/key-shares?\?/.test(req.url ?? '') || dropped > 0) return false;
        // hb has answered (and handed out its share); the client never hears it.
        dropped++;
        answer.resume();
        res.destroy();
        return true;
      },
    });
    const hubUrl = (name: string, port: number) => `http://127.0.0.1:${port}/hub/${name}`;
    nodes.push(spawnNode('client', 'ca', ca, ['ca', '--port', String(ca), '--min-nr-shares', '3', '--encryptors', 'sa', '--hubs', hubUrl('ha', ha), hubUrl('hb', hb), hubUrl('hc', hc)]));
    nodes.push(spawnNode('client', 'cb', cb, ['cb', '--port', String(cb), '--min-nr-shares', '3', '--encryptors', 'sb', '--hubs', hubUrl('ha', ha), hubUrl('hb', proxyPort), hubUrl('hc', hc)]));
    await Promise.all(nodes.map((node) => waitForReady(`http://127.0.0.1:${node.port}/readyz`, node)));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it('the first Get key with key IDs fails (503), the retry delivers the key, and a third request finds it delivered', async () => {
    const made = await httpJson<{ keys: Array<{ key_ID: string; key: string }> }>('GET', `http://127.0.0.1:${base + 4}/client/ca/etsi/api/v1/keys/sb/enc_keys`, { headers: { authorization: 'Bearer sa' } });
    expect(made.status).toBe(200);
    const fetch = () =>
      httpJson<{ keys: Array<{ key_ID: string; key: string }>; message: string }>('GET', `http://127.0.0.1:${base + 5}/client/cb/etsi/api/v1/keys/sa/dec_keys?key_ID=${made.body.keys[0].key_ID}`, {
        headers: { authorization: 'Bearer sb' },
      });
    const first = await fetch();
    expect(dropped).toBe(1);
    expect(first.status, first.text).toBe(503);
    const retry = await fetch();
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.keys).toEqual(made.body.keys);
    const third = await fetch();
    expect(third.status).toBe(400);
    expect(third.body.message).toBe('one or more keys specified are not found on KME');
    // The acknowledgements reach the hubs: none holds a share of the key any more.
    const deadline = Date.now() + 5_000;
    const held = async () => (await Promise.all([base, base + 1, base + 2].map(async (port, i) => (await httpJson<{ shares: unknown[] }>('GET', `http://127.0.0.1:${port}/hub/${['ha', 'hb', 'hc'][i]}/mgmt/v1/status`)).body.shares.length))).reduce((a, b) => a + b, 0);
    while ((await held()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await held()).toBe(0);
  });
});
