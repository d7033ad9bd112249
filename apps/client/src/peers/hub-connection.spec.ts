import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PsrdBlock, PsrdPool } from '@dske/core';
import { quiet, sleep, TEST_CONFIG, until } from './testing/unit-setup';
import { HubConnection } from './hub-connection';
import type { HubResponse } from './hub-http';
import { hubError, ScriptedHub } from './testing/scripted-hub';

const CONFIG = TEST_CONFIG;
const ROUTE = { master_sae_id: 'sa', slave_sae_id: 'sb' };


/** A connection to a scripted hub, registered and with both pools filled. */
async function connected(hub = new ScriptedHub()): Promise<{ hub: ScriptedHub; connection: HubConnection }> {
  const connection = new HubConnection(0, 'http://hub.test/hub/hx', CONFIG, quiet, hub);
  await connection.startRegistration();
  await until(() => connection.localPool.unusedBytes >= 2000 && hub.localPool.unusedBytes >= 2000);
  return { hub, connection };
}

/** A deferred answer: the test decides when (and what) the hub answers. */
function held(): { answer: Promise<HubResponse>; release: (response: HubResponse) => void } {
  let release!: (response: HubResponse) => void;
  const answer = new Promise<HubResponse>((resolve) => (release = resolve));
  return { answer, release };
}

const key = () => ({ keyId: randomUUID(), data: randomBytes(16) });

describe('HubConnection over a scripted hub', () => {
  it('registers, retrying every second until the hub answers, then fills both pools to the stop threshold with blocks of the configured size', async () => {
    const hub = new ScriptedHub();
    hub.down = true;
    const connection = new HubConnection(0, 'http://hub.test/hub/hx', CONFIG, quiet, hub);
    const registering = connection.startRegistration();
    await sleep(50);
    expect(connection.isRegistered).toBe(false);
    hub.down = false;
    await registering;
    expect(connection.isRegistered).toBe(true);
    expect(hub.count('PUT', '/registration')).toBe(2);
    await until(() => connection.isUsable && connection.localPool.unusedBytes >= 2000 && hub.localPool.unusedBytes >= 2000);
    const psrd = hub.calls.filter((c) => c.path.endsWith('/psrd')).map((c) => new URLSearchParams(c.query));
    expect(psrd.map((q) => q.get('size'))).toEqual(psrd.map(() => '1000'));
    expect(psrd.filter((q) => q.get('pool_owner') === 'client')).toHaveLength(2);
    expect(psrd.filter((q) => q.get('pool_owner') === 'hub')).toHaveLength(2);
    await connection.close();
  });

  it('confirms the hub-owned blocks of one refill in one confirmation', async () => {
    const { hub, connection } = await connected();
    await sleep(20);
    expect(hub.calls.filter((c) => c.path.endsWith('/psrd') && c.query.includes('pool_owner=hub'))).toHaveLength(2);
    expect(hub.count('POST', '/psrd-confirmation')).toBe(1);
    await connection.close();
  });

  it('a stream of messages larger than the start threshold keeps eight of them in stock, fetched as one block of whole block sizes', async () => {
    const { hub, connection } = await connected();
    const psrdCalls = () => hub.calls.filter((c) => c.path.endsWith('/psrd')).map((c) => new URLSearchParams(c.query));
    const before = psrdCalls().length;
    // 32 shares of 32 bytes and a signing key: 1056 local bytes; the hub's answer takes 32 of its own.
    const keys = Array.from({ length: 32 }, () => ({ keyId: randomUUID(), data: randomBytes(32) }));
    await connection.postShares(ROUTE, keys);
    // 2000 - 1056 = 944 left, less than one such message: refilled to 500 + 8 * 1056 = 8948 with one block of 9000.
    await until(() => connection.localPool.unusedBytes >= 8948);
    const local = psrdCalls().slice(before).filter((q) => q.get('pool_owner') === 'client');
    expect(local.map((q) => q.get('size'))).toEqual(['9000']);
    // Fetching them back takes 32 * 32 + 32 hub-owned bytes: the same for the hub's pool, confirmed once.
    const confirmations = hub.count('POST', '/psrd-confirmation');
    const shares = await connection.getShares(ROUTE, keys.map((k) => k.keyId));
    expect(shares.map((s) => Buffer.from(s.data))).toEqual(keys.map((k) => Buffer.from(k.data)));
    await until(() => connection.peerPool.unusedBytes >= 8948 && hub.count('POST', '/psrd-confirmation') === confirmations + 1);
    const owned = psrdCalls().slice(before).filter((q) => q.get('pool_owner') === 'hub');
    expect(owned.map((q) => q.get('size'))).toEqual(['9000']);
    // A message of the thresholds' scale changes nothing: no refill while the pool holds more than the start threshold.
    const calls = psrdCalls().length;
    await connection.postShares(ROUTE, [key()]);
    await sleep(20);
    expect(psrdCalls()).toHaveLength(calls);
    await connection.close();
  });

  it('stores shares and fetches them back, decrypted, through signed messages both ways', async () => {
    const { hub, connection } = await connected();
    const keys = [key(), key(), key()];
    await connection.postShares(ROUTE, keys);
    expect([...hub.shares.keys()]).toEqual(keys.map((k) => k.keyId));
    const shares = await connection.getShares(ROUTE, keys.map((k) => k.keyId));
    expect(shares.map((s) => Buffer.from(s.data))).toEqual(keys.map((k) => Buffer.from(k.data)));
    expect(shares.map((s) => s.x)).toEqual([0, 0, 0]);
    await connection.close();
  });

  it('a hub that restarted without state: client.unknown, one registration, the share sent once more and stored', async () => {
    const { hub, connection } = await connected();
    hub.forget();
    const k = key();
    await connection.postShares(ROUTE, [k]);
    expect(hub.shares.has(k.keyId)).toBe(true);
    expect(hub.count('PUT', '/registration')).toBe(2);
    expect(hub.count('POST', '/key-share')).toBe(2);
    await connection.close();
  });

  it('a PSRD block that arrives after a re-registration goes into no pool of the new registration', async () => {
    const hub = new ScriptedHub();
    const late = held();
    // The first hub-owned block of the first registration is held back.
    hub.override((call) => (call.path.endsWith('/psrd') && call.query.includes('pool_owner=hub') ? late.answer : undefined));
    const connection = new HubConnection(0, 'http://hub.test/hub/hx', CONFIG, quiet, hub);
    await connection.startRegistration();
    await until(() => connection.localPool.unusedBytes >= 2000);
    // Someone registers our name afresh: the next signed call finds out and the client registers again.
    hub.forget();
    hub.known = true;
    hub.registrationId = randomUUID();
    // (The hub names no block the client holds: psrd.unknown-block; it registers again and sends once more.)
    await connection.postShares(ROUTE, [key()]);
    expect(hub.count('PUT', '/registration')).toBe(2);
    const lateUuid = randomUUID();
    late.release({ status: 200, headers: {}, body: Buffer.from(JSON.stringify({ block_uuid: lateUuid, data: randomBytes(1000).toString('base64') })) });
    await until(() => connection.poolsStatus(false).peer_pool.blocks.length >= 2);
    await sleep(20);
    expect(connection.poolsStatus(false).peer_pool.blocks.map((b) => b.uuid)).not.toContain(lateUuid);
    await connection.close();
  });

  it('refuses a PSRD block of another size than asked for, and adds nothing', async () => {
    const hub = new ScriptedHub();
    for (let i = 0; i < 3; i++) {
      hub.override((call) => (call.path.endsWith('/psrd') && call.query.includes('pool_owner=client') ? Promise.resolve({ status: 200, headers: {}, body: Buffer.from(JSON.stringify({ block_uuid: randomUUID(), data: randomBytes(999).toString('base64') })) }) : undefined));
    }
    const connection = new HubConnection(0, 'http://hub.test/hub/hx', CONFIG, quiet, hub);
    await connection.startRegistration();
    await until(() => hub.count('GET', '/psrd') >= 2);
    await sleep(50);
    expect(connection.localPool.unusedBytes).toBe(0);
    expect(connection.isUsable).toBe(false);
    await connection.close();
  });

  it('a late client.unknown to a call sent under an older registration starts no further registration', async () => {
    const { hub, connection } = await connected();
    const slow = held();
    hub.override((call) => (call.method === 'POST' ? slow.answer : undefined));
    const first = connection.postShares(ROUTE, [key()]);
    await until(() => hub.count('POST', '/key-share') === 1);
    // Meanwhile the hub restarted and a second call re-registered the client.
    hub.forget();
    await connection.postShares(ROUTE, [key()]);
    expect(hub.count('PUT', '/registration')).toBe(2);
    slow.release(hubError(400, 'client.unknown'));
    await first.catch(() => undefined);
    await sleep(50);
    expect(hub.count('PUT', '/registration')).toBe(2);
    await connection.close();
  });

  it('a reply signed with a block the client never got (its name registered afresh elsewhere) makes it register again', async () => {
    const { hub, connection } = await connected();
    // Someone else fetched hub-owned PSRD in our name: the hub now signs with a block we do not hold.
    hub.localPool = new PsrdPool('local');
    hub.localPool.addBlock(PsrdBlock.random(1000));
    await expect(connection.postShares(ROUTE, [key()])).rejects.toThrow(/response signature/);
    await until(() => hub.count('PUT', '/registration') === 2);
    await connection.close();
  });

  it('a forged unsigned client.unknown or psrd.unknown-block does not make the client throw its PSRD away: the directory lists its registration unchanged', async () => {
    const { hub, connection } = await connected();
    const before = connection.poolsStatus(false);
    for (const code of ['client.unknown', 'psrd.unknown-block']) {
      hub.override((call) => (call.method === 'POST' ? Promise.resolve(hubError(400, code)) : undefined));
      await expect(connection.postShares(ROUTE, [key()])).rejects.toThrow(code);
      await sleep(30);
    }
    expect(hub.count('PUT', '/registration')).toBe(1);
    expect(hub.count('GET', '/encryptors')).toBe(2);
    expect(connection.isRegistered).toBe(true);
    // Only the pads and signatures of the two refused messages are spent; the blocks are the same.
    expect(connection.poolsStatus(false).local_pool.blocks.map((b) => b.uuid)).toEqual(before.local_pool.blocks.map((b) => b.uuid));
    const k = key();
    await connection.postShares(ROUTE, [k]);
    expect(hub.shares.has(k.keyId)).toBe(true);
    await connection.close();
  });

  it('someone registered our name afresh (the directory shows another registration ID): the client registers again', async () => {
    const { hub, connection } = await connected();
    // The hub's pools for us are new, and so is the registration ID.
    hub.forget();
    hub.known = true;
    hub.registrationId = randomUUID();
    const k = key();
    await connection.postShares(ROUTE, [k]);
    expect(hub.count('PUT', '/registration')).toBe(2);
    expect(hub.shares.has(k.keyId)).toBe(true);
    await connection.close();
  });
});
