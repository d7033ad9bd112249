import { blockKey, type BlockRecord, openStateDir, readPeerRecords, registrationKey, StateJournal, type SyncPolicy } from '@dske/node-state';
import { decodeRegistration, type HubRegistrationRecord } from './client-records';

export { STATE_FILE } from '@dske/node-state';

/** What the client kept of one hub: its registration and the blocks of both pools. */
export interface KeptRegistration {
  record: HubRegistrationRecord;
  blocks: BlockRecord[];
}

type Kept = { record?: HubRegistrationRecord; blocks: BlockRecord[] };

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
    private readonly kept: Map<string, Kept>,
  ) {}

  static memoryOnly(): ClientState {
    return new ClientState(new StateJournal(undefined, undefined), new Map());
  }

  static async open(stateDir: string | undefined, sync: SyncPolicy, logger: StateLog): Promise<ClientState> {
    if (stateDir === undefined) {
      logger.warn('No --state-dir: registrations and PSRD pools live in memory only; a restart registers with every hub afresh');
      return ClientState.memoryOnly();
    }
    const { journal, file: store, created, keyFile } = openStateDir(stateDir, sync);
    if (created) logger.log(`Created the storage key ${keyFile}`);
    try {
      const kept = ClientState.decode(store.where, await journal.load(''));
      const registered = [...kept.values()].filter((k) => k.record !== undefined);
      if (registered.length > 0) {
        const blocks = registered.reduce((n, k) => n + k.blocks.length, 0);
        logger.log(`Resumed registrations with ${registered.length} hubs and ${blocks} PSRD blocks from ${store.where}`);
      }
      return new ClientState(journal, kept);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  private static decode(where: string, records: Array<{ key: string; value: Buffer }>): Map<string, Kept> {
    const { registrations, blocks } = readPeerRecords(where, records, { decode: decodeRegistration, peerOf: (r) => r.hub_name }, ['local', 'peer'], 'client');
    const kept = new Map<string, Kept>();
    for (const [hub, record] of registrations) kept.set(hub, { record, blocks: blocks.get(hub) ?? [] });
    // Blocks without a registration (one that ended before its blocks' deletion was written) belong to none.
    for (const [hub, orphans] of blocks) if (!registrations.has(hub)) kept.set(hub, { record: undefined, blocks: orphans });
    return kept;
  }

  /** Drop a kept registration and its blocks, here and in the store. */
  forget(hub: string, kept: { record?: HubRegistrationRecord; blocks: BlockRecord[] }): void {
    for (const b of kept.blocks) {
      b.block.wipe();
      this.journal.mark(blockKey(hub, b.side, b.block.uuid), () => ({ value: undefined }));
    }
    if (kept.record) this.journal.mark(registrationKey(hub), () => ({ value: undefined }));
  }

  /** The registration kept for `hub`, once: a hub connection takes it at start. Orphan blocks of that hub go. */
  take(hub: string): KeptRegistration | undefined {
    const kept = this.kept.get(hub);
    this.kept.delete(hub);
    if (kept?.record === undefined) {
      if (kept) this.forget(hub, kept);
      return undefined;
    }
    return kept as KeptRegistration;
  }

  async close(): Promise<void> {
    for (const { blocks } of this.kept.values()) for (const b of blocks) b.block.wipe();
    this.kept.clear();
    await this.journal.close();
  }
}
