import { RecordSeal } from '@dske/core';
import { loadOrCreateStorageKey, openStateDir, StateError, StateJournal, StateUnavailableError, type SyncPolicy } from '@dske/node-state';
import type { HubConfig } from '../hub-config';
import { ShareStore, storeUnavailable } from '../shares/share-store';
import { MemoryShareStore } from '../shares/memory-share-store';
import { EmbeddedShareStore } from '../shares/embedded-share-store';
import { RedisStateRecords } from './redis-state-records';

export { STATE_FILE } from '@dske/node-state';

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
  /** Set while the records could not be read yet (Redis did not answer at start). */
  private loading: NodeJS.Timeout | undefined;
  private onLoaded: ((state: HubState) => void) | undefined;

  private constructor(
    readonly journal: StateJournal,
    readonly shares: ShareStore,
    public records: Array<{ key: string; value: Buffer }>,
    private readonly closeBackend: () => Promise<void>,
  ) {}

  /** Why registrations cannot be used yet (their records are not read), or undefined. */
  notLoadedReason(): string | undefined {
    return this.loading === undefined ? undefined : 'the hub has not read its registrations from its state store yet';
  }

  /** Called once with the records when they are read after a start without the store (at once if they are). */
  whenLoaded(restore: (state: HubState) => void): void {
    if (this.loading === undefined) restore(this);
    else this.onLoaded = restore;
  }

  /** Read the records once the store answers: until then every registration call is a 503. */
  private loadWhenAvailable(available: () => boolean, logger: StateLog): void {
    this.loading = setInterval(() => {
      if (!available()) return;
      const timer = this.loading;
      const corrupt = (error: unknown) => {
        // A corrupt record: the hub must not go on with half a state; stopping lets the operator see it.
        logger.warn(`${(error as Error).message}; stopping`);
        process.exit(1);
      };
      this.journal.load('').then(
        (records) => {
          if (this.loading !== timer) return;
          clearInterval(timer);
          this.loading = undefined;
          this.records = records;
          try {
            this.onLoaded?.(this);
          } catch (error) {
            corrupt(error);
          }
        },
        // Redis went away again while it was read: the next tick tries again.
        (error: unknown) => (error instanceof StateError ? corrupt(error) : undefined),
      );
    }, 500);
    this.loading.unref();
  }

  static async open(config: Pick<HubConfig, 'name' | 'redisUrl' | 'stateDir' | 'stateSync'>, logger: StateLog): Promise<HubState> {
    if (config.redisUrl) return HubState.openRedis(config as HubConfig & { redisUrl: string }, logger);
    if (config.stateDir === undefined) {
      logger.warn('No --state-dir: registrations, PSRD pools and shares live in memory only and are lost when this process ends');
      const shares = new MemoryShareStore();
      return new HubState(new StateJournal(undefined, undefined), shares, [], () => shares.close());
    }
    const { journal, file, seal, created, keyFile } = openStateDir(config.stateDir, config.stateSync ?? 'full');
    if (created) logger.log(`Created the storage key ${keyFile}`);
    try {
      // The journal's records only: shares live beside them in the same file, under names of their own.
      return new HubState(journal, new EmbeddedShareStore(file, seal), await journal.load(''), () => journal.close());
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  private static seal(stateDir: string | undefined, logger: StateLog): RecordSeal {
    const { key, file, created } = loadOrCreateStorageKey(stateDir);
    if (!file) logger.warn('No --state-dir: the storage key that seals this hub\'s records in Redis lives in memory only; shares stored before a restart are then unreadable, and registrations and PSRD pools are kept in memory only');
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
    // Without --state-dir the storage key dies with the process: records sealed under it could never be read again,
    // so registrations and pools stay in memory (the hub said so above).
    const journal = config.stateDir === undefined ? new StateJournal(undefined, undefined) : new StateJournal(new RedisStateRecords(store, config.name), seal);
    try {
      // Registrations and pools come back from Redis. A Redis that does not answer yet: the hub starts and answers
      // 503 until it has read them; a corrupt record stops the start.
      let answering = store.unavailableReason() === undefined;
      let records: Array<{ key: string; value: Buffer }> = [];
      try {
        if (answering) records = await journal.load('');
      } catch (error) {
        // Corrupt records stop the start; Redis going away while it is read is a 503 until it is back.
        if (error instanceof StateError) throw error;
        answering = false;
      }
      if (answering && (await store.appendOnly()) === false) {
        logger.warn(`Redis ${store.where} keeps no append-only file: this hub's registrations, PSRD pools and shares do not survive a restart of Redis (redis-server --appendonly yes)`);
      }
      const state: HubState = new HubState(journal, store, records, async () => {
        clearInterval(state.loading);
        await journal.close();
        await store.close();
      });
      if (!answering) state.loadWhenAvailable(() => store.unavailableReason() === undefined, logger);
      return state;
    } catch (error) {
      await store.close();
      throw error;
    }
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
