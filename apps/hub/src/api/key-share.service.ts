import { Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { Allocation, Fragment, fragmentsToText, isDskeError, SIGNING_KEY_BYTES, UUID_PATTERN, otpXor, signWithKey, verifyRequest } from '@dske/core';
import { ApiError, RawMessage, SignedApiError, statusForDskeError } from '@dske/service-runtime';
import { HUB_CONFIG, HubConfig } from '../hub-config';
import { PeerClient, PeerClientRegistry } from '../peers/peer-client-registry';
import { SHARE_STORE, ShareStore, StoredShare } from '../shares/share-store';
import { ShareQuota } from '../shares/share-quota';
import { HubState } from '../state/hub-state';
import { HubMetrics } from '../metrics/hub-metrics';
import { BatchShareDto } from '../dto';
import type { SignedRequest } from './signed-reply';

/** Check a request's signature (v1 or v2, the frame is the request's own method and path); what its answer must be signed as. */
function verified(client: PeerClient, raw: RawMessage): SignedRequest {
  const parsed = verifyRequest(client.peerPool, raw.signature, raw.query, raw.body, { kind: 'request', method: raw.method, path: raw.path });
  return { version: parsed.version, allocation: fragmentsToText(parsed.fragments) };
}

/** The hub holds too little PSRD of its own for this client: the client refills that pool and asks again. */
function shortOfPsrd(client: PeerClient, needed: number): ApiError {
  return new ApiError(503, 'psrd.exhausted', `hub pool for client ${client.name} holds ${client.localPool.unusedBytes} bytes, ${needed} needed`, { needed_bytes: needed });
}

export interface ShareRoute {
  master_sae_id: string;
  slave_sae_id: string;
}

/**
 * The hub's half of DSKE: accept shares from the initiator, hand each once to
 * the responder's client. Single-share and batch endpoints share this code.
 */
@Injectable()
export class KeyShareService implements OnApplicationBootstrap {
  private readonly quota: ShareQuota;

  constructor(
    private readonly registry: PeerClientRegistry,
    @Inject(SHARE_STORE) private readonly store: ShareStore,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Optional() private readonly state?: HubState,
    @Optional() private readonly metrics?: HubMetrics,
  ) {
    this.quota = new ShareQuota(config.limits.maxSharesPerClient, config.shareTimeoutSecs * 1000);
    if (metrics) {
      this.quota.onExpired = (count) => metrics.sharesExpired.inc(count);
      metrics.watchShares(() => this.quota.total());
    }
  }

  /**
   * Shares kept from before a restart count against their clients' limit
   * again (as if stored now: a little longer than they live, never less).
   * A store that does not answer yet leaves the count at zero.
   */
  async onApplicationBootstrap(): Promise<void> {
    const kept = await this.store.list().catch(() => []);
    for (const share of kept) this.quota.add(share.master_client_name, [share.user_key_id]);
  }

  /**
   * Refusals of a request whose signature verified are signed with the
   * client's PSRD (when the hub has 32 bytes left for it), so the client can
   * tell them from answers an outsider made up. Refusals before that point
   * (unknown client, bad signature) cannot be, and cost no PSRD.
   */
  private async signRefusals<T>(client: PeerClient, request: SignedRequest, work: () => Promise<T>): Promise<T> {
    try {
      const done = await work();
      // Write-ahead: the request's bytes used and the answer's allocated are in the state store before the answer leaves.
      await this.flush();
      return done;
    } catch (error) {
      const answer = this.signedRefusal(client, request, error);
      // Signed or not, the refusal answers a message whose bytes were used: those (and its signing key) are written first.
      await this.flush();
      throw answer;
    }
  }

  /** The refusal as the client gets it: signed with a fresh key when the hub can (see signRefusals), else as it was. */
  private signedRefusal(client: PeerClient, request: SignedRequest, error: unknown): unknown {
    const refusal = error instanceof ApiError ? error : isDskeError(error) ? new ApiError(statusForDskeError(error.code), error.code, error.message) : undefined;
    const code = (refusal?.getResponse() as { code?: string } | undefined)?.code;
    if (refusal === undefined || code === 'psrd.exhausted' || code === 'store.unavailable' || client.localPool.unusedBytes < SIGNING_KEY_BYTES) return error;
    const key = client.localPool.allocate(SIGNING_KEY_BYTES);
    const status = refusal.getStatus();
    return new SignedApiError(refusal, (body) => signWithKey(key, request.version, { kind: 'response', status, request: request.allocation }, body));
  }

  private async flush(): Promise<void> {
    await this.state?.flush();
  }

  /** Checks in PROTOCOL.md order; shares are stored only when every check passes for all of them. */
  async accept(masterClientName: string, route: ShareRoute, shares: BatchShareDto[], raw: RawMessage, acknowledged: readonly string[] = []): Promise<{ client: PeerClient; signingKey: Allocation; request: SignedRequest }> {
    const client = this.registry.get(masterClientName);
    const request = verified(client, raw);
    const stored = await this.signRefusals(client, request, async () => {
      await this.removeAcknowledged(client, acknowledged);
      return { ...(await this.storeShares(client, route, shares)), request };
    });
    // Counted once the state store took them (signRefusals flushed): a 503 for the store stores nothing to count.
    this.metrics?.sharesStored.inc(shares.length);
    return stored;
  }

  private async storeShares(client: PeerClient, route: ShareRoute, shares: BatchShareDto[]): Promise<{ client: PeerClient; signingKey: Allocation }> {
    if (!client.serves(route.master_sae_id)) {
      throw new ApiError(400, 'sae.not-served', `encryptor ${route.master_sae_id} is not attached to client ${client.name}`);
    }
    const ids = shares.map((s) => s.user_key_id.toLowerCase());
    if (new Set(ids).size !== ids.length) throw new ApiError(400, 'share.duplicate', 'a key ID appears twice in one message');
    // One round trip for all (a store that is away answers 503 within a second, before any PSRD is taken); asked
    // without opening the records, so no share is decrypted (and wiped) only to learn that it is there.
    const existing = await Promise.all(ids.map((id) => this.store.has(id)));
    const taken = existing.indexOf(true);
    if (taken !== -1) throw new ApiError(400, 'share.exists', `a share for key ${ids[taken]} is already stored`);
    // One take over every pad: overlapping or reused bytes anywhere in the message fail it whole.
    const encrypted = shares.map((s) => Buffer.from(s.encrypted_share_value, 'base64'));
    const fragments: Fragment[] = shares.flatMap((s) => s.encryption_key_allocation.fragments);
    const pads = client.peerPool.take(fragments, encrypted.reduce((n, e) => n + e.length, 0));
    // Past the client's limit: nothing stored, the pads spent on both sides (as when short of PSRD below).
    if (this.quota.wouldExceed(client.name, shares.length)) {
      pads.fill(0);
      throw new ApiError(429, 'shares.too-many', `client ${client.name} has ${this.quota.count(client.name)} undelivered shares on this hub; at most ${this.quota.maxPerClient}`);
    }
    // The reply's signing key, before anything is stored. Short of PSRD: 503, nothing stored, and the pads
    // stay spent on both sides (the client spent them when it sent them), so the pools stay in step.
    const signingKey = client.localPool.allocate(SIGNING_KEY_BYTES);
    let offset = 0;
    const records: StoredShare[] = shares.map((s, i) => {
      const pad = pads.subarray(offset, offset + encrypted[i].length);
      offset += encrypted[i].length;
      const plain = otpXor(encrypted[i], pad);
      return {
        user_key_id: ids[i],
        master_client_name: client.name,
        ...route,
        share_index: s.share_index,
        share: Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength),
      };
    });
    pads.fill(0);
    // Counted before the first await, so concurrent messages cannot all pass the check; what is not stored is uncounted.
    const storedIds = records.map((r) => r.user_key_id);
    this.quota.add(client.name, storedIds);
    // The reply's signing key never left the hub when storing fails: it goes back to the pool.
    const stored = await Promise.all(records.map((record) => this.store.put(record, this.config.shareTimeoutSecs)))
      .catch((error: unknown) => {
        this.quota.remove(client.name, storedIds);
        client.localPool.giveBack(signingKey);
        throw error;
      })
      // The stores keep their own sealed or copied form; the decrypted shares here are wiped either way.
      .finally(() => records.forEach((record) => record.share.fill(0)));
    this.quota.remove(client.name, storedIds.filter((_, i) => !stored[i]));
    const clash = stored.indexOf(false);
    if (clash !== -1) {
      client.localPool.giveBack(signingKey);
      throw new ApiError(400, 'share.exists', `a share for key ${records[clash].user_key_id} is already stored`);
    }
    return { client, signingKey };
  }

  /** All the named shares or none: a missing one is a 400 and nothing is delivered. */
  async deliver(clientName: string, route: ShareRoute, keyIds: string[], raw: RawMessage, acknowledged: readonly string[] = []): Promise<{ client: PeerClient; shares: BatchShareDto[]; signingKey: Allocation; request: SignedRequest }> {
    const client = this.registry.get(clientName);
    const request = verified(client, raw);
    const delivered = await this.signRefusals(client, request, async () => {
      await this.removeAcknowledged(client, acknowledged);
      return { ...(await this.handOut(client, route, keyIds)), request };
    });
    this.metrics?.sharesDelivered.inc(delivered.shares.length);
    return delivered;
  }

  private async handOut(client: PeerClient, route: ShareRoute, keyIds: string[]): Promise<{ client: PeerClient; shares: BatchShareDto[]; signingKey: Allocation }> {
    if (!client.serves(route.slave_sae_id)) {
      throw new ApiError(401, 'sae.not-served', `client ${client.name} does not serve encryptor ${route.slave_sae_id}`);
    }
    const ids = keyIds.map((id) => id.toLowerCase());
    if (!ids.every((id) => UUID_PATTERN.test(id))) throw new ApiError(400, 'validation', 'key IDs must be UUIDs');
    if (new Set(ids).size !== ids.length) throw new ApiError(400, 'share.duplicate', 'a key ID appears twice in one message');
    const notFound = (id: string) => new ApiError(400, 'share.not-found', `no share for key ${id} (unknown, expired or acknowledged)`);
    const found = await Promise.all(ids.map((id) => this.store.peek(id)));
    const stored: StoredShare[] = [];
    for (const [i, id] of ids.entries()) {
      const share = found[i];
      if (!share) throw notFound(id);
      if (share.master_sae_id !== route.master_sae_id || share.slave_sae_id !== route.slave_sae_id) {
        throw new ApiError(401, 'share.wrong-pair', `key ${id} was not made for ${route.master_sae_id} -> ${route.slave_sae_id}`);
      }
      stored.push(share);
    }
    const values = stored.map((s) => s.share);
    const needed = values.reduce((n, v) => n + v.length, 0) + SIGNING_KEY_BYTES;
    // The shares stay until the client has refilled and asks again.
    if (client.localPool.unusedBytes < needed) throw shortOfPsrd(client, needed);
    // Pads and the reply's signing key in one synchronous step. The shares stay: an answer lost on the way must
    // not lose them, so they go when the client acknowledges them (key-share-acks) or when they expire.
    const allocations = values.map((v) => client.localPool.allocate(v.length));
    const signingKey = client.localPool.allocate(SIGNING_KEY_BYTES);
    const shares = stored.map((s, i) => ({
      user_key_id: s.user_key_id,
      share_index: s.share_index,
      encryption_key_allocation: allocations[i].toWire(),
      encrypted_share_value: Buffer.from(otpXor(values[i], allocations[i].bytes)).toString('base64'),
    }));
    // Used: the shares (our copies) and their pads are wiped.
    for (const value of values) value.fill(0);
    for (const allocation of allocations) allocation.bytes.fill(0);
    return { client, signingKey, shares };
  }

  /**
   * The client recovered these keys: their shares here are not needed any
   * more. Only shares for an SAE the client serves go (anything else named is
   * ignored, so an acknowledgement cannot delete another client's shares).
   */
  async acknowledge(clientName: string, keyIds: string[], raw: RawMessage): Promise<{ client: PeerClient; signingKey: Allocation; request: SignedRequest; removed: number }> {
    const client = this.registry.get(clientName);
    const request = verified(client, raw);
    return this.signRefusals(client, request, async () => {
      const removed = await this.removeAcknowledged(client, keyIds);
      if (client.localPool.unusedBytes < SIGNING_KEY_BYTES) throw shortOfPsrd(client, SIGNING_KEY_BYTES);
      return { client, signingKey: client.localPool.allocate(SIGNING_KEY_BYTES), request, removed };
    });
  }

  /**
   * Delete the shares of keys the client recovered (key-share-acks, or the
   * acknowledged_key_ids of its next message). Only shares for an SAE the
   * client serves go: an acknowledgement cannot delete another client's.
   * Acknowledging a key twice (a message that was refused and sent again)
   * removes nothing more.
   */
  private async removeAcknowledged(client: PeerClient, keyIds: readonly string[]): Promise<number> {
    if (keyIds.length === 0) return 0;
    const ids = [...new Set(keyIds.map((id) => id.toLowerCase()))];
    const found = await Promise.all(ids.map((id) => this.store.peek(id)));
    const mine = found.filter((share): share is StoredShare => share !== undefined && client.serves(share.slave_sae_id));
    for (const share of found) share?.share.fill(0);
    const removed = await Promise.all(mine.map((share) => this.store.remove(share.user_key_id)));
    for (const share of mine) this.quota.remove(share.master_client_name, [share.user_key_id]);
    return removed.filter(Boolean).length;
  }
}
