import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { otpXor, PsrdBlock, PsrdPool, signMessage } from '@dske/core';
import { ApiError, RawMessage } from '@dske/service-runtime';
import { HUB_LIMIT_DEFAULTS } from '@dske/topology';
import type { HubConfig } from '../hub-config';
import { PeerClientRegistry } from '../peers/peer-client-registry';
import { MemoryShareStore } from '../shares/memory-share-store';
import type { StoredShare } from '../shares/share-store';
import { KeyShareService } from './key-share.service';

const PATH = '/hub/hank/dske/api/v1/key-shares';
const ROUTE = { master_sae_id: 'sam', slave_sae_id: 'sunny' };

/** A memory store that keeps what it was given and what it answered, to see what the service wiped. */
class RecordingStore extends MemoryShareStore {
  readonly given: StoredShare[] = [];
  readonly answered: StoredShare[] = [];
  override put(share: StoredShare, ttlSecs: number): Promise<boolean> {
    this.given.push(share);
    return super.put(share, ttlSecs);
  }
  override async peek(userKeyId: string): Promise<StoredShare | undefined> {
    const share = await super.peek(userKeyId);
    if (share !== undefined) this.answered.push(share);
    return share;
  }
}

/** Hub hank with client carol registered; `carolPool` is carol's copy of the block she owns. */
function setUp() {
  const config = { name: 'hank', shareTimeoutSecs: 60, limits: { ...HUB_LIMIT_DEFAULTS } } as HubConfig;
  const registry = new PeerClientRegistry(config);
  const store = new RecordingStore();
  const service = new KeyShareService(registry, store, config);
  const carol = registry.register('carol', ['sam']);
  const block = PsrdBlock.random(1000);
  const carolPool = new PsrdPool('local');
  carolPool.addBlock(PsrdBlock.fromSnapshot(block.snapshot()));
  carol.peerPool.addBlock(block);
  carol.addHubBlock(PsrdBlock.random(1000));
  return { service, store, carolPool };
}

/** Carol's signed batch of one share for `id`, as it goes on the wire. */
function message(carolPool: PsrdPool, id: string, share: Buffer): { shares: Parameters<KeyShareService['accept']>[2]; raw: RawMessage } {
  const pad = carolPool.allocate(share.length);
  const shares = [{ user_key_id: id, share_index: 1, encryption_key_allocation: pad.toWire(), encrypted_share_value: Buffer.from(otpXor(share, pad.bytes)).toString('base64') }];
  const body = Buffer.from(JSON.stringify({ client_name: 'carol', ...ROUTE, shares }));
  const signature = signMessage(carolPool, '', body, { kind: 'request', method: 'POST', path: PATH });
  return { shares, raw: { method: 'POST', path: PATH, query: '', body, signature } };
}

describe('KeyShareService over the memory store', () => {
  it('stores the decrypted share and wipes its own copy: the store keeps a copy of its own', async () => {
    const { service, store, carolPool } = setUp();
    const id = randomUUID();
    const share = randomBytes(17);
    const { shares, raw } = message(carolPool, id, share);
    await service.accept('carol', ROUTE, shares, raw);
    expect(store.given).toHaveLength(1);
    expect(store.given[0].share).toEqual(Buffer.alloc(17));
    expect((await store.peek(id))?.share).toEqual(share);
  });

  it('a key ID that is already stored: 400 share.exists, and the copy it peeked at is wiped', async () => {
    const { service, store, carolPool } = setUp();
    const id = randomUUID();
    const first = message(carolPool, id, randomBytes(17));
    await service.accept('carol', ROUTE, first.shares, first.raw);
    const again = message(carolPool, id, randomBytes(17));
    const refused = await service.accept('carol', ROUTE, again.shares, again.raw).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(((refused as ApiError).getResponse() as { code: string }).code).toBe('share.exists');
    expect(store.answered).toHaveLength(1);
    expect(store.answered[0].share).toEqual(Buffer.alloc(17));
    expect(store.given).toHaveLength(1);
  });
});
