import { Inject, Injectable } from '@nestjs/common';
import { SIGNING_KEY_BYTES, otpXor, verifyMessage } from '@dske/core';
import { ApiError, RawMessage } from '@dske/service-runtime';
import { HUB_CONFIG, HubConfig } from '../hub-config';
import { PeerClient, PeerClientRegistry } from '../peers/peer-client-registry';
import { SHARE_STORE, ShareStore } from '../shares/share-store';
import { GetKeyShareQueryDto, GetKeyShareResponseDto, PostKeyShareDto } from '../dto';

/** The hub's half of DSKE: accept a share from the initiator, hand it once to the responder's client. */
@Injectable()
export class KeyShareService {
  constructor(
    private readonly registry: PeerClientRegistry,
    @Inject(SHARE_STORE) private readonly store: ShareStore,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  /** Checks in PROTOCOL.md order; the share is stored only when all pass. */
  async accept(body: PostKeyShareDto, raw: RawMessage): Promise<PeerClient> {
    const client = this.registry.get(body.master_client_name);
    verifyMessage(client.peerPool, raw.signature, raw.query, raw.body);
    if (!client.serves(body.master_sae_id)) {
      throw new ApiError(400, 'sae.not-served', `encryptor ${body.master_sae_id} is not attached to client ${client.name}`);
    }
    if (await this.store.peek(body.user_key_id)) {
      throw new ApiError(400, 'share.exists', `a share for key ${body.user_key_id} is already stored`);
    }
    const encrypted = Buffer.from(body.encrypted_share_value, 'base64');
    const pad = client.peerPool.take(body.encryption_key_allocation.fragments, encrypted.length);
    const share = Buffer.from(otpXor(encrypted, pad)).toString('base64');
    const stored = await this.store.put(
      {
        user_key_id: body.user_key_id,
        master_client_name: client.name,
        master_sae_id: body.master_sae_id,
        slave_sae_id: body.slave_sae_id,
        share_index: body.share_index,
        share,
      },
      this.config.shareTimeoutSecs,
    );
    if (!stored) throw new ApiError(400, 'share.exists', `a share for key ${body.user_key_id} is already stored`);
    return client;
  }

  async deliver(query: GetKeyShareQueryDto, raw: RawMessage): Promise<{ client: PeerClient; body: GetKeyShareResponseDto }> {
    const client = this.registry.get(query.client_name);
    verifyMessage(client.peerPool, raw.signature, raw.query, raw.body);
    if (!client.serves(query.slave_sae_id)) {
      throw new ApiError(401, 'sae.not-served', `client ${client.name} does not serve encryptor ${query.slave_sae_id}`);
    }
    const notFound = () => new ApiError(400, 'share.not-found', `no share for key ${query.key_id} (unknown, expired or already delivered)`);
    const share = await this.store.peek(query.key_id);
    if (!share) throw notFound();
    if (share.master_sae_id !== query.master_sae_id || share.slave_sae_id !== query.slave_sae_id) {
      throw new ApiError(401, 'share.wrong-pair', `key ${query.key_id} was not made for ${query.master_sae_id} -> ${query.slave_sae_id}`);
    }
    const value = Buffer.from(share.share, 'base64');
    const needed = value.length + SIGNING_KEY_BYTES;
    if (client.localPool.unusedBytes < needed) {
      // The client refills its hub-allocated pool and asks again; the share stays.
      throw new ApiError(503, 'psrd.exhausted', `hub pool for client ${client.name} holds ${client.localPool.unusedBytes} bytes, ${needed} needed`, { needed_bytes: needed });
    }
    const allocation = client.localPool.allocate(value.length);
    if (!(await this.store.remove(query.key_id))) {
      // Someone else fetched it in between; these bytes never left the hub.
      client.localPool.giveBack(allocation);
      throw notFound();
    }
    return {
      client,
      body: {
        share_index: share.share_index,
        encryption_key_allocation: allocation.toWire(),
        encrypted_share_value: Buffer.from(otpXor(value, allocation.bytes)).toString('base64'),
      },
    };
  }
}
