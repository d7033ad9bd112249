import type { Logger } from '@nestjs/common';
import type { PsrdBlock } from '@dske/core';
import { MAX_PSRD_BLOCK_SIZE } from '@dske/topology/nodes';
import type { ClientConfig } from '../client-config';
import { HubCallError } from './hub-errors';
import type { HubRegistration, PoolSide } from './hub-registration';

/** How often a caller waits for a refill before it gives up. */
export const PSRD_RETRIES = 5;

/** A stream of messages larger than the start threshold keeps this many of them in stock (see refillIfLow). */
export const STOCKED_MESSAGES = 8;

/** Asks the hub for one PSRD block of `size` bytes for the pool that `owner` allocates from. */
export type BlockSource = (registration: HubRegistration, owner: 'client' | 'hub', size: number) => Promise<PsrdBlock>;
/** Tells the hub which of its blocks this client holds (registration.unconfirmed), so it may use them. */
export type BlockConfirmation = (registration: HubRegistration) => Promise<void>;

/**
 * Keeps one registration's pools filled: a background refill when a pool
 * drops below the start threshold, and refills on demand for callers that
 * need more than the pool holds. Belongs to its registration; a retired
 * registration's refills stop at the next block.
 */
export class PsrdRefiller {
  private readonly refills: Partial<Record<PoolSide, Promise<void>>> = {};
  /** Bytes that callers waiting for a refill of each pool need between them. */
  private readonly demand: Record<PoolSide, number> = { local: 0, peer: 0 };

  constructor(
    private readonly registration: HubRegistration,
    private readonly fetchBlock: BlockSource,
    private readonly config: ClientConfig,
    private readonly logger: Logger,
    private readonly hubName: string,
    private readonly confirmBlocks: BlockConfirmation = async () => undefined,
    /** Write the new block to the client's state (a block lost in a crash would still count against the hub's pool limits). */
    private readonly persist: () => Promise<void> = async () => undefined,
  ) {}

  /**
   * Background refill when a pool drops below the start threshold, or below
   * what the message just sent used (`lastMessageBytes`): a stream of large
   * messages (number=32) then finds its bytes there, instead of every other
   * message waiting for a refill or being refused for want of PSRD.
   */
  refillIfLow(side: PoolSide, lastMessageBytes = 0): void {
    const { startRequestPsrdThreshold: start, stopRequestPsrdThreshold: stop } = this.config;
    if (!this.registration.isRegistered || this.registration.pool(side).unusedBytes >= Math.max(start, lastMessageBytes)) return;
    // Messages beyond the thresholds' scale (number=32): stock several, so that one refill serves several messages.
    const target = lastMessageBytes > start ? Math.max(stop, start + STOCKED_MESSAGES * lastMessageBytes) : stop;
    void this.fill(side, target).catch(() => undefined);
  }

  /** Ask the hub for blocks until the pool holds at least `target` unused bytes. */
  fill(side: PoolSide, target: number): Promise<void> {
    const reg = this.registration;
    // Not registered (or superseded): nothing to ask for; the next registration refills.
    if (!reg.isRegistered || reg.pool(side).unusedBytes >= target) return Promise.resolve();
    const running = this.refills[side];
    if (running) return running.then(() => (reg.isRegistered && reg.pool(side).unusedBytes < target ? this.fill(side, target) : undefined));
    // A task whose body needs no await finishes before it is stored: never store a finished task.
    let finished = false;
    let task: Promise<void> | undefined = undefined;
    task = (async () => {
      this.logger.log(`Begin request PSRD task for peer hub ${this.hubName} and pool owner ${side}`);
      try {
        while (reg.isRegistered && reg.pool(side).unusedBytes < target) {
          const size = this.blockSizeFor(target - reg.pool(side).unusedBytes);
          const block = await this.fetchBlock(reg, side === 'local' ? 'client' : 'hub', size);
          // A block that arrives after a re-registration belongs to no pool of the hub's any more.
          if (!reg.isRegistered) break;
          reg.pool(side).addBlock(block);
          // The hub uses a block of its own only once we said we hold it: first into our pool, then confirmed
          // (once for all the blocks of this task, below).
          if (side === 'peer') reg.unconfirmed.push(block.uuid);
          else await this.persist();
        }
      } finally {
        // Also when a later block failed: the blocks that came are ours, and the hub may use them.
        if (side === 'peer' && reg.isRegistered && reg.unconfirmed.length > 0) await this.confirmBlocks(reg);
        finished = true;
        if (this.refills[side] === task) this.refills[side] = undefined;
        this.logger.log(`Finish request PSRD task for peer hub ${this.hubName} and pool owner ${side}`);
      }
    })();
    if (!finished) this.refills[side] = task;
    return task;
  }

  /**
   * Blocks of get_psrd_block_size, as the guide has it; a refill that misses
   * more than the stop threshold (a big key, a stocked stream of large
   * messages) asks for one block of as many block sizes as it misses: one
   * request instead of many.
   */
  private blockSizeFor(missing: number): number {
    const blockSize = this.config.getPsrdBlockSize;
    if (missing <= this.config.stopRequestPsrdThreshold) return blockSize;
    return Math.min(MAX_PSRD_BLOCK_SIZE, Math.ceil(missing / blockSize) * blockSize);
  }

  /**
   * Refill a pool for `needed` more bytes on top of what every other waiting
   * caller needs, so that a burst of requests is served by one larger refill
   * instead of each finding the pool drained by the others.
   */
  async fillFor(side: PoolSide, needed: number): Promise<void> {
    this.demand[side] += needed;
    // Our copy of the hub-allocated pool still counts bytes the hub has allocated for replies in flight,
    // so when the hub says it ran short, ask for the demand on top of what our copy shows.
    const base = side === 'peer' ? this.registration.peerPool.unusedBytes : 0;
    try {
      await this.fill(side, base + this.demand[side] + this.config.startRequestPsrdThreshold);
    } finally {
      this.demand[side] -= needed;
    }
  }

  /**
   * Run `use` (which allocates up to `needed` local bytes) once the local pool
   * holds them. The check and the allocation happen in one synchronous step,
   * so concurrent requests cannot take the bytes a refill brought for another.
   */
  async withLocal<T>(needed: number, use: () => Promise<T>): Promise<T> {
    const reg = this.registration;
    for (let attempt = 0; ; attempt++) {
      if (reg.localPool.unusedBytes >= needed) return use();
      if (attempt >= PSRD_RETRIES || !reg.isRegistered) {
        throw new HubCallError(this.hubName, 'refused', `local PSRD pool for hub ${this.hubName} holds ${reg.localPool.unusedBytes} bytes, ${needed} needed`);
      }
      await this.fillFor('local', needed);
    }
  }
}
