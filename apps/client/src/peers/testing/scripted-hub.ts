import { randomUUID } from 'node:crypto';
import { otpXor, PsrdBlock, PsrdPool, SIGNATURE_HEADER, SIGNING_KEY_BYTES, signatureAllocation, signWithKey, verifyMessage, type Fragment, type SignatureVersion } from '@dske/core';
import type { HubRequestOptions, HubResponse, HubTransport } from '../hub-http';

export interface RecordedCall {
  method: string;
  path: string;
  query: string;
}

/** Answers the next call for which it returns something (a response, or a promise the test resolves later). */
export type Override = (call: RecordedCall, options: HubRequestOptions) => Promise<HubResponse> | undefined;

const json = (status: number, body: object, headers: Record<string, string> = {}): HubResponse => ({ status, headers, body: Buffer.from(JSON.stringify(body)) });
export const hubError = (status: number, code: string) => json(status, { statusCode: status, error: 'Error', code, message: code });

interface HeldShare {
  share_index: number;
  data: Uint8Array;
}

/**
 * A hub in memory for the client's unit tests, speaking the same protocol as
 * apps/hub (registration, PSRD, signed key shares both ways) with pools of
 * its own, plus hooks: `forget()` is a restart without state, `down` makes
 * every call fail like a refused connection, and `override` scripts one call.
 */
export class ScriptedHub implements HubTransport {
  readonly calls: RecordedCall[] = [];
  /** Blocks the client allocates from (pool_owner=client): the hub takes what the client names. */
  peerPool = new PsrdPool('peer');
  /** Blocks the hub allocates from (pool_owner=hub). */
  localPool = new PsrdPool('local');
  known = false;
  /** The current registration's ID, as the hub's answer and directory give it. */
  registrationId = '';
  down = false;
  /** false: no encryptor directory (404), as the reference's hubs. */
  directory = true;
  /** Says acks_in_requests when the client registers, and reads acknowledged_key_ids, as apps/hub does; false: like an older hub. */
  acksInRequests = false;
  readonly shares = new Map<string, HeldShare>();
  /** Every key ID acknowledged to this hub, in order, and how (in a message of its own, or on a key-share message). */
  readonly acknowledged: Array<{ keyId: string; via: 'key-share-acks' | 'key-share' }> = [];
  private readonly overrides: Override[] = [];
  private answered = true;

  get reachable(): boolean {
    return this.answered;
  }

  /** Script the next call that `override` answers (it returns undefined for calls it leaves alone). */
  override(override: Override): void {
    this.overrides.push(override);
  }

  /** A restart without state: the hub no longer knows the client, and its pools are gone. */
  forget(): void {
    this.known = false;
    this.peerPool = new PsrdPool('peer');
    this.localPool = new PsrdPool('local');
  }

  count(method: string, path: string): number {
    return this.calls.filter((c) => c.method === method && c.path.endsWith(path)).length;
  }

  async request(method: 'GET' | 'PUT' | 'POST', path: string, options: HubRequestOptions = {}): Promise<HubResponse> {
    const call = { method, path, query: options.query ?? '' };
    this.calls.push(call);
    if (this.down) {
      this.answered = false;
      throw new Error('connect ECONNREFUSED');
    }
    this.answered = true;
    for (const [i, override] of this.overrides.entries()) {
      const answer = override(call, options);
      if (answer !== undefined) {
        this.overrides.splice(i, 1);
        return answer;
      }
    }
    return this.answer(call, options);
  }

  private answer(call: RecordedCall, options: HubRequestOptions): HubResponse {
    const query = new URLSearchParams(call.query);
    if (call.method === 'PUT' && call.path.endsWith('/registration')) {
      this.forget();
      this.known = true;
      this.registrationId = randomUUID();
      return json(200, { hub_name: 'hx', registration_id: this.registrationId, ...(this.acksInRequests ? { acks_in_requests: true } : {}) });
    }
    if (call.path.endsWith('/psrd-confirmation')) return json(200, { confirmed: (JSON.parse(options.body ?? '{}') as { block_uuids: string[] }).block_uuids });
    if (call.path.endsWith('/encryptors') && !this.directory) return json(404, { detail: 'Not Found' });
    if (call.path.endsWith('/encryptors')) return json(200, { clients: this.known ? [{ client_name: 'ca', encryptor_names: ['sa'], registration_id: this.registrationId }] : [] });
    if (!this.known) return hubError(400, 'client.unknown');
    if (call.path.endsWith('/psrd')) {
      const block = PsrdBlock.random(Number(query.get('size')));
      const data = Buffer.from(block.read(0, block.size)).toString('base64');
      (query.get('pool_owner') === 'client' ? this.peerPool : this.localPool).addBlock(block);
      return json(200, { block_uuid: block.uuid, data });
    }
    const header = options.headers?.[SIGNATURE_HEADER];
    try {
      verifyMessage(this.peerPool, header, call.query, options.body ?? '', { kind: 'request', method: call.method, path: this.fullPath(call.path) });
    } catch (error) {
      return hubError(400, (error as { code?: string }).code ?? 'signature.invalid');
    }
    this.request_ = { version: header?.startsWith('v2;') ? 2 : 1, allocation: signatureAllocation(header ?? '') };
    if (call.method === 'POST' && call.path.endsWith('/key-share-acks')) {
      const ids = (JSON.parse(options.body ?? '{}') as { key_ids: string[] }).key_ids;
      return this.signed({ removed: this.acknowledge(ids, 'key-share-acks') });
    }
    if (call.method === 'POST') {
      const body = JSON.parse(options.body ?? '{}') as { shares?: Array<Record<string, unknown>>; acknowledged_key_ids?: string[] } & Record<string, unknown>;
      if (this.acksInRequests) this.acknowledge(body.acknowledged_key_ids ?? [], 'key-share');
      for (const share of body.shares ?? [body]) {
        const encrypted = Buffer.from(String(share.encrypted_share_value), 'base64');
        const pad = this.peerPool.take((share.encryption_key_allocation as { fragments: Fragment[] }).fragments, encrypted.length);
        this.shares.set(String(share.user_key_id), { share_index: Number(share.share_index), data: otpXor(encrypted, pad) });
      }
      return this.signed({ hub_name: 'hx' });
    }
    if (this.acksInRequests) this.acknowledge(query.get('acknowledged_key_ids')?.split(',') ?? [], 'key-share');
    const ids = query.get('key_id') !== null ? [query.get('key_id')!] : (query.get('key_ids') ?? '').split(',');
    const out = ids.map((id) => {
      // Kept until acknowledged, as the hub keeps it.
      const share = this.shares.get(id);
      if (!share) return undefined;
      const pad = this.localPool.allocate(share.data.length);
      return { user_key_id: id, share_index: share.share_index, encryption_key_allocation: pad.toWire(), encrypted_share_value: Buffer.from(otpXor(share.data, pad.bytes)).toString('base64') };
    });
    if (out.some((s) => s === undefined)) return hubError(400, 'share.not-found');
    return this.signed(ids.length === 1 ? { ...out[0], user_key_id: undefined } : { shares: out });
  }

  private acknowledge(keyIds: string[], via: 'key-share-acks' | 'key-share'): number {
    for (const keyId of keyIds) this.acknowledged.push({ keyId, via });
    return keyIds.filter((id) => this.shares.delete(id)).length;
  }

  /** The request being answered: a hub answers in its version and, in v2, binds the answer to it. */
  private request_ = { version: 2 as SignatureVersion, allocation: '' };

  fullPath(path: string): string {
    return `/hub/hx${path}`;
  }

  /** A 200 answer signed as the hub signs: with its own pool, over the body, bound to the request. */
  signed(body: object): HubResponse {
    const text = JSON.stringify(body);
    const key = this.localPool.allocate(SIGNING_KEY_BYTES);
    const header = signWithKey(key, this.request_.version, { kind: 'response', status: 200, request: this.request_.allocation }, text);
    return { status: 200, headers: { [SIGNATURE_HEADER.toLowerCase()]: header }, body: Buffer.from(text) };
  }

  async close(): Promise<void> {}
}
