import { DskeError } from './errors';

/**
 * GF(2^8) with the AES reduction polynomial x^8 + x^4 + x^3 + x + 1 (0x11B).
 * Multiplication goes through log/exp tables built from the generator 0x03.
 */
const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);

(function buildTables() {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    // x * 3 = x * 2 XOR x, reducing by 0x11B when x * 2 overflows a byte.
    let doubled = x << 1;
    if (doubled & 0x100) doubled ^= 0x11b;
    x = doubled ^ x;
  }
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255];
})();

export function gfAdd(a: number, b: number): number {
  return a ^ b;
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a] + LOG[b]];
}

export function gfInv(a: number): number {
  if (a === 0) throw new DskeError('gf256.division-by-zero', 'zero has no inverse in GF(2^8)');
  return EXP[255 - LOG[a]];
}

export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new DskeError('gf256.division-by-zero', 'division by zero in GF(2^8)');
  if (a === 0) return 0;
  return EXP[LOG[a] + 255 - LOG[b]];
}

/** The 256-entry table of y -> c*y, so scaling a long buffer is one lookup per byte. */
export function gfMulTable(c: number): Uint8Array {
  const table = new Uint8Array(256);
  if (c === 0) return table;
  const logC = LOG[c];
  for (let y = 1; y < 256; y++) table[y] = EXP[LOG[y] + logC];
  return table;
}

/** target ^= c * source, byte by byte (both the same length). */
export function gfMulAccumulate(target: Uint8Array, source: Uint8Array, c: number): void {
  if (c === 0) return;
  if (c === 1) {
    for (let i = 0; i < target.length; i++) target[i] ^= source[i];
    return;
  }
  const table = gfMulTable(c);
  for (let i = 0; i < target.length; i++) target[i] ^= table[source[i]];
}

/**
 * Lagrange basis weights: the value at `at` of the polynomial through the
 * points with x-coordinates `xs` is sum(weights[i] * y[i]).
 */
export function lagrangeWeights(xs: readonly number[], at: number): number[] {
  return xs.map((xi, i) => {
    let numerator = 1;
    let denominator = 1;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      numerator = gfMul(numerator, at ^ xs[j]);
      denominator = gfMul(denominator, xi ^ xs[j]);
    }
    return gfDiv(numerator, denominator);
  });
}
