import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PsrdBlock } from '@dske/core';
import { StateError } from '@dske/node-state';
import { ApiError } from '@dske/service-runtime';
import { RedisServer } from '@dske/test-support';
import { PeerClientRegistry } from '../peers/peer-client-registry';
import { HubState, STATE_FILE } from './hub-state';

const LIMITS = { limits: { maxClients: 10, maxPoolBytes: 1 << 20, maxPoolBlocks: 100, maxSharesPerClient: 100 } };
const quiet = { log: () => undefined, warn: () => undefined };
const share = (id: string) => ({ user_key_id: id, master_client_name: 'carol', master_sae_id: 'sam', slave_sae_id: 'sunny', share_index: 1, share: randomBytes(16) });
const uuid = () => crypto.randomUUID();

/** A hub's pools as status shows them (no bytes). */
const pools = (registry: PeerClientRegistry) =>
  registry.all().map((c) => ({ name: c.name, id: c.registrationId, held: c.hubOwnedHeld, local: c.localPool.status(false), peer: c.peerPool.status(false) }));

/** Registers carol, gives her a block of each kind and uses some bytes of each pool. */
async function populate(state: HubState): Promise<PeerClientRegistry> {
  const registry = new PeerClientRegistry(LIMITS, state);
  const carol = registry.register('carol', ['sam'], true);
  carol.peerPool.addBlock(PsrdBlock.random(200));
  const confirmed = PsrdBlock.random(300);
  carol.addHubBlock(confirmed);
  carol.addHubBlock(PsrdBlock.random(100));
  carol.confirm([confirmed.uuid]);
  carol.addHubBlock(PsrdBlock.random(50));
  carol.localPool.allocate(40);
  const request = carol.peerPool.status(false).blocks[0];
  carol.peerPool.take([{ block_uuid: request.uuid, start: 10, size: 32 }], 32);
  await state.flush();
  return registry;
}

describe('HubState, embedded (the state file in --state-dir)', () => {
  const dirs: string[] = [];
  const stateDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-hub-state-'));
    dirs.push(dir);
    return join(dir, 'hub-hank');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const open = (dir: string) => HubState.open({ name: 'hank', stateDir: dir, stateSync: 'normal' }, quiet);

  it('a hub restarted on its state has the same registrations, registration IDs and pools, used bytes included', async () => {
    const dir = stateDir();
    const state = await open(dir);
    const before = pools(await populate(state));
    await state.close();
    const again = await open(dir);
    const registry = new PeerClientRegistry(LIMITS, again);
    expect(pools(registry)).toEqual(before);
    const carol = registry.get('carol');
    // The used bytes stay used: a replayed request is refused.
    const block = carol.peerPool.status(false).blocks[0].uuid;
    expect(() => carol.peerPool.take([{ block_uuid: block, start: 10, size: 32 }], 32)).toThrow(/already used/);
    // A block still waiting for its confirmation waits on, and is confirmed after the restart.
    expect(carol.hubOwnedHeld.blocks - carol.localPool.blockCount).toBe(2);
    await again.close();
  });

  it('registering again wipes the old pools from the file; a used-up block leaves it', async () => {
    const dir = stateDir();
    const state = await open(dir);
    const registry = await populate(state);
    const old = registry.get('carol').registrationId;
    registry.register('carol', ['sam'], true);
    const small = PsrdBlock.random(32);
    registry.get('carol').peerPool.addBlock(small);
    registry.get('carol').peerPool.take([{ block_uuid: small.uuid, start: 0, size: 32 }], 32);
    await state.flush();
    await state.close();
    const again = await open(dir);
    const restored = new PeerClientRegistry(LIMITS, again);
    expect(restored.get('carol').registrationId).not.toBe(old);
    expect(restored.get('carol').hubOwnedHeld).toEqual({ bytes: 0, blocks: 0 });
    expect(restored.get('carol').peerPool.blockCount).toBe(0);
    await again.close();
  });

  it('undelivered shares outlive the process until their expiry; a take is once', async () => {
    const dir = stateDir();
    const state = await open(dir);
    const [kept, taken] = [uuid(), uuid()];
    expect(await state.shares.put(share(kept), 60)).toBe(true);
    expect(await state.shares.put(share(kept), 60)).toBe(false);
    await state.shares.put(share(taken), 60);
    await state.shares.put(share(uuid()), 0);
    expect(await state.shares.remove(taken)).toBe(true);
    await state.close();
    const again = await open(dir);
    expect((await again.shares.list()).map((s) => s.user_key_id)).toEqual([kept]);
    expect((await again.shares.peek(kept))?.share.length).toBe(16);
    expect(await again.shares.has(kept)).toBe(true);
    expect(await again.shares.has(taken)).toBe(false);
    expect(await again.shares.remove(taken)).toBe(false);
    await again.close();
  });

  it('a corrupt record or another storage key stops the start, naming the file; so does a file that is not a state file', async () => {
    const dir = stateDir();
    const state = await open(dir);
    await populate(state);
    await state.close();
    writeFileSync(join(dir, 'storage.key'), randomBytes(32));
    await expect(open(dir)).rejects.toThrow(StateError);
    await expect(open(dir)).rejects.toThrow(`${join(dir, STATE_FILE)}: record `);
    writeFileSync(join(dir, STATE_FILE), randomBytes(5000));
    await expect(open(dir)).rejects.toThrow(`${join(dir, STATE_FILE)}: not a usable state file`);
  });
});

describe('HubState in the hub\'s own Redis', () => {
  let data: string;
  let server: RedisServer;
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'dske-hub-redis-'));
    server = await RedisServer.start({ dataDir: data });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(data, { recursive: true, force: true });
  });
  const open = (stateDir: string) => HubState.open({ name: 'hank', redisUrl: server.url, stateDir }, quiet);

  it('registrations and pools come back after a restart of the hub and of Redis (append-only file)', async () => {
    const keyDir = join(data, 'hub-hank');
    const state = await open(keyDir);
    const before = pools(await populate(state));
    await state.close();
    await server.stop();
    await server.start();
    const again = await open(keyDir);
    expect(pools(new PeerClientRegistry(LIMITS, again))).toEqual(before);
    await again.close();
  });

  it('without --state-dir the storage key dies with the process: registrations stay in memory, and the hub starts again', async () => {
    const state = await HubState.open({ name: 'hank', redisUrl: server.url }, quiet);
    await populate(state);
    await state.close();
    const again = await HubState.open({ name: 'hank', redisUrl: server.url }, quiet);
    expect(new PeerClientRegistry(LIMITS, again).all()).toEqual([]);
    await again.close();
  });

  it('with Redis away at start: 503 for registrations until it answers, then the kept ones are there', async () => {
    const keyDir = join(data, 'hub-hank');
    const state = await open(keyDir);
    await populate(state);
    await state.close();
    await server.stop();
    const later = await open(keyDir);
    const registry = new PeerClientRegistry(LIMITS, later);
    const refusal = (() => {
      try {
        registry.get('carol');
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).getStatus()).toBe(503);
    expect(() => registry.register('carol', ['sam'])).toThrow(/has not read its registrations/);
    await server.start();
    const deadline = Date.now() + 10_000;
    while (later.notLoadedReason() !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(registry.get('carol').encryptorNames).toEqual(['sam']);
    await later.close();
  });
});
