/**
 * The out-of-band calls a client makes to one hub: registration, PSRD
 * blocks, their confirmation, the encryptor directory. These calls are
 * unsigned (on an HTTPS hub they are mutual TLS). This module holds the
 * requests and the checks on their answers; the registration life cycle
 * around them is HubConnection's, and the signed in-band messages are
 * SignedHubClient's.
 */
import { DirectoryEntry, PsrdBlock, PsrdResponse, UUID_PATTERN } from '@dske/core';
import { errorBody, HubCallError } from './hub-errors';
import type { HubResponse, HubTransport } from './hub-http';

const OOB = '/dske/oob/v1';

/** What a hub's registration answer says: the registration's ID, if it gives one, and whether acknowledgements may ride on key-share messages. */
export interface RegistrationAnswer {
  registrationId?: string;
  acksInRequests: boolean;
}

export class HubOobClient {
  constructor(
    private readonly http: HubTransport,
    private readonly hubName: string,
    private readonly clientName: string,
  ) {}

  /** One registration attempt: the answer when the hub took it (200), else undefined. A hub that does not answer throws. */
  async register(encryptors: readonly string[]): Promise<RegistrationAnswer | undefined> {
    const body = JSON.stringify({ client_name: this.clientName, encryptor_names: encryptors, psrd_confirmation: true });
    const response = await this.http.request('PUT', `${OOB}/registration`, { body, logFailure: false });
    if (response.status !== 200) return undefined;
    const answer = errorBody(response) as { registration_id?: unknown; acks_in_requests?: unknown } | undefined;
    return { registrationId: typeof answer?.registration_id === 'string' ? answer.registration_id : undefined, acksInRequests: answer?.acks_in_requests === true };
  }

  /** Ask for one PSRD block for the pool that `owner` allocates from; the answer as it came (the caller notes it, then takes the block with blockFrom). */
  requestBlock(owner: 'client' | 'hub', size: number): Promise<HubResponse> {
    const query = new URLSearchParams({ client_name: this.clientName, pool_owner: owner, size: String(size) }).toString();
    return this.http.request('GET', `${OOB}/psrd`, { query });
  }

  /** The block of a PSRD answer, checked to be what was asked for. */
  blockFrom(response: HubResponse, size: number): PsrdBlock {
    if (response.status !== 200) throw new HubCallError(this.hubName, 'refused', `PSRD request answered ${response.status}`, response.status);
    const block = JSON.parse(response.body.toString('utf8')) as Partial<PsrdResponse>;
    const data = typeof block.data === 'string' ? Buffer.from(block.data, 'base64') : undefined;
    // A block of another size than asked for would put the pools out of step (or grow ours without bound).
    if (typeof block.block_uuid !== 'string' || !UUID_PATTERN.test(block.block_uuid) || data === undefined || data.length !== size) {
      data?.fill(0);
      throw new HubCallError(this.hubName, 'bad-response', `hub ${this.hubName} sent a PSRD block that is not the ${size} bytes asked for`);
    }
    return new PsrdBlock(block.block_uuid, data);
  }

  /** Tell the hub which of its blocks this client holds; the answer as it came. */
  confirmBlocks(uuids: readonly string[]): Promise<HubResponse> {
    return this.http.request('POST', `${OOB}/psrd-confirmation`, { body: JSON.stringify({ client_name: this.clientName, block_uuids: uuids }) });
  }

  /** The hub's registry of which client serves which SAE. */
  async directory(logFailure = true): Promise<DirectoryEntry[]> {
    const response = await this.http.request('GET', `${OOB}/encryptors`, { logFailure });
    if (response.status !== 200) throw new HubCallError(this.hubName, 'refused', `directory request answered ${response.status}`, response.status);
    const body = JSON.parse(response.body.toString('utf8')) as { clients?: DirectoryEntry[] };
    return Array.isArray(body.clients) ? body.clients : [];
  }
}
