import { PsrdBlock } from '@dske/core';
import { describe, expect, it } from 'vitest';
import { StateError } from './record-store';
import { blockKey, encodeBlock, readPeerRecords, registrationKey } from './pool-records';

const codec = { decode: (key: string, bytes: Buffer) => ({ peer: key.slice(4), text: bytes.toString() }), peerOf: (r: { peer: string }) => r.peer };

describe('readPeerRecords', () => {
  it('groups registrations and blocks by peer, and wipes every value it read', () => {
    const [a, b] = [PsrdBlock.random(8), PsrdBlock.random(8)];
    const records = [
      { key: registrationKey('hank'), value: Buffer.from('r1') },
      { key: blockKey('hank', 'local', a.uuid), value: encodeBlock(0, a) },
      { key: blockKey('helen', 'peer', b.uuid), value: encodeBlock(3, b) },
    ];
    const { registrations, blocks } = readPeerRecords('f.db', records, codec, ['local', 'peer'], 'client');
    expect([...registrations]).toEqual([['hank', { peer: 'hank', text: 'r1' }]]);
    expect([...blocks].map(([peer, list]) => [peer, list.map((r) => [r.side, r.seq, r.block.uuid])])).toEqual([
      ['hank', [['local', 0, a.uuid]]],
      ['helen', [['peer', 3, b.uuid]]],
    ]);
    for (const { value } of records) expect(value.every((x) => x === 0)).toBe(true);
  });

  it('a block of a side this node has not, or a record that does not read, is a StateError naming the store', () => {
    const block = PsrdBlock.random(8);
    // Fresh records for each read: a read wipes what it was given.
    const pending = () => [{ key: blockKey('carol', 'pending', block.uuid), value: encodeBlock(0, block) }];
    expect(() => readPeerRecords('f.db', pending(), codec, ['local', 'peer'], 'client')).toThrow(StateError);
    expect(() => readPeerRecords('f.db', pending(), codec, ['local', 'peer'], 'client')).toThrow(/^f\.db: record blk:carol:pending:\S+ is not a pool of a client; move the state away to start this client afresh$/);
    const broken = [{ key: blockKey('carol', 'local', block.uuid), value: Buffer.from([0, 0, 0, 1, 9]) }];
    expect(() => readPeerRecords('f.db', broken, codec, ['local'], 'hub')).toThrow(/^f\.db: block snapshot .*start this hub afresh$/);
  });
});
