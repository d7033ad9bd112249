import { randomBytes, randomUUID } from 'node:crypto';
import {
  Allocation, ClientStatus, Fragment, HubStatus, PoolStatus, PostKeyShareRequest, PsrdBlock, PsrdPool, PsrdResponse, SIGNATURE_HEADER, SIGNING_KEY_BYTES,
  computeMac, formatSignature, otpXor,
} from '@dske/core';
import { httpJson, JsonResponse } from '@dske/test-support';

/** Hub error body (every non-ETSI path). */
export interface HubErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
}

/** Sum of nr_used_bytes over a pool's blocks. */
export const usedBytes = (pool: PoolStatus): number => pool.blocks.reduce((sum, b) => sum + b.nr_used_bytes, 0);
export const unusedBytes = (pool: PoolStatus): number => pool.blocks.reduce((sum, b) => sum + b.nr_unused_bytes, 0);

export async function hubStatus(hubUrl: string, headers: Record<string, string> = {}): Promise<HubStatus> {
  const response = await httpJson<HubStatus>('GET', `${hubUrl}/mgmt/v1/status`, { headers });
  if (response.status !== 200) throw new Error(`hub status answered ${response.status}: ${response.text}`);
  return response.body;
}

export async function clientStatus(clientUrl: string, headers: Record<string, string> = {}): Promise<ClientStatus> {
  const response = await httpJson<ClientStatus>('GET', `${clientUrl}/mgmt/v1/status`, { headers });
  if (response.status !== 200) throw new Error(`client status answered ${response.status}: ${response.text}`);
  return response.body;
}

/** What a hub's mgmt status says about one peer client: its two pools' used bytes. */
export async function hubView(hubUrl: string, clientName: string): Promise<{ local: number; peer: number }> {
  const peer = (await hubStatus(hubUrl)).peer_clients.find((c) => c.client_name === clientName);
  if (!peer) throw new Error(`hub at ${hubUrl} does not know client ${clientName}`);
  return { local: usedBytes(peer.local_pool), peer: usedBytes(peer.peer_pool) };
}

export async function sharesOn(hubUrl: string): Promise<HubStatus['shares']> {
  return (await hubStatus(hubUrl)).shares;
}

/**
 * A DSKE client written for the tests, independent of apps/client: it
 * registers with one hub, takes PSRD blocks for both pools (so its pools
 * mirror the hub's), and signs exactly the bytes it sends.
 */
export class SignedPeer {
  /** Client allocates: the hub's peer pool for this client. */
  readonly localPool = new PsrdPool('local');
  /** Hub allocates: the hub's local pool for this client. */
  readonly peerPool = new PsrdPool('peer');

  private constructor(
    readonly hubUrl: string,
    readonly name: string,
    readonly encryptors: string[],
  ) {}

  static async register(hubUrl: string, name: string, encryptors: string[], blockSize = 2000): Promise<SignedPeer> {
    const peer = new SignedPeer(hubUrl, name, encryptors);
    const registered = await httpJson<{ hub_name: string }>('PUT', `${hubUrl}/dske/oob/v1/registration`, { body: { client_name: name, encryptor_names: encryptors } });
    if (registered.status !== 200) throw new Error(`registration answered ${registered.status}: ${registered.text}`);
    await peer.takeBlock('client', blockSize);
    await peer.takeBlock('hub', blockSize);
    return peer;
  }

  async takeBlock(owner: 'client' | 'hub', size: number): Promise<void> {
    const query = new URLSearchParams({ client_name: this.name, pool_owner: owner, size: String(size) }).toString();
    const response = await httpJson<PsrdResponse>('GET', `${this.hubUrl}/dske/oob/v1/psrd?${query}`);
    if (response.status !== 200) throw new Error(`psrd answered ${response.status}: ${response.text}`);
    const block = new PsrdBlock(response.body.block_uuid, Buffer.from(response.body.data, 'base64'));
    (owner === 'client' ? this.localPool : this.peerPool).addBlock(block);
  }

  /** 32 fresh bytes from the local pool: a signing key the hub has not seen used. */
  signingKey(size = SIGNING_KEY_BYTES): Allocation {
    return this.localPool.allocate(size);
  }

  /** Header value for query + body under the given key (fresh by default). */
  sign(query: string, body: string, key: Allocation = this.signingKey()): string {
    return signWith(key.fragments, key.bytes, query, body);
  }

  /** A share body for this client's first encryptor, padded with fresh local bytes. */
  shareRequest(overrides: Partial<PostKeyShareRequest> = {}, shareLength = 32, padLength = shareLength): { request: PostKeyShareRequest; share: Uint8Array } {
    const share = randomBytes(shareLength);
    const pad = this.localPool.allocate(padLength);
    const padded = padLength === shareLength ? pad.bytes : Uint8Array.from({ length: shareLength }, (_, i) => pad.bytes[i % padLength]);
    const request: PostKeyShareRequest = {
      master_client_name: this.name,
      master_sae_id: this.encryptors[0],
      slave_sae_id: 'nobody',
      user_key_id: randomUUID(),
      share_index: 0,
      encryption_key_allocation: pad.toWire(),
      encrypted_share_value: Buffer.from(otpXor(share, padded)).toString('base64'),
      ...overrides,
    };
    return { request, share };
  }

  /** POST exactly `body` with `signature` (omit the header with null). */
  postShare(body: string, signature: string | null, contentType = 'application/json'): Promise<JsonResponse<HubErrorBody & { hub_name: string; user_key_id: string }>> {
    return httpJson('POST', `${this.hubUrl}/dske/api/v1/key-share`, {
      rawBody: body,
      headers: { 'content-type': contentType, ...(signature === null ? {} : { [SIGNATURE_HEADER]: signature }) },
    });
  }

  /** GET with exactly `query` (no '?') and `signature`. */
  getShare(query: string, signature: string | null): Promise<JsonResponse<HubErrorBody & GetShareBody>> {
    return httpJson('GET', `${this.hubUrl}/dske/api/v1/key-share?${query}`, {
      headers: signature === null ? {} : { [SIGNATURE_HEADER]: signature },
    });
  }

  /** Acknowledge recovered keys (signed v1): their shares on the hub go. */
  ack(keyIds: string[]): Promise<JsonResponse<HubErrorBody & { removed: number }>> {
    const body = JSON.stringify({ client_name: this.name, key_ids: keyIds });
    return httpJson('POST', `${this.hubUrl}/dske/api/v1/key-share-acks`, { rawBody: body, headers: { [SIGNATURE_HEADER]: this.sign('', body) } });
  }

  getShareQuery(fields: { master_sae_id: string; slave_sae_id: string; key_id: string; client_name?: string }): string {
    return new URLSearchParams({ client_name: fields.client_name ?? this.name, master_sae_id: fields.master_sae_id, slave_sae_id: fields.slave_sae_id, key_id: fields.key_id }).toString();
  }
}

export interface GetShareBody {
  share_index: number;
  encryption_key_allocation: { fragments: Fragment[] };
  encrypted_share_value: string;
}

export function signWith(fragments: readonly Fragment[], key: Uint8Array, query: string, body: string): string {
  return formatSignature(fragments, computeMac(key, query, body));
}
