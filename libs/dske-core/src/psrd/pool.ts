import { DskeError } from '../errors';
import { Allocation } from './allocation';
import { PsrdBlock } from './block';
import { Fragment } from './fragment';

/** `local`: this node allocates from it. `peer`: this node takes what the peer names. */
export type PoolOwner = 'local' | 'peer';

export interface BlockStatus {
  uuid: string;
  size: number;
  data?: string;
  nr_used_bytes: number;
  nr_unused_bytes: number;
}

export interface PoolStatus {
  blocks: BlockStatus[];
  owner: PoolOwner;
}

/** Told of every block whose bytes changed (added, used, given back, wiped), with its place in arrival order. */
export type BlockObserver = (block: PsrdBlock, seq: number) => void;

/**
 * An ordered set of PSRD blocks shared with one peer. Blocks are kept in
 * arrival order (allocation walks them in that order) and indexed by UUID.
 */
export class PsrdPool {
  private readonly blocks = new Map<string, { block: PsrdBlock; seq: number }>();
  private nextSeq = 0;
  private unused = 0;
  private used = 0;
  private observer: BlockObserver | undefined;

  constructor(readonly owner: PoolOwner) {}

  /** A node's state journal follows the pool: every change is written before its bytes leave the node. */
  observe(observer: BlockObserver | undefined): void {
    this.observer = observer;
  }

  private changed(entry: { block: PsrdBlock; seq: number }): void {
    this.observer?.(entry.block, entry.seq);
  }

  get unusedBytes(): number {
    return this.unused;
  }

  /** Bytes used from this pool since it was made (allocated, or taken as a peer named them); a metric, never restored. */
  get bytesUsed(): number {
    return this.used;
  }

  get blockCount(): number {
    return this.blocks.size;
  }

  /** `seq`: the block's place in arrival order, when it comes back from a state store. */
  addBlock(block: PsrdBlock, seq?: number): void {
    if (this.blocks.has(block.uuid)) {
      throw new DskeError('psrd.duplicate-block', `block ${block.uuid} is already in the ${this.owner} pool`);
    }
    const entry = { block, seq: seq ?? this.nextSeq };
    this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
    // A restored block may arrive out of order: allocation walks the map in insertion order.
    if (seq !== undefined && [...this.blocks.values()].some((e) => e.seq > seq)) this.reinsert(block.uuid, entry);
    else this.blocks.set(block.uuid, entry);
    this.unused += block.unusedBytes;
    this.changed(entry);
  }

  /** Wipe and forget one block that never reached the peer (its hand-out failed). */
  discard(uuid: string): void {
    const entry = this.blocks.get(uuid.toLowerCase());
    if (!entry) return;
    this.unused -= entry.block.unusedBytes;
    entry.block.wipe();
    this.blocks.delete(entry.block.uuid);
    this.changed(entry);
  }

  /** Forget every block (a peer registered afresh), wiping its bytes first. */
  clear(): void {
    for (const entry of [...this.blocks.values(), ...this.dropped.values()]) {
      entry.block.wipe();
      this.changed(entry);
    }
    this.blocks.clear();
    this.dropped.clear();
    this.unused = 0;
  }

  /** Take the lowest unused runs, block by block in arrival order; all or nothing. */
  allocate(size: number): Allocation {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new DskeError('psrd.invalid-size', `allocation size must be a positive integer, got ${size}`);
    }
    if (size > this.unused) {
      throw new DskeError('psrd.exhausted', `${this.owner} pool holds ${this.unused} unused bytes, ${size} needed`);
    }
    const fragments: Fragment[] = [];
    const bytes = new Uint8Array(size);
    let filled = 0;
    for (const entry of this.blocks.values()) {
      const { block } = entry;
      const before = filled;
      while (filled < size) {
        const run = block.lowestFreeRun(size - filled);
        if (!run) break;
        bytes.set(block.read(run.start, run.size), filled);
        block.markUsed(run.start, run.size);
        fragments.push({ block_uuid: block.uuid, start: run.start, size: run.size });
        filled += run.size;
      }
      if (filled > before) this.changed(entry);
      if (filled === size) break;
    }
    this.unused -= size;
    this.used += size;
    this.dropUsedBlocks(fragments);
    return new Allocation(fragments, bytes);
  }

  /**
   * Read the bytes a peer named, checking every rule first: known block,
   * start >= 0, size >= 1, inside the block, no byte used (that is how a
   * replay shows), no overlap between fragments, total equal to `size`.
   * Nothing is used unless every check passes.
   */
  peek(fragments: readonly Fragment[], size: number): Uint8Array {
    if (fragments.length === 0) throw new DskeError('allocation.malformed', 'allocation has no fragments');
    let total = 0;
    const claimed = new Map<string, Array<[number, number]>>();
    for (const f of fragments) {
      const entry = this.blocks.get(f.block_uuid.toLowerCase());
      if (!entry) {
        // A recently emptied block is known: naming it again is a replay, not a pool out of step.
        if (this.dropped.has(f.block_uuid.toLowerCase())) {
          throw new DskeError('psrd.already-used', `block ${f.block_uuid} of the ${this.owner} pool is used up`);
        }
        throw new DskeError('psrd.unknown-block', `block ${f.block_uuid} is not in the ${this.owner} pool`);
      }
      if (!Number.isSafeInteger(f.size) || f.size < 1) {
        throw new DskeError('psrd.invalid-size', `fragment size must be >= 1, got ${f.size}`);
      }
      if (!Number.isSafeInteger(f.start) || f.start < 0 || f.start + f.size > entry.block.size) {
        throw new DskeError(
          'psrd.out-of-range',
          `fragment ${f.start}+${f.size} is outside block ${entry.block.uuid} of ${entry.block.size} bytes`,
        );
      }
      const ranges = claimed.get(entry.block.uuid) ?? [];
      const overlaps = ranges.some(([s, e]) => f.start < e && s < f.start + f.size);
      if (overlaps || !entry.block.isUnused(f.start, f.size)) {
        throw new DskeError('psrd.already-used', `bytes ${f.start}..${f.start + f.size - 1} of block ${entry.block.uuid} are already used`);
      }
      ranges.push([f.start, f.start + f.size]);
      claimed.set(entry.block.uuid, ranges);
      total += f.size;
    }
    if (total !== size) {
      throw new DskeError('allocation.size-mismatch', `allocation names ${total} bytes, ${size} required`);
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (const f of fragments) {
      out.set(this.blocks.get(f.block_uuid.toLowerCase())!.block.read(f.start, f.size), offset);
      offset += f.size;
    }
    return out;
  }

  /** Use fragments that peek accepted. */
  consume(fragments: readonly Fragment[]): void {
    for (const f of fragments) {
      const entry = this.blocks.get(f.block_uuid.toLowerCase());
      if (!entry) throw new DskeError('psrd.unknown-block', `block ${f.block_uuid} is not in the ${this.owner} pool`);
      entry.block.markUsed(f.start, f.size);
      this.unused -= f.size;
      this.used += f.size;
      this.changed(entry);
    }
    this.dropUsedBlocks(fragments);
  }

  /** peek + consume: the bytes a peer named, used once. */
  take(fragments: readonly Fragment[], size: number): Uint8Array {
    const bytes = this.peek(fragments, size);
    this.consume(fragments);
    return bytes;
  }

  /** Return an allocation that never left this node. */
  giveBack(allocation: Allocation): void {
    let offset = 0;
    for (const f of allocation.fragments) {
      let entry = this.blocks.get(f.block_uuid);
      if (!entry) {
        const block = this.dropped.get(f.block_uuid);
        if (!block) throw new DskeError('psrd.unknown-block', `block ${f.block_uuid} is not in the ${this.owner} pool`);
        entry = block;
        this.reinsert(f.block_uuid, entry);
      }
      entry.block.restore(f.start, allocation.bytes.subarray(offset, offset + f.size));
      this.unused += f.size;
      offset += f.size;
      this.changed(entry);
    }
  }

  status(withPreview: boolean): PoolStatus {
    return {
      blocks: [...this.blocks.values()].map(({ block }) => ({
        uuid: block.uuid,
        size: block.size,
        ...(withPreview ? { data: block.preview() } : {}),
        nr_used_bytes: block.usedBytes,
        nr_unused_bytes: block.unusedBytes,
      })),
      owner: this.owner,
    };
  }

  // Fully used blocks leave the pool; the most recent ones are remembered so
  // that giveBack can return bytes to a block that was just emptied.
  private readonly dropped = new Map<string, { block: PsrdBlock; seq: number }>();

  private dropUsedBlocks(fragments: readonly Fragment[]): void {
    for (const f of fragments) {
      const uuid = f.block_uuid.toLowerCase();
      const entry = this.blocks.get(uuid);
      if (entry && entry.block.unusedBytes === 0) {
        this.blocks.delete(uuid);
        this.dropped.set(uuid, entry);
        if (this.dropped.size > 64) this.dropped.delete(this.dropped.keys().next().value!);
      }
    }
  }

  private reinsert(uuid: string, entry: { block: PsrdBlock; seq: number }): void {
    this.dropped.delete(uuid);
    const ordered = [...this.blocks.entries(), [uuid, entry] as const].sort((a, b) => a[1].seq - b[1].seq);
    this.blocks.clear();
    for (const [id, e] of ordered) this.blocks.set(id, e);
  }
}
