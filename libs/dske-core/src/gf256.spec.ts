import fc from 'fast-check';
import { split as ossSplit } from 'shamir-secret-sharing';
import { describe, expect, it } from 'vitest';
import { gfAdd, gfDiv, gfInv, gfMul, gfMulAccumulate, gfMulTable, lagrangeWeights } from './gf256';
import { splitKey } from './shamir';
import { expectCode } from './test-helpers/expect-code';


/** Carry-less "Russian peasant" multiplication, reduced by 0x11B; independent of the tables. */
function peasantMul(a: number, b: number): number {
  let product = 0;
  while (b > 0) {
    if (b & 1) product ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11b;
    b >>= 1;
  }
  return product;
}

/** Inverse by exhaustive search with the reference multiplication. */
function bruteInverse(a: number): number {
  for (let b = 1; b < 256; b++) if (peasantMul(a, b) === 1) return b;
  throw new Error(`no inverse for ${a}`);
}

/** Straightforward Lagrange interpolation with the reference arithmetic. */
function referenceInterpolate(xs: number[], ys: number[], at: number): number {
  let result = 0;
  for (let i = 0; i < xs.length; i++) {
    let term = ys[i];
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      term = peasantMul(term, peasantMul(at ^ xs[j], bruteInverse(xs[i] ^ xs[j])));
    }
    result ^= term;
  }
  return result;
}

describe('GF(2^8) known answers (FIPS-197)', () => {
  it('multiplies the FIPS-197 examples', () => {
    expect(gfMul(0x57, 0x83)).toBe(0xc1);
    expect(gfMul(0x83, 0x57)).toBe(0xc1);
    expect(gfMul(0x57, 0x13)).toBe(0xfe);
    // xtime chain of FIPS-197 section 4.2.1
    expect(gfMul(0x57, 0x02)).toBe(0xae);
    expect(gfMul(0x57, 0x04)).toBe(0x47);
    expect(gfMul(0x57, 0x08)).toBe(0x8e);
    expect(gfMul(0x57, 0x10)).toBe(0x07);
  });

  it('inverts 0x53 to 0xca and back', () => {
    expect(gfInv(0x53)).toBe(0xca);
    expect(gfInv(0xca)).toBe(0x53);
    expect(gfMul(0x53, 0xca)).toBe(1);
  });

  it('treats 1 as the identity and 0 as absorbing', () => {
    for (let a = 0; a < 256; a++) {
      expect(gfMul(a, 1)).toBe(a);
      expect(gfMul(1, a)).toBe(a);
      expect(gfMul(a, 0)).toBe(0);
      expect(gfMul(0, a)).toBe(0);
    }
    expect(gfInv(1)).toBe(1);
    expect(gfDiv(0, 0x53)).toBe(0);
    expect(gfDiv(0x53, 1)).toBe(0x53);
  });

  it('adds by XOR', () => {
    expect(gfAdd(0x57, 0x83)).toBe(0xd4);
    expect(gfAdd(0xff, 0xff)).toBe(0);
    expect(gfAdd(0, 0x42)).toBe(0x42);
  });

  it('throws gf256.division-by-zero for 1/0 and a/0', () => {
    expectCode(() => gfInv(0), 'gf256.division-by-zero');
    expectCode(() => gfDiv(5, 0), 'gf256.division-by-zero');
    expectCode(() => gfDiv(0, 0), 'gf256.division-by-zero');
  });
});

describe('GF(2^8) full tables', () => {
  it('matches the carry-less reference multiplication for all 65536 pairs', () => {
    let mismatches = 0;
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) if (gfMul(a, b) !== peasantMul(a, b)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('gives a * inv(a) = 1 for every nonzero a, and inv matches brute force', () => {
    for (let a = 1; a < 256; a++) {
      const inv = gfInv(a);
      expect(peasantMul(a, inv)).toBe(1);
      expect(inv).toBe(bruteInverse(a));
    }
  });

  it('divides as the inverse of multiplication for all pairs', () => {
    let mismatches = 0;
    for (let a = 0; a < 256; a++) {
      for (let b = 1; b < 256; b++) {
        if (gfDiv(peasantMul(a, b), b) !== a) mismatches++;
        if (gfDiv(a, b) !== peasantMul(a, bruteInverse(b))) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  it('gfMulTable(c)[y] = c*y for every c and y', () => {
    let mismatches = 0;
    for (let c = 0; c < 256; c++) {
      const table = gfMulTable(c);
      expect(table.length).toBe(256);
      for (let y = 0; y < 256; y++) if (table[y] !== peasantMul(c, y)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});

describe('gfMulAccumulate', () => {
  it('adds c * source into target for c = 0, 1 and others', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }).chain((src) =>
          fc.tuple(fc.constant(src), fc.uint8Array({ minLength: src.length, maxLength: src.length }), fc.integer({ min: 0, max: 255 })),
        ),
        ([source, target, c]) => {
          const expected = target.map((t, i) => t ^ peasantMul(c, source[i]));
          const sourceCopy = Uint8Array.from(source);
          const out = Uint8Array.from(target);
          gfMulAccumulate(out, source, c);
          expect(out).toEqual(expected);
          expect(source).toEqual(sourceCopy);
        },
      ),
      { numRuns: 300 },
    );
    const target = Uint8Array.of(1, 2, 3);
    gfMulAccumulate(target, Uint8Array.of(9, 9, 9), 0);
    expect(target).toEqual(Uint8Array.of(1, 2, 3));
    gfMulAccumulate(target, Uint8Array.of(1, 1, 1), 1);
    expect(target).toEqual(Uint8Array.of(0, 3, 2));
  });
});

describe('lagrangeWeights', () => {
  it('interpolates like the reference for random points', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 10, maxLength: 10 }),
        fc.integer({ min: 0, max: 255 }),
        (xs, ysAll, at) => {
          const ys = ysAll.slice(0, xs.length);
          const weights = lagrangeWeights(xs, at);
          const value = weights.reduce((acc, w, i) => acc ^ peasantMul(w, ys[i]), 0);
          expect(value).toBe(referenceInterpolate(xs, ys, at));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('weights sum to 1 (a constant interpolates to itself) and are a unit vector at a node', () => {
    const xs = [255, 254, 0, 1, 7];
    for (const at of [0, 3, 100, 253]) expect(lagrangeWeights(xs, at).reduce((a, b) => a ^ b, 0)).toBe(1);
    expect(lagrangeWeights(xs, 0)).toEqual([0, 0, 1, 0, 0]);
    expect(lagrangeWeights(xs, 255)).toEqual([1, 0, 0, 0, 0]);
  });

  it('hand-checked two-point line through x=255 and x=254', () => {
    // 255 ^ 254 = 1, so the weights at x are (x ^ 254, x ^ 255).
    expect(lagrangeWeights([255, 254], 0)).toEqual([254, 255]);
    expect(lagrangeWeights([255, 254], 2)).toEqual([252, 253]);
  });

  it('throws division-by-zero on a repeated x', () => {
    expectCode(() => lagrangeWeights([3, 3], 0), 'gf256.division-by-zero');
  });
});

describe('oracle: shamir-secret-sharing uses the same 0x11B field', () => {
  // Its shares are the y bytes followed by one byte holding x (1..255); the secret sits at x = 0.
  const combineAtZero = (shares: Uint8Array[]): Uint8Array => {
    const length = shares[0].length - 1;
    const weights = lagrangeWeights(
      shares.map((s) => s[length]),
      0,
    );
    const out = new Uint8Array(length);
    shares.forEach((s, i) => gfMulAccumulate(out, s.subarray(0, length), weights[i]));
    return out;
  };

  it('our interpolation at x = 0 recovers secrets split by the oracle', async () => {
    const cases: Array<[number, number, number]> = [
      [2, 2, 1],
      [5, 3, 32],
      [7, 4, 100],
      [10, 10, 17],
    ];
    for (const [n, k, length] of cases) {
      const secret = Uint8Array.from({ length }, (_, i) => (i * 89 + n * 7 + k) & 0xff);
      const shares = await ossSplit(secret, n, k);
      expect(shares).toHaveLength(n);
      for (const share of shares) expect(share.length).toBe(length + 1);
      // Every window of k consecutive shares recovers the secret.
      for (let start = 0; start + k <= n; start++) expect(combineAtZero(shares.slice(start, start + k))).toEqual(secret);
      // k-1 shares do not (for a secret this long, the chance of a match is negligible).
      if (k > 1 && length >= 16) expect(combineAtZero(shares.slice(0, k - 1))).not.toEqual(secret);
    }
  });

  it('the oracle recovers the value at x = 0 of our share polynomial', async () => {
    const { combine } = await import('shamir-secret-sharing');
    const key = Uint8Array.from({ length: 24 }, (_, i) => (i * 31 + 5) & 0xff);
    const shares = splitKey(key, 6, 4);
    // Shares x = 1..4 lie on a degree-3 polynomial; the oracle interpolates it at 0, which is our share x = 0.
    const encoded = shares.slice(1, 5).map((s) => {
      const out = new Uint8Array(s.data.length + 1);
      out.set(s.data);
      out[s.data.length] = s.x;
      return out;
    });
    expect(await combine(encoded)).toEqual(shares[0].data);
  });
});
