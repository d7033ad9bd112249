import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gfMulAccumulate, lagrangeWeights } from './gf256';
import { DIGEST_X, MAX_SHARES, MIN_KEY_BYTES, RandomFill, SECRET_X, Share, recoverKey, recoverKeyRobust, splitKey } from './shamir';
import { expectCode } from './test-helpers/expect-code';


/** Deterministic RandomFill (mulberry32) that records every buffer it fills. */
function seededRandom(seed: number): RandomFill & { draws: Uint8Array[] } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  };
  const draws: Uint8Array[] = [];
  const fill = (buffer: Uint8Array): void => {
    for (let i = 0; i < buffer.length; i++) buffer[i] = next();
    draws.push(Uint8Array.from(buffer));
  };
  return Object.assign(fill, { draws });
}

const bytes = (length: number, seed: number): Uint8Array => {
  const out = new Uint8Array(length);
  seededRandom(seed)(out);
  return out;
};
const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

// Independent reference: carry-less multiplication, brute-force inverses, textbook Lagrange.
function refMul(a: number, b: number): number {
  let p = 0;
  while (b > 0) {
    if (b & 1) p ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11b;
    b >>= 1;
  }
  return p;
}
const REF_INV = Array.from({ length: 256 }, (_, a) => {
  for (let b = 1; b < 256; b++) if (refMul(a, b) === 1) return b;
  return 0;
});
function refInterpolate(xs: number[], ys: number[], at: number): number {
  let result = 0;
  for (let i = 0; i < xs.length; i++) {
    let term = ys[i];
    for (let j = 0; j < xs.length; j++) if (j !== i) term = refMul(term, refMul(at ^ xs[j], REF_INV[xs[i] ^ xs[j]]));
    result ^= term;
  }
  return result;
}

/** PROTOCOL.md "Key shares", written out plainly from the random draws the library made. */
function referenceSplit(key: Uint8Array, n: number, k: number, draws: Uint8Array[]): Uint8Array[] {
  if (k === 1) return Array.from({ length: n }, () => Uint8Array.from(key));
  const r = draws[0];
  const digest = new Uint8Array(key.length);
  digest.set(createHmac('sha256', r).update(key).digest().subarray(0, 4), 0);
  digest.set(r, 4);
  const xs = [255, 254];
  const ys = [key, digest];
  for (let x = 0; x < k - 2; x++) {
    xs.push(x);
    ys.push(draws[1 + x]);
  }
  return Array.from({ length: n }, (_, x) =>
    Uint8Array.from({ length: key.length }, (_, i) =>
      refInterpolate(
        xs,
        ys.map((y) => y[i]),
        x,
      ),
    ),
  );
}

/** Interpolate arbitrary shares at `at` (no digest check). */
function interpolateAt(shares: readonly Share[], at: number): Uint8Array {
  const weights = lagrangeWeights(
    shares.map((s) => s.x),
    at,
  );
  const out = new Uint8Array(shares[0].data.length);
  shares.forEach((s, i) => gfMulAccumulate(out, s.data, weights[i]));
  return out;
}

function* subsets(count: number, k: number): Generator<number[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let first = 0; first <= count - k; first++) {
    for (const rest of subsets(count - first - 1, k - 1)) yield [first, ...rest.map((i) => i + first + 1)];
  }
}

const corrupt = (share: Share, seed: number): Share => {
  const data = Uint8Array.from(share.data);
  data[seed % data.length] ^= 1 + (seed % 255);
  return { x: share.x, data };
};

describe('Shamir constants', () => {
  it('match PROTOCOL.md', () => {
    expect(SECRET_X).toBe(255);
    expect(DIGEST_X).toBe(254);
    expect(MIN_KEY_BYTES).toBe(4);
    expect(MAX_SHARES).toBe(16);
  });
});

describe('splitKey known answers', () => {
  it('matches a literal vector (key 0102..08, n=4, k=3, counter random)', () => {
    let counter = 0xa0;
    const random: RandomFill = (buffer) => {
      for (let i = 0; i < buffer.length; i++) buffer[i] = counter++;
    };
    const key = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const shares = splitKey(key, 4, 3, random);
    expect(shares.map((s) => s.x)).toEqual([0, 1, 2, 3]);
    // Computed by the independent reference below; share 0 is the second random draw verbatim.
    expect(shares.map((s) => hex(s.data))).toEqual(['a4a5a6a7a8a9aaab', '5d65a12b0d0e0f00', '45aba6c29a0f9858', 'bc6ba14e3fa83df3']);
    expect(
      referenceSplit(key, 4, 3, [Uint8Array.of(0xa0, 0xa1, 0xa2, 0xa3), Uint8Array.from({ length: 8 }, (_, i) => 0xa4 + i)]).map(hex),
    ).toEqual(shares.map((s) => hex(s.data)));
    // The digest point: HMAC-SHA256(R, key)[0..4) || R, with R = a0 a1 a2 a3.
    const tag = createHmac('sha256', Uint8Array.of(0xa0, 0xa1, 0xa2, 0xa3)).update(key).digest().subarray(0, 4);
    expect(hex(interpolateAt(shares.slice(0, 3), DIGEST_X))).toBe(`${hex(tag)}a0a1a2a3`);
    expect(interpolateAt(shares.slice(1, 4), SECRET_X)).toEqual(key);
  });

  it('k = 2: share x is key*(x^254) + digest*(x^255) (hand formula, since 255^254 = 1)', () => {
    const random = seededRandom(7);
    const key = bytes(12, 99);
    const shares = splitKey(key, 5, 2, random);
    expect(random.draws.map((d) => d.length)).toEqual([8]);
    const digest = new Uint8Array(12);
    digest.set(createHmac('sha256', random.draws[0]).update(key).digest().subarray(0, 4), 0);
    digest.set(random.draws[0], 4);
    for (const share of shares) {
      const expected = key.map((s, i) => refMul(s, share.x ^ 254) ^ refMul(digest[i], share.x ^ 255));
      expect(share.data).toEqual(expected);
    }
  });

  it('matches the independent reference split for many (n, k, length)', () => {
    for (const [n, k, length] of [
      [1, 1, 4],
      [3, 2, 4],
      [3, 3, 5],
      [5, 3, 16],
      [7, 4, 9],
      [16, 8, 6],
      [16, 16, 4],
    ]) {
      const random = seededRandom(n * 100 + k * 10 + length);
      const key = bytes(length, n + k);
      const shares = splitKey(key, n, k, random);
      expect(shares.map((s) => s.x)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(shares.map((s) => hex(s.data))).toEqual(referenceSplit(key, n, k, random.draws).map(hex));
    }
  });

  it('draws R (L-4 bytes) then one full-length buffer per random share; shares x=0..k-3 are those draws', () => {
    const random = seededRandom(1);
    const key = bytes(32, 2);
    const shares = splitKey(key, 9, 6, random);
    expect(random.draws.map((d) => d.length)).toEqual([28, 32, 32, 32, 32]);
    for (let x = 0; x < 4; x++) expect(shares[x].data).toEqual(random.draws[1 + x]);
    // Share data is a copy, not the RandomFill's buffer shared elsewhere.
    expect(new Set(shares.map((s) => s.data.buffer)).size).toBe(9);
  });

  it('k = 1: every share equals the key (and is a copy), no randomness is drawn', () => {
    const random = seededRandom(3);
    const key = bytes(16, 4);
    const shares = splitKey(key, 4, 1, random);
    expect(random.draws).toHaveLength(0);
    expect(shares.map((s) => s.x)).toEqual([0, 1, 2, 3]);
    for (const share of shares) expect(share.data).toEqual(key);
    shares[0].data[0] ^= 1;
    expect(shares[1].data).toEqual(key);
    expect(key).toEqual(bytes(16, 4));
  });

  it('does not modify the key', () => {
    const key = bytes(20, 5);
    splitKey(key, 5, 3);
    expect(key).toEqual(bytes(20, 5));
  });

  it('uses fresh secure randomness by default', () => {
    const key = bytes(16, 6);
    const a = splitKey(key, 3, 2);
    const b = splitKey(key, 3, 2);
    expect(hex(a[0].data)).not.toBe(hex(b[0].data));
    expect(recoverKey(a, 2)).toEqual(key);
    expect(recoverKey(b, 2)).toEqual(key);
  });
});

describe('recoverKey: every k-subset recovers', () => {
  const params: Array<[number, number]> = [
    [1, 1],
    [3, 2],
    [5, 3],
    [5, 5],
    [7, 4],
  ];
  for (const length of [4, 16, 32, 1024]) {
    for (const [n, k] of params) {
      it(`n=${n} k=${k}, ${length}-byte key`, () => {
        const key = bytes(length, n * 1000 + k * 100 + length);
        const shares = splitKey(key, n, k, seededRandom(length + n + k));
        let count = 0;
        for (const subset of subsets(n, k)) {
          const picked = subset.map((i) => shares[i]);
          expect(recoverKey(picked, k)).toEqual(key);
          // Order does not matter.
          expect(recoverKey([...picked].reverse(), k)).toEqual(key);
          count++;
        }
        expect(count).toBeGreaterThan(0);
        // With more than k shares, recoverKey uses the first k.
        if (n > k) expect(recoverKey(shares, k)).toEqual(key);
      });
    }
  }

  it('n=16 k=8: a sample of 8-subsets (property)', () => {
    const key = bytes(32, 1608);
    const shares = splitKey(key, 16, 8, seededRandom(1608));
    fc.assert(
      fc.property(fc.shuffledSubarray(shares, { minLength: 8, maxLength: 8 }), (picked) => {
        expect(recoverKey(picked, 8)).toEqual(key);
      }),
      { numRuns: 100 },
    );
  });

  it('one 64 KiB key, n=5 k=3, all 3-subsets', () => {
    const key = bytes(65536, 64);
    const shares = splitKey(key, 5, 3);
    for (const subset of subsets(5, 3)) {
      expect(Buffer.compare(recoverKey(subset.map((i) => shares[i]), 3), key)).toBe(0);
    }
  });

  it('random keys and parameters (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 64 }),
        fc.integer({ min: 1, max: 16 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }))),
        (key, [n, k]) => {
          const shares = splitKey(key, n, k);
          expect(shares).toHaveLength(n);
          const picked = shares.slice(n - k);
          expect(recoverKey(picked, k)).toEqual(key);
          expect(recoverKeyRobust(shares, k)).toEqual({ key, rejected: [], passed: k === 1 ? [0] : shares.slice(0, k).map((sh) => sh.x) });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('fewer than k shares', () => {
  for (const [n, k] of [
    [3, 2],
    [5, 3],
    [5, 5],
    [7, 4],
    [16, 8],
  ] as Array<[number, number]>) {
    it(`n=${n} k=${k}: k-1 shares never recover the key`, () => {
      const key = bytes(16, n * k);
      const shares = splitKey(key, n, k, seededRandom(n * k));
      const few = shares.slice(0, k - 1);
      expectCode(() => recoverKey(few, k), 'shamir.not-enough-shares');
      expectCode(() => recoverKeyRobust(few, k), 'shamir.not-enough-shares');
      if (k - 1 === 1) {
        // Taking the threshold as 1 just hands back the share, which is not the key.
        expect(recoverKey(few, 1)).not.toEqual(key);
      } else {
        // Interpolating k-1 points as if the threshold were k-1 fails the digest...
        expectCode(() => recoverKey(few, k - 1), 'shamir.digest-mismatch');
        expectCode(() => recoverKeyRobust(shares.slice(n - k + 1), k - 1), 'shamir.digest-mismatch');
        // ...and the value at x = 255 is not the key.
        expect(interpolateAt(few, SECRET_X)).not.toEqual(key);
      }
    });
  }
});

describe('tampering', () => {
  it('one flipped bit in any share used is detected (digest mismatch)', () => {
    const key = bytes(16, 11);
    const shares = splitKey(key, 5, 3, seededRandom(11));
    let checked = 0;
    for (let s = 0; s < 3; s++) {
      for (let byte = 0; byte < 16; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const tampered = shares.slice(0, 3).map((share) => ({ x: share.x, data: Uint8Array.from(share.data) }));
          tampered[s].data[byte] ^= 1 << bit;
          expectCode(() => recoverKey(tampered, 3), 'shamir.digest-mismatch');
          checked++;
        }
      }
    }
    expect(checked).toBe(3 * 16 * 8);
  });

  it('one flipped bit, longer keys and random positions (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 200 }),
        fc.integer({ min: 2, max: 8 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (key, k, shareIndex, byteIndex, bit) => {
          const shares = splitKey(key, k, k);
          const s = shareIndex % k;
          shares[s] = { x: shares[s].x, data: Uint8Array.from(shares[s].data) };
          shares[s].data[byteIndex % key.length] ^= 1 << bit;
          expectCode(() => recoverKey(shares, k), 'shamir.digest-mismatch');
          expectCode(() => recoverKeyRobust(shares, k), 'shamir.digest-mismatch');
        },
      ),
      { numRuns: 150 },
    );
  });

  for (const [n, k] of [
    [3, 2],
    [5, 3],
    [7, 3],
    [6, 4],
  ] as Array<[number, number]>) {
    it(`robust recovery n=${n} k=${k}: up to n-k corrupted shares are named in rejected; more fails`, () => {
      const key = bytes(24, n * 10 + k);
      const shares = splitKey(key, n, k, seededRandom(n * 10 + k));
      for (let bad = 0; bad <= n; bad++) {
        for (const corrupted of subsets(n, bad)) {
          const given = shares.map((s, i) => (corrupted.includes(i) ? corrupt(s, i * 31 + bad * 7 + 3) : s));
          if (bad <= n - k) {
            const result = recoverKeyRobust(given, k);
            expect(result.key).toEqual(key);
            expect([...result.rejected].sort((a, b) => a - b)).toEqual(corrupted.map((i) => shares[i].x));
            // The order in which the shares arrive does not matter.
            const reversed = recoverKeyRobust([...given].reverse(), k);
            expect(reversed.key).toEqual(key);
            expect([...reversed.rejected].sort((a, b) => a - b)).toEqual(corrupted.map((i) => shares[i].x));
          } else {
            expectCode(() => recoverKeyRobust(given, k), 'shamir.digest-mismatch');
          }
        }
      }
    });
  }

  it('robust recovery names shares by x, not by position', () => {
    const key = bytes(16, 21);
    const shares = splitKey(key, 6, 3, seededRandom(21));
    const given = [shares[5], corrupt(shares[2], 9), shares[0], shares[4]];
    // Tried by reach: [5, 2, 0] fails (2 is wrong), [5, 2, 4] fails, then [5, 0, 4] passes.
    expect(recoverKeyRobust(given, 3)).toEqual({ key, rejected: [2], passed: [5, 0, 4] });
  });

  it('a single wrong share among the first k+1 is left out within k+1 tries, even with 16 shares and k = 8', () => {
    const key = bytes(64, 41);
    const shares = splitKey(key, 16, 8, seededRandom(41));
    const given = [corrupt(shares[0], 3), ...shares.slice(1)];
    expect(recoverKeyRobust(given, 8, { maxSubsets: 9 })).toEqual({ key, rejected: [0], passed: [1, 2, 3, 4, 5, 6, 7, 8] });
  });

  it('the search is capped: past maxSubsets it fails rather than go on; a preferred subset that passed is tried first', () => {
    const key = bytes(32, 43);
    const shares = splitKey(key, 16, 8, seededRandom(43));
    // Nine wrong shares: no 8-subset passes; the default cap bounds the work.
    const bad = shares.map((s, i) => (i < 9 ? corrupt(s, i + 1) : s));
    expect(() => recoverKeyRobust(bad, 8)).toThrow('none of the first 256 k-subsets of the 16 key shares (k = 8) pass the digest check');
    // Liars at the front: by reach the first passing subset is far, but the batch's earlier subset passes at once.
    const liars = shares.map((s, i) => (i < 2 ? corrupt(s, 7) : s));
    const preferred = shares.slice(8, 16).map((s) => s.x);
    expect(recoverKeyRobust(liars, 8, { preferred, maxSubsets: 1 })).toEqual({ key, rejected: [0, 1], passed: preferred });
    expect(() => recoverKeyRobust(liars, 8, { maxSubsets: 1 })).toThrow(/none of the first 1 k-subsets/);
  });

  it('k = 1: robust recovery trusts the majority and names the others; a tie fails', () => {
    const key = bytes(8, 31);
    const shares = splitKey(key, 5, 1);
    const given = shares.map((s, i) => (i === 1 || i === 3 ? corrupt(s, i) : s));
    expect(recoverKeyRobust(given, 1)).toEqual({ key, rejected: [1, 3], passed: [0] });
    expect(recoverKeyRobust(shares, 1)).toEqual({ key, rejected: [], passed: [0] });
    expectCode(() => recoverKeyRobust([shares[0], corrupt(shares[1], 5)], 1), 'shamir.digest-mismatch');
  });
});

describe('parameter limits', () => {
  it('splitKey rejects bad key lengths and (n, k)', () => {
    for (const [length, n, k] of [
      [3, 3, 2],
      [0, 3, 2],
      [3, 1, 1],
      [16, 3, 0],
      [16, 3, 4],
      [16, 17, 2],
      [16, 17, 17],
      [16, 0, 0],
      [16, 3, 1.5],
      [16, 2.5, 2],
      [16, -1, 1],
    ]) {
      expectCode(() => splitKey(new Uint8Array(length), n, k), 'shamir.invalid-parameters');
    }
  });

  it('accepts the extremes: 4-byte key, n = k = 16', () => {
    const key = Uint8Array.of(9, 8, 7, 6);
    const shares = splitKey(key, 16, 16);
    expect(recoverKey(shares, 16)).toEqual(key);
    expectCode(() => recoverKey(shares.slice(0, 15), 16), 'shamir.not-enough-shares');
  });

  it('recoverKey and recoverKeyRobust reject bad share sets with their codes', () => {
    const key = bytes(16, 41);
    const shares = splitKey(key, 5, 3);
    for (const recover of [recoverKey, recoverKeyRobust]) {
      expectCode(() => recover(shares, 0), 'shamir.invalid-parameters');
      expectCode(() => recover(shares, 17), 'shamir.invalid-parameters');
      expectCode(() => recover(shares, 2.5), 'shamir.invalid-parameters');
      expectCode(() => recover([], 1), 'shamir.not-enough-shares');
      expectCode(() => recover(shares.slice(0, 2), 3), 'shamir.not-enough-shares');
      expectCode(() => recover([shares[0], shares[1], { x: 1, data: shares[2].data }], 3), 'shamir.invalid-shares');
      expectCode(() => recover([shares[0], shares[1], { x: 2, data: shares[2].data.subarray(1) }], 3), 'shamir.invalid-shares');
      expectCode(() => recover([shares[0], shares[1], { x: 2, data: new Uint8Array(17) }], 3), 'shamir.invalid-shares');
      for (const x of [-1, 254, 255, 1.5, Number.NaN]) {
        expectCode(() => recover([shares[0], shares[1], { x, data: shares[2].data }], 3), 'shamir.invalid-shares');
      }
      const short = [0, 1, 2].map((x) => ({ x, data: new Uint8Array(3) }));
      expectCode(() => recover(short, 3), 'shamir.invalid-shares');
    }
  });
});
