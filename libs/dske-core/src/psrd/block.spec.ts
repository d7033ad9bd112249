import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PsrdBlock } from './block';
import { UUID_PATTERN } from './fragment';
import { expectCode } from '../test-helpers/expect-code';


const UUID = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
/** Bytes 1..size, so every byte is nonzero and a wiped byte shows as 0. */
const counting = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i % 255) + 1);
const block = (size = 20): PsrdBlock => new PsrdBlock(UUID, counting(size));

describe('PsrdBlock construction', () => {
  it('keeps the UUID (lower-cased) and the bytes', () => {
    const b = new PsrdBlock(UUID.toUpperCase(), counting(5));
    expect(b.uuid).toBe(UUID);
    expect(b.size).toBe(5);
    expect(b.unusedBytes).toBe(5);
    expect(b.usedBytes).toBe(0);
    expect(b.read(0, 5)).toEqual(counting(5));
  });

  it('rejects a non-UUID or an empty block with psrd.invalid-block', () => {
    for (const uuid of ['', 'block-1', `${UUID}0`, UUID.replace(/-/g, ''), ` ${UUID}`]) {
      expectCode(() => new PsrdBlock(uuid, counting(4)), 'psrd.invalid-block');
    }
    expectCode(() => new PsrdBlock(UUID, new Uint8Array(0)), 'psrd.invalid-block');
  });

  it('random(size) makes a fresh block with a random UUID and random bytes', () => {
    const a = PsrdBlock.random(64);
    const b = PsrdBlock.random(64);
    expect(a.size).toBe(64);
    expect(a.unusedBytes).toBe(64);
    expect(UUID_PATTERN.test(a.uuid)).toBe(true);
    expect(a.uuid).not.toBe(b.uuid);
    expect(Buffer.from(a.read(0, 64)).equals(Buffer.from(b.read(0, 64)))).toBe(false);
    expect(PsrdBlock.random(1).size).toBe(1);
  });

  it('random rejects sizes below 1 or not integers with psrd.invalid-size', () => {
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectCode(() => PsrdBlock.random(size), 'psrd.invalid-size');
    }
  });
});

describe('PsrdBlock runs', () => {
  it('lowestFreeRun gives the lowest unused run, capped at max', () => {
    const b = block(20);
    expect(b.lowestFreeRun(5)).toEqual({ start: 0, size: 5 });
    expect(b.lowestFreeRun(100)).toEqual({ start: 0, size: 20 });
    b.markUsed(0, 4);
    expect(b.lowestFreeRun(100)).toEqual({ start: 4, size: 16 });
    b.markUsed(10, 2);
    expect(b.lowestFreeRun(100)).toEqual({ start: 4, size: 6 });
    expect(b.lowestFreeRun(3)).toEqual({ start: 4, size: 3 });
    b.markUsed(4, 6);
    expect(b.lowestFreeRun(100)).toEqual({ start: 12, size: 8 });
    b.markUsed(12, 8);
    expect(b.lowestFreeRun(100)).toBeUndefined();
    expect(b.unusedBytes).toBe(0);
    expect(b.usedBytes).toBe(20);
  });

  it('markUsed wipes exactly the used bytes and keeps the counts', () => {
    const b = block(10);
    b.markUsed(3, 4);
    const expected = counting(10);
    expected.fill(0, 3, 7);
    expect(b.read(0, 10)).toEqual(expected);
    expect(b.unusedBytes).toBe(6);
    expect(b.usedBytes).toBe(4);
    expect(b.isUnused(0, 3)).toBe(true);
    expect(b.isUnused(7, 3)).toBe(true);
    expect(b.isUnused(2, 2)).toBe(false);
    expect(b.isUnused(6, 2)).toBe(false);
    expect(b.isUnused(0, 10)).toBe(false);
    // The free runs either side of the hole are separate: a range spanning the hole is not unused.
    expect(b.isUnused(0, 8)).toBe(false);
  });

  it('markUsed on any already used byte throws psrd.already-used and changes nothing', () => {
    const b = block(10);
    b.markUsed(3, 4);
    for (const [start, size] of [
      [3, 4],
      [2, 2],
      [6, 2],
      [0, 10],
      [5, 1],
    ]) {
      expectCode(() => b.markUsed(start, size), 'psrd.already-used');
    }
    expect(b.unusedBytes).toBe(6);
    expect(b.read(0, 3)).toEqual(counting(3));
  });

  it('read returns a copy that later wiping does not touch', () => {
    const b = block(8);
    const before = b.read(2, 4);
    before[0] = 0xee;
    expect(b.read(2, 1)).toEqual(Uint8Array.of(3));
    const copy = b.read(0, 8);
    b.markUsed(0, 8);
    expect(copy).toEqual(counting(8));
    expect(b.read(0, 8)).toEqual(new Uint8Array(8));
  });

  it('restore puts bytes back and merges neighbouring runs', () => {
    const b = block(20);
    const values = b.read(5, 5);
    b.markUsed(0, 5);
    b.markUsed(5, 5);
    b.markUsed(10, 5);
    expect(b.lowestFreeRun(100)).toEqual({ start: 15, size: 5 });
    b.restore(5, values);
    expect(b.unusedBytes).toBe(10);
    expect(b.lowestFreeRun(100)).toEqual({ start: 5, size: 5 });
    expect(b.read(5, 5)).toEqual(counting(10).subarray(5));
    b.restore(10, counting(15).subarray(10));
    // 5..15 and 15..20 are now one run.
    expect(b.lowestFreeRun(100)).toEqual({ start: 5, size: 15 });
    b.restore(0, counting(5));
    expect(b.lowestFreeRun(100)).toEqual({ start: 0, size: 20 });
    expect(b.isUnused(0, 20)).toBe(true);
    expect(b.read(0, 20)).toEqual(counting(20));
    expect(b.unusedBytes).toBe(20);
  });

  it('restore outside the block throws psrd.invalid-block and leaves a used-up block without storage', () => {
    const b = block(6);
    b.markUsed(0, 6);
    expectCode(() => b.restore(4, Uint8Array.of(1, 2, 3)), 'psrd.invalid-block');
    expectCode(() => b.restore(-1, Uint8Array.of(1)), 'psrd.invalid-block');
    expectCode(() => b.restore(2, new Uint8Array(0)), 'psrd.invalid-block');
    expect(b.heldBytes).toBe(0);
    expect(b.unusedBytes).toBe(0);
  });

  it('restore of bytes that are not in use throws psrd.invalid-block', () => {
    const b = block(10);
    b.markUsed(2, 3);
    expectCode(() => b.restore(0, Uint8Array.of(1, 2)), 'psrd.invalid-block');
    expectCode(() => b.restore(4, Uint8Array.of(1, 2)), 'psrd.invalid-block');
    expect(b.unusedBytes).toBe(7);
    b.restore(2, Uint8Array.of(3, 4, 5));
    expect(b.unusedBytes).toBe(10);
  });

  it('preview shows the used (wiped) bytes before the first unused one, at most 10, never an unused byte', () => {
    const b = block(20);
    expect(b.preview()).toBe('...');
    b.markUsed(0, 3);
    expect(b.preview()).toBe(`${Buffer.alloc(3).toString('base64')}...`);
    b.markUsed(3, 15);
    expect(b.preview()).toBe(`${Buffer.alloc(10).toString('base64')}...`);
    expect(b.preview(2)).toBe(`${Buffer.alloc(2).toString('base64')}...`);
    // A negative length shows nothing (a subarray(0, -1) would have reached unused bytes).
    expect(block(20).preview(-1)).toBe('...');
    // Used bytes after an unused one do not show either: the preview stops at the first unused byte.
    const gap = block(20);
    gap.markUsed(5, 5);
    expect(gap.preview()).toBe('...');
  });

  it('wipe zeroes every byte and leaves nothing to use', () => {
    const bytes = counting(8);
    const b = new PsrdBlock(UUID, bytes);
    b.wipe();
    expect(bytes).toEqual(new Uint8Array(8));
    expect(b.heldBytes).toBe(0);
    expect(b.unusedBytes).toBe(0);
    expect(b.read(0, 8)).toEqual(new Uint8Array(8));
  });

  it('a used-up block keeps no storage, reads and snapshots as zeros, and takes bytes back', () => {
    const bytes = counting(12);
    const b = new PsrdBlock(UUID, bytes);
    b.markUsed(0, 5);
    expect(b.heldBytes).toBe(12);
    const last = b.read(5, 7);
    b.markUsed(5, 7);
    expect(b.heldBytes).toBe(0);
    // The storage it had was wiped before it was let go: whoever else holds it sees zeros.
    expect(bytes).toEqual(new Uint8Array(12));
    expect(b.size).toBe(12);
    expect(b.usedBytes).toBe(12);
    expect(b.read(0, 12)).toEqual(new Uint8Array(12));
    expect(b.preview()).toBe(`${Buffer.alloc(10).toString('base64')}...`);
    expect(PsrdBlock.fromSnapshot(b.snapshot()).read(0, 12)).toEqual(new Uint8Array(12));
    b.restore(5, last);
    expect(b.heldBytes).toBe(12);
    expect(b.read(0, 12)).toEqual(Uint8Array.from([0, 0, 0, 0, 0, ...counting(12).subarray(5)]));
    expect(b.lowestFreeRun(100)).toEqual({ start: 5, size: 7 });
  });

  it('a used-up block read back from a snapshot keeps no storage either', () => {
    const b = block(6);
    b.markUsed(0, 6);
    const back = PsrdBlock.fromSnapshot(b.snapshot());
    expect(back.heldBytes).toBe(0);
    expect(back.size).toBe(6);
    expect(back.snapshot()).toEqual(b.snapshot());
  });
});

const SNAP_UUID = '0a0b0c0d-1111-4222-8333-444455556666';

describe('PsrdBlock snapshots', () => {

  it('lays out version, SNAP_UUID, size, runs and data exactly (known answer)', () => {
    const b = new PsrdBlock(SNAP_UUID, Uint8Array.of(1, 2, 3, 4, 5, 6));
    b.markUsed(1, 2);
    const snap = b.snapshot();
    expect(snap.toString('hex')).toBe(
      '01' + Buffer.from(SNAP_UUID, 'latin1').toString('hex') + '00000006' + '00000002' + '00000000' + '00000001' + '00000003' + '00000006' + '010000040506',
    );
  });

  it('comes back with the same unused bytes, runs and wiped bytes, and allocates the same next bytes', () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    const b = new PsrdBlock(SNAP_UUID, Uint8Array.from(data));
    b.markUsed(0, 10);
    b.markUsed(20, 5);
    const back = PsrdBlock.fromSnapshot(b.snapshot());
    expect(back.uuid).toBe(SNAP_UUID);
    expect(back.size).toBe(64);
    expect(back.unusedBytes).toBe(49);
    expect(back.lowestFreeRun(100)).toEqual({ start: 10, size: 10 });
    expect(back.isUnused(20, 1)).toBe(false);
    expect(back.read(0, 10)).toEqual(new Uint8Array(10));
    expect(back.read(10, 10)).toEqual(data.subarray(10, 20));
  });

  it('an unused byte is in a snapshot only while unused: after use it is zero there too', () => {
    const b = new PsrdBlock(SNAP_UUID, Uint8Array.from({ length: 8 }, () => 0xab));
    b.markUsed(0, 8);
    expect([...b.snapshot().subarray(45)]).toEqual(new Array(8).fill(0));
  });

  it('refuses truncated, extended or inconsistent snapshots', () => {
    const snap = new PsrdBlock(SNAP_UUID, Uint8Array.of(9, 9, 9, 9)).snapshot();
    expectCode(() => PsrdBlock.fromSnapshot(snap.subarray(0, snap.length - 1)), 'psrd.invalid-block');
    expectCode(() => PsrdBlock.fromSnapshot(Buffer.concat([snap, Buffer.of(0)])), 'psrd.invalid-block');
    expectCode(() => PsrdBlock.fromSnapshot(snap.subarray(0, 20)), 'psrd.invalid-block');
    const badVersion = Buffer.from(snap);
    badVersion[0] = 7;
    expectCode(() => PsrdBlock.fromSnapshot(badVersion), 'psrd.invalid-block');
    const runPastEnd = Buffer.from(snap);
    runPastEnd.writeUInt32BE(5, 49);
    expectCode(() => PsrdBlock.fromSnapshot(runPastEnd), 'psrd.invalid-block');
    const badUuid = Buffer.from(snap);
    badUuid.write('x', 1, 'latin1');
    expectCode(() => PsrdBlock.fromSnapshot(badUuid), 'psrd.invalid-block');
  });

  it('round-trips any sequence of uses (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.tuple(fc.nat(199), fc.integer({ min: 1, max: 40 })), { maxLength: 20 }), (size, uses) => {
        const b = PsrdBlock.random(size);
        for (const [start, n] of uses) if (start + n <= size && b.isUnused(start, n)) b.markUsed(start, n);
        const back = PsrdBlock.fromSnapshot(b.snapshot());
        expect(back.snapshot()).toEqual(b.snapshot());
        expect(back.unusedBytes).toBe(b.unusedBytes);
      }),
    );
  });
});
