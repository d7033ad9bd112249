import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateStorageKey, STORAGE_KEY_FILE } from './storage-key';

describe('loadOrCreateStorageKey', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-state-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 32-byte key readable by the owner only on first start, and reads the same key afterwards', () => {
    const dir = join(tempDir(), 'hub-hank');
    const first = loadOrCreateStorageKey(dir);
    const file = join(dir, STORAGE_KEY_FILE);
    expect(first).toMatchObject({ file, created: true });
    expect(first.key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(file)).toEqual(first.key);
    const second = loadOrCreateStorageKey(dir);
    expect(second).toEqual({ key: first.key, file, created: false });
  });

  it('refuses a key file of the wrong length, naming the file, and leaves it alone', () => {
    const dir = tempDir();
    writeFileSync(join(dir, STORAGE_KEY_FILE), Buffer.alloc(31));
    expect(() => loadOrCreateStorageKey(dir)).toThrow(`${join(dir, STORAGE_KEY_FILE)}: a storage key is 32 bytes, this file has 31`);
    expect(readFileSync(join(dir, STORAGE_KEY_FILE))).toEqual(Buffer.alloc(31));
  });

  it('names the path when the directory cannot be made', () => {
    const file = join(tempDir(), 'plain-file');
    writeFileSync(file, 'x');
    expect(() => loadOrCreateStorageKey(join(file, 'state'))).toThrow(`${join(file, 'state', STORAGE_KEY_FILE)}: cannot create the storage key`);
  });

  it('without a state directory gives a fresh key each time, kept in memory only', () => {
    const a = loadOrCreateStorageKey(undefined);
    const b = loadOrCreateStorageKey(undefined);
    expect(a.file).toBeUndefined();
    expect(a.key).toHaveLength(32);
    expect(a.key).not.toEqual(b.key);
  });
});
