import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DskeError, recoverKeyRobust, splitKey } from '@dske/core';
import { CLIENT_CONFIG, ClientConfig } from '../client-config';
import { HubCallError, HubConnection, ShareRoute } from '../peers/hub-connection';
import { PeerHubs } from '../peers/peer-hubs';
import { ClientState } from '../state/client-state';
import { DeliveredKeys, FetchedShares, KEEP_FETCHED_MS, routedKeyId, type HubShare } from './fetched-shares';
import { planShareSources } from './share-sources';

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

/** One pass over the shares at hand (KeyRelayService.recover); `failed`: the first key that did not come back. */
interface Recovery {
  keys: RelayedKey[];
  rejected: Array<{ keyId: string; hub: string }>;
  shapeFailures: HubFailure[];
  failed?: { tooFew: boolean; message: string };
  /** The recovered keys are not handed out: wipe them. */
  wipe(): void;
}


/** How often what expired (delivered key IDs, kept shares, pending acknowledgements) is dropped, fetches or not. */
export const RELAY_SWEEP_MS = 60_000;


const describe = (hub: HubConnection, error: unknown): HubFailure => ({
  hub_name: hub.hubName,
  reason: error instanceof Error ? error.message : String(error),
});

/**
 * Scatter new keys' shares through the hubs, or gather them back. However
 * many keys a request asks for, each hub gets one message.
 */
@Injectable()
export class KeyRelayService implements OnModuleDestroy {
  private readonly logger = new Logger('KeyRelay');
  private readonly gathers = new Map<string, Promise<RelayedKey[]>>();
  /** Per key (and SAE pair): the gather that fetches it now. */
  private readonly gathering = new Map<string, Promise<RelayedKey[]>>();
  private readonly fetched = new FetchedShares();
  private readonly delivered = new DeliveredKeys();
  /** Per recovered key: the hubs that may hold a share of it (every hub, asked or not), told once the key reached the SAE (handedOut). */
  private readonly unacknowledged = new Map<string, { hubs: readonly HubConnection[]; since: number }>();
  /** Where the next gather's first round starts (planShareSources). */
  private nextSource = 0;
  /** What expired goes also while no key is fetched (a timer that keeps no process alive). */
  private readonly sweep = setInterval(() => this.sweepExpired(), RELAY_SWEEP_MS).unref();

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
   * Fetch the keys' shares from k hubs (more when that falls short, see
   * planShareSources) and recover each, tolerating wrong shares when more
   * than k arrive. Requests for the same keys at the same
   * time (an SAE retrying after its own timeout) share one gather, so they
   * cannot split the shares between them; shares of keys that cannot be
   * handed out are kept for a retry (FetchedShares).
   */
  fetchKeys(route: ShareRoute, keyIds: string[]): Promise<RelayedKey[]> {
    const keyOf = (keyId: string) => routedKeyId(route, keyId);
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
    // Shares kept from an earlier attempt come first; a hub that gave one for every key is not asked again.
    const perKey: HubShare[][] = keyIds.map((keyId) => this.fetched.take(route, keyId));
    const kept = Math.min(...perKey.map((shares) => shares.length));
    const keptFrom = hubs.filter((hub) => perKey.every((shares) => shares.some((s) => s.hub === hub.hubName)));
    const plan = planShareSources(
      hubs.filter((hub) => !keptFrom.includes(hub)),
      { start: this.nextSource++, k, kept, ready: (hub) => hub.isUsable && hub.isReachable },
    );
    const failures: HubFailure[] = [];
    let notFound = 0;
    let unauthorized = false;
    const ask = async (round: HubConnection[]) => {
      const results = await Promise.allSettled(round.map((hub) => hub.getShares(route, keyIds)));
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') {
          const hub = round[i].hubName;
          // A hub whose share of a key is kept already sends the same one again: it counts once.
          r.value.forEach((share, j) => perKey[j].some((s) => s.hub === hub) ? share.data.fill(0) : perKey[j].push({ ...share, hub }));
          return;
        }
        failures.push(describe(round[i], r.reason));
        if (r.reason instanceof HubCallError && r.reason.kind === 'not-found') notFound++;
        if (r.reason instanceof HubCallError && r.reason.status === 401) unauthorized = true;
      });
    };
    await ask(plan.first);
    let recovery = this.recover(keyIds, perKey);
    if (recovery.failed !== undefined && plan.rest.length > 0) {
      // Too few shares, or one of them wrong: the other hubs' shares decide.
      recovery.wipe();
      await ask(plan.rest);
      recovery = this.recover(keyIds, perKey);
    }
    if (recovery.failed === undefined) {
      for (const { keyId, hub } of recovery.rejected) this.logger.warn(`Hub ${hub} sent a bad share for key ${keyId}; it was left out of the recovery`);
      // Shares are key material: wiped once the keys are recovered.
      for (const shares of perKey) for (const share of shares) share.data.fill(0);
      // Handed out once: a later request for these keys is answered "not found", and the hubs may delete their shares.
      this.delivered.add(route, keyIds);
      this.dropStaleAcks();
      // Every hub is told, asked or not: the ones not asked hold shares nobody will fetch.
      for (const keyId of keyIds) this.unacknowledged.set(routedKeyId(route, keyId), { hubs, since: Date.now() });
      await this.accounted();
      return recovery.keys;
    }
    // Nothing is handed out; the shares that came are kept for a retry (the hubs keep theirs until acknowledged).
    keyIds.forEach((keyId, j) => this.fetched.keep(route, keyId, perKey[j]));
    recovery.wipe();
    const failed = recovery.failed;
    // In topology order, whichever round a hub was asked in.
    failures.sort((a, b) => hubs.findIndex((h) => h.hubName === a.hub_name) - hubs.findIndex((h) => h.hubName === b.hub_name));
    if (failed.tooFew) {
      // 400 when the missing shares cannot be anywhere; 503 when unreachable hubs might hold them; 401: another pair's.
      const couldHold = hubs.length - keptFrom.length - notFound + kept;
      const kind = unauthorized ? 'unauthorized' : couldHold >= k ? 'unavailable' : 'not-found';
      throw new RelayError(failed.message, [...failures, ...recovery.shapeFailures], kind);
    }
    throw new RelayError(failed.message, [...failures, ...recovery.shapeFailures]);
  }

  /**
   * Recover each key from the shares at hand, tolerating wrong shares when
   * more than k are there. Nothing is logged here: a first round that falls
   * short is followed by a second, and only the last one's findings count.
   */
  private recover(keyIds: string[], perKey: HubShare[][]): Recovery {
    const k = this.config.minNrShares;
    const n = this.peers.hubs.length;
    const keys: RelayedKey[] = [];
    const rejected: Array<{ keyId: string; hub: string }> = [];
    const shapeFailures: HubFailure[] = [];
    let failed: Recovery['failed'];
    // The subset that passed for one key is tried first for the next: a lying hub costs one search per batch.
    let passed: number[] | undefined;
    for (const [j, keyId] of keyIds.entries()) {
      const usable = this.consistentShares(perKey[j], j === 0 ? shapeFailures : []);
      if (usable.length < k) {
        failed = { tooFew: true, message: `only ${usable.length} of ${n} hubs gave a share of key ${keyId}; ${k} needed` };
        break;
      }
      try {
        const result = recoverKeyRobust(usable, k, { preferred: passed });
        passed = result.passed;
        for (const x of result.rejected) rejected.push({ keyId, hub: usable.find((s) => s.x === x)?.hub ?? '?' });
        keys.push({ keyId, key: result.key });
      } catch (error) {
        if (!(error instanceof DskeError)) throw error;
        failed = { tooFew: false, message: `key ${keyId} could not be recovered: ${error.message}` };
        break;
      }
    }
    return { keys, rejected, shapeFailures, failed, wipe: () => keys.forEach((key) => key.key.fill(0)) };
  }

  /**
   * The keys reached the SAE (its answer was sent): the hubs that gave shares
   * may delete them now. Not before, so that a client that dies between
   * recovering a key and answering leaves the shares for the SAE's retry.
   */
  handedOut(route: ShareRoute, keyIds: readonly string[]): void {
    const byHub = new Map<HubConnection, string[]>();
    for (const keyId of keyIds) {
      const entry = this.unacknowledged.get(routedKeyId(route, keyId));
      this.unacknowledged.delete(routedKeyId(route, keyId));
      for (const hub of entry?.hubs ?? []) byHub.set(hub, [...(byHub.get(hub) ?? []), keyId]);
    }
    for (const [hub, ids] of byHub) hub.acknowledge(ids);
  }

  /** The answer with these keys never went out (the SAE hung up): they may be fetched again; the hubs keep their shares. */
  notHandedOut(route: ShareRoute, keyIds: readonly string[]): void {
    for (const keyId of keyIds) this.unacknowledged.delete(routedKeyId(route, keyId));
    this.delivered.remove(route, keyIds);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweep);
  }

  /** Drop what expired: remembered deliveries, kept shares (wiped), acknowledgements nobody will send. */
  private sweepExpired(): void {
    this.delivered.expire();
    this.fetched.expire();
    this.dropStaleAcks();
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
