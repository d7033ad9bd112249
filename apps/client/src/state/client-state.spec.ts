import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { fragmentsFromText, RecordSeal, SIGNATURE_HEADER, signatureAllocation, type Fragment } from '@dske/core';
import { decodeBlock, loadOrCreateStorageKey, SqliteRecordStore, STATE_RECORD_PREFIX, StateError, StateJournal } from '@dske/node-state';
import { quiet, sleep, TEST_CONFIG, until } from '../peers/testing/unit-setup';
import { HubConnection } from '../peers/hub-connection';
import { ScriptedHub } from '../peers/testing/scripted-hub';
import { ClientState, STATE_FILE } from './client-state';
import { KeyRelayService } from '../keys/key-relay.service';
import type { PeerHubs } from '../peers/peer-hubs';

const CONFIG = TEST_CONFIG;
const ROUTE = { master_sae_id: 'sa', slave_sae_id: 'sa' };
const URL = 'http://hub.test/hub/hx';

describe('ClientState: a client restarted on its state resumes its registrations', () => {
  const dirs: string[] = [];
  const stateDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-client-state-'));
    dirs.push(dir);
    return join(dir, 'client-ca');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** One run of the client: its state opened, a connection to `hub`, started. */
  async function run(dir: string, hub: ScriptedHub, config = CONFIG) {
    const state = await ClientState.open(dir, 'normal', quiet);
    const connection = new HubConnection(0, URL, config, quiet, hub, state);
    await connection.start();
    const stop = async () => {
      await connection.close();
      await state.close();
    };
    return { state, connection, stop };
  }

  it('after a restart: no registration, no PSRD fetched, the same pools, and keys stored before are fetched', async () => {
    const dir = stateDir();
    const hub = new ScriptedHub();
    const first = await run(dir, hub);
    await until(() => first.connection.isUsable && first.connection.localPool.unusedBytes >= 2000 && hub.localPool.unusedBytes >= 2000);
    const keys = [{ keyId: randomUUID(), data: randomBytes(16) }];
    await first.connection.postShares(ROUTE, keys);
    const before = first.connection.poolsStatus(false);
    const calls = hub.calls.length;
    await first.stop();

    const second = await run(dir, hub);
    expect(second.connection.isRegistered).toBe(true);
    expect(second.connection.poolsStatus(false)).toEqual(before);
    await sleep(50);
    expect(hub.calls.slice(calls).filter((c) => c.path.endsWith('/registration') || c.path.endsWith('/psrd'))).toEqual([]);
    const shares = await second.connection.getShares(ROUTE, keys.map((k) => k.keyId));
    expect(Buffer.from(shares[0].data)).toEqual(Buffer.from(keys[0].data));
    await second.stop();
  });

  it('a clean stop right after a refill keeps the new blocks (the wipe at stop never reaches the store)', async () => {
    const dir = stateDir();
    const hub = new ScriptedHub();
    const first = await run(dir, hub);
    await until(() => first.connection.isUsable && first.connection.localPool.unusedBytes >= 2000 && hub.localPool.unusedBytes >= 2000);
    // Drain the local pool below the start threshold: the refill that follows is the last change before the stop.
    await first.connection.postShares(ROUTE, [{ keyId: randomUUID(), data: randomBytes(1600) }]);
    await until(() => first.connection.localPool.unusedBytes >= 2000);
    const before = first.connection.poolsStatus(false);
    await first.stop();
    const second = await run(dir, hub);
    expect(second.connection.poolsStatus(false)).toEqual(before);
    await second.stop();
  });

  it('what a message uses is in the state file, marked used, before the message reaches the hub (write-ahead)', async () => {
    const dir = stateDir();
    const hub = new ScriptedHub();
    const first = await run(dir, hub);
    await until(() => first.connection.isUsable && hub.localPool.unusedBytes >= 2000);
    const seal = new RecordSeal(loadOrCreateStorageKey(dir).key);
    let checked = 0;
    hub.override((call, options) => {
      if (!call.path.endsWith('/key-share')) return undefined;
      // What a crash at this instant would leave: the state file as another process reads it.
      const file = SqliteRecordStore.open(join(dir, STATE_FILE), 'normal');
      const records = new StateJournal(file, seal).open(file.loadNow(STATE_RECORD_PREFIX), 'blk:hx:local:');
      const blocks = new Map(records.map((r) => [r.key, decodeBlock(r.key, r.value).block]));
      void file.close();
      const body = JSON.parse(String(options.body)) as { encryption_key_allocation: { fragments: Fragment[] } };
      const signature = fragmentsFromText(signatureAllocation(String(options.headers?.[SIGNATURE_HEADER])));
      for (const f of [...body.encryption_key_allocation.fragments, ...signature]) {
        const block = blocks.get(`blk:hx:local:${f.block_uuid}`);
        // A block used up is deleted; one still there shows these bytes used.
        expect(block === undefined || !block.isUnused(f.start, f.size)).toBe(true);
        checked++;
      }
      return undefined;
    });
    await first.connection.postShares(ROUTE, [{ keyId: randomUUID(), data: randomBytes(16) }]);
    expect(checked).toBeGreaterThanOrEqual(2);
    await first.stop();
  });

  it('before a key leaves the relay, what the hubs\' answers used (signatures, pads) is in the state file', async () => {
    const dir = stateDir();
    const hub = new ScriptedHub();
    const first = await run(dir, hub);
    await until(() => first.connection.isUsable && hub.localPool.unusedBytes >= 2000);
    const relay = new KeyRelayService({ hubs: [first.connection] } as unknown as PeerHubs, CONFIG, first.state);
    const [made] = await relay.makeKeys(ROUTE, 32, 1);
    const stored = () => {
      const file = SqliteRecordStore.open(join(dir, STATE_FILE), 'normal');
      const seal = new RecordSeal(loadOrCreateStorageKey(dir).key);
      const records = new StateJournal(file, seal).open(file.loadNow(STATE_RECORD_PREFIX), 'blk:hx:');
      void file.close();
      return records.map((r) => decodeBlock(r.key, r.value)).reduce((n, b) => n + b.block.unusedBytes, 0);
    };
    const inMemory = () => ['local_pool', 'peer_pool'].reduce((n, pool) => n + (first.connection.poolsStatus(false) as Record<string, { blocks: Array<{ nr_unused_bytes: number }> }>)[pool].blocks.reduce((m, b) => m + b.nr_unused_bytes, 0), 0);
    expect(stored()).toBe(inMemory());
    const [got] = await relay.fetchKeys(ROUTE, [made.keyId]);
    expect(Buffer.from(got.key)).toEqual(Buffer.from(made.key));
    expect(stored()).toBe(inMemory());
    await first.stop();
  });

  it('registers afresh when the kept registration is for other encryptors, or the state is lost', async () => {
    const dir = stateDir();
    const hub = new ScriptedHub();
    const first = await run(dir, hub);
    await until(() => first.connection.isUsable);
    await first.stop();
    const registrations = () => hub.count('PUT', '/registration');
    expect(registrations()).toBe(1);
    const other = await run(dir, hub, { ...CONFIG, encryptors: ['sa', 'sb'] });
    await until(() => other.connection.isUsable && other.connection.localPool.unusedBytes >= 2000);
    expect(registrations()).toBe(2);
    const afresh = other.connection.poolsStatus(false);
    await other.stop();
    // The first registration's blocks left the store with it: the next start resumes the second one only.
    const resumed = await run(dir, hub, { ...CONFIG, encryptors: ['sa', 'sb'] });
    expect(registrations()).toBe(2);
    expect(resumed.connection.poolsStatus(false)).toEqual(afresh);
    await resumed.stop();
    const fresh = await run(stateDir(), hub);
    await until(() => fresh.connection.isRegistered);
    expect(registrations()).toBe(3);
    await fresh.stop();
  });

  it('a state file that is not one, or a record that does not open, stops the start naming the file', async () => {
    const dir = stateDir();
    const first = await run(dir, new ScriptedHub());
    await until(() => first.connection.isUsable);
    await first.stop();
    writeFileSync(join(dir, 'storage.key'), randomBytes(32));
    await expect(ClientState.open(dir, 'normal', quiet)).rejects.toThrow(StateError);
    await expect(ClientState.open(dir, 'normal', quiet)).rejects.toThrow(`${join(dir, STATE_FILE)}: record`);
    writeFileSync(join(dir, STATE_FILE), 'garbage');
    await expect(ClientState.open(dir, 'normal', quiet)).rejects.toThrow(`${join(dir, STATE_FILE)}: not a usable state file`);
  });
});
