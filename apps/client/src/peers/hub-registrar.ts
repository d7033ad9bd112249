/**
 * The life cycle of this client's registration with one hub: resume the one
 * kept from before a restart or register (retrying every second), notice
 * when the hub lost it (a signed "unknown client", or an unsigned one its
 * directory confirms), register again, and keep the current registration's
 * pools filled through its refiller. Each registration is an object of its
 * own (HubRegistration, one per generation, owning its pools): an answer to
 * an older one says nothing about now. The share transfers on top are
 * HubConnection's.
 */
import type { Logger } from '@nestjs/common';
import { isDskeError, type PsrdBlock } from '@dske/core';
import type { ClientConfig } from '../client-config';
import type { ClientMetrics } from '../metrics/client-metrics';
import type { ClientState } from '../state/client-state';
import { staleRegistration } from './hub-errors';
import type { HubResponse } from './hub-http';
import type { HubOobClient } from './hub-oob-client';
import { HubRegistration, type RegistrationStore } from './hub-registration';
import { PsrdRefiller } from './psrd-refiller';
import type { SignedAnswer } from './signed-hub-client';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class HubRegistrar {
  private registration: HubRegistration;
  private refills: PsrdRefiller;
  private registering?: Promise<void>;
  private generations = 0;
  private probing = false;
  /** A check of the hub's directory after an unsigned "your registration is gone" (confirmStale). */
  private confirming?: Promise<void>;
  private closed = false;
  /** Where registrations are journaled (undefined: memory only). */
  private readonly store: RegistrationStore | undefined;

  /**
   * `reachable`: whether the last call to the hub got an answer. `flush`:
   * the client's write-ahead (a store that does not take it fails the call).
   */
  constructor(
    private readonly hubName: string,
    private readonly config: ClientConfig,
    private readonly logger: Logger,
    private readonly oob: HubOobClient,
    state: ClientState,
    private readonly reachable: () => boolean,
    private readonly flush: () => Promise<void>,
    private readonly metrics?: ClientMetrics,
  ) {
    this.store = state.journal.durable ? { journal: state.journal, hubName, encryptors: config.encryptors } : undefined;
    const kept = state.take(hubName);
    if (kept && this.store && HubRegistration.fits(kept, config.encryptors)) {
      this.registration = new HubRegistration(kept.record.generation, this.store, kept);
      this.generations = kept.record.generation;
    } else {
      // A kept registration that does not fit goes, in the store too (its blocks would come back into a later one).
      if (kept) state.forget(hubName, kept);
      this.registration = new HubRegistration(0, this.store);
    }
    this.refills = this.newRefiller(this.registration);
  }

  /** The current registration (its pools, its ID); it changes when the hub is registered with again. */
  get current(): HubRegistration {
    return this.registration;
  }

  /** The current registration's refiller. */
  get refiller(): PsrdRefiller {
    return this.refills;
  }

  get isRegistered(): boolean {
    return this.registration.isRegistered;
  }

  /** No more registering or refilling: the client is stopping. */
  close(): void {
    this.closed = true;
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
    this.refills.refillIfLow('local');
    this.refills.refillIfLow('peer');
    return Promise.resolve();
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
    this.refills = this.newRefiller(registration);
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
        this.refills.refillIfLow('local');
        this.refills.refillIfLow('peer');
      }
    })();
    return this.registering;
  }

  /** Whether `registration` is the current one and registered: answers to older ones say nothing about now. */
  isCurrent(registration: HubRegistration): boolean {
    return registration === this.registration && registration.isRegistered;
  }

  /**
   * A hub that lost its state answers client.unknown; one whose pools for us
   * were reset (someone registered our name afresh) names no block we sent
   * (psrd.unknown-block). Either way: start over with it, at once when the
   * hub signed the answer, else once its directory confirms (confirmStale).
   */
  noteResponse(response: HubResponse | SignedAnswer, sentUnder: HubRegistration): void {
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
  noteOutOfStep(error: unknown, sentUnder: HubRegistration): void {
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
        const entry = (await this.oob.directory(false)).find((c) => c.client_name === this.config.name);
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
  async rejoined(answer: SignedAnswer): Promise<boolean> {
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
  async whenRegistered(): Promise<boolean> {
    if (this.isRegistered) return true;
    if (!this.registering || !this.reachable()) return false;
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
    if (!this.isRegistered || this.reachable() || this.probing || this.closed) return;
    this.probing = true;
    const sentUnder = this.registration;
    try {
      const entry = (await this.oob.directory(false)).find((c) => c.client_name === this.config.name);
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

}
