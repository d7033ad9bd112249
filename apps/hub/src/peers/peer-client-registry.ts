import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { PsrdBlock, PsrdPool } from '@dske/core';
import { blockKey, type BlockRecord, journalPool, markBlock, readPeerRecords, registrationKey, restorePool, type StateJournal } from '@dske/node-state';
import { ApiError } from '@dske/service-runtime';
import { HUB_CONFIG, HubConfig } from '../hub-config';
import { HubState } from '../state/hub-state';
import { HubMetrics } from '../metrics/hub-metrics';
import { storeUnavailable } from '../shares/share-store';
import { decodeRegistration, encodeRegistration, type RegistrationRecord } from '../state/hub-records';

/** What a hub knows about one registered client: its encryptors and the two PSRD pools. */
export class PeerClient {
  /** Hub allocates (signs responses, encrypts shares it delivers). */
  readonly localPool = new PsrdPool('local');
  /** Client allocates; the hub takes what the client names. */
  readonly peerPool = new PsrdPool('peer');
  /**
   * Hub-owned blocks handed out but not yet confirmed by the client (only for
   * a client that said it confirms): never allocated from, so a block whose
   * answer was lost cannot put the pools out of step. In hand-out order.
   */
  private readonly pending = new Map<string, PsrdBlock>();
  private pendingSeq = 0;

  /**
   * `registrationId`: new at every registration (not secret), the client
   * compares it with the directory's; kept across restarts with the rest.
   * `journal`: the hub's state, told of every change of the pools.
   */
  constructor(
    readonly name: string,
    readonly encryptorNames: readonly string[],
    readonly confirmsPsrd = false,
    private readonly journal?: StateJournal,
    readonly registrationId: string = randomUUID(),
  ) {}

  /** Start journaling the pools (after restoring them, so a restore writes nothing). */
  journalPools(): void {
    if (!this.journal) return;
    journalPool(this.journal, this.name, 'local', this.localPool);
    journalPool(this.journal, this.name, 'peer', this.peerPool);
  }

  /** The registration as the state store keeps it. */
  markRegistration(): void {
    const record: RegistrationRecord = { client_name: this.name, encryptor_names: [...this.encryptorNames], psrd_confirmation: this.confirmsPsrd, registration_id: this.registrationId };
    this.journal?.mark(registrationKey(this.name), () => ({ value: encodeRegistration(record) }));
  }

  /** The registration's blocks as the state store gave them back. */
  restore(blocks: readonly BlockRecord[]): void {
    restorePool(this.localPool, blocks.filter((b) => b.side === 'local'));
    restorePool(this.peerPool, blocks.filter((b) => b.side === 'peer'));
    for (const b of [...blocks].filter((b) => b.side === 'pending').sort((a, c) => a.seq - c.seq)) {
      this.pending.set(b.block.uuid, b.block);
      this.pendingSeq = Math.max(this.pendingSeq, b.seq + 1);
    }
  }

  private markPending(block: PsrdBlock, seq: number): void {
    if (this.journal) markBlock(this.journal, this.name, 'pending', block, seq);
  }

  /** A block no longer waiting (confirmed, wiped or discarded) leaves the pending records. */
  private unmarkPending(block: PsrdBlock): void {
    this.journal?.mark(blockKey(this.name, 'pending', block.uuid), () => ({ value: undefined }));
  }

  /** A fresh hub-owned block: usable at once, or waiting for the client's confirmation. */
  addHubBlock(block: PsrdBlock): void {
    if (this.confirmsPsrd) {
      this.pending.set(block.uuid, block);
      this.markPending(block, this.pendingSeq++);
    } else {
      this.localPool.addBlock(block);
    }
  }

  /** A hub-owned block whose hand-out failed: the client never got it, so it goes (here and in the store). */
  discardHubBlock(block: PsrdBlock): void {
    if (this.pending.delete(block.uuid)) {
      block.wipe();
      this.unmarkPending(block);
    } else {
      this.localPool.discard(block.uuid);
    }
  }

  /** Unused bytes and blocks of the hub-owned pool, counting those waiting (the pool limits hold for both). */
  get hubOwnedHeld(): { bytes: number; blocks: number } {
    let bytes = this.localPool.unusedBytes;
    for (const block of this.pending.values()) bytes += block.unusedBytes;
    return { bytes, blocks: this.localPool.blockCount + this.pending.size };
  }

  /**
   * The client holds these blocks: they join the pool. Blocks handed out
   * before a confirmed one and still waiting never reached the client (their
   * answers were lost): wiped and dropped.
   */
  confirm(uuids: readonly string[]): string[] {
    const named = new Set(uuids.map((u) => u.toLowerCase()));
    const confirmed: string[] = [];
    const order = [...this.pending.keys()];
    const last = order.reduce((at, uuid, i) => (named.has(uuid) ? i : at), -1);
    for (const [i, uuid] of order.entries()) {
      if (i > last) break;
      const block = this.pending.get(uuid)!;
      this.pending.delete(uuid);
      this.unmarkPending(block);
      if (named.has(uuid)) {
        this.localPool.addBlock(block);
        confirmed.push(uuid);
      } else {
        block.wipe();
      }
    }
    return confirmed;
  }

  /** The registration is over: every byte it held is wiped. */
  wipe(): void {
    this.localPool.clear();
    this.peerPool.clear();
    for (const block of this.pending.values()) {
      block.wipe();
      this.unmarkPending(block);
    }
    this.pending.clear();
    this.journal?.mark(registrationKey(this.name), () => ({ value: undefined }));
  }

  serves(saeId: string): boolean {
    return this.encryptorNames.includes(saeId);
  }
}

@Injectable()
export class PeerClientRegistry {
  private readonly clients = new Map<string, PeerClient>();
  private readonly journal: StateJournal | undefined;

  /** `state`: what the hub kept from before a restart comes back here; without it, memory only (unit tests). */
  constructor(
    @Inject(HUB_CONFIG) private readonly config: Pick<HubConfig, 'limits'>,
    @Optional() private readonly state?: HubState,
    @Optional() metrics?: HubMetrics,
  ) {
    metrics?.watchClients(() => this.all());
    this.journal = state?.journal;
    state?.whenLoaded((loaded) => this.restore(loaded));
  }

  /** Registrations are not read from the store yet: nothing may register or use one (503). */
  private checkLoaded(): void {
    const reason = this.state?.notLoadedReason();
    if (reason !== undefined) throw storeUnavailable(reason);
  }

  /** Registrations and their pools as the hub's state store kept them: the clients go on without registering again. */
  private restore(state: HubState): void {
    const { registrations, blocks } = readPeerRecords(state.journal.where ?? 'state', state.records, { decode: decodeRegistration, peerOf: (r) => r.client_name }, ['local', 'peer', 'pending'], 'hub');
    state.records = [];
    for (const r of registrations.values()) {
      const client = new PeerClient(r.client_name, r.encryptor_names, r.psrd_confirmation, this.journal, r.registration_id);
      client.restore(blocks.get(r.client_name) ?? []);
      client.journalPools();
      this.clients.set(client.name, client);
    }
    const held = this.all().reduce((n, c) => n + c.localPool.blockCount + c.peerPool.blockCount, 0);
    if (registrations.size > 0) new Logger('PeerClients').log(`Resumed ${registrations.size} client registrations with ${held} PSRD blocks from ${state.journal.where}`);
  }

  /**
   * Registering (again) starts both pools afresh. An encryptor belongs to one
   * client: a name another client registered is refused, or anyone could
   * register as the slave's KME and fetch its shares.
   */
  register(name: string, encryptorNames: readonly string[], confirmsPsrd = false): PeerClient {
    this.checkLoaded();
    for (const other of this.clients.values()) {
      if (other.name === name) continue;
      const taken = encryptorNames.filter((sae) => other.serves(sae));
      if (taken.length > 0) {
        throw new ApiError(409, 'sae.taken', `encryptor ${taken.join(', ')} is already registered by client ${other.name}`);
      }
    }
    if (!this.clients.has(name) && this.clients.size >= this.config.limits.maxClients) {
      throw new ApiError(429, 'clients.too-many', `this hub registers at most ${this.config.limits.maxClients} clients`);
    }
    const client = new PeerClient(name, [...encryptorNames], confirmsPsrd, this.journal);
    // The old pools are gone for good: wipe their bytes rather than leave them to the collector.
    this.clients.get(name)?.wipe();
    client.journalPools();
    client.markRegistration();
    this.clients.set(name, client);
    return client;
  }

  /** The registered client, or a 400 with code client.unknown (the client re-registers on it). */
  get(name: string): PeerClient {
    this.checkLoaded();
    const client = this.clients.get(name);
    if (!client) throw new ApiError(400, 'client.unknown', `client ${name} is not registered with this hub`);
    return client;
  }

  all(): PeerClient[] {
    return [...this.clients.values()];
  }
}
