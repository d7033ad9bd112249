import { mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from './record-store';
import { SqliteRecordStore } from './sqlite-record-store';
import { openStateDir, STATE_FILE } from './state-dir';

describe('SqliteRecordStore', () => {
  const dirs: string[] = [];
  const stores: SqliteRecordStore[] = [];
  const fileIn = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-sqlite-'));
    dirs.push(dir);
    return join(dir, 'node', 'state.db');
  };
  const open = (file: string) => {
    const store = SqliteRecordStore.open(file);
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes batches atomically and loads them back by prefix after a reopen', async () => {
    const file = fileIn();
    const store = open(file);
    await store.write([
      { key: 'blk:hank:local:a', value: Buffer.from('A') },
      { key: 'blk:hank:peer:b', value: Buffer.from('B') },
      { key: 'blk:hanna:local:c', value: Buffer.from('C') },
      { key: 'reg:hank', value: Buffer.from('R') },
    ]);
    await store.write([{ key: 'blk:hank:peer:b', value: undefined }, { key: 'blk:hank:local:a', value: Buffer.from('A2') }]);
    await store.close();
    const again = open(file);
    expect((await again.load('blk:hank:')).map((r) => [r.key, r.value.toString()])).toEqual([['blk:hank:local:a', 'A2']]);
    expect((await again.load('')).map((r) => r.key)).toEqual(['blk:hank:local:a', 'blk:hanna:local:c', 'reg:hank']);
  });

  it('a batch that fails midway leaves nothing of itself', async () => {
    const store = open(fileIn());
    await store.write([{ key: 'a', value: Buffer.from('1') }]);
    const bad = [{ key: 'a', value: Buffer.from('2') }, { key: 'b', value: 'not a buffer' as unknown as Buffer, expiresAt: {} as number }];
    await expect(store.write(bad)).rejects.toThrow();
    expect((await store.load('')).map((r) => [r.key, r.value.toString()])).toEqual([['a', '1']]);
  });

  it('insertIfAbsent, get and delete see only live records; expired ones are replaced and swept', () => {
    const store = open(fileIn());
    const now = Date.now();
    expect(store.insertIfAbsent('share:1', Buffer.from('x'), now + 60_000)).toBe(true);
    expect(store.insertIfAbsent('share:1', Buffer.from('y'), now + 60_000)).toBe(false);
    expect(store.get('share:1')?.toString()).toBe('x');
    expect(store.insertIfAbsent('share:2', Buffer.from('old'), now - 1)).toBe(true);
    expect(store.get('share:2')).toBeUndefined();
    expect(store.loadNow('share:').map((r) => r.key)).toEqual(['share:1']);
    expect(store.insertIfAbsent('share:2', Buffer.from('new'), now + 60_000)).toBe(true);
    expect(store.get('share:2')?.toString()).toBe('new');
    expect(store.delete('share:1')).toBe(true);
    expect(store.delete('share:1')).toBe(false);
    store.insertIfAbsent('share:3', Buffer.from('z'), now - 1);
    expect(store.removeExpired()).toBe(1);
  });

  it('deleted and overwritten bytes do not stay in the file (secure_delete, truncating checkpoint)', async () => {
    const file = fileIn();
    const store = open(file);
    const marker = Buffer.from('UNUSED-PSRD-BYTES-'.repeat(20));
    await store.write([{ key: 'blk', value: marker }]);
    await store.write([{ key: 'blk', value: Buffer.alloc(marker.length) }]);
    await store.close();
    const files = [file, `${file}-wal`].filter(existsSync);
    for (const f of files) expect(readFileSync(f).includes(marker.subarray(0, 36))).toBe(false);
  });

  it('refuses a file that is not a database, naming it, and a truncated one', async () => {
    const garbage = fileIn();
    open(garbage).close();
    writeFileSync(garbage, 'this is not a state file');
    expect(() => SqliteRecordStore.open(garbage)).toThrow(StateError);
    expect(() => SqliteRecordStore.open(garbage)).toThrow(new RegExp(`^${garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a usable state file`));

    const truncated = fileIn();
    const store = open(truncated);
    await store.write(Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(500, i) })));
    await store.close();
    stores.pop();
    truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
    expect(() => SqliteRecordStore.open(truncated)).toThrow(/not a usable state file/);
  });
});

describe('openStateDir', () => {
  it('makes the state file, then the key; refuses a directory whose key outlived its state file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dske-statedir-')), 'client-ca');
    try {
      const first = openStateDir(dir, 'normal');
      expect(first.created).toBe(true);
      await first.file.close();
      const again = openStateDir(dir, 'normal');
      expect(again.created).toBe(false);
      await again.file.close();
      writeFileSync(join(dir, STATE_FILE), '');
      expect(() => openStateDir(dir, 'normal')).toThrow(`${join(dir, STATE_FILE)}: is empty while storage.key beside it says this node had a state`);
      rmSync(join(dir, STATE_FILE));
      expect(() => openStateDir(dir, 'normal')).toThrow(`${join(dir, STATE_FILE)}: is missing while storage.key`);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
