import {
  assertFragmentShape, DskeError, GetKeyShareResponse, otpXor, PostKeyShareRequest, SIGNATURE_HEADER, signatureAllocation, signMessage, verifyMessage,
  type MacFrame, type SignatureVersion,
} from '@dske/core';
import { HubCallError } from './hub-errors';
import type { HubResponse, HubTransport } from './hub-http';
import type { HubRegistration } from './hub-registration';

const API = '/dske/api/v1';

/**
 * A hub's answer with the registration it was sent under. `authenticated`:
 * signed by the hub (every 200, and refusals of requests whose signature the
 * hub verified), so no outsider made it up.
 */
export type SignedAnswer = HubResponse & { registration: HubRegistration; authenticated: boolean };

export interface ShareRoute {
  master_sae_id: string;
  slave_sae_id: string;
}

/** A 200 answer whose signature does not verify, with the library's reason (e.g. psrd.unknown-block). */
export class BadSignature extends HubCallError {
  constructor(hubName: string, readonly reason: unknown) {
    super(hubName, 'bad-response', `hub ${hubName} response signature: ${(reason as Error).message}`);
  }
}

/**
 * The signed half of talking to one hub: requests signed with the
 * registration's own pool, answers verified with the pool the hub allocates
 * from, and the share messages in both directions (one-time pads from the
 * same pools). Knows nothing of registering or refilling.
 */
export class SignedHubClient {
  constructor(
    private readonly http: HubTransport,
    private readonly hubName: string,
    private readonly version: SignatureVersion = 2,
    /** Write ahead: resolves once what was allocated for a message is in the state store. */
    private readonly beforeSend: () => Promise<void> = async () => undefined,
  ) {}

  /**
   * Sign (synchronously, before the first await, so callers can allocate and
   * sign in one step) and send; verify the hub's signature on a 200 answer.
   */
  async call(registration: HubRegistration, method: 'GET' | 'POST', path: string, query: string, body: string): Promise<SignedAnswer> {
    const frame: MacFrame | undefined = this.version === 2 ? { kind: 'request', method, path: this.http.fullPath(path) } : undefined;
    const signature = signMessage(registration.localPool, query, body, frame);
    // Pads and the signature's key are in the state store before a byte of them is on the wire.
    await this.beforeSend();
    let response: HubResponse;
    try {
      response = await this.http.request(method, path, { query, body: method === 'POST' ? body : undefined, headers: { [SIGNATURE_HEADER]: signature } });
    } catch (error) {
      throw new HubCallError(this.hubName, 'unreachable', `hub ${this.hubName} unreachable: ${(error as Error).message}`);
    }
    const header = response.headers[SIGNATURE_HEADER.toLowerCase()];
    // The answer must come in our version and, in v2, bind to this request and its status.
    const verify = () => {
      const answerFrame: MacFrame = { kind: 'response', status: response.status, request: signatureAllocation(signature) };
      const answerVersion = typeof header === 'string' && header.startsWith('v2;') ? 2 : 1;
      if (answerVersion !== this.version) throw new DskeError('signature.invalid', `answer signed in another ${SIGNATURE_HEADER} version than the request`);
      verifyMessage(registration.peerPool, header, '', response.body, answerFrame);
    };
    if (response.status === 200) {
      try {
        verify();
      } catch (error) {
        throw new BadSignature(this.hubName, error);
      }
      return { ...response, registration, authenticated: true };
    }
    // A signed refusal takes the hub's signing bytes from our copy of its pool, as a 200 does (pools stay in step).
    if (header !== undefined) {
      try {
        verify();
        return { ...response, registration, authenticated: true };
      } catch {
        // Signed with nothing we hold: as good as unsigned.
      }
    }
    return { ...response, registration, authenticated: false };
  }

  /**
   * This hub's share of each key, each under fresh local PSRD, in one
   * message (key-share for one key, key-shares for many), with `acks` (keys
   * recovered since the last message) on board. Allocates: call it where the
   * pool was checked, in the same synchronous step.
   */
  postShares(registration: HubRegistration, index: number, clientName: string, route: ShareRoute, shares: Array<{ keyId: string; data: Uint8Array }>, acks: readonly string[] = []): Promise<SignedAnswer> {
    const encrypted = shares.map((share) => {
      const pad = registration.localPool.allocate(share.data.length);
      const sealed = {
        user_key_id: share.keyId,
        share_index: index,
        encryption_key_allocation: pad.toWire(),
        encrypted_share_value: Buffer.from(otpXor(share.data, pad.bytes)).toString('base64'),
      };
      pad.bytes.fill(0);
      return sealed;
    });
    const common = { master_client_name: clientName, master_sae_id: route.master_sae_id, slave_sae_id: route.slave_sae_id, ...(acks.length > 0 ? { acknowledged_key_ids: [...acks] } : {}) };
    if (encrypted.length === 1) {
      const single: PostKeyShareRequest = { ...common, ...encrypted[0] };
      return this.call(registration, 'POST', `${API}/key-share`, '', JSON.stringify(single));
    }
    return this.call(registration, 'POST', `${API}/key-shares`, '', JSON.stringify({ ...common, shares: encrypted }));
  }

  /** Ask for this hub's shares of the named keys (key-share for one, key-shares for many), with `acks` on board. */
  getShares(registration: HubRegistration, clientName: string, route: ShareRoute, keyIds: string[], acks: readonly string[] = []): Promise<SignedAnswer> {
    const single = keyIds.length === 1;
    const query = new URLSearchParams({
      client_name: clientName,
      master_sae_id: route.master_sae_id,
      slave_sae_id: route.slave_sae_id,
      ...(single ? { key_id: keyIds[0] } : { key_ids: keyIds.join(',') }),
      ...(acks.length > 0 ? { acknowledged_key_ids: acks.join(',') } : {}),
    }).toString();
    return this.call(registration, 'GET', single ? `${API}/key-share` : `${API}/key-shares`, query, '');
  }

  /** Tell the hub these keys are recovered: their shares there go (until then it keeps them for a retry). */
  ackShares(registration: HubRegistration, clientName: string, keyIds: string[]): Promise<SignedAnswer> {
    return this.call(registration, 'POST', `${API}/key-share-acks`, '', JSON.stringify({ client_name: clientName, key_ids: keyIds }));
  }

  /**
   * Decrypt a verified answer to getShares: every share's shape and pad is
   * checked before any PSRD is used, and the pads are taken all at once.
   * Throws on anything out of place (the caller reports a bad response).
   */
  openShares(answer: SignedAnswer, keyIds: string[]): Array<{ x: number; data: Uint8Array }> {
    const body = JSON.parse(answer.body.toString('utf8')) as GetKeyShareResponse & { shares?: Array<GetKeyShareResponse & { user_key_id: string }> };
    const received = keyIds.length === 1 ? [{ ...body, user_key_id: keyIds[0] }] : (body.shares ?? []);
    if (received.length !== keyIds.length) throw new Error(`${received.length} shares for ${keyIds.length} keys`);
    const encrypted = received.map((share, i) => {
      if (share.user_key_id.toLowerCase() !== keyIds[i].toLowerCase()) throw new Error('shares out of order');
      if (!Number.isInteger(share.share_index)) throw new Error('share_index is not an integer');
      assertFragmentShape(share.encryption_key_allocation?.fragments);
      return Buffer.from(share.encrypted_share_value, 'base64');
    });
    const pads = answer.registration.peerPool.take(
      received.flatMap((share) => share.encryption_key_allocation.fragments),
      encrypted.reduce((n, e) => n + e.length, 0),
    );
    let offset = 0;
    const shares = encrypted.map((e, i) => {
      const pad = pads.subarray(offset, offset + e.length);
      offset += e.length;
      return { x: received[i].share_index, data: otpXor(e, pad) };
    });
    pads.fill(0);
    return shares;
  }
}
