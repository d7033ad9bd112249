import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DskeError, recoverKeyRobust, splitKey, Share } from '@dske/core';
import { CLIENT_CONFIG, ClientConfig } from '../client-config';
import { HubCallError, HubConnection } from '../peers/hub-connection';
import { PeerHubs } from '../peers/peer-hubs';

export interface HubFailure {
  hub_name: string;
  reason: string;
}

/**
 * Not enough hubs took or gave shares. `unavailable`: hubs that might hold
 * the missing shares did not answer (503); `not-found`: the key cannot exist
 * any more (400); `unauthorized`: hubs hold it for another SAE pair (401).
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

const describe = (hub: HubConnection, error: unknown): HubFailure => ({
  hub_name: hub.hubName,
  reason: error instanceof Error ? error.message : String(error),
});

/** Scatter a new key's shares through the hubs, or gather them back. */
@Injectable()
export class KeyRelayService {
  private readonly logger = new Logger('KeyRelay');

  constructor(
    private readonly peers: PeerHubs,
    @Inject(CLIENT_CONFIG) private readonly config: ClientConfig,
  ) {}

  /** New random key; one share per hub, in parallel; done when at least k hubs stored theirs. */
  async makeKey(masterSae: string, slaveSae: string, sizeBytes: number): Promise<RelayedKey> {
    const keyId = randomUUID();
    const key = randomBytes(sizeBytes);
    const hubs = this.peers.hubs;
    const shares = splitKey(key, hubs.length, this.config.minNrShares);
    const results = await Promise.allSettled(
      hubs.map((hub, i) =>
        hub.postShare(shares[i].data, { master_client_name: this.config.name, master_sae_id: masterSae, slave_sae_id: slaveSae, user_key_id: keyId }),
      ),
    );
    const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [describe(hubs[i], r.reason)] : []));
    const accepted = hubs.length - failures.length;
    if (accepted < this.config.minNrShares) {
      throw new RelayError(`only ${accepted} of ${hubs.length} hubs accepted a key share; ${this.config.minNrShares} needed`, failures);
    }
    return { keyId, key };
  }

  /** Fetch every hub's share and recover the key, tolerating wrong shares when more than k arrive. */
  async fetchKey(masterSae: string, slaveSae: string, keyId: string): Promise<RelayedKey> {
    const hubs = this.peers.hubs;
    const k = this.config.minNrShares;
    const results = await Promise.allSettled(hubs.map((hub) => hub.getShare({ master_sae_id: masterSae, slave_sae_id: slaveSae, key_id: keyId })));
    const failures: HubFailure[] = [];
    const shares: Array<Share & { hub: string }> = [];
    let notFound = 0;
    let unauthorized = false;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        shares.push({ ...r.value, hub: hubs[i].hubName });
        return;
      }
      failures.push(describe(hubs[i], r.reason));
      if (r.reason instanceof HubCallError && r.reason.kind === 'not-found') notFound++;
      if (r.reason instanceof HubCallError && r.reason.status === 401) unauthorized = true;
    });
    const usable = this.consistentShares(shares, failures);
    if (usable.length < k) {
      // 400 when the missing shares cannot be anywhere; 503 when unreachable hubs might hold them.
      const couldExist = hubs.length - notFound >= k;
      const kind = unauthorized ? 'unauthorized' : couldExist ? 'unavailable' : 'not-found';
      throw new RelayError(`only ${usable.length} of ${hubs.length} hubs gave a share of key ${keyId}; ${k} needed`, failures, kind);
    }
    try {
      const { key, rejected } = recoverKeyRobust(usable, k);
      for (const x of rejected) {
        const hub = usable.find((s) => s.x === x)?.hub;
        this.logger.warn(`Hub ${hub} sent a bad share for key ${keyId}; it was left out of the recovery`);
        failures.push({ hub_name: hub ?? String(x), reason: 'share not consistent with the others' });
      }
      return { keyId, key };
    } catch (error) {
      if (error instanceof DskeError) throw new RelayError(`key ${keyId} could not be recovered: ${error.message}`, failures);
      throw error;
    }
  }

  /** Drop shares a hub got wrong in shape: duplicate indexes, odd lengths (the majority length wins). */
  private consistentShares(shares: Array<Share & { hub: string }>, failures: HubFailure[]): Array<Share & { hub: string }> {
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
