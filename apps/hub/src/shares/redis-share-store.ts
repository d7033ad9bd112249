import Redis from 'ioredis';
import { RecordSeal } from '@dske/core';
import { redactUrl } from '@dske/topology/nodes';
import { decodeShare, encodeShare, ShareStore, ShareSummary, StoredShare, storeUnavailable, summarize } from './share-store';

/** Logs where the store's state changes: one line when it goes away, one when it is back. */
export interface StoreLog {
  log(message: string): void;
  warn(message: string): void;
}

/** A command that takes longer fails, so the hub answers within a second even when Redis hangs. */
export const STORE_COMMAND_TIMEOUT_MS = 800;
/**
 * Which hub a Redis server belongs to; a second hub pointed at it refuses to
 * use it. The claim lives in database 0 whichever database the hub uses, so
 * two hubs on /0 and /1 of one server are refused too (SELECT inside a script
 * does not change the connection's database).
 */
export const STORE_OWNER_KEY = 'dske:store-owner';
const OWNER_TTL_SECS = 15;
const OWNER_REFRESH_MS = 5_000;
const STARTUP_WAIT_MS = 1_500;
/** ioredis's error for a command past commandTimeout. */
const COMMAND_TIMED_OUT = 'Command timed out';
/** While a Redis that stopped answering still holds its connection, ask again this often. */
const PROBE_MS = 250;
/** Set the owner when the key is absent or ours; answer the owner either way. */
const CLAIM_SCRIPT = `redis.call('SELECT', 0)
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return ARGV[1] end
return v`;
const RELEASE_SCRIPT = `redis.call('SELECT', 0)
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Shares in this hub's own Redis, each record sealed (AES-256-GCM, the Redis
 * key as associated data) under the hub's storage key: a reader of the Redis
 * sees key IDs and expiry times, never a share or whom it is for. SET NX EX
 * never overwrites and expires after the share timeout; DEL is the atomic take.
 */
export class RedisShareStore implements ShareStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  /** The Redis URL without its password, for messages. */
  readonly where: string;
  /** Why the store cannot be used now; undefined once connected and claimed. */
  private reason: string | undefined = 'not connected yet';
  private wentAway = false;
  private conflict: string | undefined;
  private closing = false;
  private readonly refresh: NodeJS.Timeout;
  private probe: NodeJS.Timeout | undefined;
  private claiming = false;

  constructor(
    url: string,
    private readonly hubName: string,
    private readonly seal: RecordSeal,
    private readonly logger: StoreLog,
  ) {
    this.where = redactUrl(url);
    this.prefix = `dske:${hubName}:share:`;
    this.redis = new Redis(url, {
      // Fail at once while disconnected instead of queueing requests behind a Redis that is away.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: STORE_COMMAND_TIMEOUT_MS,
      connectTimeout: 1_000,
      retryStrategy: (times) => Math.min(times * 200, 1_000),
    });
    // Every connection error ends here (no "Unhandled error event"); only the change of state is logged.
    this.redis.on('error', (error: Error) => this.markAway(error.message));
    this.redis.on('close', () => this.markAway('connection closed'));
    this.redis.on('ready', () => void this.claim());
    this.refresh = setInterval(() => void this.claim(), OWNER_REFRESH_MS);
    this.refresh.unref();
  }

  /**
   * Wait briefly for Redis at start. When it answers and belongs to another
   * hub, refuse to start; when it does not answer yet, start anyway (503
   * until it does).
   */
  async start(): Promise<void> {
    const deadline = Date.now() + STARTUP_WAIT_MS;
    while (this.reason !== undefined && this.conflict === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (this.conflict !== undefined) {
      await this.close();
      throw new Error(`${this.where}: ${this.conflict}`);
    }
    if (this.reason !== undefined) this.logger.warn(`Share store ${this.where} does not answer yet (${this.reason}); answering store.unavailable (503) until it does`);
  }

  unavailableReason(): string | undefined {
    return this.conflict ?? this.reason;
  }

  private markAway(reason: string): void {
    if (this.closing) return;
    if (this.reason === undefined) {
      this.logger.warn(`Share store ${this.where} went away (${reason}); answering store.unavailable (503) until it is back`);
      this.wentAway = true;
    }
    this.reason = reason;
    // A connection that closed comes back through 'ready'; one that hangs stays open, so ask until it answers.
    if (this.probe === undefined) {
      this.probe = setInterval(() => void this.claim(), PROBE_MS);
      this.probe.unref();
    }
  }

  /** Claim (or keep) this Redis for this hub; the store is usable only while the claim holds. */
  private async claim(): Promise<void> {
    if (this.redis.status !== 'ready' || this.claiming) return;
    this.claiming = true;
    try {
      const owner = String(await this.redis.eval(CLAIM_SCRIPT, 1, STORE_OWNER_KEY, this.hubName, OWNER_TTL_SECS));
      // Redis answered: the quick probe for a hanging one is done either way (the 5 s refresh keeps checking the claim).
      clearInterval(this.probe);
      this.probe = undefined;
      if (owner !== this.hubName) {
        this.conflict = `this Redis server is the share store of hub ${owner}; each hub needs a store of its own`;
        this.logger.warn(`Share store ${this.where}: ${this.conflict}; not using it`);
        return;
      }
      this.conflict = undefined;
      if (this.reason !== undefined && this.wentAway) this.logger.log(`Share store ${this.where} is back`);
      this.reason = undefined;
    } catch (error) {
      this.markAway((error as Error).message);
    } finally {
      this.claiming = false;
    }
  }

  /**
   * Run one store operation; any failure of Redis becomes store.unavailable (503).
   * A command that timed out marks the store away, so the requests behind it
   * (and the same request's write-ahead flush) fail at once instead of each
   * waiting out its own timeout.
   */
  private async run<T>(op: () => Promise<T>): Promise<T> {
    const reason = this.unavailableReason();
    if (reason !== undefined) throw storeUnavailable(reason);
    try {
      return await op();
    } catch (error) {
      const message = (error as Error).message;
      if (message === COMMAND_TIMED_OUT) this.markAway(message);
      throw storeUnavailable(message);
    }
  }

  /** The connection for the hub's other records (RedisStateRecords), on the same terms: 503 while away or not ours. */
  use<T>(op: (redis: Redis) => Promise<T>): Promise<T> {
    return this.run(() => op(this.redis));
  }

  /** Whether Redis keeps what it is told across its own restart (append-only file); undefined when it does not say. */
  async appendOnly(): Promise<boolean | undefined> {
    try {
      const answer = (await this.redis.config('GET', 'appendonly')) as string[];
      return answer[1] === undefined ? undefined : answer[1] === 'yes';
    } catch {
      return undefined;
    }
  }

  private open(key: string, sealed: Buffer): StoredShare | undefined {
    const plain = this.seal.open(key, sealed);
    if (plain === undefined) {
      // Another storage key, or tampered with: absent. Logged by key ID only.
      this.logger.warn(`Share record ${key.slice(this.prefix.length)} does not open with this hub's storage key; counted as absent`);
      return undefined;
    }
    return decodeShare(plain);
  }

  put(share: StoredShare, ttlSecs: number): Promise<boolean> {
    const key = this.prefix + share.user_key_id;
    return this.run(async () => {
      const plain = encodeShare(share);
      const sealed = this.seal.seal(key, plain);
      plain.fill(0);
      return (await this.redis.set(key, sealed, 'EX', ttlSecs, 'NX')) === 'OK';
    });
  }

  has(userKeyId: string): Promise<boolean> {
    return this.run(async () => (await this.redis.exists(this.prefix + userKeyId)) === 1);
  }

  peek(userKeyId: string): Promise<StoredShare | undefined> {
    const key = this.prefix + userKeyId;
    return this.run(async () => {
      const value = await this.redis.getBuffer(key);
      return value === null ? undefined : this.open(key, value);
    });
  }

  remove(userKeyId: string): Promise<boolean> {
    return this.run(async () => (await this.redis.del(this.prefix + userKeyId)) === 1);
  }

  list(): Promise<ShareSummary[]> {
    return this.run(async () => {
      const out: ShareSummary[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 200);
        cursor = next;
        if (keys.length > 0) {
          const values = await this.redis.mgetBuffer(...keys);
          values.forEach((value, i) => {
            const share = value === null ? undefined : this.open(keys[i], value);
            if (share === undefined) return;
            out.push(summarize(share));
            share.share.fill(0);
          });
        }
      } while (cursor !== '0');
      return out;
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.refresh);
    clearInterval(this.probe);
    this.redis.removeAllListeners('ready');
    // Give the database free for the next hub at once rather than after the claim's expiry.
    if (this.redis.status === 'ready' && this.conflict === undefined) {
      await this.redis.eval(RELEASE_SCRIPT, 1, STORE_OWNER_KEY, this.hubName).catch(() => undefined);
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
