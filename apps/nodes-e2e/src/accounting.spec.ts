import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopologyHarness } from '@dske/test-support';
import { EtsiCaller } from './etsi-client';
import { clientStatus, hubStatus, unusedBytes, usedBytes } from './signed-peer';

// The guide's five hubs and k = 3, with the two clients one key needs.
const HUBS = ['hank', 'helen', 'hilary', 'holly', 'hugo'];
const CLIENTS = [
  { name: 'carol', encryptors: ['sam'] },
  { name: 'connie', encryptors: ['sofia'] },
];
const STOP_THRESHOLD = 2000;

interface Ledger {
  /** client -> hub -> used bytes of the client's local and peer pools */
  clients: Record<string, Record<string, { local: number; peer: number }>>;
  /** hub -> client -> used bytes of the hub's local and peer pools for that client */
  hubs: Record<string, Record<string, { local: number; peer: number }>>;
}

describe('PSRD accounting for one 256-bit key', () => {
  let topology: TopologyHarness;
  let etsi: EtsiCaller;

  async function ledger(): Promise<Ledger> {
    const result: Ledger = { clients: {}, hubs: {} };
    for (const { name } of CLIENTS) {
      const status = await clientStatus(topology.clientUrl(name));
      result.clients[name] = Object.fromEntries(status.peer_hubs.map((h) => [h.hub_name, { local: usedBytes(h.local_pool), peer: usedBytes(h.peer_pool) }]));
    }
    for (const hub of HUBS) {
      const status = await hubStatus(topology.hubUrl(hub));
      result.hubs[hub] = Object.fromEntries(status.peer_clients.map((c) => [c.client_name, { local: usedBytes(c.local_pool), peer: usedBytes(c.peer_pool) }]));
    }
    return result;
  }

  /** Every client registered with every hub, both pools filled to the stop threshold, and both sides agreeing. */
  async function settled(): Promise<boolean> {
    for (const { name } of CLIENTS) {
      const status = await clientStatus(topology.clientUrl(name));
      if (status.peer_hubs.length !== HUBS.length) return false;
      for (const h of status.peer_hubs) {
        if (!h.registered || unusedBytes(h.local_pool) < STOP_THRESHOLD || unusedBytes(h.peer_pool) < STOP_THRESHOLD) return false;
      }
    }
    for (const hub of HUBS) {
      const status = await hubStatus(topology.hubUrl(hub));
      for (const { name } of CLIENTS) {
        const c = status.peer_clients.find((p) => p.client_name === name);
        if (!c || unusedBytes(c.local_pool) < STOP_THRESHOLD || unusedBytes(c.peer_pool) < STOP_THRESHOLD) return false;
      }
    }
    return true;
  }

  beforeAll(async () => {
    topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 3 });
    etsi = new EtsiCaller(topology);
    const deadline = Date.now() + 30_000;
    while (!(await settled())) {
      if (Date.now() > deadline) throw new Error('pools did not fill in 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  afterAll(async () => {
    await topology?.close();
  });

  it('spends exactly the share and signature bytes on every pool of both clients and every hub', async () => {
    const zero = { local: 0, peer: 0 };
    const before = await ledger();
    expect(before).toEqual({
      clients: { carol: Object.fromEntries(HUBS.map((h) => [h, zero])), connie: Object.fromEntries(HUBS.map((h) => [h, zero])) },
      hubs: Object.fromEntries(HUBS.map((h) => [h, { carol: zero, connie: zero }])),
    });

    const made = await etsi.getKey('carol', 'sam', 'sofia', 'size=256');
    expect(made.status, made.text).toBe(200);
    const fetched = await etsi.getKeyWithIds('connie', 'sam', 'sofia', made.body.keys[0].key_ID);
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.body.keys[0].key).toBe(made.body.keys[0].key);

    // K = 32 share bytes per hub (a share is as long as the key); every signature key is 32 bytes.
    const K = 32;
    const S = 32;
    // connie asks k = 3 hubs for their shares (a fresh client starts with the first three); all five hear the
    // acknowledgement, the two not asked in a message of its own.
    const ASKED = HUBS.slice(0, 3);
    const expected = {
      clients: {
        // carol pads and signs each POST (local), and checks each hub's signed answer (peer).
        carol: Object.fromEntries(HUBS.map((h) => [h, { local: K + S, peer: S }])),
        // connie signs each GET and then its acknowledgement (local), and takes the hub's pad and both answers'
        // signatures (peer); of a hub not asked, only the acknowledgement and its answer.
        connie: Object.fromEntries(HUBS.map((h) => [h, ASKED.includes(h) ? { local: S + S, peer: K + S + S } : { local: S, peer: S }])),
      },
      hubs: Object.fromEntries(
        HUBS.map((h) => [
          h,
          {
            carol: { peer: K + S, local: S },
            connie: ASKED.includes(h) ? { peer: S + S, local: K + S + S } : { peer: S, local: S },
          },
        ]),
      ),
    };
    // The acknowledgements go out after the key is handed over: wait for them (both sides agree to the byte then).
    const deadline = Date.now() + 10_000;
    let after = await ledger();
    while (JSON.stringify(after) !== JSON.stringify(expected) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = await ledger();
    }
    expect(after).toEqual(expected);
    // Acknowledged: no hub holds a share of the key any more.
    for (const hub of HUBS) expect((await hubStatus(topology.hubUrl(hub))).shares).toEqual([]);
  });

  it('status previews (lab mode) show only used bytes, wiped to zeros, never an unused byte', async () => {
    const made = await etsi.getKey('carol', 'sam', 'sofia');
    expect(made.status).toBe(200);
    const previews: string[] = [];
    for (const { name } of CLIENTS) {
      for (const h of (await clientStatus(topology.clientUrl(name))).peer_hubs) for (const b of [...h.local_pool.blocks, ...h.peer_pool.blocks]) previews.push(b.data!);
    }
    for (const hub of HUBS) {
      for (const c of (await hubStatus(topology.hubUrl(hub))).peer_clients) for (const b of [...c.local_pool.blocks, ...c.peer_pool.blocks]) previews.push(b.data!);
    }
    expect(previews.length).toBeGreaterThan(20);
    for (const preview of previews) {
      expect(preview).toMatch(/\.\.\.$/);
      expect(Buffer.from(preview.slice(0, -3), 'base64').every((byte) => byte === 0), preview).toBe(true);
    }
    // Some blocks have used bytes at their start (the preview shows them), fresh ones show nothing.
    expect(previews.some((p) => p.length > 3)).toBe(true);
    expect(previews).toContain('...');
  });
});
