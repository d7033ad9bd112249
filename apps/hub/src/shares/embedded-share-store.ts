import type { RecordSeal } from '@dske/core';
import type { SqliteRecordStore } from '@dske/node-state';
import { decodeShare, encodeShare, ShareStore, ShareSummary, StoredShare, storeUnavailable, summarize } from './share-store';

/** A failure of the state file (disk full, I/O error, closed at shutdown) is a 503 like a Redis that is away. */
function fileOp<T>(op: () => T): T {
  try {
    return op();
  } catch (error) {
    throw storeUnavailable((error as Error).message);
  }
}

const PREFIX = 'share:';

/**
 * Shares in the hub's own state file, each sealed like every record the hub
 * keeps outside its process: they outlive a crash until their expiry, which
 * the file keeps with them. SQLite calls are synchronous, so a take (delete)
 * is atomic as in memory.
 */
export class EmbeddedShareStore implements ShareStore {
  constructor(
    private readonly file: SqliteRecordStore,
    private readonly seal: RecordSeal,
  ) {}

  private open(key: string, sealed: Buffer): StoredShare | undefined {
    const plain = this.seal.open(key, sealed);
    return plain === undefined ? undefined : decodeShare(plain);
  }

  async put(share: StoredShare, ttlSecs: number): Promise<boolean> {
    const key = PREFIX + share.user_key_id;
    const plain = encodeShare(share);
    const sealed = this.seal.seal(key, plain);
    plain.fill(0);
    return fileOp(() => this.file.insertIfAbsent(key, sealed, Date.now() + ttlSecs * 1000));
  }

  async has(userKeyId: string): Promise<boolean> {
    return fileOp(() => this.file.get(PREFIX + userKeyId)) !== undefined;
  }

  async peek(userKeyId: string): Promise<StoredShare | undefined> {
    const key = PREFIX + userKeyId;
    const sealed = fileOp(() => this.file.get(key));
    return sealed === undefined ? undefined : this.open(key, sealed);
  }

  async remove(userKeyId: string): Promise<boolean> {
    return fileOp(() => this.file.delete(PREFIX + userKeyId));
  }

  async list(): Promise<ShareSummary[]> {
    const out: ShareSummary[] = [];
    for (const record of fileOp(() => this.file.loadNow(PREFIX))) {
      const share = this.open(record.key, record.value);
      if (share !== undefined) {
        out.push(summarize(share));
        share.share.fill(0);
      }
    }
    return out;
  }

  unavailableReason(): undefined {
    return undefined;
  }

  /** The state file is closed by the hub's state, after the last write. */
  async close(): Promise<void> {}
}
