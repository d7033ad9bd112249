import { randomBytes, randomUUID } from 'node:crypto';
import { DskeError } from '../errors';
import { UUID_PATTERN } from './fragment';

interface FreeRun {
  start: number;
  end: number; // exclusive
}

/**
 * A block of pre-shared random data. Unused bytes are tracked as sorted,
 * disjoint free runs, so allocating or marking a range costs O(runs), not
 * O(block size). A byte marked used is wiped.
 */
export class PsrdBlock {
  private free: FreeRun[];
  private unused: number;

  constructor(
    readonly uuid: string,
    private readonly data: Uint8Array,
  ) {
    if (!UUID_PATTERN.test(uuid)) throw new DskeError('psrd.invalid-block', `block UUID '${uuid}' is not a UUID`);
    if (data.length < 1) throw new DskeError('psrd.invalid-block', 'a PSRD block needs at least one byte');
    this.uuid = uuid.toLowerCase();
    this.free = [{ start: 0, end: data.length }];
    this.unused = data.length;
  }

  /** A fresh block of cryptographically random bytes. */
  static random(size: number): PsrdBlock {
    if (!Number.isSafeInteger(size) || size < 1) throw new DskeError('psrd.invalid-size', `block size must be >= 1, got ${size}`);
    return new PsrdBlock(randomUUID(), randomBytes(size));
  }

  get size(): number {
    return this.data.length;
  }

  get unusedBytes(): number {
    return this.unused;
  }

  get usedBytes(): number {
    return this.data.length - this.unused;
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
    this.data.fill(0, start, end);
  }

  /** Puts bytes back as unused (an allocation that never left this node). */
  restore(start: number, bytes: Uint8Array): void {
    const end = start + bytes.length;
    if (this.free.some((run) => run.start < end && start < run.end)) {
      throw new DskeError('psrd.invalid-block', `bytes ${start}..${end - 1} of block ${this.uuid} are not in use`);
    }
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
    const firstUnused = this.free[0]?.start ?? this.data.length;
    return `${Buffer.from(this.data.subarray(0, Math.min(bytes, firstUnused))).toString('base64')}...`;
  }

  /** Wipe every byte and mark them used (the block is dropped: its peer registered afresh). */
  wipe(): void {
    this.data.fill(0);
    this.free = [];
    this.unused = 0;
  }
}
