import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DskeError, DskeErrorCode } from '../errors';
import { Allocation } from './allocation';
import { PsrdBlock } from './block';
import { Fragment, fragmentsFromText, fragmentsToText } from './fragment';
import { PoolOwner, PsrdPool } from './pool';
import { expectCode } from '../test-helpers/expect-code';


interface BlockSpec {
  uuid: string;
  data: Uint8Array;
}

// Arrival order is deliberately not UUID order.
const X = 'ffffffff-aaaa-4aaa-8aaa-000000000001';
const Y = '00000000-bbbb-4bbb-8bbb-000000000002';
const Z = '88888888-cccc-4ccc-8ccc-000000000003';
const UNKNOWN = '12345678-dddd-4ddd-8ddd-000000000004';

/** Known bytes: distinct per block and nonzero, so a wiped byte never looks valid. */
const spec = (uuid: string, size: number, seed: number): BlockSpec => ({
  uuid,
  data: Uint8Array.from({ length: size }, (_, i) => ((seed * 73 + i * 7) % 255) + 1),
});

/** Each pool gets its own copies: a PsrdBlock wipes the array it was given. */
function poolOf(owner: PoolOwner, specs: readonly BlockSpec[]): PsrdPool {
  const pool = new PsrdPool(owner);
  for (const s of specs) pool.addBlock(new PsrdBlock(s.uuid, Uint8Array.from(s.data)));
  return pool;
}

/** The original bytes a list of fragments names. */
function bytesOf(specs: readonly BlockSpec[], fragments: readonly Fragment[]): Uint8Array {
  const parts = fragments.map((f) => specs.find((s) => s.uuid === f.block_uuid.toLowerCase())!.data.subarray(f.start, f.start + f.size));
  return Uint8Array.from(Buffer.concat(parts));
}

const snapshot = (pool: PsrdPool) => ({ unused: pool.unusedBytes, blocks: pool.blockCount, status: pool.status(false) });

const frag = (block_uuid: string, start: number, size: number): Fragment => ({ block_uuid, start, size });

describe('PsrdPool.allocate', () => {
  const specs = [spec(X, 10, 1), spec(Y, 5, 2), spec(Z, 8, 3)];

  it('walks blocks in arrival order, lowest unused run first, across block boundaries', () => {
    const pool = poolOf('local', specs);
    expect(pool.owner).toBe('local');
    expect(pool.unusedBytes).toBe(23);
    expect(pool.blockCount).toBe(3);

    const a1 = pool.allocate(4);
    expect(a1.fragments).toEqual([frag(X, 0, 4)]);
    expect(a1.bytes).toEqual(specs[0].data.subarray(0, 4));
    expect(a1.size).toBe(4);

    const a2 = pool.allocate(8);
    expect(a2.fragments).toEqual([frag(X, 4, 6), frag(Y, 0, 2)]);
    expect(a2.bytes).toEqual(bytesOf(specs, a2.fragments));
    expect(Array.from(a2.bytes)).toEqual([...specs[0].data.subarray(4, 10), ...specs[1].data.subarray(0, 2)]);
    // X is used up and dropped.
    expect(pool.blockCount).toBe(2);
    expect(pool.status(false).blocks.map((b) => b.uuid)).toEqual([Y, Z]);

    const a3 = pool.allocate(10);
    expect(a3.fragments).toEqual([frag(Y, 2, 3), frag(Z, 0, 7)]);
    expect(a3.bytes).toEqual(bytesOf(specs, a3.fragments));
    expect(pool.unusedBytes).toBe(1);
    expect(pool.blockCount).toBe(1);

    expectCode(() => pool.allocate(2), 'psrd.exhausted');
    expect(pool.unusedBytes).toBe(1);

    const a4 = pool.allocate(1);
    expect(a4.fragments).toEqual([frag(Z, 7, 1)]);
    expect(a4.bytes).toEqual(specs[2].data.subarray(7, 8));
    expect(pool.unusedBytes).toBe(0);
    expect(pool.blockCount).toBe(0);
    expectCode(() => pool.allocate(1), 'psrd.exhausted');
  });

  it('takes the lowest hole first, then continues after it', () => {
    const pool = poolOf('local', specs);
    const a1 = pool.allocate(3);
    pool.allocate(3);
    pool.giveBack(a1);
    const a3 = pool.allocate(5);
    expect(a3.fragments).toEqual([frag(X, 0, 3), frag(X, 6, 2)]);
    expect(a3.bytes).toEqual(bytesOf(specs, a3.fragments));
  });

  it('is all or nothing when the pool is short: psrd.exhausted and nothing changes', () => {
    const pool = poolOf('local', specs);
    pool.allocate(5);
    const before = snapshot(pool);
    expectCode(() => pool.allocate(19), 'psrd.exhausted');
    expect(snapshot(pool)).toEqual(before);
    // What a pool that never saw the failed call would hand out next.
    const reference = poolOf('local', specs);
    reference.allocate(5);
    const next = pool.allocate(18);
    expect(next.fragments).toEqual(reference.allocate(18).fragments);
    expect(next.bytes).toEqual(bytesOf(specs, next.fragments));
    expect(pool.unusedBytes).toBe(0);
  });

  it('rejects sizes that are not positive integers with psrd.invalid-size', () => {
    const pool = poolOf('local', specs);
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expectCode(() => pool.allocate(size), 'psrd.invalid-size');
    expect(pool.unusedBytes).toBe(23);
  });

  it('an empty pool is exhausted', () => {
    expectCode(() => new PsrdPool('local').allocate(1), 'psrd.exhausted');
  });
});

describe('PsrdPool blocks and status', () => {
  it('refuses a block UUID it already holds (in any case) with psrd.duplicate-block', () => {
    const pool = poolOf('peer', [spec(X, 4, 1)]);
    expectCode(() => pool.addBlock(new PsrdBlock(X, new Uint8Array(4).fill(1))), 'psrd.duplicate-block');
    expectCode(() => pool.addBlock(new PsrdBlock(X.toUpperCase(), new Uint8Array(4).fill(1))), 'psrd.duplicate-block');
    expect(pool.unusedBytes).toBe(4);
    expect(pool.blockCount).toBe(1);
  });

  it('counts only the unused bytes of a block it is given', () => {
    const block = new PsrdBlock(X, new Uint8Array(10).fill(9));
    block.markUsed(0, 3);
    const pool = new PsrdPool('local');
    pool.addBlock(block);
    expect(pool.unusedBytes).toBe(7);
    expect(pool.allocate(7).fragments).toEqual([frag(X, 3, 7)]);
  });

  it('reports status per block in arrival order, with a preview only when asked', () => {
    const specs = [spec(X, 12, 1), spec(Y, 6, 2)];
    const pool = poolOf('peer', specs);
    pool.take([frag(X, 0, 2)], 2);
    expect(pool.status(false)).toEqual({
      owner: 'peer',
      blocks: [
        { uuid: X, size: 12, nr_used_bytes: 2, nr_unused_bytes: 10 },
        { uuid: Y, size: 6, nr_used_bytes: 0, nr_unused_bytes: 6 },
      ],
    });
    expect('data' in pool.status(false).blocks[0]).toBe(false);
    const withPreview = pool.status(true);
    // Only used bytes show, and they are wiped: zeros; a fresh block shows nothing.
    expect(withPreview.blocks[1].data).toBe('...');
    expect(withPreview.blocks[0].data).toBe(`${Buffer.alloc(2).toString('base64')}...`);
    for (const b of withPreview.blocks) expect(Buffer.from(b.data!.replace('...', ''), 'base64').every((byte) => byte === 0)).toBe(true);
  });

  it('clear forgets every block and wipes its bytes', () => {
    const bytes = [Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8)];
    const pool = new PsrdPool('local');
    pool.addBlock(new PsrdBlock(X, bytes[0]));
    pool.addBlock(new PsrdBlock(Y, bytes[1]));
    pool.clear();
    for (const b of bytes) expect(b).toEqual(new Uint8Array(4));
    expect(pool.unusedBytes).toBe(0);
    expect(pool.blockCount).toBe(0);
    expectCode(() => pool.allocate(1), 'psrd.exhausted');
    pool.addBlock(new PsrdBlock(X, new Uint8Array(4).fill(1)));
    expect(pool.unusedBytes).toBe(4);
  });
});

describe('PsrdPool.take', () => {
  const specs = [spec(X, 16, 1), spec(Y, 8, 2), spec(Z, 12, 3)];

  /** A peer pool in which X:0:4 has already been taken. */
  function setup(): PsrdPool {
    const pool = poolOf('peer', specs);
    expect(pool.take([frag(X, 0, 4)], 4)).toEqual(specs[0].data.subarray(0, 4));
    return pool;
  }

  /** Every byte not yet taken, still there and takeable, with its original value. */
  function expectRestTakeable(pool: PsrdPool): void {
    const rest = [frag(X, 4, 12), frag(Y, 0, 8), frag(Z, 0, 12)];
    expect(pool.take(rest, 32)).toEqual(bytesOf(specs, rest));
    expect(pool.unusedBytes).toBe(0);
    expect(pool.blockCount).toBe(0);
  }

  it('takes exactly the named bytes and uses them', () => {
    const pool = setup();
    expect(pool.unusedBytes).toBe(32);
    const fragments = [frag(Z, 3, 2), frag(X, 10, 3), frag(Y, 0, 1)];
    expect(pool.take(fragments, 6)).toEqual(bytesOf(specs, fragments));
    expect(pool.unusedBytes).toBe(26);
    expect(pool.status(false).blocks.map((b) => b.nr_used_bytes)).toEqual([7, 1, 2]);
  });

  const failures: Array<[string, Fragment[], number, DskeErrorCode]> = [
    ['unknown block', [frag(UNKNOWN, 0, 4)], 4, 'psrd.unknown-block'],
    ['unknown block after a good fragment', [frag(X, 4, 2), frag(UNKNOWN, 0, 2)], 4, 'psrd.unknown-block'],
    ['start + size beyond the block', [frag(Y, 5, 4)], 4, 'psrd.out-of-range'],
    ['start at the block size', [frag(Y, 8, 1)], 1, 'psrd.out-of-range'],
    ['negative start', [frag(Y, -1, 2)], 2, 'psrd.out-of-range'],
    ['fractional start', [frag(Y, 1.5, 2)], 2, 'psrd.out-of-range'],
    ['NaN start', [frag(Y, Number.NaN, 2)], 2, 'psrd.out-of-range'],
    ['out of range after a good fragment', [frag(Z, 0, 2), frag(Z, 11, 2)], 4, 'psrd.out-of-range'],
    ['zero size', [frag(Y, 0, 0)], 0, 'psrd.invalid-size'],
    ['zero size next to a good fragment', [frag(Y, 0, 4), frag(Y, 4, 0)], 4, 'psrd.invalid-size'],
    ['negative size', [frag(Y, 2, -1)], -1, 'psrd.invalid-size'],
    ['fractional size', [frag(Y, 0, 1.5)], 1.5, 'psrd.invalid-size'],
    ['byte already used', [frag(X, 2, 4)], 4, 'psrd.already-used'],
    ['last used byte', [frag(X, 3, 1)], 1, 'psrd.already-used'],
    ['already used after a good fragment', [frag(Y, 0, 4), frag(X, 0, 4)], 8, 'psrd.already-used'],
    ['overlapping fragments', [frag(Y, 0, 4), frag(Y, 3, 2)], 6, 'psrd.already-used'],
    ['the same fragment twice', [frag(Z, 0, 2), frag(Z, 0, 2)], 4, 'psrd.already-used'],
    ['overlap named in other case', [frag(Z, 0, 2), frag(Z.toUpperCase(), 1, 2)], 4, 'psrd.already-used'],
    ['fragment inside another', [frag(X, 4, 8), frag(X, 6, 1)], 9, 'psrd.already-used'],
    ['total below the size required', [frag(Y, 0, 4)], 5, 'allocation.size-mismatch'],
    ['total above the size required', [frag(Y, 0, 4), frag(Z, 0, 4)], 7, 'allocation.size-mismatch'],
    ['no fragments', [], 0, 'allocation.malformed'],
  ];
  for (const [name, fragments, size, code] of failures) {
    it(`fails with ${code} (${name}) and leaves the pool unchanged`, () => {
      const pool = setup();
      const before = snapshot(pool);
      expectCode(() => pool.take(fragments, size), code);
      expectCode(() => pool.peek(fragments, size), code);
      expect(snapshot(pool)).toEqual(before);
      expectRestTakeable(pool);
    });
  }

  it('catches a replay: the same bytes taken twice', () => {
    const pool = setup();
    const fragments = [frag(Y, 2, 3), frag(Z, 0, 5)];
    expect(pool.take(fragments, 8)).toEqual(bytesOf(specs, fragments));
    const before = snapshot(pool);
    expectCode(() => pool.take(fragments, 8), 'psrd.already-used');
    expectCode(() => pool.take([frag(Y, 4, 1)], 1), 'psrd.already-used');
    expect(snapshot(pool)).toEqual(before);
    // Once a block is used up and dropped, a replay naming it is still caught as a used byte.
    pool.take([frag(Y, 0, 2), frag(Y, 5, 3)], 5);
    expect(pool.status(false).blocks.map((b) => b.uuid)).toEqual([X, Z]);
    expectCode(() => pool.take([frag(Y, 0, 2)], 2), 'psrd.already-used');
    // A block the pool never held is unknown: the two sides are out of step.
    expectCode(() => pool.take([frag('0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d', 0, 2)], 2), 'psrd.unknown-block');
  });

  it('accepts UUIDs in upper case and drops a block used up that way', () => {
    const pool = poolOf('peer', [spec(X, 4, 1), spec(Y, 4, 2)]);
    expect(pool.take([frag(X.toUpperCase(), 0, 4)], 4)).toEqual(spec(X, 4, 1).data);
    expect(pool.unusedBytes).toBe(4);
    expect(pool.blockCount).toBe(1);
    expect(pool.status(false).blocks.map((b) => b.uuid)).toEqual([Y]);
  });

  it('peek reads without using; consume then uses', () => {
    const pool = setup();
    const fragments = [frag(X, 4, 2), frag(Z, 10, 2)];
    const before = snapshot(pool);
    expect(pool.peek(fragments, 4)).toEqual(bytesOf(specs, fragments));
    expect(pool.peek(fragments, 4)).toEqual(bytesOf(specs, fragments));
    expect(snapshot(pool)).toEqual(before);
    pool.consume(fragments);
    expect(pool.unusedBytes).toBe(28);
    expectCode(() => pool.peek(fragments, 4), 'psrd.already-used');
  });
});

describe('PsrdPool.giveBack', () => {
  const specs = [spec(X, 10, 1), spec(Y, 6, 2)];

  it('restores bytes so the same bytes are allocated again', () => {
    const pool = poolOf('local', specs);
    const first = pool.allocate(7);
    pool.giveBack(first);
    expect(pool.unusedBytes).toBe(16);
    const again = pool.allocate(7);
    expect(again.fragments).toEqual(first.fragments);
    expect(again.bytes).toEqual(first.bytes);
    expect(again.bytes).toEqual(specs[0].data.subarray(0, 7));
  });

  it('restores into a block that had been dropped, in its arrival place', () => {
    const pool = poolOf('local', specs);
    const first = pool.allocate(12);
    expect(first.fragments).toEqual([frag(X, 0, 10), frag(Y, 0, 2)]);
    expect(pool.blockCount).toBe(1);
    pool.giveBack(first);
    expect(pool.blockCount).toBe(2);
    expect(pool.unusedBytes).toBe(16);
    expect(pool.status(false).blocks.map((b) => b.uuid)).toEqual([X, Y]);
    const again = pool.allocate(16);
    expect(again.fragments).toEqual([frag(X, 0, 10), frag(Y, 0, 6)]);
    expect(again.bytes).toEqual(bytesOf(specs, again.fragments));
  });

  it('gives back in any order', () => {
    const pool = poolOf('local', specs);
    const a = pool.allocate(4);
    const b = pool.allocate(8);
    const c = pool.allocate(4);
    expect(pool.blockCount).toBe(0);
    pool.giveBack(c);
    pool.giveBack(a);
    pool.giveBack(b);
    expect(pool.unusedBytes).toBe(16);
    expect(pool.allocate(16).bytes).toEqual(Uint8Array.from(Buffer.concat([specs[0].data, specs[1].data])));
  });

  it('refuses to give back bytes that are not in use', () => {
    const pool = poolOf('local', specs);
    const a = pool.allocate(4);
    pool.giveBack(a);
    expectCode(() => pool.giveBack(a), 'psrd.invalid-block');
    expect(pool.unusedBytes).toBe(16);
  });

  it('does not bring back a block after the pool was cleared (a fresh registration)', () => {
    const pool = poolOf('local', specs);
    const a = pool.allocate(10); // uses X up, so X is dropped
    const b = pool.allocate(2); // Y stays in the pool
    pool.clear();
    expectCode(() => pool.giveBack(b), 'psrd.unknown-block');
    expectCode(() => pool.giveBack(a), 'psrd.unknown-block');
    expect(pool.unusedBytes).toBe(0);
    expect(pool.blockCount).toBe(0);
  });
});

describe('PsrdPool: a local pool and its peer stay in step (property)', () => {
  type Op = { kind: 'send'; size: number } | { kind: 'keep'; size: number } | { kind: 'return'; index: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), size: fc.integer({ min: 1, max: 90 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('keep' as const), size: fc.integer({ min: 1, max: 40 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('return' as const), index: fc.nat() }) },
  );

  /** The model: allocation takes the first `size` unused bytes in (arrival order, offset) order, as maximal runs. */
  function modelAllocate(used: boolean[][], uuids: string[], size: number): Fragment[] {
    const fragments: Fragment[] = [];
    let left = size;
    for (let b = 0; b < used.length && left > 0; b++) {
      for (let i = 0; i < used[b].length && left > 0; i++) {
        if (used[b][i]) continue;
        const last = fragments[fragments.length - 1];
        if (last && last.block_uuid === uuids[b] && last.start + last.size === i) last.size++;
        else fragments.push(frag(uuids[b], i, 1));
        left--;
      }
    }
    return fragments;
  }
  const mark = (used: boolean[][], uuids: string[], fragments: readonly Fragment[], value: boolean): void => {
    for (const f of fragments) used[uuids.indexOf(f.block_uuid)].fill(value, f.start, f.start + f.size);
  };
  const unusedOf = (used: boolean[][]) => used.reduce((n, b) => n + b.filter((u) => !u).length, 0);

  it('peer takes exactly what local allocates, with the same bytes and the same bookkeeping', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.uuid(), { minLength: 6, maxLength: 6 }),
        fc.array(op, { minLength: 1, maxLength: 40 }),
        (sizes, rawUuids, ops) => {
          const uuids = sizes.map((_, i) => `${rawUuids[i].slice(0, -2)}${i.toString(16).padStart(2, '0')}`.toLowerCase());
          const specs = sizes.map((size, i) => spec(uuids[i], size, i + 1));
          const local = poolOf('local', specs);
          const peer = poolOf('peer', specs);
          const localUsed = sizes.map((n) => new Array<boolean>(n).fill(false));
          const peerUsed = sizes.map((n) => new Array<boolean>(n).fill(false));
          const held: Allocation[] = [];

          for (const o of ops) {
            if (o.kind === 'return') {
              if (held.length === 0) continue;
              const [allocation] = held.splice(o.index % held.length, 1);
              local.giveBack(allocation);
              mark(localUsed, uuids, allocation.fragments, false);
            } else if (o.size > unusedOf(localUsed)) {
              const before = snapshot(local);
              expectCode(() => local.allocate(o.size), 'psrd.exhausted');
              expect(snapshot(local)).toEqual(before);
            } else {
              const expected = modelAllocate(localUsed, uuids, o.size);
              const allocation = local.allocate(o.size);
              expect(allocation.fragments).toEqual(expected);
              expect(allocation.bytes).toEqual(bytesOf(specs, expected));
              mark(localUsed, uuids, expected, true);
              if (o.kind === 'keep') {
                held.push(allocation);
              } else {
                const named = fragmentsFromText(fragmentsToText(allocation.fragments));
                expect(peer.take(named, o.size)).toEqual(allocation.bytes);
                mark(peerUsed, uuids, expected, true);
                const before = snapshot(peer);
                expect(() => peer.take(named, o.size)).toThrow(DskeError);
                expect(snapshot(peer)).toEqual(before);
              }
            }
            expect(local.unusedBytes).toBe(unusedOf(localUsed));
            expect(peer.unusedBytes).toBe(unusedOf(peerUsed));
            const live = (used: boolean[][]) =>
              used.flatMap((b, i) => (b.some((u) => !u) ? [{ uuid: uuids[i], used: b.filter(Boolean).length }] : []));
            expect(local.status(false).blocks.map((b) => ({ uuid: b.uuid, used: b.nr_used_bytes }))).toEqual(live(localUsed));
            expect(peer.status(false).blocks.map((b) => ({ uuid: b.uuid, used: b.nr_used_bytes }))).toEqual(live(peerUsed));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('PsrdPool observation and restore', () => {
  it('tells the observer of every block whose bytes change, with its arrival place', () => {
    const pool = new PsrdPool('local');
    const seen: Array<[string, number, number]> = [];
    pool.observe((block, seq) => seen.push([block.uuid, seq, block.unusedBytes]));
    pool.addBlock(new PsrdBlock(X, new Uint8Array(4).fill(1)));
    pool.addBlock(new PsrdBlock(Y, new Uint8Array(4).fill(2)));
    const a = pool.allocate(6);
    expect(seen).toEqual([[X, 0, 4], [Y, 1, 4], [X, 0, 0], [Y, 1, 2]]);
    seen.length = 0;
    pool.giveBack(a);
    expect(seen).toEqual([[X, 0, 4], [Y, 1, 4]]);
    seen.length = 0;
    pool.clear();
    expect(seen).toEqual([[X, 0, 0], [Y, 1, 0]]);
  });

  it('a peer pool tells of the bytes it takes', () => {
    const pool = poolOf('peer', [spec(X, 8, 1)]);
    const seen: number[] = [];
    pool.observe((block) => seen.push(block.unusedBytes));
    pool.take([{ block_uuid: X, start: 2, size: 3 }], 3);
    expect(seen).toEqual([5]);
  });

  it('blocks restored with their arrival places, in any order, allocate in arrival order', () => {
    const pool = new PsrdPool('local');
    pool.addBlock(new PsrdBlock(Z, new Uint8Array(2).fill(3)), 7);
    pool.addBlock(new PsrdBlock(X, new Uint8Array(2).fill(1)), 2);
    pool.addBlock(new PsrdBlock(Y, new Uint8Array(2).fill(2)), 5);
    expect(pool.allocate(6).fragments.map((f) => f.block_uuid)).toEqual([X, Y, Z]);
    // A new block goes after every restored one.
    const seen: number[] = [];
    pool.observe((_, seq) => seen.push(seq));
    pool.addBlock(new PsrdBlock(UNKNOWN, new Uint8Array(2)));
    expect(seen).toEqual([8]);
  });
});

describe('PsrdPool.discard', () => {
  it('wipes and forgets one block, with the pool\'s count and the observer told', () => {
    const pool = poolOf('local', [spec(X, 10, 1), spec(Y, 10, 2)]);
    const seen: Array<[string, number]> = [];
    pool.observe((block) => seen.push([block.uuid, block.unusedBytes]));
    pool.discard(X.toUpperCase());
    expect(pool.unusedBytes).toBe(10);
    expect(pool.blockCount).toBe(1);
    expect(seen).toEqual([[X, 0]]);
    expect(pool.allocate(10).fragments.map((f) => f.block_uuid)).toEqual([Y]);
    pool.discard(UNKNOWN);
    expect(seen).toEqual([[X, 0], [Y, 0]]);
  });
});

describe('PsrdPool.bytesUsed', () => {
  const specs = [spec(X, 10, 1), spec(Y, 5, 2)];

  it('counts what was allocated or taken, also from blocks that were used up and dropped', () => {
    const local = poolOf('local', specs);
    expect(local.bytesUsed).toBe(0);
    local.allocate(12);
    expect(local.bytesUsed).toBe(12);
    const peer = poolOf('peer', specs);
    peer.take([frag(X, 0, 10), frag(Y, 0, 1)], 11);
    expect(peer.bytesUsed).toBe(11);
    expect(peer.blockCount).toBe(1);
  });

  it('never goes down: a given-back allocation, a discarded block and a refused take leave it as it is', () => {
    const pool = poolOf('local', specs);
    pool.giveBack(pool.allocate(3));
    expect(pool.bytesUsed).toBe(3);
    pool.discard(Y);
    expect(pool.bytesUsed).toBe(3);
    const peer = poolOf('peer', specs);
    expectCode(() => peer.take([frag(X, 8, 4)], 4), 'psrd.out-of-range');
    expect(peer.bytesUsed).toBe(0);
  });
});
