import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PsrdBlock, PsrdPool } from '@dske/core';
import { ApiError } from '@dske/service-runtime';
import { HUB_CONFIG, HubConfig } from '../hub-config';

/** What a hub knows about one registered client: its encryptors and the two PSRD pools. */
export class PeerClient {
  /** Hub allocates (signs responses, encrypts shares it delivers). */
  readonly localPool = new PsrdPool('local');
  /** Client allocates; the hub takes what the client names. */
  readonly peerPool = new PsrdPool('peer');
  /** New at every registration (not secret): the client compares it with the directory's. */
  readonly registrationId = randomUUID();
  /**
   * Hub-owned blocks handed out but not yet confirmed by the client (only for
   * a client that said it confirms): never allocated from, so a block whose
   * answer was lost cannot put the pools out of step. In hand-out order.
   */
  private readonly pending = new Map<string, PsrdBlock>();

  constructor(
    readonly name: string,
    readonly encryptorNames: readonly string[],
    readonly confirmsPsrd = false,
  ) {}

  /** A fresh hub-owned block: usable at once, or waiting for the client's confirmation. */
  addHubBlock(block: PsrdBlock): void {
    if (this.confirmsPsrd) this.pending.set(block.uuid, block);
    else this.localPool.addBlock(block);
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
    for (const block of this.pending.values()) block.wipe();
    this.pending.clear();
  }

  serves(saeId: string): boolean {
    return this.encryptorNames.includes(saeId);
  }
}

@Injectable()
export class PeerClientRegistry {
  private readonly clients = new Map<string, PeerClient>();

  constructor(@Inject(HUB_CONFIG) private readonly config: Pick<HubConfig, 'limits'>) {}

  /**
   * Registering (again) starts both pools afresh. An encryptor belongs to one
   * client: a name another client registered is refused, or anyone could
   * register as the slave's KME and fetch its shares.
   */
  register(name: string, encryptorNames: readonly string[], confirmsPsrd = false): PeerClient {
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
    const client = new PeerClient(name, [...encryptorNames], confirmsPsrd);
    // The old pools are gone for good: wipe their bytes rather than leave them to the collector.
    this.clients.get(name)?.wipe();
    this.clients.set(name, client);
    return client;
  }

  /** The registered client, or a 400 with code client.unknown (the client re-registers on it). */
  get(name: string): PeerClient {
    const client = this.clients.get(name);
    if (!client) throw new ApiError(400, 'client.unknown', `client ${name} is not registered with this hub`);
    return client;
  }

  all(): PeerClient[] {
    return [...this.clients.values()];
  }
}
