import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { STORAGE_KEY_BYTES } from '@dske/core';

export const STORAGE_KEY_FILE = 'storage.key';

/**
 * The hub's storage key: made on first start and kept in its own state
 * directory (a volume only this hub mounts), never in the topology, a log or
 * status. Without a directory the key lives in this process only.
 */
export function loadOrCreateStorageKey(stateDir: string | undefined): { key: Buffer; file?: string; created: boolean } {
  if (stateDir === undefined) return { key: randomBytes(STORAGE_KEY_BYTES), created: true };
  const file = join(stateDir, STORAGE_KEY_FILE);
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const key = randomBytes(STORAGE_KEY_BYTES);
    // wx: never replace a key that exists (it would make every sealed record unreadable).
    writeFileSync(file, key, { flag: 'wx', mode: 0o600 });
    return { key, file, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${file}: cannot create the storage key (${(error as Error).message})`);
  }
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot read the storage key (${(error as Error).message})`);
  }
  if (key.length !== STORAGE_KEY_BYTES) throw new Error(`${file}: a storage key is ${STORAGE_KEY_BYTES} bytes, this file has ${key.length}; move it away to start with a new key (sealed shares are then lost)`);
  return { key, file, created: false };
}
