import { randomBytes, randomUUID } from 'node:crypto';
import { DskeError } from '../errors';
import { UUID_PATTERN } from './fragment';

const SNAPSHOT_VERSION = 1;

/** The storage of a used-up block: every byte of it is a wiped zero, so none needs keeping. */
const RELEASED = new Uint8Array(0);

interface FreeRun {
  start: number;
  end: number; // exclusive
}

/**
 * A block of pre-shared random data. Unused bytes are tracked as sorted,
 * disjoint free runs, so allocating or marking a range costs O(runs), not
 * O(block size). A byte marked used is wiped. A used-up block lets go of its
 * storage (all zeros by then): a pool remembers its recently emptied blocks,
 * and a client stocked for large requests holds blocks of several KiB.
 */
export class PsrdBlock {
  private free: FreeRun[];
  private unused: number;
  private data: Uint8Array;
  readonly size: number;

  constructor(
    readonly uuid: string,
    data: Uint8Array,
  ) {
    if (!UUID_PATTERN.test(uuid)) throw new DskeError('psrd.invalid-block', `block UUID '${uuid}' is not a UUID`);
    if (data.length < 1) throw new DskeError('psrd.invalid-block', 'a PSRD block needs at least one byte');
    this.uuid = uuid.toLowerCase();
    this.data = data;
    this.size = data.length;
    this.free = [{ start: 0, end: data.length }];
    this.unused = data.length;
  }

  /** A fresh block of cryptographically random bytes. */
  static random(size: number): PsrdBlock {
    if (!Number.isSafeInteger(size) || size < 1) throw new DskeError('psrd.invalid-size', `block size must be >= 1, got ${size}`);
    return new PsrdBlock(randomUUID(), randomBytes(size));
  }

  get unusedBytes(): number {
    return this.unused;
  }

  get usedBytes(): number {
    return this.size - this.unused;
  }

  /** Bytes this block keeps in memory: its size while any byte is unused, none once it is used up. */
  get heldBytes(): number {
    return this.data.length;
  }

  /** The lowest unused run, at most `max` bytes long, or undefined when the block is used up. */
  lowestFreeRun(max: number): { start: number; size: number } | undefined {
    const run = this.free[0];
    if (!run) return undefined;
    return { start: run.start, size: Math.min(max, run.end - run.start) };
  }

  /** True when every byte of [start, start+size) is unused (bounds already checked). */
  isUnused(start: number, size: number): boolean {
    return this.free.some((run) => run.start <= start && start + size <= run.end);
  }

  /** Copies bytes out without using them. */
  read(start: number, size: number): Uint8Array {
    // A copy, never a view: the range may be wiped right after (Buffer#slice would alias).
    if (this.data === RELEASED) return new Uint8Array(size);
    return new Uint8Array(this.data.subarray(start, start + size));
  }

  /** Marks an unused range used and wipes it. The caller has checked isUnused. */
  markUsed(start: number, size: number): void {
    const end = start + size;
    const i = this.free.findIndex((run) => run.start <= start && end <= run.end);
    if (i < 0) throw new DskeError('psrd.already-used', `bytes ${start}..${end - 1} of block ${this.uuid} are already used`);
    const run = this.free[i];
    const pieces: FreeRun[] = [];
    if (run.start < start) pieces.push({ start: run.start, end: start });
    if (end < run.end) pieces.push({ start: end, end: run.end });
    this.free.splice(i, 1, ...pieces);
    this.unused -= size;
    if (this.unused === 0) this.release();
    else this.data.fill(0, start, end);
  }

  /** Puts bytes back as unused (an allocation that never left this node). */
  restore(start: number, bytes: Uint8Array): void {
    const end = start + bytes.length;
    if (!Number.isSafeInteger(start) || start < 0 || bytes.length < 1 || end > this.size) {
      throw new DskeError('psrd.invalid-block', `bytes ${start}..${end - 1} are outside block ${this.uuid} of ${this.size} bytes`);
    }
    if (this.free.some((run) => run.start < end && start < run.end)) {
      throw new DskeError('psrd.invalid-block', `bytes ${start}..${end - 1} of block ${this.uuid} are not in use`);
    }
    if (this.data === RELEASED) this.data = new Uint8Array(this.size);
    this.data.set(bytes, start);
    let i = this.free.findIndex((run) => run.start > start);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { start, end });
    // Merge with neighbours so the lowest run stays one run.
    const merged: FreeRun[] = [];
    for (const run of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.end === run.start) last.end = run.end;
      else merged.push({ ...run });
    }
    this.free = merged;
    this.unused += bytes.length;
  }

  /**
   * A short base64 preview for lab debugging: the first bytes up to the first
   * unused one (at most `bytes`), which are used and so wiped to zeros. An
   * unused byte is a future pad or MAC key and never shows.
   */
  preview(bytes = 10): string {
    const firstUnused = this.free[0]?.start ?? this.size;
    return `${Buffer.from(this.read(0, Math.max(0, Math.min(bytes, firstUnused)))).toString('base64')}...`;
  }

  /**
   * The block as a node's state store keeps it: its UUID, size, unused runs
   * and bytes, used bytes as the zeros they were wiped to. Layout: version (1)
   * || UUID (36, ASCII) || size (u32) || run count (u32) || runs (start, end:
   * u32 each) || data. Nothing here is secret-free: seal it before it leaves.
   */
  snapshot(): Buffer {
    // Buffer.alloc zero-fills: a used-up block's data is the zeros it was wiped to.
    const out = Buffer.alloc(1 + 36 + 8 + this.free.length * 8 + this.size);
    out[0] = SNAPSHOT_VERSION;
    out.write(this.uuid, 1, 36, 'latin1');
    out.writeUInt32BE(this.size, 37);
    out.writeUInt32BE(this.free.length, 41);
    let at = 45;
    for (const run of this.free) {
      out.writeUInt32BE(run.start, at);
      out.writeUInt32BE(run.end, at + 4);
      at += 8;
    }
    out.set(this.data, at);
    return out;
  }

  /** A block as snapshot() wrote it; anything else (truncated, runs out of order or bounds) is refused. */
  static fromSnapshot(bytes: Uint8Array): PsrdBlock {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const bad = (why: string) => new DskeError('psrd.invalid-block', `block snapshot ${why}`);
    if (buf.length < 45 || buf[0] !== SNAPSHOT_VERSION) throw bad('has an unknown format');
    const uuid = buf.toString('latin1', 1, 37);
    const size = buf.readUInt32BE(37);
    const runs = buf.readUInt32BE(41);
    if (buf.length !== 45 + runs * 8 + size) throw bad(`of ${buf.length} bytes does not hold ${runs} runs and ${size} data bytes`);
    const free: FreeRun[] = [];
    let at = 45;
    for (let i = 0; i < runs; i++, at += 8) {
      const run = { start: buf.readUInt32BE(at), end: buf.readUInt32BE(at + 4) };
      const previousEnd = free.length > 0 ? free[free.length - 1].end : -1;
      if (run.start <= previousEnd || run.end <= run.start || run.end > size) throw bad(`has an invalid run ${run.start}..${run.end}`);
      free.push(run);
    }
    const block = new PsrdBlock(uuid, new Uint8Array(buf.subarray(at, at + size)));
    block.free = free;
    block.unused = free.reduce((n, run) => n + run.end - run.start, 0);
    if (block.unused === 0) block.release();
    return block;
  }

  /** Wipe every byte and mark them used (the block is dropped: its peer registered afresh). */
  wipe(): void {
    this.free = [];
    this.unused = 0;
    this.release();
  }

  /** Zero the storage (a view may be shared with a caller's buffer) and let it go. */
  private release(): void {
    this.data.fill(0);
    this.data = RELEASED;
  }
}
