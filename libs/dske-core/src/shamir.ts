import { createHmac, randomFillSync } from 'node:crypto';
import { DskeError } from './errors';
import { gfMulAccumulate, lagrangeWeights } from './gf256';

/**
 * Shamir secret sharing over GF(2^8), byte-wise, as PROTOCOL.md specifies:
 * the secret sits at x = 255, a digest point at x = 254, the first k-2 shares
 * (x = 0..k-3) are random and the rest are interpolated. With k = 1 every
 * share is the key itself.
 */
export const SECRET_X = 255;
export const DIGEST_X = 254;
export const MIN_KEY_BYTES = 4;
export const MAX_SHARES = 16;
const DIGEST_TAG_BYTES = 4;

export interface Share {
  /** x-coordinate: the share's index, 0..n-1. */
  readonly x: number;
  readonly data: Uint8Array;
}

export interface RecoveryResult {
  readonly key: Uint8Array;
  /** x-coordinates of shares that do not lie on the recovered polynomial. */
  readonly rejected: number[];
  /** x-coordinates of the k shares that passed: try them first for the other keys of a batch. */
  readonly passed: number[];
}

/**
 * At most this many k-subsets are tried per key: with one lying hub among
 * 16 and k = 8 the search would otherwise try up to 12,870, each an
 * interpolation over the whole key, blocking the event loop for seconds.
 */
export const MAX_RECOVERY_SUBSETS = 256;

export interface RobustRecoveryOptions {
  /** x-coordinates of a subset that passed for an earlier key of the same batch; tried first. */
  preferred?: readonly number[];
  maxSubsets?: number;
}

export type RandomFill = (buffer: Uint8Array) => void;
const secureRandom: RandomFill = (buffer) => {
  randomFillSync(buffer);
};

function checkParameters(keyLength: number, n: number, k: number): void {
  if (!Number.isInteger(keyLength) || keyLength < MIN_KEY_BYTES) {
    throw new DskeError('shamir.invalid-parameters', `key must be at least ${MIN_KEY_BYTES} bytes, got ${keyLength}`);
  }
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 1 || k > n || n > MAX_SHARES) {
    throw new DskeError('shamir.invalid-parameters', `need 1 <= k <= n <= ${MAX_SHARES}, got k=${k} n=${n}`);
  }
}

function digestTag(random: Uint8Array, secret: Uint8Array): Uint8Array {
  return createHmac('sha256', random).update(secret).digest().subarray(0, DIGEST_TAG_BYTES);
}

function interpolate(points: readonly Share[], at: number, length: number): Uint8Array {
  const weights = lagrangeWeights(
    points.map((p) => p.x),
    at,
  );
  const out = new Uint8Array(length);
  points.forEach((p, i) => gfMulAccumulate(out, p.data, weights[i]));
  return out;
}

/** Split `key` into n shares, any k of which recover it. */
export function splitKey(key: Uint8Array, n: number, k: number, random: RandomFill = secureRandom): Share[] {
  checkParameters(key.length, n, k);
  if (k === 1) return Array.from({ length: n }, (_, x) => ({ x, data: Uint8Array.from(key) }));

  const length = key.length;
  const r = new Uint8Array(length - DIGEST_TAG_BYTES);
  random(r);
  const digest = new Uint8Array(length);
  digest.set(digestTag(r, key), 0);
  digest.set(r, DIGEST_TAG_BYTES);

  const points: Share[] = [
    { x: SECRET_X, data: key },
    { x: DIGEST_X, data: digest },
  ];
  const shares: Share[] = [];
  for (let x = 0; x < k - 2; x++) {
    const data = new Uint8Array(length);
    random(data);
    points.push({ x, data });
    shares.push({ x, data });
  }
  for (let x = k - 2; x < n; x++) shares.push({ x, data: interpolate(points, x, length) });
  return shares;
}

function checkShares(shares: readonly Share[], k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > MAX_SHARES) {
    throw new DskeError('shamir.invalid-parameters', `need 1 <= k <= ${MAX_SHARES}, got k=${k}`);
  }
  if (shares.length < k) {
    throw new DskeError('shamir.not-enough-shares', `need ${k} shares, got ${shares.length}`);
  }
  const length = shares[0].data.length;
  const seen = new Set<number>();
  for (const share of shares) {
    if (!Number.isInteger(share.x) || share.x < 0 || share.x >= DIGEST_X) {
      throw new DskeError('shamir.invalid-shares', `share index ${share.x} is outside 0..${DIGEST_X - 1}`);
    }
    if (seen.has(share.x)) throw new DskeError('shamir.invalid-shares', `share index ${share.x} appears twice`);
    seen.add(share.x);
    if (share.data.length !== length) throw new DskeError('shamir.invalid-shares', 'shares differ in length');
  }
  if (length < MIN_KEY_BYTES) {
    throw new DskeError('shamir.invalid-shares', `shares must be at least ${MIN_KEY_BYTES} bytes, got ${length}`);
  }
  return length;
}

/** Interpolate exactly these k points and check the digest; undefined when it fails. */
function tryRecover(points: readonly Share[], length: number): Uint8Array | undefined {
  const secret = interpolate(points, SECRET_X, length);
  const digest = interpolate(points, DIGEST_X, length);
  const expected = digestTag(digest.subarray(DIGEST_TAG_BYTES), secret);
  let diff = 0;
  for (let i = 0; i < DIGEST_TAG_BYTES; i++) diff |= expected[i] ^ digest[i];
  return diff === 0 ? secret : undefined;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Recover from exactly the first k shares given; throws when the digest fails. */
export function recoverKey(shares: readonly Share[], k: number): Uint8Array {
  const length = checkShares(shares, k);
  if (k === 1) return Uint8Array.from(shares[0].data);
  const key = tryRecover(shares.slice(0, k), length);
  if (!key) throw new DskeError('shamir.digest-mismatch', 'key shares do not pass the digest check');
  return key;
}

function* kSubsets(count: number, k: number): Generator<number[]> {
  const index = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield index.slice();
    let i = k - 1;
    while (i >= 0 && index[i] === count - k + i) i--;
    if (i < 0) return;
    index[i]++;
    for (let j = i + 1; j < k; j++) index[j] = index[j - 1] + 1;
  }
}

/**
 * Every k-subset of `count` indexes, those of the first k+1 indexes first,
 * then those that need index k+1, and so on: a single wrong share among the
 * first k+1 is left out within k+1 tries (lexicographic order could take
 * thousands).
 */
function* subsetsByReach(count: number, k: number): Generator<number[]> {
  yield Array.from({ length: k }, (_, i) => i);
  for (let last = k; last < count; last++) {
    for (const rest of kSubsets(last, k - 1)) yield [...rest, last];
  }
}

/**
 * Recover from k or more shares some of which may be wrong: find a k-subset
 * that passes the digest (the `preferred` one first, then by reach, at most
 * `maxSubsets`), then name every share that is not on its polynomial.
 * Throws when no subset tried passes.
 */
export function recoverKeyRobust(shares: readonly Share[], k: number, options: RobustRecoveryOptions = {}): RecoveryResult {
  const length = checkShares(shares, k);
  if (k === 1) return recoverByMajority(shares);
  const maxSubsets = options.maxSubsets ?? MAX_RECOVERY_SUBSETS;
  const preferred = options.preferred?.map((x) => shares.findIndex((s) => s.x === x));
  const first = preferred !== undefined && preferred.length === k && preferred.every((i) => i >= 0) ? [preferred] : [];
  let tried = 0;
  for (const subset of (function* () {
    yield* first;
    yield* subsetsByReach(shares.length, k);
  })()) {
    if (tried++ >= maxSubsets) break;
    const points = subset.map((i) => shares[i]);
    const key = tryRecover(points, length);
    if (!key) continue;
    const inSubset = new Set(subset);
    const rejected = shares
      .filter((share, i) => !inSubset.has(i) && !equalBytes(interpolate(points, share.x, length), share.data))
      .map((share) => share.x);
    return { key, rejected, passed: points.map((p) => p.x) };
  }
  throw new DskeError(
    'shamir.digest-mismatch',
    tried > maxSubsets
      ? `none of the first ${maxSubsets} k-subsets of the ${shares.length} key shares (k = ${k}) pass the digest check`
      : `no ${k} of the ${shares.length} key shares pass the digest check`,
  );
}

/** k = 1 carries no digest: every share is the key, so trust the value most shares agree on. */
function recoverByMajority(shares: readonly Share[]): RecoveryResult {
  const groups = new Map<string, Share[]>();
  for (const share of shares) {
    const id = Buffer.from(share.data).toString('base64');
    groups.set(id, [...(groups.get(id) ?? []), share]);
  }
  const ranked = [...groups.values()].sort((a, b) => b.length - a.length);
  if (ranked.length > 1 && ranked[0].length === ranked[1].length) {
    throw new DskeError('shamir.digest-mismatch', 'key shares disagree and no value has a majority');
  }
  const winners = new Set(ranked[0]);
  return {
    key: Uint8Array.from(ranked[0][0].data),
    rejected: shares.filter((s) => !winners.has(s)).map((s) => s.x),
    passed: [ranked[0][0].x],
  };
}
