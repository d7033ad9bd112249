import { Injectable } from '@nestjs/common';
import { PsrdPool } from '@dske/core';
import { ApiError } from '@dske/service-runtime';

/** What a hub knows about one registered client: its encryptors and the two PSRD pools. */
export class PeerClient {
  /** Hub allocates (signs responses, encrypts shares it delivers). */
  readonly localPool = new PsrdPool('local');
  /** Client allocates; the hub takes what the client names. */
  readonly peerPool = new PsrdPool('peer');

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

  /** Registering (again) starts both pools afresh. */
  register(name: string, encryptorNames: readonly string[]): PeerClient {
    const client = new PeerClient(name, [...encryptorNames]);
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
