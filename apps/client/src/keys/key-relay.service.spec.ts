import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientConfig } from '../client-config';
import { ACK_LINGER_MS } from '../peers/ack-queue';
import { HubConnection } from '../peers/hub-connection';
import type { PeerHubs } from '../peers/peer-hubs';
import { ScriptedHub } from '../peers/testing/scripted-hub';
import { DeliveredKeys, KEEP_FETCHED_MS } from './fetched-shares';
import { KeyRelayService, RELAY_SWEEP_MS } from './key-relay.service';

const CONFIG: ClientConfig = {
  name: 'ca', port: 1, host: '127.0.0.1', hubUrls: [], encryptors: ['sa'], minNrShares: 2,
  startRequestPsrdThreshold: 500, stopRequestPsrdThreshold: 2000, getPsrdBlockSize: 1000, requestTimeoutMs: 2000, showPsrdPreview: false,
};
const ROUTE = { master_sae_id: 'sa', slave_sae_id: 'sa' };
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined } as never;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function relayOver(count: number, acksInRequests = false) {
  const scripted = Array.from({ length: count }, () => Object.assign(new ScriptedHub(), { acksInRequests }));
  const hubs = scripted.map((hub, i) => new HubConnection(i, `http://hub.test/hub/h${i}`, CONFIG, quiet, hub));
  await Promise.all(hubs.map((h) => h.startRegistration()));
  while (!hubs.every((h) => h.localPool.unusedBytes >= 2000)) await sleep(5);
  return { scripted, hubs, relay: new KeyRelayService({ hubs } as unknown as PeerHubs, CONFIG) };
}

describe('KeyRelayService', () => {
  it('fetches for the same keys at the same time share one gather (k messages), and a key is handed out once', async () => {
    const { scripted, hubs, relay } = await relayOver(3);
    const [made] = await relay.makeKeys(ROUTE, 16, 1);
    const [a, b] = await Promise.all([relay.fetchKeys(ROUTE, [made.keyId]), relay.fetchKeys(ROUTE, [made.keyId.toUpperCase()])]);
    expect(Buffer.from(a[0].key)).toEqual(Buffer.from(made.key));
    expect(b).toBe(a);
    // k = 2 shares recover the key and their digest vouches for it: the first two hubs are asked, the third is not.
    expect(scripted.map((hub) => hub.count('GET', '/key-share'))).toEqual([1, 1, 0]);
    await expect(relay.fetchKeys(ROUTE, [made.keyId])).rejects.toThrow('was delivered already');
    // The hubs keep their shares until the key has reached the SAE; then every hub hears it, also the one not asked.
    await sleep(30);
    for (const hub of scripted) expect(hub.count('POST', '/key-share-acks')).toBe(0);
    relay.handedOut(ROUTE, [made.keyId]);
    relay.handedOut(ROUTE, [made.keyId]);
    await sleep(30);
    for (const hub of scripted) expect(hub.count('POST', '/key-share-acks')).toBe(1);
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('to hubs that read them there, acknowledgements ride on the next key-share message; with no message, they go on their own after the linger', async () => {
    const { scripted, hubs, relay } = await relayOver(3, true);
    const [a] = await relay.makeKeys(ROUTE, 16, 1);
    await relay.fetchKeys(ROUTE, [a.keyId]);
    relay.handedOut(ROUTE, [a.keyId]);
    // The next pair: its get key carries a's acknowledgement to every hub, and no acknowledgement goes on its own.
    const [b] = await relay.makeKeys(ROUTE, 16, 1);
    for (const hub of scripted) expect(hub.acknowledged).toEqual([{ keyId: a.keyId, via: 'key-share' }]);
    expect(scripted[0].shares.has(a.keyId)).toBe(false);
    await relay.fetchKeys(ROUTE, [b.keyId]);
    relay.handedOut(ROUTE, [b.keyId]);
    await sleep(ACK_LINGER_MS + 50);
    for (const hub of scripted) {
      expect(hub.acknowledged).toEqual([{ keyId: a.keyId, via: 'key-share' }, { keyId: b.keyId, via: 'key-share-acks' }]);
      expect(hub.count('POST', '/key-share-acks')).toBe(1);
      expect(hub.shares.size).toBe(0);
    }
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('acknowledgements on a key-share message that was refused are not lost: they go again', async () => {
    const { scripted, hubs, relay } = await relayOver(2, true);
    const [a, b] = await relay.makeKeys(ROUTE, 16, 2);
    // k = n = 2: every fetch asks both hubs.
    await relay.fetchKeys(ROUTE, [a.keyId]);
    relay.handedOut(ROUTE, [a.keyId]);
    // Hub 0 refuses the get that carries a's acknowledgement (and does not read it).
    scripted[0].override((call) => (call.method === 'GET' ? Promise.resolve({ status: 400, headers: {}, body: Buffer.from('{"code":"share.not-found"}') }) : undefined));
    await expect(relay.fetchKeys(ROUTE, [b.keyId])).rejects.toThrow();
    expect(scripted[1].acknowledged).toEqual([{ keyId: a.keyId, via: 'key-share' }]);
    expect(scripted[0].acknowledged).toEqual([]);
    await sleep(ACK_LINGER_MS + 50);
    expect(scripted[0].acknowledged).toEqual([{ keyId: a.keyId, via: 'key-share-acks' }]);
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('keys whose answer never went out (the SAE hung up) may be fetched again: the hubs were not told to delete', async () => {
    const { scripted, hubs, relay } = await relayOver(3);
    const [made] = await relay.makeKeys(ROUTE, 16, 1);
    await relay.fetchKeys(ROUTE, [made.keyId]);
    relay.notHandedOut(ROUTE, [made.keyId]);
    const [again] = await relay.fetchKeys(ROUTE, [made.keyId]);
    expect(Buffer.from(again.key)).toEqual(Buffer.from(made.key));
    relay.handedOut(ROUTE, [made.keyId]);
    await sleep(30);
    for (const hub of scripted) expect(hub.count('POST', '/key-share-acks')).toBe(1);
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('overlapping fetches ([a, b] and [b] at once) run one after the other: key b is handed out once', async () => {
    const { hubs, relay } = await relayOver(3);
    const [a, b] = await relay.makeKeys(ROUTE, 16, 2);
    const results = await Promise.allSettled([relay.fetchKeys(ROUTE, [a.keyId, b.keyId]), relay.fetchKeys(ROUTE, [b.keyId])]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { message: `key ${b.keyId} was delivered already` } });
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('shares of a key that could not be recovered are kept for the retry, which needs only the missing ones', async () => {
    const { scripted, hubs, relay } = await relayOver(3);
    const [made] = await relay.makeKeys(ROUTE, 16, 1);
    // Two hubs answer the first fetch; the third is down. k = 2 would suffice, so make one of the two answer "not found".
    scripted[2].down = true;
    scripted[1].override((call) => (call.path.endsWith('/key-share') && call.method === 'GET' ? Promise.resolve({ status: 400, headers: {}, body: Buffer.from('{"code":"share.not-found"}') }) : undefined));
    await expect(relay.fetchKeys(ROUTE, [made.keyId])).rejects.toThrow(/only 1 of 3 hubs gave a share/);
    // Hub 0 no longer answers (as if its share were gone), hub 2 is back: 1 kept + 1 new = k.
    scripted[2].down = false;
    scripted[0].shares.clear();
    const [got] = await relay.fetchKeys(ROUTE, [made.keyId]);
    expect(Buffer.from(got.key)).toEqual(Buffer.from(made.key));
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('the first round starts one hub further on at each gather, so each hub gives k of n shares', async () => {
    const { scripted, hubs, relay } = await relayOver(3);
    const made = await relay.makeKeys(ROUTE, 16, 3);
    for (const key of made) {
      const [got] = await relay.fetchKeys(ROUTE, [key.keyId]);
      expect(Buffer.from(got.key)).toEqual(Buffer.from(key.key));
    }
    expect(scripted.map((hub) => hub.count('GET', '/key-share'))).toEqual([2, 2, 2]);
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('a wrong share in the first round: the other hubs are asked, the key comes back, and the hub that lied is named', async () => {
    const { scripted, hubs, relay } = await relayOver(3);
    const warnings: string[] = [];
    (relay as unknown as { logger: { warn: (m: string) => void } }).logger = { warn: (m: string) => warnings.push(m) };
    const [made] = await relay.makeKeys(ROUTE, 16, 1);
    scripted[1].shares.get(made.keyId)!.data[0] ^= 1;
    const [got] = await relay.fetchKeys(ROUTE, [made.keyId]);
    expect(Buffer.from(got.key)).toEqual(Buffer.from(made.key));
    expect(scripted.map((hub) => hub.count('GET', '/key-share'))).toEqual([1, 1, 1]);
    expect(warnings).toEqual([`Hub h1 sent a bad share for key ${made.keyId}; it was left out of the recovery`]);
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('a hub that was down at its last call is asked last; one that fails in the first round is replaced by the next', async () => {
    const { scripted, hubs, relay } = await relayOver(3);
    const [a, b] = await relay.makeKeys(ROUTE, 16, 2);
    scripted[0].down = true;
    const [got] = await relay.fetchKeys(ROUTE, [a.keyId]);
    expect(Buffer.from(got.key)).toEqual(Buffer.from(a.key));
    // Hub 0 failed in the first round (with hub 1), so hub 2 was asked in a second.
    expect(scripted.map((hub) => hub.count('GET', '/key-share'))).toEqual([1, 1, 1]);
    // Now hub 0 is known to be away: the next gather asks hubs 1 and 2 only.
    const [again] = await relay.fetchKeys(ROUTE, [b.keyId]);
    expect(Buffer.from(again.key)).toEqual(Buffer.from(b.key));
    expect(scripted.map((hub) => hub.count('GET', '/key-share'))).toEqual([1, 2, 2]);
    await Promise.all(hubs.map((h) => h.close()));
  });

  it('too few hubs in both rounds: 503 while unreachable hubs might hold the shares, 400 once they cannot', async () => {
    const { scripted, hubs, relay } = await relayOver(3);
    const [a] = await relay.makeKeys(ROUTE, 16, 1);
    scripted[0].down = true;
    scripted[1].down = true;
    await expect(relay.fetchKeys(ROUTE, [a.keyId])).rejects.toMatchObject({ kind: 'unavailable', message: 'only 1 of 3 hubs gave a share of key ' + a.keyId + '; 2 needed' });
    const unknown = '0d5b5a3c-0000-4000-8000-000000000000';
    scripted[0].down = false;
    scripted[1].down = false;
    await expect(relay.fetchKeys(ROUTE, [unknown])).rejects.toMatchObject({ kind: 'not-found' });
    await Promise.all(hubs.map((h) => h.close()));
  });
});

describe('KeyRelayService sweep', () => {
  afterEach(() => vi.useRealTimers());

  it('forgets delivered keys once they expire, also while no key is fetched; stops with the module', () => {
    vi.useFakeTimers();
    const relay = new KeyRelayService({ hubs: [] } as unknown as PeerHubs, CONFIG);
    // Read without expiring anything, as only the sweep should.
    const remembered = () => [...(relay as unknown as { delivered: { routes: Map<string, Map<string, number>> } }).delivered.routes.values()].reduce((n, keys) => n + keys.size, 0);
    (relay as unknown as { delivered: DeliveredKeys }).delivered.add(ROUTE, ['k1', 'k2']);
    vi.advanceTimersByTime(KEEP_FETCHED_MS - 1);
    expect(remembered()).toBe(2);
    vi.advanceTimersByTime(RELAY_SWEEP_MS);
    expect(remembered()).toBe(0);
    relay.onModuleDestroy();
    expect(vi.getTimerCount()).toBe(0);
  });
});
