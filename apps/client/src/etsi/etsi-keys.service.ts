import { Inject, Injectable, Optional } from '@nestjs/common';
import { ClientMetrics } from '../metrics/client-metrics';
import { SIGNING_KEY_BYTES } from '@dske/core';
import { ApiError } from '@dske/service-runtime';
import { CLIENT_CONFIG, ClientConfig } from '../client-config';
import { KeyRelayService, RelayError } from '../keys/key-relay.service';
import { PeerHubs } from '../peers/peer-hubs';
import { SaeCredentials } from './caller-sae';
import { SaeDirectory } from '../peers/sae-directory';
import { ETSI_LIMITS } from './etsi-limits';
import { KeyContainerDto, StatusDto } from './etsi.dto';

export interface KeyRequest {
  number?: number;
  size?: number;
  additional_slave_SAE_IDs?: string[];
  extension_mandatory?: Record<string, unknown>[];
}

const badRequest = (message: string) => new ApiError(400, 'etsi.bad-request', message);

/** ETSI GS QKD 014 semantics on top of the key relay: who may ask, limits, shapes. */

/** What the service needs of an HTTP response (node's ServerResponse has it, whatever the framework). */
export interface AnswerEvents {
  once(event: 'finish' | 'close', listener: () => void): unknown;
  readonly writableFinished: boolean;
}

@Injectable()
export class EtsiKeysService {
  constructor(
    private readonly relay: KeyRelayService,
    private readonly peers: PeerHubs,
    private readonly directory: SaeDirectory,
    @Inject(CLIENT_CONFIG) private readonly config: ClientConfig,
    @Optional() private readonly metrics?: ClientMetrics,
  ) {}

  /**
   * The caller's SAE ID, which must be attached to this KME. With TLS it
   * comes only from a client certificate chained to the configured CA; in
   * lab mode from the bearer token.
   */
  authorize(credentials: SaeCredentials): string {
    let caller: string | undefined;
    if (this.config.tls) {
      const tls = credentials.tls;
      if (!tls) throw new ApiError(401, 'etsi.unauthorized', 'a client certificate is required');
      if (!tls.authorized) throw new ApiError(401, 'etsi.unauthorized', `client certificate not accepted: ${tls.error ?? 'no certificate sent'}`);
      caller = this.config.tls.saeIdFrom === 'san' ? tls.dnsNames[0] : tls.commonName;
      if (!caller) throw new ApiError(401, 'etsi.unauthorized', `client certificate has no ${this.config.tls.saeIdFrom === 'san' ? 'DNS subjectAltName' : 'subject CN'}`);
    } else {
      // The reference's lab rules: the bare SAE ID counts as well as Bearer, and a client with one encryptor
      // takes a request without the header as coming from it ("easier for curl").
      caller = credentials.labSae ?? (!credentials.authorization && this.config.encryptors.length === 1 ? this.config.encryptors[0] : undefined);
      if (!caller) throw new ApiError(401, 'etsi.unauthorized', 'no SAE identity: send Authorization: Bearer <SAE ID>');
    }
    if (!this.config.encryptors.includes(caller)) {
      throw new ApiError(401, 'etsi.unauthorized', `SAE ${caller} is not attached to KME ${this.config.name}`);
    }
    return caller;
  }

  /**
   * The KME serving a peer SAE ('' when the hubs route it and no directory
   * says where: see SaeDirectory); an SAE no hub has heard of is a 400.
   */
  private async peerKme(sae: string, role: 'slave' | 'master'): Promise<string> {
    const found = await this.directory.lookup(sae);
    if (found === undefined) throw badRequest(`${role}_SAE_ID ${sae} is not known to any hub`);
    return 'kme' in found ? found.kme : '';
  }

  async status(master: string, slave: string): Promise<StatusDto> {
    if (master === slave) throw badRequest('master_SAE_ID and slave_SAE_ID shall differ');
    const targetKme = await this.peerKme(slave, 'slave');
    const keySize = ETSI_LIMITS.defaultKeySizeBits;
    const perKey = keySize / 8 + SIGNING_KEY_BYTES;
    // Hubs that did not answer the last call cannot take a share now: they do not count.
    const capacities = this.peers.hubs.filter((h) => h.isRegistered && h.isReachable).map((h) => Math.floor(h.localPool.unusedBytes / perKey));
    const kth = capacities.sort((a, b) => b - a)[this.config.minNrShares - 1] ?? 0;
    // Refill stops at the stop threshold, but its last block can overshoot by up to a block less one byte
    // (and a stream of large requests stocks more): max_key_count is never below stored_key_count.
    const fullPool = this.config.stopRequestPsrdThreshold + this.config.getPsrdBlockSize - 1;
    const maxKeyCount = Math.max(kth, Math.floor(fullPool / perKey));
    return {
      source_KME_ID: this.config.name,
      target_KME_ID: targetKme,
      master_SAE_ID: master,
      slave_SAE_ID: slave,
      key_size: keySize,
      stored_key_count: kth,
      max_key_count: maxKeyCount,
      max_key_per_request: ETSI_LIMITS.maxKeyPerRequest,
      max_key_size: ETSI_LIMITS.maxKeySizeBits,
      min_key_size: ETSI_LIMITS.minKeySizeBits,
      max_SAE_ID_count: ETSI_LIMITS.maxSaeIdCount,
    };
  }

  /** `answer`: the HTTP response the keys go out in; they count as delivered once it is sent. */
  async getKeys(master: string, slave: string, request: KeyRequest, answer?: AnswerEvents): Promise<KeyContainerDto> {
    const number = request.number ?? 1;
    const size = request.size ?? ETSI_LIMITS.defaultKeySizeBits;
    if (master === slave) throw badRequest('master_SAE_ID and slave_SAE_ID shall differ');
    if (number < 1) throw badRequest('number shall be at least 1');
    if (number > ETSI_LIMITS.maxKeyPerRequest) throw badRequest(`requested number of keys exceeds max_key_per_request (${ETSI_LIMITS.maxKeyPerRequest})`);
    if (size % 8 !== 0) throw badRequest('size shall be a multiple of 8');
    if (size < ETSI_LIMITS.minKeySizeBits) throw badRequest(`requested key size is below min_key_size (${ETSI_LIMITS.minKeySizeBits})`);
    if (size > ETSI_LIMITS.maxKeySizeBits) throw badRequest(`requested key size exceeds max_key_size (${ETSI_LIMITS.maxKeySizeBits})`);
    if ((request.additional_slave_SAE_IDs?.length ?? 0) > ETSI_LIMITS.maxSaeIdCount) {
      throw badRequest(`additional_slave_SAE_IDs are not supported (max_SAE_ID_count is ${ETSI_LIMITS.maxSaeIdCount})`);
    }
    if ((request.extension_mandatory?.length ?? 0) > 0) throw badRequest('not all extension_mandatory parameters are supported');
    await this.peerKme(slave, 'slave');
    try {
      const keys = await this.relay.makeKeys({ master_sae_id: master, slave_sae_id: slave }, size / 8, number);
      this.metrics?.keysMade.inc(keys.length);
      this.whenSent(answer, () => this.metrics?.keysDelivered.inc({ role: 'master' }, keys.length));
      return { keys: keys.map((k) => ({ key_ID: k.keyId, key: Buffer.from(k.key).toString('base64') })) };
    } catch (error) {
      throw this.relayFailure(error);
    }
  }

  /**
   * `answer`: the HTTP response the keys go out in. The hubs hear that the
   * keys are recovered (and may delete their shares) once it is sent; if it
   * is not (the SAE hung up), the keys may be fetched again. Without it, at once.
   */
  async getKeysWithIds(master: string, slave: string, keyIds: string[], answer?: AnswerEvents): Promise<KeyContainerDto> {
    // UUIDs compare without regard to case (hubs store them in lower case).
    if (new Set(keyIds.map((id) => id.toLowerCase())).size !== keyIds.length) throw badRequest('key_IDs shall not repeat');
    if (master === slave) throw badRequest('master_SAE_ID and slave_SAE_ID shall differ');
    await this.peerKme(master, 'master');
    try {
      const route = { master_sae_id: master, slave_sae_id: slave };
      const keys = await this.relay.fetchKeys(route, keyIds);
      this.whenSent(answer, () => {
        this.relay.handedOut(route, keyIds);
        this.metrics?.keysDelivered.inc({ role: 'slave' }, keyIds.length);
      });
      answer?.once('close', () => {
        if (!answer.writableFinished) this.relay.notHandedOut(route, keyIds);
      });
      return { keys: keys.map((k) => ({ key_ID: k.keyId, key: Buffer.from(k.key).toString('base64') })) };
    } catch (error) {
      throw this.relayFailure(error);
    }
  }

  /** Once the answer went out (at once without one). */
  private whenSent(answer: AnswerEvents | undefined, sent: () => void): void {
    if (answer === undefined) sent();
    else answer.once('finish', sent);
  }

  private relayFailure(error: unknown): unknown {
    if (!(error instanceof RelayError)) return error;
    const details = error.failures.map((f) => ({ ...f }));
    if (error.kind === 'not-found') return new ApiError(400, 'etsi.keys-not-found', 'one or more keys specified are not found on KME', details);
    if (error.kind === 'unauthorized') return new ApiError(401, 'etsi.unauthorized', 'one or more keys specified were not made for this SAE pair', details);
    return new ApiError(503, 'etsi.hubs-unavailable', error.message, details);
  }
}
