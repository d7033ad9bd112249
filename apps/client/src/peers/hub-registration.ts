import { PsrdPool } from '@dske/core';

export type PoolSide = 'local' | 'peer';

/**
 * One registration of this client with one hub: the two PSRD pools it
 * started afresh. Registering again makes a new object, so an answer to a
 * call sent under an older one (a late PSRD block, a reply signed with blocks
 * the hub no longer has) lands in that older object and cannot disturb the
 * current pools.
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

  constructor(readonly generation: number) {}

  /** The hub accepted it and it is still the current one. */
  get isRegistered(): boolean {
    return this.state === 'registered';
  }

  get isRetired(): boolean {
    return this.state === 'retired';
  }

  markRegistered(): void {
    if (this.state === 'registering') this.state = 'registered';
  }

  /** Superseded (or the client stops): its PSRD is wiped and no task adds to it any more. */
  retire(): void {
    this.state = 'retired';
    this.localPool.clear();
    this.peerPool.clear();
  }

  pool(side: PoolSide): PsrdPool {
    return side === 'local' ? this.localPool : this.peerPool;
  }
}
