import { ShareStore, ShareSummary, StoredShare, summarize } from './share-store';

/** In-process share store with the same expiry and take semantics as the Redis one. */
export class MemoryShareStore implements ShareStore {
  private readonly shares = new Map<string, { share: StoredShare; timer: NodeJS.Timeout }>();

  /** Keeps a copy, as the stores outside the process do: the caller wipes its own. */
  async put(given: StoredShare, ttlSecs: number): Promise<boolean> {
    if (this.shares.has(given.user_key_id)) return false;
    const share = { ...given, share: Buffer.from(given.share) };
    const timer = setTimeout(() => {
      share.share.fill(0);
      this.shares.delete(share.user_key_id);
    }, ttlSecs * 1000);
    timer.unref();
    this.shares.set(share.user_key_id, { share, timer });
    return true;
  }

  async has(userKeyId: string): Promise<boolean> {
    return this.shares.has(userKeyId);
  }

  /** A copy: the caller may wipe what it got, and the stored share is wiped when taken or expired. */
  async peek(userKeyId: string): Promise<StoredShare | undefined> {
    const share = this.shares.get(userKeyId)?.share;
    return share === undefined ? undefined : { ...share, share: Buffer.from(share.share) };
  }

  async remove(userKeyId: string): Promise<boolean> {
    const entry = this.shares.get(userKeyId);
    if (!entry) return false;
    clearTimeout(entry.timer);
    entry.share.share.fill(0);
    return this.shares.delete(userKeyId);
  }

  async list(): Promise<ShareSummary[]> {
    return [...this.shares.values()].map(({ share }) => summarize(share));
  }

  unavailableReason(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    for (const { share, timer } of this.shares.values()) {
      clearTimeout(timer);
      share.share.fill(0);
    }
    this.shares.clear();
  }
}
