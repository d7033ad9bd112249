import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DskeError, recoverKeyRobust, splitKey } from '@dske/core';
import { CLIENT_CONFIG, ClientConfig } from '../client-config';
import { HubCallError, HubConnection, ShareRoute } from '../peers/hub-connection';
import { PeerHubs } from '../peers/peer-hubs';
import { ClientState } from '../state/client-state';
import { DeliveredKeys, FetchedShares, KEEP_FETCHED_MS, type HubShare } from './fetched-shares';

export interface HubFailure {
  hub_name: string;
  reason: string;
}

/**
 * Not enough hubs took or gave shares. `unavailable`: hubs that might hold
 * the missing shares did not answer (503); `not-found`: the keys cannot exist
 * any more (400); `unauthorized`: hubs hold them for another SAE pair (401).
 */
export class RelayError extends Error {
  constructor(
    message: string,
    readonly failures: HubFailure[],
    readonly kind: 'unavailable' | 'not-found' | 'unauthorized' = 'unavailable',
  ) {
    super(message);
  }
}

export interface RelayedKey {
  keyId: string;
  key: Uint8Array;
}


const ackKey = (route: ShareRoute, keyId: string) => `${route.master_sae_id}\u0000${route.slave_sae_id}\u0000${keyId.toLowerCase()}`;

const describe = (hub: HubConnection, error: unknown): HubFailure => ({
  hub_name: hub.hubName,
  reason: error instanceof Error ? error.message : String(error),
});

/**
 * Scatter new keys' shares through the hubs, or gather them back. However
 * many keys a request asks for, each hub gets one message.
 */
@Injectable()
export class KeyRelayService {
  private readonly logger = new Logger('KeyRelay');
  private readonly gathers = new Map<string, Promise<RelayedKey[]>>();
  /** Per key (and SAE pair): the gather that fetches it now. */
  private readonly gathering = new Map<string, Promise<RelayedKey[]>>();
  private readonly fetched = new FetchedShares();
  private readonly delivered = new DeliveredKeys();
  /** Per recovered key: the hubs that gave a share, told once the key reached the SAE (handedOut). */
  private readonly unacknowledged = new Map<string, { hubs: HubConnection[]; since: number }>();

  constructor(
    private readonly peers: PeerHubs,
    @Inject(CLIENT_CONFIG) private readonly config: ClientConfig,
    @Optional() private readonly state?: ClientState,
  ) {}

  /**
   * Write ahead of the SAE's answer: what the hubs' answers used (their
   * signatures, the pads of the shares) is in the state store before a key
   * leaves. Once per request, not once per hub, so the hubs' answers share
   * one commit.
   */
  private async accounted(): Promise<void> {
    try {
      await this.state?.journal.flush();
    } catch (error) {
      throw new RelayError(`the client's state store did not take a write: ${(error as Error).message}`, []);
    }
  }

  /** New random keys; done when at least k hubs stored their shares of all of them. */
  async makeKeys(route: ShareRoute, sizeBytes: number, count: number): Promise<RelayedKey[]> {
    const hubs = this.peers.hubs;
    const keys = Array.from({ length: count }, () => ({ keyId: randomUUID(), key: randomBytes(sizeBytes) }));
    const shares = keys.map(({ key }) => splitKey(key, hubs.length, this.config.minNrShares));
    const results = await Promise.allSettled(hubs.map((hub, i) => hub.postShares(route, keys.map((k, j) => ({ keyId: k.keyId, data: shares[j][i].data })))));
    // The shares are sent (one-time padded) or refused: wipe them.
    for (const keyShares of shares) for (const share of keyShares) share.data.fill(0);
    const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [describe(hubs[i], r.reason)] : []));
    const accepted = hubs.length - failures.length;
    if (accepted < this.config.minNrShares) {
      throw new RelayError(`only ${accepted} of ${hubs.length} hubs accepted a key share; ${this.config.minNrShares} needed`, failures);
    }
    await this.accounted();
    return keys;
  }

  /**
   * Fetch every hub's shares of the keys and recover each, tolerating wrong
   * shares when more than k arrive. Requests for the same keys at the same
   * time (an SAE retrying after its own timeout) share one gather, so they
   * cannot split the shares between them; shares of keys that cannot be
   * handed out are kept for a retry (FetchedShares).
   */
  fetchKeys(route: ShareRoute, keyIds: string[]): Promise<RelayedKey[]> {
    const keyOf = (keyId: string) => `${route.master_sae_id}\u0000${route.slave_sae_id}\u0000${keyId.toLowerCase()}`;
    const id = keyIds.map(keyOf).join(',');
    const running = this.gathers.get(id);
    if (running) return running;
    // A gather for other but overlapping keys ([a, b] and [b]) runs first: then this one finds b delivered.
    const overlapping = [...new Set(keyIds.map((k) => this.gathering.get(keyOf(k))).filter((g): g is Promise<RelayedKey[]> => g !== undefined))];
    const gather = Promise.allSettled(overlapping)
      .then(() => this.gather(route, keyIds))
      .finally(() => {
        this.gathers.delete(id);
        for (const keyId of keyIds) if (this.gathering.get(keyOf(keyId)) === gather) this.gathering.delete(keyOf(keyId));
      });
    this.gathers.set(id, gather);
    for (const keyId of keyIds) this.gathering.set(keyOf(keyId), gather);
    return gather;
  }

  private async gather(route: ShareRoute, keyIds: string[]): Promise<RelayedKey[]> {
    const hubs = this.peers.hubs;
    const k = this.config.minNrShares;
    const already = keyIds.find((keyId) => this.delivered.has(route, keyId));
    if (already !== undefined) throw new RelayError(`key ${already} was delivered already`, [], 'not-found');
    // Shares kept from an earlier attempt come first: the hubs that gave them have deleted theirs.
    const perKey: HubShare[][] = keyIds.map((keyId) => this.fetched.take(route, keyId));
    const kept = Math.min(...perKey.map((shares) => shares.length));
    const results = await Promise.allSettled(hubs.map((hub) => hub.getShares(route, keyIds)));
    const failures: HubFailure[] = [];
    let notFound = 0;
    let unauthorized = false;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        r.value.forEach((share, j) => perKey[j].push({ ...share, hub: hubs[i].hubName }));
        return;
      }
      failures.push(describe(hubs[i], r.reason));
      if (r.reason instanceof HubCallError && r.reason.kind === 'not-found') notFound++;
      if (r.reason instanceof HubCallError && r.reason.status === 401) unauthorized = true;
    });
    // The subset that passed for one key is tried first for the next: a lying hub costs one search per batch.
    let passed: number[] | undefined;
    const outcomes = keyIds.map((keyId, j): RelayedKey | RelayError => {
      const usable = this.consistentShares(perKey[j], j === 0 ? failures : []);
      if (usable.length < k) {
        // 400 when the missing shares cannot be anywhere; 503 when unreachable hubs might hold them.
        const kind = unauthorized ? 'unauthorized' : hubs.length - notFound + kept >= k ? 'unavailable' : 'not-found';
        return new RelayError(`only ${usable.length} of ${hubs.length} hubs gave a share of key ${keyId}; ${k} needed`, failures, kind);
      }
      try {
        const result = recoverKeyRobust(usable, k, { preferred: passed });
        passed = result.passed;
        for (const x of result.rejected) {
          const hub = usable.find((s) => s.x === x)?.hub;
          this.logger.warn(`Hub ${hub} sent a bad share for key ${keyId}; it was left out of the recovery`);
        }
        return { keyId, key: result.key };
      } catch (error) {
        if (error instanceof DskeError) return new RelayError(`key ${keyId} could not be recovered: ${error.message}`, failures);
        throw error;
      }
    });
    const failed = outcomes.find((o): o is RelayError => o instanceof RelayError);
    if (failed === undefined) {
      // Shares are key material: wiped once the keys are recovered.
      for (const shares of perKey) for (const share of shares) share.data.fill(0);
      // Handed out once: a later request for these keys is answered "not found", and the hubs may delete their shares.
      this.delivered.add(route, keyIds);
      const gave = hubs.filter((_, i) => results[i].status === 'fulfilled');
      this.dropStaleAcks();
      for (const keyId of keyIds) this.unacknowledged.set(ackKey(route, keyId), { hubs: gave, since: Date.now() });
      await this.accounted();
      return outcomes as RelayedKey[];
    }
    // Nothing is handed out, but the hubs that answered have deleted their shares: keep them for a retry.
    keyIds.forEach((keyId, j) => this.fetched.keep(route, keyId, perKey[j]));
    for (const o of outcomes) if (!(o instanceof RelayError)) o.key.fill(0);
    throw failed;
  }

  /**
   * The keys reached the SAE (its answer was sent): the hubs that gave shares
   * may delete them now. Not before, so that a client that dies between
   * recovering a key and answering leaves the shares for the SAE's retry.
   */
  handedOut(route: ShareRoute, keyIds: readonly string[]): void {
    const byHub = new Map<HubConnection, string[]>();
    for (const keyId of keyIds) {
      const entry = this.unacknowledged.get(ackKey(route, keyId));
      this.unacknowledged.delete(ackKey(route, keyId));
      for (const hub of entry?.hubs ?? []) byHub.set(hub, [...(byHub.get(hub) ?? []), keyId]);
    }
    for (const [hub, ids] of byHub) hub.acknowledge(ids);
  }

  /** The answer with these keys never went out (the SAE hung up): they may be fetched again; the hubs keep their shares. */
  notHandedOut(route: ShareRoute, keyIds: readonly string[]): void {
    for (const keyId of keyIds) this.unacknowledged.delete(ackKey(route, keyId));
    this.delivered.remove(route, keyIds);
  }

  /** Keys whose answer neither went out nor failed within the delivery window: their shares expire on the hubs. */
  private dropStaleAcks(): void {
    const horizon = Date.now() - KEEP_FETCHED_MS;
    for (const [id, entry] of this.unacknowledged) {
      if (entry.since > horizon) break;
      this.unacknowledged.delete(id);
    }
  }

  /** Drop shares a hub got wrong in shape: duplicate indexes, odd lengths (the majority length wins). */
  private consistentShares(shares: HubShare[], failures: HubFailure[]): HubShare[] {
    const byLength = new Map<number, number>();
    for (const s of shares) byLength.set(s.data.length, (byLength.get(s.data.length) ?? 0) + 1);
    const length = [...byLength.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const seen = new Set<number>();
    return shares.filter((s) => {
      const ok = s.data.length === length && !seen.has(s.x) && s.x >= 0 && s.x < this.peers.hubs.length;
      if (ok) seen.add(s.x);
      else failures.push({ hub_name: s.hub, reason: 'share has a wrong length or index' });
      return ok;
    });
  }
}
