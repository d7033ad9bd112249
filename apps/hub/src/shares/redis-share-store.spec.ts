import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecordSeal } from '@dske/core';
import { RedisServer } from '@dske/test-support';
import { ApiError } from '@dske/service-runtime';
import { RedisShareStore, STORE_COMMAND_TIMEOUT_MS, STORE_OWNER_KEY, type StoreLog } from './redis-share-store';
import type { StoredShare } from './share-store';

class RecordingLog implements StoreLog {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
}

const share = (id: string, value = randomBytes(16)): StoredShare => ({
  user_key_id: id,
  master_client_name: 'carol',
  master_sae_id: 'sam',
  slave_sae_id: 'sunny',
  share_index: 2,
  share: value,
});
const uuid = () => crypto.randomUUID();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

/** The failure of a store call, with how long it took. */
async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await call();
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error('the call succeeded');
}

function expectUnavailable(error: unknown): void {
  expect(error).toBeInstanceOf(ApiError);
  const body = (error as ApiError).getResponse() as { statusCode: number; code: string; message: string };
  expect(body.statusCode).toBe(503);
  expect(body.code).toBe('store.unavailable');
  expect(body.message).toMatch(/^share store unavailable: /);
}

describe('RedisShareStore', () => {
  let server: RedisServer;
  let raw: Redis;
  const key = randomBytes(32);
  const stores: RedisShareStore[] = [];
  const open = (hub: string, log = new RecordingLog(), storageKey = key) => openAt(server.url, hub, log, storageKey);
  const openAt = async (url: string, hub: string, log = new RecordingLog(), storageKey = key) => {
    const store = new RedisShareStore(url, hub, new RecordSeal(storageKey), log);
    stores.push(store);
    await store.start();
    return { store, log };
  };

  beforeAll(async () => {
    server = await RedisServer.start();
    raw = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 100 });
    raw.on('error', () => undefined);
    await raw.connect();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await server.start();
    await until(() => raw.status === 'ready');
    await raw.flushall();
  });
  afterAll(async () => {
    raw?.disconnect();
    await server?.stop();
  });

  it('stores, peeks, takes once and expires shares', async () => {
    const { store } = await open('hank');
    const id = uuid();
    const s = share(id);
    expect(await store.put(s, 60)).toBe(true);
    expect(await store.put(share(id), 60)).toBe(false);
    expect(await store.has(id)).toBe(true);
    expect(await store.has(uuid())).toBe(false);
    expect(await store.peek(id)).toEqual(s);
    expect(await store.list()).toEqual([{ user_key_id: id, master_client_name: 'carol', master_sae_id: 'sam', slave_sae_id: 'sunny', share_index: 2, size: 16 }]);
    expect(await raw.ttl(`dske:hank:share:${id}`)).toBeGreaterThan(55);
    expect(await store.remove(id)).toBe(true);
    expect(await store.remove(id)).toBe(false);
    expect(await store.peek(id)).toBeUndefined();
    await store.put(share(id), 1);
    await until(async () => (await store.peek(id)) === undefined, 3_000);
  });

  it('keeps only sealed records: a reader of the Redis sees no share, no SAE and no client name', async () => {
    const { store } = await open('hank');
    const id = uuid();
    const value = randomBytes(32);
    await store.put(share(id, value), 60);
    const record = (await raw.getBuffer(`dske:hank:share:${id}`))!;
    expect(record.length).toBeGreaterThan(value.length);
    for (const secret of [value, value.subarray(0, 8), Buffer.from(value.toString('base64')), Buffer.from('sunny'), Buffer.from('carol'), Buffer.from('share_index')]) {
      expect(record.includes(secret)).toBe(false);
    }
    expect(new RecordSeal(key).open(`dske:hank:share:${id}`, record)?.toString()).toContain(value.toString('base64'));
    // Every key in the database is this hub's records and its claim.
    expect((await raw.keys('*')).sort()).toEqual([`dske:hank:share:${id}`, STORE_OWNER_KEY].sort());
  });

  it('counts a record that does not open as absent, and logs it by key ID only', async () => {
    const { store, log } = await open('hank');
    const [a, b] = [uuid(), uuid()];
    await store.put(share(a), 60);
    await store.put(share(b), 60);
    // Another record moved into a's place: the record key is the associated data, so it does not open.
    await raw.set(`dske:hank:share:${a}`, (await raw.getBuffer(`dske:hank:share:${b}`))!);
    expect(await store.peek(a)).toBeUndefined();
    expect(await store.has(a)).toBe(true); // there, though it does not open: no share is stored under a again
    expect((await store.list()).map((s) => s.user_key_id)).toEqual([b]);
    const lines = log.lines.filter((l) => l.includes('does not open'));
    expect(lines[0]).toBe(`warn Share record ${a} does not open with this hub's storage key; counted as absent`);
    // A store under another storage key opens none of them.
    await store.close();
    const { store: other } = await open('hank', new RecordingLog(), randomBytes(32));
    expect(await other.peek(b)).toBeUndefined();
  });

  it('refuses to start on a Redis server that another hub uses, also on another database, and frees its claim when it closes', async () => {
    const { store } = await open('hank');
    await expect(open('helen')).rejects.toThrow(`${server.url}: this Redis server is the share store of hub hank; each hub needs a store of its own`);
    const otherDatabase = server.url.replace(/\/0$/, '/1');
    expect(otherDatabase).not.toBe(server.url);
    await expect(openAt(otherDatabase, 'helen')).rejects.toThrow(`${otherDatabase}: this Redis server is the share store of hub hank; each hub needs a store of its own`);
    // The same hub again (a restart) may use it.
    const again = await open('hank');
    await again.store.close();
    await store.close();
    expect(await raw.exists(STORE_OWNER_KEY)).toBe(0);
    await expect(open('helen')).resolves.toBeDefined();
  });

  it('answers store.unavailable (503) within a second while Redis is down, logs one line each way, and recovers by itself', async () => {
    const { store, log } = await open('hank');
    const id = uuid();
    await store.put(share(id), 60);
    await server.stop();
    await until(() => store.unavailableReason() !== undefined);
    for (const call of [() => store.peek(id), () => store.put(share(uuid()), 60), () => store.remove(id), () => store.list()]) {
      const { error, ms } = await failure(call);
      expectUnavailable(error);
      expect(ms).toBeLessThan(1_000);
    }
    await sleep(2_500); // several reconnect attempts fail meanwhile
    expect(log.lines.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    expect(log.lines[0]).toMatch(new RegExp(`^warn Share store ${server.url.replace(/[/.]/g, '\\$&')} went away \\(.+\\); answering store.unavailable \\(503\\) until it is back$`));
    await server.start();
    await until(() => store.unavailableReason() === undefined, 5_000);
    expect(log.lines.filter((l) => l.startsWith('log'))).toEqual([`log Share store ${server.url} is back`]);
    // A Redis without persistence came back empty: the share is gone, the store works.
    expect(await store.peek(id)).toBeUndefined();
    expect(await store.put(share(id), 60)).toBe(true);
  });

  it('answers store.unavailable within a second when Redis hangs, and the requests behind it at once; recovers by itself', async () => {
    const log = new RecordingLog();
    const { store } = await open('hank', log);
    const id = uuid();
    await store.put(share(id), 60);
    server.pause();
    try {
      const { error, ms } = await failure(() => store.peek(id));
      expectUnavailable(error);
      expect(ms).toBeGreaterThanOrEqual(STORE_COMMAND_TIMEOUT_MS - 50);
      expect(ms).toBeLessThan(1_000);
      // The commands behind it (a request's write-ahead flush, the next request) do not wait out a timeout each.
      const next = await failure(() => store.put(share(uuid()), 60));
      expectUnavailable(next.error);
      expect(next.ms).toBeLessThan(100);
      expect(log.lines.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    } finally {
      server.resume();
    }
    await until(async () => {
      try {
        return (await store.peek(id)) !== undefined;
      } catch {
        return false;
      }
    });
    expect(log.lines.filter((l) => l.startsWith('log'))).toEqual([`log Share store ${server.url} is back`]);
  });

  it('starts when Redis is not up yet, answering 503 until it is', async () => {
    await server.stop();
    const log = new RecordingLog();
    const { store } = await open('hank', log);
    expect(store.unavailableReason()).toBeDefined();
    expectUnavailable((await failure(() => store.peek(uuid()))).error);
    expect(log.lines[0]).toMatch(/^warn Share store .* does not answer yet/);
    await server.start();
    await until(() => store.unavailableReason() === undefined);
    expect(await store.put(share(uuid()), 60)).toBe(true);
  });
});
