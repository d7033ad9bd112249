import { join } from 'node:path';
import { RecordSeal } from '@dske/core';
import { BLOCK_PREFIX, type BlockRecord, decodeBlock, loadOrCreateStorageKey, SqliteRecordStore, StateError, StateJournal, type SyncPolicy } from '@dske/node-state';
import { decodeRegistration, REGISTRATION_PREFIX, type HubRegistrationRecord } from './client-records';

export const STATE_FILE = 'state.db';

/** What the client kept of one hub: its registration and the blocks of both pools. */
export interface KeptRegistration {
  record: HubRegistrationRecord;
  blocks: BlockRecord[];
}

export interface StateLog {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Where this client keeps its registrations and PSRD pools: its state file in
 * --state-dir (sealed under its storage key beside it), written ahead of
 * every message; or memory only.
 */
export class ClientState {
  private constructor(
    readonly journal: StateJournal,
    private readonly kept: Map<string, KeptRegistration>,
  ) {}

  static memoryOnly(): ClientState {
    return new ClientState(new StateJournal(undefined, undefined), new Map());
  }

  static async open(stateDir: string | undefined, sync: SyncPolicy, logger: StateLog): Promise<ClientState> {
    if (stateDir === undefined) {
      logger.warn('No --state-dir: registrations and PSRD pools live in memory only; a restart registers with every hub afresh');
      return ClientState.memoryOnly();
    }
    const { key, created, file: keyFile } = loadOrCreateStorageKey(stateDir);
    if (created) logger.log(`Created the storage key ${keyFile}`);
    const seal = new RecordSeal(key);
    key.fill(0);
    const store = SqliteRecordStore.open(join(stateDir, STATE_FILE), sync);
    const journal = new StateJournal(store, seal);
    try {
      const kept = ClientState.decode(store.where, await journal.load(''));
      if (kept.size > 0) {
        const blocks = [...kept.values()].reduce((n, k) => n + k.blocks.length, 0);
        logger.log(`Resumed registrations with ${kept.size} hubs and ${blocks} PSRD blocks from ${store.where}`);
      }
      return new ClientState(journal, kept);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  private static decode(where: string, records: Array<{ key: string; value: Buffer }>): Map<string, KeptRegistration> {
    const registrations = new Map<string, HubRegistrationRecord>();
    const blocks = new Map<string, BlockRecord[]>();
    for (const { key, value } of records) {
      try {
        if (key.startsWith(REGISTRATION_PREFIX)) {
          const record = decodeRegistration(key, value);
          registrations.set(record.hub_name, record);
        } else if (key.startsWith(BLOCK_PREFIX)) {
          const block = decodeBlock(key, value);
          if (block.side !== 'local' && block.side !== 'peer') throw new Error(`record ${key} is not a pool of a client`);
          blocks.set(block.peer, [...(blocks.get(block.peer) ?? []), block]);
        }
      } catch (error) {
        throw new StateError(where, `${(error as Error).message}; move the state away to start this client afresh`);
      } finally {
        value.fill(0);
      }
    }
    const kept = new Map<string, KeptRegistration>();
    for (const [hub, record] of registrations) kept.set(hub, { record, blocks: blocks.get(hub) ?? [] });
    return kept;
  }

  /** The registration kept for `hub`, once: a hub connection takes it at start. */
  take(hub: string): KeptRegistration | undefined {
    const kept = this.kept.get(hub);
    this.kept.delete(hub);
    return kept;
  }

  async close(): Promise<void> {
    for (const { blocks } of this.kept.values()) for (const b of blocks) b.block.wipe();
    this.kept.clear();
    await this.journal.close();
  }
}
