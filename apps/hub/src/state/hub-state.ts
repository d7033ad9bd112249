import { join } from 'node:path';
import { RecordSeal } from '@dske/core';
import { loadOrCreateStorageKey, SqliteRecordStore, StateJournal, StateUnavailableError, type SyncPolicy } from '@dske/node-state';
import type { HubConfig } from '../hub-config';
import { ShareStore, storeUnavailable } from '../shares/share-store';
import { MemoryShareStore } from '../shares/memory-share-store';
import { EmbeddedShareStore } from '../shares/embedded-share-store';

export const STATE_FILE = 'state.db';

export interface StateLog {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Where this hub keeps what must outlive its process: registrations and PSRD
 * pools (through the journal, written ahead of every message) and undelivered
 * shares. Redis when the hub has a Redis URL; else its state file in
 * --state-dir; else memory only.
 */
export class HubState {
  private constructor(
    readonly journal: StateJournal,
    readonly shares: ShareStore,
    readonly records: Array<{ key: string; value: Buffer }>,
    private readonly closeBackend: () => Promise<void>,
  ) {}

  static async open(config: Pick<HubConfig, 'name' | 'redisUrl' | 'stateDir' | 'stateSync'>, logger: StateLog): Promise<HubState> {
    if (config.redisUrl) return HubState.openRedis(config as HubConfig & { redisUrl: string }, logger);
    if (config.stateDir === undefined) {
      logger.warn('No --state-dir: registrations, PSRD pools and shares live in memory only and are lost when this process ends');
      const shares = new MemoryShareStore();
      return new HubState(new StateJournal(undefined, undefined), shares, [], () => shares.close());
    }
    const seal = HubState.seal(config.stateDir, logger);
    const file = SqliteRecordStore.open(join(config.stateDir, STATE_FILE), config.stateSync ?? 'full');
    const journal = new StateJournal(file, seal);
    try {
      const records = await journal.load('');
      return new HubState(journal, new EmbeddedShareStore(file, seal), records.filter((r) => !r.key.startsWith('share:')), () => journal.close());
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  private static seal(stateDir: string | undefined, logger: StateLog): RecordSeal {
    const { key, file, created } = loadOrCreateStorageKey(stateDir);
    if (!file) logger.warn('No --state-dir: the storage key that seals this hub\'s records in Redis lives in memory only; what it stored before a restart is then unreadable');
    else if (created) logger.log(`Created the storage key ${file}`);
    const seal = new RecordSeal(key);
    key.fill(0);
    return seal;
  }

  private static async openRedis(config: Pick<HubConfig, 'name' | 'stateDir'> & { redisUrl: string }, logger: StateLog): Promise<HubState> {
    const seal = HubState.seal(config.stateDir, logger);
    // ioredis (~15 MiB resident) is loaded only by hubs that use Redis.
    const { RedisShareStore } = await import('../shares/redis-share-store.js');
    const store = new RedisShareStore(config.redisUrl, config.name, seal, logger);
    await store.start();
    return new HubState(new StateJournal(undefined, undefined), store, [], () => store.close());
  }

  /** Write what is marked before an answer leaves; a store that does not take it is a 503 and nothing is sent. */
  async flush(): Promise<void> {
    try {
      await this.journal.flush();
    } catch (error) {
      if (error instanceof StateUnavailableError) throw storeUnavailable(error.message);
      throw error;
    }
  }

  /** Write what is left and close the backend (the share store with it). */
  async close(): Promise<void> {
    await this.closeBackend();
  }
}

export type { SyncPolicy };
