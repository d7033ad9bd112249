import { PsrdBlock, PsrdPool } from '@dske/core';
import { StateError } from './record-store';
import type { StateJournal } from './state-journal';

/** A node's registration with one peer (its record's value is the node's own codec): keyed by the peer's name. */
export const REGISTRATION_PREFIX = 'reg:';
export const registrationKey = (peer: string): string => `${REGISTRATION_PREFIX}${peer}`;

/**
 * PSRD blocks in a node's state store, one record per block: keyed by peer
 * (a DNS label: no ':'), pool side and UUID; the value is the block's place
 * in its pool's arrival order (u32) and its snapshot. A block used up is
 * deleted. Values are sealed by the journal before they leave the node.
 */
export const BLOCK_PREFIX = 'blk:';

export const blockKey = (peer: string, side: string, uuid: string): string => `${BLOCK_PREFIX}${peer}:${side}:${uuid}`;

export function encodeBlock(seq: number, block: PsrdBlock): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(seq);
  return Buffer.concat([head, block.snapshot()]);
}

export interface BlockRecord {
  peer: string;
  side: string;
  seq: number;
  block: PsrdBlock;
}

const BLOCK_KEY = /^blk:([^:]+):([a-z]+):([0-9a-f-]{36})$/;

/** A block record as encodeBlock wrote it, under the key blockKey gave it; anything else throws. */
export function decodeBlock(key: string, bytes: Buffer): BlockRecord {
  const match = BLOCK_KEY.exec(key);
  if (!match || bytes.length < 4) throw new Error(`record ${key} is not a PSRD block`);
  const block = PsrdBlock.fromSnapshot(bytes.subarray(4));
  if (block.uuid !== match[3]) throw new Error(`record ${key} holds block ${block.uuid}`);
  return { peer: match[1], side: match[2], seq: bytes.readUInt32BE(0), block };
}

/** Mark one block's record: its current bytes, or a deletion once it is used up. */
export function markBlock(journal: StateJournal, peer: string, side: string, block: PsrdBlock, seq: number): void {
  journal.mark(blockKey(peer, side, block.uuid), () => ({ value: block.unusedBytes === 0 ? undefined : encodeBlock(seq, block) }));
}

/** From now on every change of the pool's blocks is marked in the journal. */
export function journalPool(journal: StateJournal, peer: string, side: string, pool: PsrdPool): void {
  if (journal.durable) pool.observe((block, seq) => markBlock(journal, peer, side, block, seq));
}

/** Blocks of one peer and side, restored into `pool` in their arrival order. */
export function restorePool(pool: PsrdPool, records: readonly BlockRecord[]): void {
  for (const r of [...records].sort((a, b) => a.seq - b.seq)) pool.addBlock(r.block, r.seq);
}

/**
 * What a node's journal gave back at start, by peer: each registration (read
 * by the node's own codec) and the PSRD blocks of the pool sides it has. A
 * record that does not read, or a block of another side, is a corrupt state:
 * StateError naming the store. Every value is wiped once read.
 */
export function readPeerRecords<R>(
  where: string,
  records: ReadonlyArray<{ key: string; value: Buffer }>,
  codec: { decode(key: string, bytes: Buffer): R; peerOf(record: R): string },
  sides: readonly string[],
  node: 'hub' | 'client',
): { registrations: Map<string, R>; blocks: Map<string, BlockRecord[]> } {
  const registrations = new Map<string, R>();
  const blocks = new Map<string, BlockRecord[]>();
  for (const { key, value } of records) {
    try {
      if (key.startsWith(REGISTRATION_PREFIX)) {
        const record = codec.decode(key, value);
        registrations.set(codec.peerOf(record), record);
      } else if (key.startsWith(BLOCK_PREFIX)) {
        const block = decodeBlock(key, value);
        if (!sides.includes(block.side)) throw new Error(`record ${key} is not a pool of a ${node}`);
        blocks.set(block.peer, [...(blocks.get(block.peer) ?? []), block]);
      }
    } catch (error) {
      throw new StateError(where, `${(error as Error).message}; move the state away to start this ${node} afresh`);
    } finally {
      value.fill(0);
    }
  }
  return { registrations, blocks };
}
