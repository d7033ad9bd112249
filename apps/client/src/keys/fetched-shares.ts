import type { Share } from '@dske/core';

export type HubShare = Share & { hub: string };

/** How long shares of a key that could not be recovered yet are kept for a retry; longer than any share timeout in use. */
export const KEEP_FETCHED_MS = 300_000;

/** One key of one SAE pair, as a map key (key IDs compare without case, as UUIDs do). */
export const routedKeyId = (route: { master_sae_id: string; slave_sae_id: string }, keyId: string): string =>
  `${route.master_sae_id}\u0000${route.slave_sae_id}\u0000${keyId.toLowerCase()}`;

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

/**
 * Keys this client has handed out, for as long as hubs may still hold their
 * shares (they delete them when acknowledged, or expire them): a key is
 * delivered once, also when a hub did not hear the acknowledgement.
 */
export class DeliveredKeys {
  private readonly keys = new Map<string, number>();

  constructor(
    private readonly keepMs = KEEP_FETCHED_MS,
    private readonly now: () => number = Date.now,
  ) {}

  add(route: { master_sae_id: string; slave_sae_id: string }, keyIds: readonly string[]): void {
    this.expire();
    const expires = this.now() + this.keepMs;
    for (const keyId of keyIds) this.keys.set(routedKeyId(route, keyId), expires);
  }

  remove(route: { master_sae_id: string; slave_sae_id: string }, keyIds: readonly string[]): void {
    for (const keyId of keyIds) this.keys.delete(routedKeyId(route, keyId));
  }

  has(route: { master_sae_id: string; slave_sae_id: string }, keyId: string): boolean {
    this.expire();
    return this.keys.has(routedKeyId(route, keyId));
  }

  /** How many keys are remembered now. */
  get size(): number {
    this.expire();
    return this.keys.size;
  }

  /**
   * Forget what expired: on every use, and from the relay's sweep, so a
   * client that stops fetching lets go of them (a burst of keys left tens of
   * thousands of IDs behind until the next fetch).
   */
  expire(): void {
    const now = this.now();
    for (const [id, expires] of this.keys) {
      if (expires > now) break;
      this.keys.delete(id);
    }
  }
}
