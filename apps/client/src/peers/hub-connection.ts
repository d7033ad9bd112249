import { Logger } from '@nestjs/common';
import {
  GetKeyShareResponse, PostKeyShareRequest, PsrdBlock, PsrdPool, PsrdResponse, SIGNATURE_HEADER, SIGNING_KEY_BYTES,
  assertFragmentShape, isDskeError, otpXor, signMessage, verifyMessage,
} from '@dske/core';
import { MAX_PSRD_BLOCK_SIZE } from '@dske/topology';
import { ClientConfig } from '../client-config';
import { HubHttp, HubResponse } from './hub-http';
import { ETSI_LIMITS } from '../etsi/etsi-limits';

/** Why one hub could not take or give a share; collected into 503 details. */
export class HubCallError extends Error {
  constructor(
    readonly hubName: string,
    readonly kind: 'unregistered' | 'unreachable' | 'not-found' | 'refused' | 'bad-response',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

type PoolSide = 'local' | 'peer';
/** A hub's answer with the registration it was sent under. */
type SignedAnswer = HubResponse & { generation: number };
export interface ShareRoute {
  master_sae_id: string;
  slave_sae_id: string;
}
const OOB = '/dske/oob/v1';
const API = '/dske/api/v1';
/** Largest share a hub can hold for us: a share is as long as its key (ETSI max_key_size). */
const MAX_SHARE_BYTES = ETSI_LIMITS.maxKeySizeBits / 8;
/** How often a fetch is retried after the hub ran short of PSRD. */
const PSRD_RETRIES = 5;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Everything this client shares with one hub: registration, the two PSRD
 * pools with background refill, and signed share transfer.
 */
export class HubConnection {
  readonly hubName: string;
  readonly localPool = new PsrdPool('local');
  readonly peerPool = new PsrdPool('peer');
  private registered = false;
  private registering?: Promise<void>;
  /**
   * Counts registrations. An answer to a call sent under an earlier one (its
   * blocks are gone) says nothing about the current one and must not start
   * yet another registration.
   */
  private generation = 0;
  private probing = false;
  private readonly refills: Partial<Record<PoolSide, Promise<void>>> = {};
  /** Bytes that callers waiting for a refill of each pool need between them. */
  private readonly demand: Record<PoolSide, number> = { local: 0, peer: 0 };
  private closed = false;
  private readonly http: HubHttp;

  constructor(
    readonly index: number,
    readonly url: string,
    private readonly config: ClientConfig,
    private readonly logger: Logger,
  ) {
    const parsed = new URL(url);
    this.hubName = decodeURIComponent(parsed.pathname.split('/').filter(Boolean).pop() ?? parsed.host);
    this.http = new HubHttp(parsed, config.requestTimeoutMs, logger, config.tls);
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  /** The last call to the hub got an answer (a hub that went down is noticed at the next call). */
  get isReachable(): boolean {
    return this.http.reachable;
  }

  /** Registered and holding PSRD in both pools. */
  get isUsable(): boolean {
    return this.registered && this.localPool.unusedBytes > 0 && this.peerPool.unusedBytes > 0;
  }

  /** Register, retrying every second until the hub answers; then fill both pools. */
  startRegistration(): Promise<void> {
    if (this.registering) return this.registering;
    this.generation++;
    this.registered = false;
    this.localPool.clear();
    this.peerPool.clear();
    this.registering = (async () => {
      this.logger.log(`Begin register task for peer hub ${this.hubName}`);
      for (let attempt = 1; !this.closed; attempt++) {
        try {
          const body = JSON.stringify({ client_name: this.config.name, encryptor_names: this.config.encryptors });
          const response = await this.http.request('PUT', `${OOB}/registration`, { body, logFailure: false });
          if (response.status === 200) break;
        } catch (error) {
          // A hub that stays down is logged at the first attempt and then once a minute, not every second.
          if (attempt === 1 || attempt % 60 === 0) this.logger.warn(`Register with peer hub ${this.hubName} failed (attempt ${attempt}, retrying every second): ${(error as Error).message}`);
        }
        await sleep(1000);
      }
      this.registered = !this.closed;
      this.registering = undefined;
      this.logger.log(`Finish register task for peer hub ${this.hubName}`);
      if (this.registered) {
        this.refillIfLow('local');
        this.refillIfLow('peer');
      }
    })();
    return this.registering;
  }

  /**
   * A hub that lost its state answers client.unknown; one whose pools for us
   * were reset (someone registered our name afresh) names no block we sent
   * (psrd.unknown-block). Either way: start over with it.
   */
  private noteResponse(response: HubResponse, sentIn: number): void {
    if (!this.registered || sentIn !== this.generation) return;
    const reason = staleRegistration(response);
    if (reason === undefined) return;
    this.logger.warn(`Hub ${this.hubName} ${reason}; registering again`);
    void this.startRegistration();
  }

  /**
   * After the hub said it does not know us (restarted without state) or does
   * not hold our blocks, noteResponse started registering again: wait for
   * that, at most one request timeout, so the caller can send once more and
   * the first key after a hub restart does not fail.
   */
  private async rejoined(response: SignedAnswer): Promise<boolean> {
    if (staleRegistration(response) === undefined) return false;
    // Neither did this answer start a registration nor did one start since the call was sent: nothing to wait for.
    if (response.generation === this.generation && !this.registering) return false;
    return this.whenRegistered();
  }

  /**
   * Registered now, or once the registration in progress ends (at most one
   * request timeout) when the hub is answering; a hub that is down is not
   * waited for, so requests do not stall on it.
   */
  private async whenRegistered(): Promise<boolean> {
    if (this.registered) return true;
    if (!this.registering || !this.isReachable) return false;
    const timeout = sleep(this.config.requestTimeoutMs).then(() => false);
    return Promise.race([this.registering.then(() => this.registered), timeout]);
  }

  /**
   * A registered hub whose last call got no answer is asked for its (cheap,
   * unsigned) encryptor directory until it answers, so status tells when it is
   * back; if it no longer lists this client, it restarted without state:
   * register again before a key request finds out.
   */
  async probe(): Promise<void> {
    if (!this.registered || this.isReachable || this.probing || this.closed) return;
    this.probing = true;
    const sentIn = this.generation;
    try {
      const clients = await this.encryptorDirectory(false);
      if (sentIn === this.generation && this.registered && !clients.some((c) => c.client_name === this.config.name)) {
        this.logger.warn(`Hub ${this.hubName} is back and does not know this client; registering again`);
        void this.startRegistration();
      }
    } catch {
      // Still down: the next probe asks again.
    } finally {
      this.probing = false;
    }
  }

  /** The hub named a block we never got (its pool for us holds blocks fetched by someone else): start over. */
  private noteOutOfStep(error: unknown, sentIn: number): void {
    if (isDskeError(error, 'psrd.unknown-block') && this.registered && sentIn === this.generation) {
      this.logger.warn(`Hub ${this.hubName} uses PSRD blocks this client does not hold; registering again`);
      void this.startRegistration();
    }
  }

  private pool(side: PoolSide): PsrdPool {
    return side === 'local' ? this.localPool : this.peerPool;
  }

  /** Background refill when a pool drops below the start threshold. */
  refillIfLow(side: PoolSide): void {
    if (this.registered && this.pool(side).unusedBytes < this.config.startRequestPsrdThreshold) {
      void this.fill(side, this.config.stopRequestPsrdThreshold).catch(() => undefined);
    }
  }

  /** Ask the hub for blocks until the pool holds at least `target` unused bytes. */
  fill(side: PoolSide, target: number): Promise<void> {
    // Not registered (or re-registering): nothing to ask for; the registration refills.
    if (!this.registered || this.closed || this.pool(side).unusedBytes >= target) return Promise.resolve();
    const running = this.refills[side];
    if (running) return running.then(() => (this.registered && this.pool(side).unusedBytes < target ? this.fill(side, target) : undefined));
    // A task whose body needs no await finishes before it is stored: never store a finished task.
    let finished = false;
    let task: Promise<void> | undefined = undefined;
    task = (async () => {
      const owner = side === 'local' ? 'client' : 'hub';
      this.logger.log(`Begin request PSRD task for peer hub ${this.hubName} and pool owner ${side}`);
      try {
        while (this.registered && !this.closed && this.pool(side).unusedBytes < target) {
          const missing = target - this.pool(side).unusedBytes;
          const size = Math.min(MAX_PSRD_BLOCK_SIZE, Math.max(this.config.getPsrdBlockSize, missing > this.config.stopRequestPsrdThreshold ? missing : 0));
          const query = new URLSearchParams({ client_name: this.config.name, pool_owner: owner, size: String(size) }).toString();
          const sentIn = this.generation;
          const response = await this.http.request('GET', `${OOB}/psrd`, { query });
          this.noteResponse(response, sentIn);
          if (response.status !== 200) throw new HubCallError(this.hubName, 'refused', `PSRD request answered ${response.status}`, response.status);
          const block = JSON.parse(response.body.toString('utf8')) as PsrdResponse;
          this.pool(side).addBlock(new PsrdBlock(block.block_uuid, Buffer.from(block.data, 'base64')));
        }
      } finally {
        finished = true;
        if (this.refills[side] === task) this.refills[side] = undefined;
        this.logger.log(`Finish request PSRD task for peer hub ${this.hubName} and pool owner ${side}`);
      }
    })();
    if (!finished) this.refills[side] = task;
    return task;
  }

  /**
   * Run `use` (which allocates up to `needed` local bytes) once the local pool
   * holds them. The check and the allocation happen in one synchronous step,
   * so concurrent requests cannot take the bytes a refill brought for another.
   */
  private async withLocal<T>(needed: number, use: () => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.localPool.unusedBytes >= needed) return use();
      if (attempt >= PSRD_RETRIES || !this.registered) {
        throw new HubCallError(this.hubName, 'refused', `local PSRD pool for hub ${this.hubName} holds ${this.localPool.unusedBytes} bytes, ${needed} needed`);
      }
      await this.fillFor('local', needed);
    }
  }

  /**
   * Refill a pool for `needed` more bytes on top of what every other waiting
   * caller needs, so that a burst of requests is served by one larger refill
   * instead of each finding the pool drained by the others.
   */
  private async fillFor(side: PoolSide, needed: number): Promise<void> {
    this.demand[side] += needed;
    // Our copy of the hub-allocated pool still counts bytes the hub has allocated for replies in flight,
    // so when the hub says it ran short, ask for the demand on top of what our copy shows.
    const base = side === 'peer' ? this.peerPool.unusedBytes : 0;
    try {
      await this.fill(side, base + this.demand[side] + this.config.startRequestPsrdThreshold);
    } finally {
      this.demand[side] -= needed;
    }
  }

  private async requireRegistered(): Promise<void> {
    if (!(await this.whenRegistered())) throw new HubCallError(this.hubName, 'unregistered', `hub ${this.hubName} is not registered yet`);
  }

  /**
   * Sign (synchronously, before the first await, so callers can allocate and
   * sign in one step) and send; verify the hub's signature on a 200 answer.
   */
  private async signedCall(method: 'GET' | 'POST', path: string, query: string, body: string): Promise<SignedAnswer> {
    const generation = this.generation;
    const signature = signMessage(this.localPool, query, body);
    let response: HubResponse;
    try {
      response = await this.http.request(method, path, { query, body: method === 'POST' ? body : undefined, headers: { [SIGNATURE_HEADER]: signature } });
    } catch (error) {
      throw new HubCallError(this.hubName, 'unreachable', `hub ${this.hubName} unreachable: ${(error as Error).message}`);
    } finally {
      this.refillIfLow('local');
    }
    this.noteResponse(response, generation);
    if (response.status === 200) {
      try {
        verifyMessage(this.peerPool, response.headers[SIGNATURE_HEADER.toLowerCase()], '', response.body);
      } catch (error) {
        this.noteOutOfStep(error, generation);
        throw new HubCallError(this.hubName, 'bad-response', `hub ${this.hubName} response signature: ${(error as Error).message}`);
      } finally {
        this.refillIfLow('peer');
      }
    }
    return { ...response, generation };
  }

  /**
   * Encrypt this hub's share of each key under fresh local PSRD and store them
   * on the hub: one message for one key (key-share) or for many (key-shares).
   */
  async postShares(route: ShareRoute, shares: Array<{ keyId: string; data: Uint8Array }>): Promise<void> {
    await this.requireRegistered();
    const total = shares.reduce((n, s) => n + s.data.length, 0);
    const send = () => this.withLocal(total + SIGNING_KEY_BYTES, () => {
      const encrypted = shares.map((share) => {
        const pad = this.localPool.allocate(share.data.length);
        return {
          user_key_id: share.keyId,
          share_index: this.index,
          encryption_key_allocation: pad.toWire(),
          encrypted_share_value: Buffer.from(otpXor(share.data, pad.bytes)).toString('base64'),
        };
      });
      const common = { master_client_name: this.config.name, master_sae_id: route.master_sae_id, slave_sae_id: route.slave_sae_id };
      if (encrypted.length === 1) {
        const single: PostKeyShareRequest = { ...common, ...encrypted[0] };
        return this.signedCall('POST', `${API}/key-share`, '', JSON.stringify(single));
      }
      return this.signedCall('POST', `${API}/key-shares`, '', JSON.stringify({ ...common, shares: encrypted }));
    });
    let response = await send();
    if (await this.rejoined(response)) response = await send();
    // The hub had no PSRD left to sign its reply and stored nothing: top up the pool it allocates from, send again.
    for (let attempt = 0; attempt < PSRD_RETRIES && response.status === 503 && errorCode(response) === 'psrd.exhausted'; attempt++) {
      await this.fillFor('peer', SIGNING_KEY_BYTES);
      response = await send();
    }
    if (response.status !== 200) throw refusal(this.hubName, response);
  }

  /** Fetch and decrypt this hub's shares of the named keys (once; the hub deletes them). */
  async getShares(route: ShareRoute, keyIds: string[]): Promise<Array<{ x: number; data: Uint8Array }>> {
    await this.requireRegistered();
    const single = keyIds.length === 1;
    const text = new URLSearchParams({
      client_name: this.config.name,
      master_sae_id: route.master_sae_id,
      slave_sae_id: route.slave_sae_id,
      ...(single ? { key_id: keyIds[0] } : { key_ids: keyIds.join(',') }),
    }).toString();
    const path = single ? `${API}/key-share` : `${API}/key-shares`;
    const fetchOnce = () => this.withLocal(SIGNING_KEY_BYTES, () => this.signedCall('GET', path, text, ''));
    let response = await fetchOnce();
    if (await this.rejoined(response)) response = await fetchOnce();
    // The hub needs more of the pool it allocates from (large keys, or many fetches at once): fill it and ask
    // again, a bounded number of times. The hub keeps the shares until it can deliver them.
    for (let attempt = 0; attempt < PSRD_RETRIES && response.status === 503 && errorCode(response) === 'psrd.exhausted'; attempt++) {
      await this.fillFor('peer', this.boundedNeed(response, keyIds.length));
      response = await fetchOnce();
    }
    if (response.status !== 200) throw refusal(this.hubName, response);
    try {
      const body = JSON.parse(response.body.toString('utf8')) as GetKeyShareResponse & { shares?: Array<GetKeyShareResponse & { user_key_id: string }> };
      const received = single ? [{ ...body, user_key_id: keyIds[0] }] : (body.shares ?? []);
      if (received.length !== keyIds.length) throw new Error(`${received.length} shares for ${keyIds.length} keys`);
      // Check every share's shape and pad before using any PSRD.
      const encrypted = received.map((share, i) => {
        if (share.user_key_id.toLowerCase() !== keyIds[i].toLowerCase()) throw new Error('shares out of order');
        if (!Number.isInteger(share.share_index)) throw new Error('share_index is not an integer');
        assertFragmentShape(share.encryption_key_allocation?.fragments);
        return Buffer.from(share.encrypted_share_value, 'base64');
      });
      const pads = this.peerPool.take(
        received.flatMap((share) => share.encryption_key_allocation.fragments),
        encrypted.reduce((n, e) => n + e.length, 0),
      );
      let offset = 0;
      return encrypted.map((e, i) => {
        const pad = pads.subarray(offset, offset + e.length);
        offset += e.length;
        return { x: received[i].share_index, data: otpXor(e, pad) };
      });
    } catch (error) {
      this.noteOutOfStep(error, response.generation);
      throw new HubCallError(this.hubName, 'bad-response', `hub ${this.hubName} sent unusable shares: ${(error as Error).message}`);
    } finally {
      this.refillIfLow('peer');
    }
  }

  /**
   * How many more bytes a hub says it needs, from an unsigned 503 body: never
   * more than `keys` of the largest share plus a signature, so a forged answer
   * cannot make this client pull unbounded PSRD.
   */
  private boundedNeed(response: HubResponse, keys: number): number {
    const claimed = Number((errorBody(response)?.details as { needed_bytes?: unknown } | undefined)?.needed_bytes);
    const cap = keys * MAX_SHARE_BYTES + SIGNING_KEY_BYTES;
    return Number.isSafeInteger(claimed) && claimed > 0 ? Math.min(claimed, cap) : SIGNING_KEY_BYTES;
  }

  /** The hub's registry of which client serves which SAE (out of band, unsigned). */
  async encryptorDirectory(logFailure = true): Promise<Array<{ client_name: string; encryptor_names: string[] }>> {
    const response = await this.http.request('GET', `${OOB}/encryptors`, { logFailure });
    if (response.status !== 200) throw new HubCallError(this.hubName, 'refused', `directory request answered ${response.status}`, response.status);
    const body = JSON.parse(response.body.toString('utf8')) as { clients?: Array<{ client_name: string; encryptor_names: string[] }> };
    return Array.isArray(body.clients) ? body.clients : [];
  }

  poolsStatus(preview: boolean) {
    return { local_pool: this.localPool.status(preview), peer_pool: this.peerPool.status(preview) };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.http.close();
  }
}

function errorBody(response: HubResponse): Record<string, unknown> | undefined {
  try {
    return JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Error codes by which a hub says our registration with it is gone, and how the log puts it. */
const STALE_REGISTRATION: Record<string, string> = {
  'client.unknown': 'does not know this client',
  'psrd.unknown-block': 'does not hold the PSRD blocks this client uses',
};

/** Why a hub's answer means this client must register again, or undefined. */
function staleRegistration(response: HubResponse): string | undefined {
  const code = response.status === 400 ? errorCode(response) : undefined;
  return code !== undefined && Object.hasOwn(STALE_REGISTRATION, code) ? STALE_REGISTRATION[code] : undefined;
}

function errorCode(response: HubResponse): string | undefined {
  const code = errorBody(response)?.code;
  return typeof code === 'string' ? code : undefined;
}

function refusal(hubName: string, response: HubResponse): HubCallError {
  const body = errorBody(response);
  const code = errorCode(response);
  const message = `hub ${hubName} answered ${response.status}${code ? ` ${code}` : ''}: ${String(body?.message ?? '')}`;
  return new HubCallError(hubName, code === 'share.not-found' ? 'not-found' : 'refused', message, response.status);
}
