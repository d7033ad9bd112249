import { Logger } from '@nestjs/common';
import { DirectoryEntry, SIGNING_KEY_BYTES } from '@dske/core';
import { ClientConfig } from '../client-config';
import { ETSI_LIMITS } from '../etsi/etsi-limits';
import { errorBody, errorCode, HubCallError, hubShortOfPsrd, refusal } from './hub-errors';
import { HubHttp, HubResponse, HubTransport, type HubCallObserver } from './hub-http';
import type { ClientMetrics } from '../metrics/client-metrics';
import type { HubRegistration } from './hub-registration';
import { HubOobClient } from './hub-oob-client';
import { HubRegistrar } from './hub-registrar';
import { ClientState } from '../state/client-state';
import { StateUnavailableError } from '@dske/node-state';
import { PSRD_RETRIES, PsrdRefiller } from './psrd-refiller';
import { ACK_LINGER_MS, AckQueue } from './ack-queue';
import { BadSignature, SignedAnswer, SignedHubClient, type ShareRoute } from './signed-hub-client';

export { HubCallError } from './hub-errors';
export type { ShareRoute } from './signed-hub-client';

/** Largest share a hub can hold for us: a share is as long as its key (ETSI max_key_size). */
const MAX_SHARE_BYTES = ETSI_LIMITS.maxKeySizeBits / 8;

/**
 * Everything this client shares with one hub: the share transfers (signed,
 * with the acknowledgements riding on them) on top of the registration that
 * HubRegistrar keeps (it comes and goes: the hub may restart without state,
 * or someone may register our name afresh). Signing and the share messages
 * are SignedHubClient's, the out-of-band calls HubOobClient's, error codes
 * hub-errors'.
 */
export class HubConnection {
  readonly hubName: string;
  private readonly http: HubTransport;
  private readonly signed: SignedHubClient;
  private readonly oob: HubOobClient;
  private readonly registrar: HubRegistrar;
  /** Recovered keys this hub has not been told of yet: they ride on the next key-share message, or go on their own. */
  private readonly acks = new AckQueue(
    (keyIds) => this.sendAcks(keyIds),
    () => (this.registrar.current.acksInRequests ? ACK_LINGER_MS : 0),
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
    logger: Logger,
    transport?: HubTransport,
    private readonly state: ClientState = ClientState.memoryOnly(),
    metrics?: ClientMetrics,
  ) {
    const parsed = new URL(url);
    this.hubName = decodeURIComponent(parsed.pathname.split('/').filter(Boolean).pop() ?? parsed.host);
    const observe: HubCallObserver | undefined = metrics && ((route, status, response, seconds) => metrics.observeHubCall(this.hubName, route, status, response && errorCode(response), seconds));
    this.http = transport ?? new HubHttp(parsed, config.requestTimeoutMs, logger, config.tls, observe);
    this.signed = new SignedHubClient(this.http, this.hubName, config.signatureVersion ?? 2, () => this.flush());
    this.oob = new HubOobClient(this.http, this.hubName, config.name);
    this.registrar = new HubRegistrar(this.hubName, config, logger, this.oob, state, () => this.http.reachable, () => this.flush(), metrics);
  }

  /** At start: resume the registration kept from before a restart, or register. */
  start(): Promise<void> {
    return this.registrar.start();
  }

  /** Register (again), retrying every second until the hub answers; then fill both pools. */
  startRegistration(): Promise<void> {
    return this.registrar.startRegistration();
  }

  /** A registered hub that stopped answering: ask whether it is back, and whether it still knows us. */
  probe(): Promise<void> {
    return this.registrar.probe();
  }

  private get registration(): HubRegistration {
    return this.registrar.current;
  }

  private get refiller(): PsrdRefiller {
    return this.registrar.refiller;
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

  get isRegistered(): boolean {
    return this.registrar.isRegistered;
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

  private async requireRegistered(): Promise<void> {
    if (!(await this.registrar.whenRegistered())) throw new HubCallError(this.hubName, 'unregistered', `hub ${this.hubName} is not registered yet`);
  }

  /** A signed call under the current registration once its pool holds `needed` bytes, with its answer noted and both pools topped up after. */
  private async signedCall(needed: number, send: (registration: HubRegistration) => Promise<SignedAnswer>): Promise<SignedAnswer> {
    const registration = this.registration;
    const refiller = this.refiller;
    const localBefore = registration.localPool.unusedBytes;
    try {
      // `send` allocates (pads, signing key) in the same synchronous step as the check that the pool holds `needed`.
      const answer = await refiller.withLocal(needed, () => send(registration));
      this.registrar.noteResponse(answer, registration);
      // The answer's signature bytes are written with the rest before the SAE's answer (KeyRelayService).
      return answer;
    } catch (error) {
      if (error instanceof BadSignature) this.registrar.noteOutOfStep(error.reason, registration);
      throw error;
    } finally {
      refiller.refillIfLow('local', localBefore - registration.localPool.unusedBytes);
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
      if (await this.registrar.rejoined(response)) response = await send();
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
    const registration = this.registration;
    const peerBefore = registration.peerPool.unusedBytes;
    const response = await this.carryingAcks(async (acks) => {
      const fetchOnce = () =>
        this.signedCall(SIGNING_KEY_BYTES, (registration) => this.signed.getShares(registration, this.config.name, route, keyIds, acks));
      let answer = await fetchOnce();
      if (await this.registrar.rejoined(answer)) answer = await fetchOnce();
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
      this.registrar.noteOutOfStep(error, response.registration);
      throw new HubCallError(this.hubName, 'bad-response', `hub ${this.hubName} sent unusable shares: ${(error as Error).message}`);
    } finally {
      // What the hub allocated for this answer (pads and signature): the next fetch like it should find as much.
      // (A registration made meanwhile has pools of its own: nothing of this answer is in them.)
      this.refiller.refillIfLow('peer', this.registration === registration ? peerBefore - registration.peerPool.unusedBytes : 0);
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
    this.registrar.close();
    this.acks.close();
    // What is marked goes to the store first: the wipe below must not reach it as "used up".
    await this.state.journal.flush().catch(() => undefined);
    this.registration.release();
    await this.http.close();
  }
}
