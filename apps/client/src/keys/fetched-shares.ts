import type { Share } from '@dske/core';

export type HubShare = Share & { hub: string };

/** How long shares of a key that could not be recovered yet are kept for a retry; longer than any share timeout in use. */
export const KEEP_FETCHED_MS = 300_000;

/** One SAE pair, as a map key. */
export const routeId = (route: { master_sae_id: string; slave_sae_id: string }): string => `${route.master_sae_id}\u0000${route.slave_sae_id}`;

/** One key of one SAE pair, as a map key (key IDs compare without case, as UUIDs do). */
export const routedKeyId = (route: { master_sae_id: string; slave_sae_id: string }, keyId: string): string => `${routeId(route)}\u0000${keyId.toLowerCase()}`;

/** At most this many keys' shares are kept; the oldest go first (wiped). */
export const MAX_KEPT_KEYS = 4096;

/**
 * Shares this client fetched (and the hubs then deleted) for keys it could
 * not hand out: too few hubs answered, or another key of the same request
 * failed. They are kept, for the same SAE pair only, until a retry recovers
 * the key or they expire, and wiped either way: a retry after a lost answer
 * or a store outage then finds them here instead of losing the key for good.
 */
export class FetchedShares {
  private readonly kept = new Map<string, { shares: HubShare[]; expires: number }>();

  constructor(
    private readonly keepMs = KEEP_FETCHED_MS,
    private readonly maxKeys = MAX_KEPT_KEYS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The kept shares of a key for this SAE pair, handed over (no longer kept). */
  take(route: { master_sae_id: string; slave_sae_id: string }, keyId: string): HubShare[] {
    this.expire();
    const id = routedKeyId(route, keyId);
    const entry = this.kept.get(id);
    this.kept.delete(id);
    return entry?.shares ?? [];
  }

  /** Keep a key's shares (one per x) for a retry; the caller must not wipe them. */
  keep(route: { master_sae_id: string; slave_sae_id: string }, keyId: string, shares: readonly HubShare[]): void {
    this.expire();
    const id = routedKeyId(route, keyId);
    const byX = new Map<number, HubShare>();
    for (const share of [...(this.kept.get(id)?.shares ?? []), ...shares]) {
      if (!byX.has(share.x)) byX.set(share.x, share);
      else if (byX.get(share.x) !== share) share.data.fill(0);
    }
    this.kept.delete(id);
    this.kept.set(id, { shares: [...byX.values()], expires: this.now() + this.keepMs });
    while (this.kept.size > this.maxKeys) this.drop(this.kept.keys().next().value!);
  }

  get size(): number {
    this.expire();
    return this.kept.size;
  }

  /** Wipe and drop what expired (also called by the relay's sweep, so an idle client lets go of them). */
  expire(): void {
    const now = this.now();
    // Kept in insertion order, and every entry lives equally long: the expired ones are in front.
    for (const [id, entry] of this.kept) {
      if (entry.expires > now) break;
      this.drop(id);
    }
  }

  private drop(id: string): void {
    for (const share of this.kept.get(id)?.shares ?? []) share.data.fill(0);
    this.kept.delete(id);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A key ID as a small map key: a UUID (every key ID this client hands out)
 * as its 16 bytes in a 16-character string, without case; any other ID
 * lower-cased behind a character no byte is (U+0100), so the two cannot meet.
 */
export function compactKeyId(keyId: string): string {
  if (UUID.test(keyId)) return Buffer.from(keyId.replace(/-/g, ''), 'hex').toString('latin1');
  return `\u0100${keyId.toLowerCase()}`;
}

/**
 * Keys this client has handed out, for as long as hubs may still hold their
 * shares (they delete them when acknowledged, or expire them): a key is
 * delivered once, also when a hub did not hear the acknowledgement.
 * A busy client remembers tens of thousands of keys over the 5 minutes, so
 * each costs little: per SAE pair, a map from the compact key ID to the
 * second it expires (a small integer, counted from this record's start,
 * rounded up: a key is remembered for keepMs and under a second more).
 */
export class DeliveredKeys {
  private readonly routes = new Map<string, Map<string, number>>();
  private readonly start: number;
  /** No key expires before this second: expire() has nothing to look at until then. */
  private earliest = Infinity;

  constructor(
    private readonly keepMs = KEEP_FETCHED_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
  }

  add(route: { master_sae_id: string; slave_sae_id: string }, keyIds: readonly string[]): void {
    this.expire();
    const pair = routeId(route);
    let keys = this.routes.get(pair);
    if (keys === undefined) this.routes.set(pair, (keys = new Map()));
    const expires = Math.ceil((this.now() - this.start + this.keepMs) / 1000);
    if (keyIds.length > 0) this.earliest = Math.min(this.earliest, expires);
    for (const keyId of keyIds) {
      const id = compactKeyId(keyId);
      // Re-added keys go to the back: the map stays in order of expiry.
      keys.delete(id);
      keys.set(id, expires);
    }
  }

  remove(route: { master_sae_id: string; slave_sae_id: string }, keyIds: readonly string[]): void {
    const keys = this.routes.get(routeId(route));
    for (const keyId of keyIds) keys?.delete(compactKeyId(keyId));
  }

  has(route: { master_sae_id: string; slave_sae_id: string }, keyId: string): boolean {
    this.expire();
    return this.routes.get(routeId(route))?.has(compactKeyId(keyId)) ?? false;
  }

  /** How many keys are remembered now. */
  get size(): number {
    this.expire();
    let size = 0;
    for (const keys of this.routes.values()) size += keys.size;
    return size;
  }

  /**
   * Forget what expired: on every use, and from the relay's sweep, so a
   * client that stops fetching lets go of them (a burst of keys left tens of
   * thousands of IDs behind until the next fetch).
   */
  expire(): void {
    const second = (this.now() - this.start) / 1000;
    if (this.earliest > second) return;
    this.earliest = Infinity;
    for (const [pair, keys] of this.routes) {
      for (const [id, expires] of keys) {
        if (expires > second) {
          this.earliest = Math.min(this.earliest, expires);
          break;
        }
        keys.delete(id);
      }
      if (keys.size === 0) this.routes.delete(pair);
    }
  }
}
