import { describe, expect, it } from 'vitest';
import { PsrdBlock } from '@dske/core';
import { PeerClient } from './peer-client-registry';

describe('PeerClient hub-owned blocks, for a client that confirms them', () => {
  it('a handed-out block is used only once confirmed; unconfirmed ones before it never reached the client and are wiped', () => {
    const client = new PeerClient('carol', ['sam'], true);
    const [lost, kept, later] = [PsrdBlock.random(100), PsrdBlock.random(100), PsrdBlock.random(100)];
    for (const block of [lost, kept, later]) client.addHubBlock(block);
    expect(client.localPool.unusedBytes).toBe(0);
    expect(client.hubOwnedHeld).toEqual({ bytes: 300, blocks: 3 });
    expect(() => client.localPool.allocate(32)).toThrow();
    expect(client.confirm([kept.uuid.toUpperCase(), 'f00dfeed-0000-4000-8000-000000000000'])).toEqual([kept.uuid]);
    expect(client.localPool.unusedBytes).toBe(100);
    expect(lost.unusedBytes).toBe(0);
    expect(lost.read(0, 100)).toEqual(new Uint8Array(100));
    // The later block still waits for its own confirmation.
    expect(client.hubOwnedHeld).toEqual({ bytes: 200, blocks: 2 });
    expect(client.localPool.allocate(32).fragments[0].block_uuid).toBe(kept.uuid);
    expect(client.confirm([later.uuid])).toEqual([later.uuid]);
    expect(client.confirm([later.uuid])).toEqual([]);
  });

  it('a client that does not confirm (the reference\'s way) gets its blocks used at once', () => {
    const client = new PeerClient('carol', ['sam']);
    client.addHubBlock(PsrdBlock.random(64));
    expect(client.localPool.unusedBytes).toBe(64);
  });
});
