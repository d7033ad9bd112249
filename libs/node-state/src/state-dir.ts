import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordSeal } from '@dske/core';
import { StateError } from './record-store';
import { SqliteRecordStore, type SyncPolicy } from './sqlite-record-store';
import { loadOrCreateStorageKey, STORAGE_KEY_FILE } from './storage-key';
import { StateJournal } from './state-journal';

export const STATE_FILE = 'state.db';

/**
 * A node's embedded state in its --state-dir: the state file, then the
 * storage key that seals its records (made after the file, so a crash
 * between the two leaves no key without a file). A directory that holds a
 * key but no state file, or an empty one, lost its state: the node refuses
 * it rather than start afresh unnoticed.
 */
export function openStateDir(dir: string, sync: SyncPolicy): { journal: StateJournal; file: SqliteRecordStore; seal: RecordSeal; keyFile: string; created: boolean } {
  const path = join(dir, STATE_FILE);
  const hadKey = existsSync(join(dir, STORAGE_KEY_FILE));
  if (hadKey && (!existsSync(path) || statSync(path).size === 0)) {
    throw new StateError(path, `${existsSync(path) ? 'is empty' : 'is missing'} while ${STORAGE_KEY_FILE} beside it says this node had a state; move the directory away to start this node afresh`);
  }
  const file = SqliteRecordStore.open(path, sync);
  try {
    const { key, file: keyFile, created } = loadOrCreateStorageKey(dir);
    const seal = new RecordSeal(key);
    key.fill(0);
    return { journal: new StateJournal(file, seal), file, seal, keyFile: keyFile!, created };
  } catch (error) {
    void file.close();
    throw error;
  }
}
