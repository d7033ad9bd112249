import type { RecordStore, RecordWrite, StoredRecord } from '@dske/node-state';
import type { RedisShareStore } from '../shares/redis-share-store';

/**
 * The hub's registrations and PSRD blocks in its own Redis, beside its
 * shares and over the same connection (so a Redis that is away is one
 * store.unavailable, not two). A batch is one MULTI/EXEC: Redis applies it
 * whole. Durable as the Redis is: with append-only persistence (the
 * generated deployments turn it on) a write that was answered survives a
 * restart of Redis as well as of the hub.
 */
export class RedisStateRecords implements RecordStore {
  readonly where: string;
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisShareStore,
    hubName: string,
  ) {
    this.where = redis.where;
    // Beside dske:NAME:share:ID; the journal's records are state:NAME-HMAC, so they read dske:NAME:state:HEX.
    this.prefix = `dske:${hubName}:`;
  }

  load(prefix: string): Promise<StoredRecord[]> {
    return this.redis.use(async (client) => {
      const out: StoredRecord[] = [];
      // SCAN may name a key twice: each is read once.
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `${this.prefix}${prefix}*`, 'COUNT', 500);
        cursor = next;
        const keys = found.filter((k) => !seen.has(k));
        for (const k of keys) seen.add(k);
        if (keys.length > 0) {
          const values = await client.mgetBuffer(...keys);
          values.forEach((value, i) => {
            if (value !== null) out.push({ key: keys[i].slice(this.prefix.length), value });
          });
        }
      } while (cursor !== '0');
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }

  write(writes: readonly RecordWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    return this.redis.use(async (client) => {
      const multi = client.multi();
      for (const w of writes) {
        if (w.value === undefined) multi.del(this.prefix + w.key);
        else multi.set(this.prefix + w.key, w.value);
      }
      const results = await multi.exec();
      const failed = results?.find(([error]) => error !== null);
      if (results === null || failed) throw new Error(failed ? String(failed[0]) : 'transaction discarded');
    });
  }

  /** The connection is the share store's: it closes it. */
  async close(): Promise<void> {}
}
