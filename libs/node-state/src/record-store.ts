/** One record as a store keeps it: sealed bytes, and an expiry (ms since the epoch) for records that have one. */
export interface StoredRecord {
  key: string;
  value: Buffer;
  expiresAt?: number;
}

/** A record to write, or to delete when `value` is undefined. */
export interface RecordWrite {
  key: string;
  value: Buffer | undefined;
  expiresAt?: number;
}

/**
 * Where a node keeps its state outside its process: records by key, written
 * in atomic batches. Values arrive sealed (StateJournal seals them), so a
 * store never sees a PSRD byte, a share or a name in the clear.
 */
export interface RecordStore {
  /** The file or (redacted) URL, for messages. */
  readonly where: string;
  /** Every live record whose key starts with `prefix`. */
  load(prefix: string): Promise<StoredRecord[]>;
  /** All of `writes` or none; durable by the store's policy when the promise resolves. */
  write(writes: readonly RecordWrite[]): Promise<void>;
  close(): Promise<void>;
}

/** The state a node was given cannot be used (unreadable, corrupt, another node's): the node must not start on it. */
export class StateError extends Error {
  constructor(
    readonly where: string,
    reason: string,
  ) {
    super(`${where}: ${reason}`);
    this.name = 'StateError';
  }
}
