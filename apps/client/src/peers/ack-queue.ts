/** At most this many key IDs in one acknowledgement (the hub's MAX_BATCH). */
export const MAX_ACKS_PER_MESSAGE = 128;
/** How long acknowledgements wait for a key-share message to ride on before they go on their own. */
export const ACK_LINGER_MS = 250;
/** Waits between tries of an acknowledgement of its own that failed; after the last, the hub's expiry takes over. */
const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];
/** Held at most: a hub that never answers must not grow this without end (its shares expire anyway). */
const MAX_PENDING = 4096;

/**
 * Key IDs a hub may delete its shares of, waiting to be told. They ride on
 * the next key-share message to that hub (take / giveBack), or after
 * `lingerMs` go in a message of their own (`send`), retried a few times.
 * Telling twice is harmless: the hub deletes nothing more.
 */
export class AckQueue {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  /** `lingerMs`: asked at each add (0: at once, for a hub that reads acknowledgements only on their own). */
  constructor(
    private readonly send: (keyIds: string[]) => Promise<void>,
    private readonly lingerMs: () => number = () => ACK_LINGER_MS,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  add(keyIds: readonly string[]): void {
    for (const id of keyIds) this.pending.add(id.toLowerCase());
    for (const id of this.pending) {
      if (this.pending.size <= MAX_PENDING) break;
      this.pending.delete(id);
    }
    this.schedule(this.lingerMs());
  }

  /** Up to one message's worth, oldest first, for a message that carries them. */
  take(): string[] {
    const ids: string[] = [];
    for (const id of this.pending) {
      if (ids.length === MAX_ACKS_PER_MESSAGE) break;
      ids.push(id);
      this.pending.delete(id);
    }
    // Nothing left to wait: the linger starts again with the next acknowledgement (else a steady stream of keys would
    // send the newest one on its own every 250 ms, just before the message it was waiting for).
    if (this.pending.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return ids;
  }

  /** The message that carried them was not answered 200: they wait again. */
  giveBack(keyIds: readonly string[]): void {
    if (keyIds.length > 0) this.add(keyIds);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer !== undefined || this.pending.size === 0) return;
    this.timer = setTimeout(() => void this.flush(), delayMs);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const ids = this.take();
    if (ids.length === 0) return;
    try {
      await this.send(ids);
      this.failures = 0;
      this.schedule(0);
    } catch {
      const delay = RETRY_DELAYS_MS[this.failures++];
      if (delay === undefined) {
        this.failures = 0; // these are given up: the hub expires the shares
        this.schedule(this.lingerMs());
        return;
      }
      for (const id of ids) this.pending.add(id);
      this.schedule(delay);
    }
  }
}
