import { Logger } from '@nestjs/common';
import { DirectoryEntry, isDskeError, PsrdBlock, SIGNING_KEY_BYTES } from '@dske/core';
import { ClientConfig } from '../client-config';
import { ETSI_LIMITS } from '../etsi/etsi-limits';
import { errorBody, errorCode, HubCallError, hubShortOfPsrd, refusal, staleRegistration } from './hub-errors';
import { HubHttp, HubResponse, HubTransport, type HubCallObserver } from './hub-http';
import type { ClientMetrics } from '../metrics/client-metrics';
import { HubRegistration, type RegistrationStore } from './hub-registration';
import { HubOobClient } from './hub-oob-client';
import { ClientState } from '../state/client-state';
import { StateUnavailableError } from '@dske/node-state';
import { PSRD_RETRIES, PsrdRefiller } from './psrd-refiller';
import { ACK_LINGER_MS, AckQueue } from './ack-queue';
import { BadSignature, SignedAnswer, SignedHubClient, type ShareRoute } from './signed-hub-client';

export { HubCallError } from './hub-errors';
export type { ShareRoute } from './signed-hub-client';

/** Largest share a hub can hold for us: a share is as long as its key (ETSI max_key_size). */
const MAX_SHARE_BYTES = ETSI_LIMITS.maxKeySizeBits / 8;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Everything this client shares with one hub. The registration (one object
 * per generation, owning its pools and their refiller) comes and goes: the
 * hub may restart without state, or someone may register our name afresh.
 * This class runs that life cycle and the share transfers on top of it;
 * signing and the share messages are SignedHubClient's, the out-of-band
 * calls HubOobClient's, error codes hub-errors'.
 */
export class HubConnection {
  readonly hubName: string;
  private registration: HubRegistration;
  private refiller: PsrdRefiller;
  private registering?: Promise<void>;
  private generations = 0;
  private probing = false;
  /** A check of the hub's directory after an unsigned "your registration is gone" (confirmStale). */
  private confirming?: Promise<void>;
  private closed = false;
  private readonly http: HubTransport;
  private readonly signed: SignedHubClient;
  private readonly oob: HubOobClient;
  /** Where registrations are journaled (undefined: memory only). */
  private readonly store: RegistrationStore | undefined;
  /** Recovered keys this hub has not been told of yet: they ride on the next key-share message, or go on their own. */
  private readonly acks = new AckQueue(
    (keyIds) => this.sendAcks(keyIds),
    () => (this.registration.acksInRequests ? ACK_LINGER_MS : 0),
  );

  /**
   * `transport`: how to reach the hub (default: HTTP(S) to `url`; unit tests
   * give a scripted hub). `state`: where the registration is kept; one it
   * kept from before a restart is resumed without registering again.
   */
  constructor(
    readonly index: number,
    readonly url: string,
    private readonly config: ClientConfig,
    private readonly logger: Logger,
    transport?: HubTransport,
    private readonly state: ClientState = ClientState.memoryOnly(),
    private readonly metrics?: ClientMetrics,
  ) {
    const parsed = new URL(url);
    this.hubName = decodeURIComponent(parsed.pathname.split('/').filter(Boolean).pop() ?? parsed.host);
    const observe: HubCallObserver | undefined = metrics && ((route, status, response, seconds) => metrics.observeHubCall(this.hubName, route, status, response && errorCode(response), seconds));
    this.http = transport ?? new HubHttp(parsed, config.requestTimeoutMs, logger, config.tls, observe);
    this.signed = new SignedHubClient(this.http, this.hubName, config.signatureVersion ?? 2, () => this.flush());
    this.oob = new HubOobClient(this.http, this.hubName, config.name);
    this.store = state.journal.durable ? { journal: state.journal, hubName: this.hubName, encryptors: config.encryptors } : undefined;
    const kept = state.take(this.hubName);
    if (kept && this.store && HubRegistration.fits(kept, config.encryptors)) {
      this.registration = new HubRegistration(kept.record.generation, this.store, kept);
      this.generations = kept.record.generation;
    } else {
      // A kept registration that does not fit goes, in the store too (its blocks would come back into a later one).
      if (kept) state.forget(this.hubName, kept);
      this.registration = new HubRegistration(0, this.store);
    }
    this.refiller = this.newRefiller(this.registration);
  }

  /**
   * Write ahead: what this client changed (bytes allocated or taken, blocks
   * added) is in its state store before a byte of it leaves or an answer that
   * used it is given. A store that does not take it fails the call.
   */
  private async flush(): Promise<void> {
    try {
      await this.state.journal.flush();
    } catch (error) {
      if (error instanceof StateUnavailableError) throw new HubCallError(this.hubName, 'refused', `not sent: ${error.message}`);
      throw error;
    }
  }

  /**
   * At start: go on with the registration kept from before a restart (no new
   * registration, no PSRD fetched unless a pool is below the start
   * threshold), or register.
   */
  start(): Promise<void> {
    if (!this.registration.isRegistered) return this.startRegistration();
    const registration = this.registration;
    this.logger.log(`Resumed registration with peer hub ${this.hubName} (local pool ${registration.localPool.unusedBytes} bytes, peer pool ${registration.peerPool.unusedBytes} bytes unused)`);
    if (registration.unconfirmed.length > 0) void this.confirmBlocks(registration);
    this.refiller.refillIfLow('local');
    this.refiller.refillIfLow('peer');
    return Promise.resolve();
  }

  get isRegistered(): boolean {
    return this.registration.isRegistered;
  }

  /** The last call to the hub got an answer (a hub that went down is noticed at the next call). */
  get isReachable(): boolean {
    return this.http.reachable;
  }

  /** The pool this client allocates from for this hub (ETSI Status counts keys from it). */
  get localPool() {
    return this.registration.localPool;
  }

  /** The pool the hub allocates from for this client (this client's copy). */
  get peerPool() {
    return this.registration.peerPool;
  }

  /** Registered and holding PSRD in both pools. */
  get isUsable(): boolean {
    return this.isRegistered && this.registration.localPool.unusedBytes > 0 && this.registration.peerPool.unusedBytes > 0;
  }

  private newRefiller(registration: HubRegistration): PsrdRefiller {
    return new PsrdRefiller(registration, (reg, owner, size) => this.fetchBlock(reg, owner, size), this.config, this.logger, this.hubName, (reg) => this.confirmBlocks(reg), () => this.flush());
  }

  /** Register, retrying every second until the hub answers; then fill both pools. */
  startRegistration(): Promise<void> {
    if (this.registering) return this.registering;
    this.registration.retire();
    const registration = new HubRegistration(++this.generations, this.store);
    this.registration = registration;
    this.refiller = this.newRefiller(registration);
    this.registering = (async () => {
      this.logger.log(`Begin register task for peer hub ${this.hubName}`);
      for (let attempt = 1; !this.closed; attempt++) {
        try {
          const answer = await this.oob.register(this.config.encryptors);
          if (answer !== undefined) {
            registration.registrationId = answer.registrationId;
            registration.acksInRequests = answer.acksInRequests;
            break;
          }
        } catch (error) {
          // A hub that stays down is logged at the first attempt and then once a minute, not every second.
          if (attempt === 1 || attempt % 60 === 0) this.logger.warn(`Register with peer hub ${this.hubName} failed (attempt ${attempt}, retrying every second): ${(error as Error).message}`);
        }
        await sleep(1000);
      }
      if (!this.closed) {
        registration.markRegistered();
        this.metrics?.registrations.inc({ peer: this.hubName });
      }
      this.registering = undefined;
      this.logger.log(`Finish register task for peer hub ${this.hubName}`);
      if (registration.isRegistered) {
        this.refiller.refillIfLow('local');
        this.refiller.refillIfLow('peer');
      }
    })();
    return this.registering;
  }

  /** Whether `registration` is the current one and registered: answers to older ones say nothing about now. */
  private isCurrent(registration: HubRegistration): boolean {
    return registration === this.registration && registration.isRegistered;
  }

  /**
   * A hub that lost its state answers client.unknown; one whose pools for us
   * were reset (someone registered our name afresh) names no block we sent
   * (psrd.unknown-block). Either way: start over with it, at once when the
   * hub signed the answer, else once its directory confirms (confirmStale).
   */
  private noteResponse(response: HubResponse | SignedAnswer, sentUnder: HubRegistration): void {
    if (!this.isCurrent(sentUnder)) return;
    const reason = staleRegistration(response);
    if (reason === undefined) return;
    if ('authenticated' in response && response.authenticated) {
      this.logger.warn(`Hub ${this.hubName} ${reason}; registering again`);
      void this.startRegistration();
      return;
    }
    this.confirmStale(reason, sentUnder);
  }

  /**
   * The hub signed an answer with a block we never got: its pool for us holds
   * blocks someone else fetched in our name (lab mode, where oob is open), which
   * its directory cannot show. Start over with it.
   */
  private noteOutOfStep(error: unknown, sentUnder: HubRegistration): void {
    if (isDskeError(error, 'psrd.unknown-block') && this.isCurrent(sentUnder)) {
      this.logger.warn(`Hub ${this.hubName} uses PSRD blocks this client does not hold; registering again`);
      void this.startRegistration();
    }
  }

  /**
   * An unsigned answer that says our registration is gone may be made up by
   * anyone on the path, and acting on it throws our PSRD away. So ask the
   * hub's directory first, and register again only when it does not list us
   * or lists another registration ID (our name was registered afresh). A hub
   * whose directory gives no registration IDs (an older hub) is believed.
   */
  private confirmStale(reason: string, sentUnder: HubRegistration): void {
    if (this.confirming) return;
    this.confirming = (async () => {
      try {
        const entry = (await this.encryptorDirectory(false)).find((c) => c.client_name === this.config.name);
        if (!this.isCurrent(sentUnder)) return;
        if (entry === undefined || entry.registration_id === undefined || sentUnder.registrationId === undefined || entry.registration_id !== sentUnder.registrationId) {
          this.logger.warn(`Hub ${this.hubName} ${reason}; registering again`);
          void this.startRegistration();
        } else {
          this.logger.warn(`Hub ${this.hubName}: an unsigned answer says it ${reason}, but its directory lists this client's registration unchanged; not registering again (a forged or stale answer)`);
        }
      } catch {
        // The directory did not answer: the next such answer, or the probe, asks again.
      } finally {
        this.confirming = undefined;
      }
    })();
  }

  /**
   * After the hub said it does not know us (restarted without state) or does
   * not hold our blocks, noteResponse started registering again (or checking
   * whether to): wait for that, at most one request timeout, so the caller
   * can send once more and the first key after a hub restart does not fail.
   */
  private async rejoined(answer: SignedAnswer): Promise<boolean> {
    if (staleRegistration(answer) === undefined) return false;
    await this.confirming;
    // Neither did this answer start a registration nor did one start since the call was sent: nothing to wait for.
    if (answer.registration === this.registration && !this.registering) return false;
    return this.whenRegistered();
  }

  /**
   * Registered now, or once the registration in progress ends (at most one
   * request timeout) when the hub is answering; a hub that is down is not
   * waited for, so requests do not stall on it.
   */
  private async whenRegistered(): Promise<boolean> {
    if (this.isRegistered) return true;
    if (!this.registering || !this.isReachable) return false;
    const timeout = sleep(this.config.requestTimeoutMs).then(() => false);
    return Promise.race([this.registering.then(() => this.isRegistered), timeout]);
  }

  /**
   * A registered hub whose last call got no answer is asked for its (cheap,
   * unsigned) encryptor directory until it answers, so status tells when it is
   * back; if it no longer lists this client, it restarted without state:
   * register again before a key request finds out.
   */
  async probe(): Promise<void> {
    if (!this.isRegistered || this.isReachable || this.probing || this.closed) return;
    this.probing = true;
    const sentUnder = this.registration;
    try {
      const entry = (await this.encryptorDirectory(false)).find((c) => c.client_name === this.config.name);
      const another = entry?.registration_id !== undefined && sentUnder.registrationId !== undefined && entry.registration_id !== sentUnder.registrationId;
      if (this.isCurrent(sentUnder) && (entry === undefined || another)) {
        this.logger.warn(`Hub ${this.hubName} is back and ${entry === undefined ? 'does not know this client' : 'has this client registered afresh'}; registering again`);
        void this.startRegistration();
      }
    } catch {
      // Still down: the next probe asks again.
    } finally {
      this.probing = false;
    }
  }

  /** One PSRD block from the hub for `registration`, checked to be what was asked for. */
  private async fetchBlock(registration: HubRegistration, owner: 'client' | 'hub', size: number): Promise<PsrdBlock> {
    const response = await this.oob.requestBlock(owner, size);
    this.noteResponse(response, registration);
    const block = this.oob.blockFrom(response, size);
    this.metrics?.psrdBlocks.inc({ peer: this.hubName, owner });
    return block;
  }

  /**
   * Tell the hub which of its blocks we hold, so it allocates from them. A
   * confirmation that fails stays listed and goes with the next one; a hub
   * without the endpoint (an older one) uses its blocks at once anyway.
   */
  private async confirmBlocks(registration: HubRegistration): Promise<void> {
    // Oldest first: the hub wipes waiting blocks older than the newest one named, which must be ones we never got.
    const uuids = registration.unconfirmed.slice(0, 64);
    if (uuids.length === 0) return;
    try {
      // The blocks are kept here before the hub may use them: a crash cannot make it sign with a block we lost.
      registration.journalRecord();
      await this.flush();
      const response = await this.oob.confirmBlocks(uuids);
      this.noteResponse(response, registration);
      if (response.status === 200 || response.status === 404) {
        registration.unconfirmed.splice(0, uuids.length);
        registration.journalRecord();
      }
    } catch {
      // Unreachable: the next confirmation names these blocks too.
    }
  }

  private async requireRegistered(): Promise<void> {
    if (!(await this.whenRegistered())) throw new HubCallError(this.hubName, 'unregistered', `hub ${this.hubName} is not registered yet`);
  }

  /** A signed call under the current registration once its pool holds `needed` bytes, with its answer noted and both pools topped up after. */
  private async signedCall(needed: number, send: (registration: HubRegistration) => Promise<SignedAnswer>): Promise<SignedAnswer> {
    const registration = this.registration;
    const refiller = this.refiller;
    try {
      // `send` allocates (pads, signing key) in the same synchronous step as the check that the pool holds `needed`.
      const answer = await refiller.withLocal(needed, () => send(registration));
      this.noteResponse(answer, registration);
      // The answer's signature bytes are written with the rest before the SAE's answer (KeyRelayService).
      return answer;
    } catch (error) {
      if (error instanceof BadSignature) this.noteOutOfStep(error.reason, registration);
      throw error;
    } finally {
      refiller.refillIfLow('local');
      refiller.refillIfLow('peer');
    }
  }

  /**
   * Encrypt this hub's share of each key under fresh local PSRD and store them
   * on the hub: one message for one key (key-share) or for many (key-shares).
   */
  async postShares(route: ShareRoute, shares: Array<{ keyId: string; data: Uint8Array }>): Promise<void> {
    await this.requireRegistered();
    const total = shares.reduce((n, s) => n + s.data.length, 0);
    await this.carryingAcks(async (acks) => {
      const send = () =>
        this.signedCall(total + SIGNING_KEY_BYTES, (registration) => this.signed.postShares(registration, this.index, this.config.name, route, shares, acks));
      let response = await send();
      if (await this.rejoined(response)) response = await send();
      // The hub had no PSRD left to sign its reply and stored nothing: top up the pool it allocates from, send again.
      for (let attempt = 0; attempt < PSRD_RETRIES && hubShortOfPsrd(response); attempt++) {
        await this.refiller.fillFor('peer', SIGNING_KEY_BYTES);
        response = await send();
      }
      if (response.status !== 200) throw refusal(this.hubName, response);
      return response;
    });
  }

  /**
   * Run a key-share exchange with the acknowledgements waiting for this hub
   * on board (when the hub reads them there); unless it ends in a 200, they
   * wait for the next message.
   */
  private async carryingAcks<T>(exchange: (acks: string[]) => Promise<T>): Promise<T> {
    const acks = this.registration.acksInRequests ? this.acks.take() : [];
    try {
      return await exchange(acks);
    } catch (error) {
      this.acks.giveBack(acks);
      throw error;
    }
  }

  /** Fetch and decrypt this hub's shares of the named keys (once; the hub deletes them). */
  async getShares(route: ShareRoute, keyIds: string[]): Promise<Array<{ x: number; data: Uint8Array }>> {
    await this.requireRegistered();
    const response = await this.carryingAcks(async (acks) => {
      const fetchOnce = () =>
        this.signedCall(SIGNING_KEY_BYTES, (registration) => this.signed.getShares(registration, this.config.name, route, keyIds, acks));
      let answer = await fetchOnce();
      if (await this.rejoined(answer)) answer = await fetchOnce();
      // The hub needs more of the pool it allocates from (large keys, or many fetches at once): fill it and ask
      // again, a bounded number of times. The hub keeps the shares until it can deliver them.
      for (let attempt = 0; attempt < PSRD_RETRIES && hubShortOfPsrd(answer); attempt++) {
        await this.refiller.fillFor('peer', this.boundedNeed(answer, keyIds.length));
        answer = await fetchOnce();
      }
      if (answer.status !== 200) throw refusal(this.hubName, answer);
      return answer;
    });
    try {
      // The pads are used: written before the key is handed to anyone (KeyRelayService, once for all hubs).
      return this.signed.openShares(response, keyIds);
    } catch (error) {
      this.noteOutOfStep(error, response.registration);
      throw new HubCallError(this.hubName, 'bad-response', `hub ${this.hubName} sent unusable shares: ${(error as Error).message}`);
    } finally {
      this.refiller.refillIfLow('peer');
    }
  }

  /**
   * The keys are recovered: the hub may delete its shares of them. They ride
   * on the next key-share message to this hub, or go in one of their own
   * (at once to a hub that reads them only in key-share-acks). Best effort: a
   * hub that does not hear it keeps the shares until they expire.
   */
  acknowledge(keyIds: readonly string[]): void {
    if (this.isRegistered) this.acks.add(keyIds);
  }

  private async sendAcks(keyIds: string[]): Promise<void> {
    if (!this.isRegistered) return;
    const response = await this.signedCall(SIGNING_KEY_BYTES, (registration) => this.signed.ackShares(registration, this.config.name, keyIds));
    if (response.status !== 200) throw refusal(this.hubName, response);
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
  encryptorDirectory(logFailure = true): Promise<DirectoryEntry[]> {
    return this.oob.directory(logFailure);
  }

  poolsStatus(preview: boolean) {
    return { local_pool: this.registration.localPool.status(preview), peer_pool: this.registration.peerPool.status(preview) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.acks.close();
    // What is marked goes to the store first: the wipe below must not reach it as "used up".
    await this.state.journal.flush().catch(() => undefined);
    this.registration.release();
    await this.http.close();
  }
}
