import { PsrdBlock, PsrdPool } from '@dske/core';
import type { StateJournal } from './state-journal';

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
