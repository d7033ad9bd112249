import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PsrdPool } from '@dske/core';
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

  constructor(
    readonly name: string,
    readonly encryptorNames: readonly string[],
  ) {}

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
  register(name: string, encryptorNames: readonly string[]): PeerClient {
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
    const client = new PeerClient(name, [...encryptorNames]);
    // The old pools are gone for good: wipe their bytes rather than leave them to the collector.
    const old = this.clients.get(name);
    old?.localPool.clear();
    old?.peerPool.clear();
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
