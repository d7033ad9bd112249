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

/** Register `name` with hank; returns the client's copy of the block it owns (what it signs and pads with). */
function join(registry: PeerClientRegistry, name: string, encryptors: string[]): PsrdPool {
  const client = registry.register(name, encryptors);
  const block = PsrdBlock.random(1000);
  const own = new PsrdPool('local');
  own.addBlock(PsrdBlock.fromSnapshot(block.snapshot()));
  client.peerPool.addBlock(block);
  client.addHubBlock(PsrdBlock.random(1000));
  return own;
}

/** Hub hank with client carol (SAE sam) registered; `carolPool` is carol's copy of the block she owns. */
function setUp() {
  const config = { name: 'hank', shareTimeoutSecs: 60, limits: { ...HUB_LIMIT_DEFAULTS } } as HubConfig;
  const registry = new PeerClientRegistry(config);
  const store = new RecordingStore();
  const service = new KeyShareService(registry, store, config);
  const carolPool = join(registry, 'carol', ['sam']);
  return { service, store, carolPool, registry };
}

/** Curtis's signed GET key-shares for `ids`, with `acks` on board. */
function fetchMessage(curtisPool: PsrdPool, ids: string[], acks: string[]): RawMessage {
  const path = '/hub/hank/dske/api/v1/key-shares';
  const query = new URLSearchParams({ client_name: 'curtis', ...ROUTE, key_ids: ids.join(','), acknowledged_key_ids: acks.join(',') }).toString();
  return { method: 'GET', path, query, body: Buffer.alloc(0), signature: signMessage(curtisPool, query, '', { kind: 'request', method: 'GET', path }) };
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
  it('acknowledgements on a key-share message delete the shares of the asking client only', async () => {
    const { service, store, carolPool, registry } = setUp();
    const curtisPool = join(registry, 'curtis', ['sunny']);
    const [a, b] = [randomUUID(), randomUUID()];
    for (const id of [a, b]) {
      const { shares, raw } = message(carolPool, id, randomBytes(16));
      await service.accept('carol', ROUTE, shares, raw);
    }
    // Carol does not serve sunny: her acknowledgement of a (on her next message) deletes nothing.
    const next = message(carolPool, randomUUID(), randomBytes(16));
    await service.accept('carol', ROUTE, next.shares, next.raw, [a]);
    expect(await store.peek(a)).toBeDefined();
    // Curtis fetches b with a acknowledged: a goes, b stays until it is acknowledged in turn.
    const { shares } = await service.deliver('curtis', ROUTE, [b], fetchMessage(curtisPool, [b], [a]), [a.toUpperCase()]);
    expect(shares.map((s) => s.user_key_id)).toEqual([b]);
    expect(await store.peek(a)).toBeUndefined();
    expect(await store.peek(b)).toBeDefined();
  });

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

  it('a key ID that is already stored: 400 share.exists, found without opening the stored share', async () => {
    const { service, store, carolPool } = setUp();
    const id = randomUUID();
    const first = message(carolPool, id, randomBytes(17));
    await service.accept('carol', ROUTE, first.shares, first.raw);
    const again = message(carolPool, id, randomBytes(17));
    const refused = await service.accept('carol', ROUTE, again.shares, again.raw).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(((refused as ApiError).getResponse() as { code: string }).code).toBe('share.exists');
    expect(store.answered).toHaveLength(0);
    expect(store.given).toHaveLength(1);
  });
});
