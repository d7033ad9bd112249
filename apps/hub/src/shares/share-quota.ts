/**
 * How many undelivered shares each client has stored on this hub, so that
 * one client (or someone with its PSRD) cannot fill the hub's store. Kept in
 * the hub's memory beside any store: shares all live for the same time, so
 * per client they expire in the order they came, and the oldest are dropped
 * from the front as they expire. After a restart the hub counts again what
 * its store kept (KeyShareService.onApplicationBootstrap).
 */
export class ShareQuota {
  /** client -> key ID -> expiry (ms), in insertion = expiry order. */
  private readonly held = new Map<string, Map<string, number>>();

  /** Told how many shares reached their expiry undelivered or unacknowledged (the hub's metrics count them). */
  onExpired: (count: number) => void = () => undefined;

  constructor(
    readonly maxPerClient: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  count(client: string): number {
    const shares = this.held.get(client);
    if (!shares) return 0;
    const now = this.now();
    let expired = 0;
    for (const [id, expiry] of shares) {
      if (expiry > now) break;
      shares.delete(id);
      expired++;
    }
    if (shares.size === 0) this.held.delete(client);
    if (expired > 0) this.onExpired(expired);
    return shares.size;
  }

  /** Shares held now for every client (the expired ones dropped and counted first). */
  total(): number {
    let total = 0;
    for (const client of [...this.held.keys()]) total += this.count(client);
    return total;
  }

  /** True when `adding` more shares would take `client` past the limit. */
  wouldExceed(client: string, adding: number): boolean {
    return this.count(client) + adding > this.maxPerClient;
  }

  add(client: string, keyIds: readonly string[]): void {
    const shares = this.held.get(client) ?? new Map<string, number>();
    const expiry = this.now() + this.ttlMs;
    for (const id of keyIds) shares.set(id, expiry);
    this.held.set(client, shares);
  }

  remove(client: string, keyIds: readonly string[]): void {
    const shares = this.held.get(client);
    if (!shares) return;
    for (const id of keyIds) shares.delete(id);
    if (shares.size === 0) this.held.delete(client);
  }
}
