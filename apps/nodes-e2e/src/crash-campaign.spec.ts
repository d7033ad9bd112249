import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fragmentsFromText, signatureAllocation, type Fragment } from '@dske/core';
import { TopologyHarness, type ProxyHooks } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';

const HUBS = ['ha', 'hb', 'hc'];
const CLIENTS = [
  { name: 'ca', encryptors: ['sa'] },
  { name: 'cb', encryptors: ['sb'] },
];
const KILLS = 20;
const WORKERS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low));

/**
 * Every PSRD range that appears on the wire between clients and hubs, in
 * either direction: signature keys (the DSKE-Signature header of requests
 * and answers) and one-time pads (the fragments of shares in bodies). One
 * message seen twice (it is not: nothing resends) would count once.
 */
class WireRecorder {
  private readonly seen = new Map<string, string>();
  private readonly messages = new Set<string>();
  readonly reused: string[] = [];
  ranges = 0;

  private record(fragments: readonly Fragment[], where: string): void {
    for (const f of fragments) {
      this.ranges++;
      for (let byte = f.start; byte < f.start + f.size; byte++) {
        const id = `${f.block_uuid.toLowerCase()}:${byte}`;
        const first = this.seen.get(id);
        if (first !== undefined) this.reused.push(`${id} in ${where}, first in ${first}`);
        else this.seen.set(id, where);
      }
    }
  }

  message(where: string, signature: string | string[] | undefined, body: Buffer): void {
    const header = typeof signature === 'string' ? signature : undefined;
    const id = `${header}\u0000${body.toString('base64')}`;
    if (this.messages.has(id)) return;
    this.messages.add(id);
    if (header !== undefined) this.record(fragmentsFromText(signatureAllocation(header)), `${where} signature`);
    for (const fragments of padsIn(body)) this.record(fragments, `${where} pad`);
  }

  hooks(hub: string): ProxyHooks {
    return {
      onRequest: (req: IncomingMessage) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => this.message(`${req.method} ${hub} ${req.url}`, req.headers['dske-signature'], Buffer.concat(chunks)));
        return false;
      },
      onAnswer: (req, answer, res) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          this.message(`answer ${answer.statusCode} to ${req.method} ${hub} ${req.url}`, answer.headers['dske-signature'], body);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(body);
        });
        answer.on('error', () => res.destroy());
        return true;
      },
    };
  }
}

/** The pad fragments a key-share message carries (one share, or a batch). */
function padsIn(body: Buffer): Fragment[][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  const shares = (parsed as { shares?: unknown[] }).shares ?? [parsed];
  return shares.flatMap((s) => {
    const fragments = (s as { encryption_key_allocation?: { fragments?: Fragment[] } } | null)?.encryption_key_allocation?.fragments;
    return Array.isArray(fragments) ? [fragments] : [];
  });
}

// Real processes, each with its own state directory (hubs on their state file, or on a Redis of their own); k = 2 of 3;
// clients reach the hubs through recording proxies.
for (const backend of ['embedded', 'redis'] as const) {
  describe(`crash campaign (${backend}): kill -9 a random node 20 times under load of 4 SAEs`, () => {
    let topology: TopologyHarness;
    let etsi: EtsiCaller;
    const wire = new WireRecorder();

    beforeAll(async () => {
      topology = await TopologyHarness.start({
        hubs: HUBS,
        clients: CLIENTS,
        minNrShares: 2,
        shareTimeoutSecs: 600,
        stateDirs: true,
        redisPerHub: backend === 'redis',
        hubProxy: (hub) => wire.hooks(hub),
      });
      etsi = new EtsiCaller(topology);
    });
    afterAll(async () => {
      await topology?.close();
    });

    it('no PSRD byte on the wire twice; every key Get key gave is delivered, equal to the master\'s copy', async () => {
      const made = new Map<string, string>();
      const delivered = new Map<string, string>();
      const wrong: string[] = [];
      let running = true;

      const fetchOnce = async (id: string): Promise<number> => {
        const fetched = await etsi.getKeyWithIds('cb', 'sa', 'sb', id).catch(() => undefined);
        if (fetched?.status === 200) {
          delivered.set(id, fetched.body.keys[0].key);
          if (fetched.body.keys[0].key !== made.get(id)) wrong.push(id);
        }
        return fetched?.status ?? 0;
      };
      const worker = async () => {
        while (running) {
          const got = await etsi.getKey('ca', 'sa', 'sb').catch(() => undefined);
          if (got?.status !== 200) {
            await sleep(50);
            continue;
          }
          const { key_ID: id, key } = got.body.keys[0];
          made.set(id, key);
          await fetchOnce(id);
        }
      };
      const workers = Array.from({ length: WORKERS }, () => worker());

      const killed: string[] = [];
      for (let i = 0; i < KILLS; i++) {
        await sleep(between(150, 700));
        const target = [...HUBS.map((h) => `hub ${h}`), ...CLIENTS.map((c) => `client ${c.name}`)][between(0, HUBS.length + CLIENTS.length)];
        killed.push(target);
        const [kind, name] = target.split(' ');
        if (kind === 'hub') await topology.restartHub(name);
        else await topology.restartClient(name);
      }
      await sleep(500);
      running = false;
      await Promise.all(workers);

      // Keys made but not (yet) delivered: the slave gets each now that every node is up.
      for (const id of made.keys()) {
        if (delivered.has(id)) continue;
        const deadline = Date.now() + 15_000;
        let status = await fetchOnce(id);
        while (status !== 200 && Date.now() < deadline) {
          await sleep(200);
          status = await fetchOnce(id);
        }
        expect(status, `key ${id}`).toBe(200);
      }

      expect(killed).toHaveLength(KILLS);
      expect(made.size).toBeGreaterThan(KILLS);
      expect(wrong).toEqual([]);
      expect([...made.keys()].filter((id) => !delivered.has(id))).toEqual([]);
      expect(wire.ranges).toBeGreaterThan(made.size * 4);
      expect(wire.reused.slice(0, 5)).toEqual([]);
    });
  });
}
