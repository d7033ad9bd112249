import Redis from 'ioredis';
import { ShareStore, ShareSummary, StoredShare, summarize } from './share-store';

/** Shares in Redis: SET NX EX (never overwrite, expire after the timeout), DEL as the atomic take. */
export class RedisShareStore implements ShareStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(url: string, hubName: string) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.prefix = `dske:${hubName}:share:`;
  }

  async put(share: StoredShare, ttlSecs: number): Promise<boolean> {
    const result = await this.redis.set(this.prefix + share.user_key_id, JSON.stringify(share), 'EX', ttlSecs, 'NX');
    return result === 'OK';
  }

  async peek(userKeyId: string): Promise<StoredShare | undefined> {
    const value = await this.redis.get(this.prefix + userKeyId);
    return value === null ? undefined : (JSON.parse(value) as StoredShare);
  }

  async remove(userKeyId: string): Promise<boolean> {
    return (await this.redis.del(this.prefix + userKeyId)) === 1;
  }

  async list(): Promise<ShareSummary[]> {
    const out: ShareSummary[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 200);
      cursor = next;
      if (keys.length > 0) {
        const values = await this.redis.mget(...keys);
        for (const value of values) if (value !== null) out.push(summarize(JSON.parse(value) as StoredShare));
      }
    } while (cursor !== '0');
    return out;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
