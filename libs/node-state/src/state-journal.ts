import { RecordSeal } from '@dske/core';
import { RecordStore, RecordWrite, StateError, type StoredRecord } from './record-store';

/** What a record holds now: its plain bytes (sealed on the way out), or undefined to delete it. */
export type RecordSource = () => { value: Buffer | undefined; expiresAt?: number };

/** Where a journal's records live in a store: opaque names (RecordSeal.nameOf), so a store shows no client, hub or block. */
export const STATE_RECORD_PREFIX = 'state:';

/** The store did not take a write: nothing that depends on it may leave the node. */
export class StateUnavailableError extends Error {
  constructor(where: string, reason: string) {
    super(`state store ${where} did not take a write: ${reason}`);
    this.name = 'StateUnavailableError';
  }
}

/**
 * Write-ahead state of one node. Whatever changes (a PSRD block used, a
 * registration made) is marked here with a function that gives the record's
 * current bytes; flush() writes every marked record, sealed, in one atomic
 * batch, and resolves once the store holds it. A node awaits flush() before
 * any byte of an allocation leaves it and before it answers a message whose
 * bytes it used. Calls in one turn of the event loop share one commit (group
 * commit). Without a store (memory-only state) nothing is kept and flush()
 * costs nothing.
 */
export class StateJournal {
  private dirty = new Map<string, RecordSource>();
  private pending: Promise<void> | undefined;
  /** The commit under way, or the last one. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RecordStore | undefined,
    private readonly seal: RecordSeal | undefined,
  ) {
    if (store !== undefined && seal === undefined) throw new Error('a state store needs a storage key to seal its records');
  }

  get durable(): boolean {
    return this.store !== undefined;
  }

  get where(): string | undefined {
    return this.store?.where;
  }

  /** The record `key` changed; `source` is read at the next flush (the latest state goes out). */
  mark(key: string, source: RecordSource): void {
    if (this.store !== undefined) this.dirty.set(key, source);
  }

  /** Resolves once every record marked so far is in the store; rejects with StateUnavailableError when it is not. */
  flush(): Promise<void> {
    if (this.store === undefined) return Promise.resolve();
    // Nothing new marked: what was marked is in the commit under way (or already written).
    if (this.dirty.size === 0) return this.pending ?? this.writing;
    this.pending ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.pending = undefined;
        // Commits go one after another, so a later state never lands before an earlier one.
        const commit = this.writing.catch(() => undefined).then(() => this.commit());
        this.writing = commit;
        commit.then(resolve, reject);
      });
    });
    return this.pending;
  }

  private async commit(): Promise<void> {
    const store = this.store!;
    const taken = this.dirty;
    this.dirty = new Map();
    try {
      const writes: RecordWrite[] = [];
      for (const [key, source] of taken) {
        const { value, expiresAt } = source();
        const name = this.storeName(key);
        writes.push({ key: name, value: value === undefined ? undefined : this.sealed(name, key, value), ...(expiresAt === undefined ? {} : { expiresAt }) });
      }
      await store.write(writes);
    } catch (error) {
      // Not written: mark again what nothing newer replaced, so the next flush carries it.
      for (const [key, source] of taken) if (!this.dirty.has(key)) this.dirty.set(key, source);
      throw new StateUnavailableError(store.where, (error as Error).message);
    }
  }

  private storeName(key: string): string {
    return STATE_RECORD_PREFIX + this.seal!.nameOf(key);
  }

  /** Sealed under the store name (the associated data): the record's own key (u16 length, UTF-8), then its bytes. */
  private sealed(name: string, key: string, plain: Buffer): Buffer {
    const keyBytes = Buffer.from(key, 'utf8');
    const head = Buffer.alloc(2);
    head.writeUInt16BE(keyBytes.length);
    const framed = Buffer.concat([head, keyBytes, plain]);
    plain.fill(0);
    const out = this.seal!.seal(name, framed);
    framed.fill(0);
    return out;
  }

  /** Every record whose key starts with `prefix`, opened. One that does not open is a corrupt state: the node must not start on it. */
  async load(prefix: string): Promise<Array<{ key: string; value: Buffer; expiresAt?: number }>> {
    if (this.store === undefined) return [];
    return this.open(await this.store.load(STATE_RECORD_PREFIX), prefix);
  }

  /** Records as the store holds them (under STATE_RECORD_PREFIX), opened; those whose key starts with `prefix`. */
  open(records: readonly StoredRecord[], prefix: string): Array<{ key: string; value: Buffer; expiresAt?: number }> {
    const where = this.store?.where ?? 'state';
    const out: Array<{ key: string; value: Buffer; expiresAt?: number }> = [];
    for (const r of records) {
      const framed = this.seal!.open(r.key, r.value);
      const corrupt = (why: string) => new StateError(where, `record ${r.key} ${why}; move the state away to start this node afresh`);
      if (framed === undefined) throw corrupt("does not open with this node's storage key (corrupt, or another node's state)");
      const length = framed.length >= 2 ? framed.readUInt16BE(0) : -1;
      const key = length >= 0 && framed.length >= 2 + length ? framed.toString('utf8', 2, 2 + length) : undefined;
      // The name binds the record to its key: a record copied under another name does not open as that one.
      if (key === undefined || this.storeName(key) !== r.key) throw corrupt('is not the record its name says');
      if (!key.startsWith(prefix)) {
        framed.fill(0);
        continue;
      }
      const value = Buffer.from(framed.subarray(2 + length));
      framed.fill(0);
      out.push({ key, value, ...(r.expiresAt === undefined ? {} : { expiresAt: r.expiresAt }) });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Write what is marked and close the store. */
  async close(): Promise<void> {
    if (this.store === undefined) return;
    await this.flush().catch(() => undefined);
    await this.store.close();
  }
}
