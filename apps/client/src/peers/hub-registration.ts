import { PsrdPool } from '@dske/core';
import { journalPool, registrationKey, restorePool, type StateJournal } from '@dske/node-state';
import { encodeRegistration, type HubRegistrationRecord } from '../state/client-records';
import type { KeptRegistration } from '../state/client-state';

export type PoolSide = 'local' | 'peer';

/** Where a registration is kept: the client's journal, under the hub's name, as the client's encryptors. */
export interface RegistrationStore {
  journal: StateJournal;
  hubName: string;
  encryptors: readonly string[];
}

/**
 * One registration of this client with one hub: the two PSRD pools it
 * started afresh. Registering again makes a new object, so an answer to a
 * call sent under an older one (a late PSRD block, a reply signed with blocks
 * the hub no longer has) lands in that older object and cannot disturb the
 * current pools. With a store, every change of it is journaled (written
 * before any byte of it leaves the client), so a restart resumes it.
 */
export class HubRegistration {
  /** This client allocates from it (pool_owner=client). */
  readonly localPool = new PsrdPool('local');
  /** The hub allocates from it (pool_owner=hub); this client takes what the hub names. */
  readonly peerPool = new PsrdPool('peer');
  private state: 'registering' | 'registered' | 'retired' = 'registering';
  /** What the hub called this registration (its answer and its directory say); undefined from hubs that do not say. */
  registrationId?: string;
  /** Hub-owned blocks this client holds whose confirmation has not reached the hub yet. */
  readonly unconfirmed: string[] = [];
  /** The hub reads acknowledgements carried in key-share messages (its registration answer said so). */
  acksInRequests = false;

  /** `kept`: the registration as the store gave it back at start (registered, its pools as they were). */
  constructor(
    readonly generation: number,
    private readonly store?: RegistrationStore,
    kept?: KeptRegistration,
  ) {
    if (kept) {
      restorePool(this.localPool, kept.blocks.filter((b) => b.side === 'local'));
      restorePool(this.peerPool, kept.blocks.filter((b) => b.side === 'peer'));
      this.registrationId = kept.record.registration_id;
      this.unconfirmed.push(...kept.record.unconfirmed);
      this.acksInRequests = kept.record.acks_in_requests === true;
      this.state = 'registered';
    }
    // Journaled from here on: a restore writes nothing.
    if (store) {
      journalPool(store.journal, store.hubName, 'local', this.localPool);
      journalPool(store.journal, store.hubName, 'peer', this.peerPool);
    }
  }

  /** Whether a kept registration still fits this client (same encryptors): else it registers afresh. */
  static fits(kept: KeptRegistration, encryptors: readonly string[]): boolean {
    const a = [...kept.record.encryptor_names].sort();
    const b = [...encryptors].sort();
    return a.length === b.length && a.every((n, i) => n === b[i]);
  }

  /** The hub accepted it and it is still the current one. */
  get isRegistered(): boolean {
    return this.state === 'registered';
  }

  get isRetired(): boolean {
    return this.state === 'retired';
  }

  markRegistered(): void {
    if (this.state !== 'registering') return;
    this.state = 'registered';
    this.journalRecord();
  }

  /** The registration record changed (registered, blocks to confirm): journal its latest state. */
  journalRecord(): void {
    const store = this.store;
    if (!store || this.state !== 'registered') return;
    store.journal.mark(registrationKey(store.hubName), () => {
      const record: HubRegistrationRecord = {
        hub_name: store.hubName,
        encryptor_names: [...store.encryptors],
        ...(this.registrationId === undefined ? {} : { registration_id: this.registrationId }),
        generation: this.generation,
        unconfirmed: [...this.unconfirmed],
        ...(this.acksInRequests ? { acks_in_requests: true } : {}),
      };
      return { value: encodeRegistration(record) };
    });
  }

  /** Superseded by a new registration: its PSRD is wiped, here and in the store, and no task adds to it any more. */
  retire(): void {
    this.state = 'retired';
    this.localPool.clear();
    this.peerPool.clear();
    if (this.store) this.store.journal.mark(registrationKey(this.store.hubName), () => ({ value: undefined }));
  }

  /** The client stops: the bytes in memory are wiped, what the store holds stays for the next start. */
  release(): void {
    this.localPool.observe(undefined);
    this.peerPool.observe(undefined);
    this.state = 'retired';
    this.localPool.clear();
    this.peerPool.clear();
  }

  pool(side: PoolSide): PsrdPool {
    return side === 'local' ? this.localPool : this.peerPool;
  }
}
