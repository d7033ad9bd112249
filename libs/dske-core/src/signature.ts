import { createHmac, timingSafeEqual } from 'node:crypto';
import { DskeError } from './errors';
import { Fragment, fragmentsFromText, fragmentsToText } from './psrd/fragment';
import { PsrdPool } from './psrd/pool';

/**
 * The DSKE-Signature codec, used by both ends: `[v2;]<allocation text>%<base64 HMAC>`
 * where the HMAC-SHA256 key is 32 PSRD bytes from the sender's local pool.
 *
 * v1 (the reference's): the MAC covers the raw query string (without '?')
 * followed by the raw body, nothing else: a byte can move between query and
 * body, and neither the method, the path nor (for an answer) the request it
 * answers are covered. v2 frames the whole message: for a request
 * `DSKE-MAC v2 request\n METHOD \n PATH \n` then the query and the body each
 * after its length (4 bytes, big-endian); for an answer `DSKE-MAC v2
 * response\n`, the status (4 bytes), the allocation text of the request's own
 * signature (length-prefixed), which binds the answer to that request, and
 * the body (length-prefixed). A peer answers in the version it was asked in.
 */
export const SIGNATURE_HEADER = 'DSKE-Signature';
export const SIGNING_KEY_BYTES = 32;
const MAC_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export type SignatureVersion = 1 | 2;
const V2_PREFIX = 'v2;';

export interface ParsedSignature {
  version: SignatureVersion;
  fragments: Fragment[];
  mac: Uint8Array;
}

/** What a v2 signature covers besides the query and the body. */
export type MacFrame = { kind: 'request'; method: string; path: string } | { kind: 'response'; status: number; request: string };

type Bytes = Uint8Array | string;
const asBytes = (value: Bytes): Uint8Array => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value);

export function computeMac(key: Uint8Array, query: Bytes, body: Bytes): Uint8Array {
  return createHmac('sha256', key).update(asBytes(query)).update(asBytes(body)).digest();
}

function lengthPrefixed(value: Bytes): Uint8Array[] {
  const bytes = asBytes(value);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

/** The v2 MAC: every part of the message in a frame that cannot be read two ways. */
export function computeMacV2(key: Uint8Array, frame: MacFrame, query: Bytes, body: Bytes): Uint8Array {
  const hmac = createHmac('sha256', key);
  if (frame.kind === 'request') {
    hmac.update(`DSKE-MAC v2 request\n${frame.method}\n${frame.path}\n`);
    for (const part of [...lengthPrefixed(query), ...lengthPrefixed(body)]) hmac.update(part);
  } else {
    const status = Buffer.alloc(4);
    status.writeUInt32BE(frame.status);
    hmac.update('DSKE-MAC v2 response\n').update(status);
    for (const part of [...lengthPrefixed(frame.request), ...lengthPrefixed(body)]) hmac.update(part);
  }
  return hmac.digest();
}

/** The allocation text a signature header names (what a v2 answer binds to). */
export function signatureAllocation(header: string): string {
  return header.replace(/^v2;/, '').split('%')[0];
}

export function formatSignature(fragments: readonly Fragment[], mac: Uint8Array, version: SignatureVersion = 1): string {
  return `${version === 2 ? V2_PREFIX : ''}${fragmentsToText(fragments)}%${Buffer.from(mac).toString('base64')}`;
}

function macFor(version: SignatureVersion, key: Uint8Array, frame: MacFrame | undefined, query: Bytes, body: Bytes): Uint8Array {
  if (version === 1) return computeMac(key, query, body);
  if (frame === undefined) throw new DskeError('signature.malformed', `a v2 ${SIGNATURE_HEADER} needs the message's frame`);
  return computeMacV2(key, frame, query, body);
}

export function parseSignature(header: unknown): ParsedSignature {
  if (header === undefined || header === null || header === '') {
    throw new DskeError('signature.missing', `missing ${SIGNATURE_HEADER} header`);
  }
  if (typeof header !== 'string') throw new DskeError('signature.malformed', `${SIGNATURE_HEADER} header must appear once`);
  const version: SignatureVersion = header.startsWith(V2_PREFIX) ? 2 : 1;
  const parts = header.slice(version === 2 ? V2_PREFIX.length : 0).split('%');
  if (parts.length !== 2) {
    throw new DskeError('signature.malformed', `${SIGNATURE_HEADER} must be <allocation>%<base64 mac>`);
  }
  const [allocationText, macText] = parts;
  let fragments: Fragment[];
  try {
    fragments = fragmentsFromText(allocationText);
  } catch (error) {
    throw new DskeError('signature.malformed', `${SIGNATURE_HEADER} allocation: ${(error as Error).message}`);
  }
  if (!BASE64.test(macText) || macText.length % 4 !== 0) {
    throw new DskeError('signature.malformed', `${SIGNATURE_HEADER} MAC is not base64`);
  }
  const mac = Buffer.from(macText, 'base64');
  if (mac.length !== MAC_BYTES) {
    throw new DskeError('signature.malformed', `${SIGNATURE_HEADER} MAC must be ${MAC_BYTES} bytes, got ${mac.length}`);
  }
  return { version, fragments, mac };
}

/** Sign with 32 fresh bytes from the sender's local pool; returns the header value (v1 without a frame). */
export function signMessage(localPool: PsrdPool, query: Bytes, body: Bytes, frame?: MacFrame): string {
  const allocation = localPool.allocate(SIGNING_KEY_BYTES);
  const version: SignatureVersion = frame === undefined ? 1 : 2;
  const header = formatSignature(allocation.fragments, macFor(version, allocation.bytes, frame, query, body), version);
  allocation.bytes.fill(0);
  return header;
}

/** Sign with a key already allocated (a hub's answer), in the version of the request it answers. */
export function signWithKey(key: { fragments: readonly Fragment[]; bytes: Uint8Array }, version: SignatureVersion, frame: MacFrame, body: Bytes): string {
  const header = formatSignature(key.fragments, macFor(version, key.bytes, frame, '', body), version);
  // A key signs one message: wiped once used.
  key.bytes.fill(0);
  return header;
}

/**
 * Verify a request from a caller not yet authenticated (a hub's view): a
 * malformed header is reported as such, but every way the named key can fail
 * (unknown block, bytes out of range or used, wrong MAC) is the same
 * signature.invalid, so a caller learns nothing about the receiver's pool.
 */
export function verifyRequest(peerPool: PsrdPool, header: unknown, query: Bytes, body: Bytes, frame?: MacFrame): ParsedSignature {
  const parsed = parseSignature(header);
  try {
    verifyParsed(peerPool, parsed, query, body, frame);
  } catch {
    throw new DskeError('signature.invalid', `${SIGNATURE_HEADER} does not verify`);
  }
  return parsed;
}

/**
 * Verify a header against the receiver's peer pool. The named bytes are used
 * only when the MAC matches, so a forged message spends no PSRD.
 */
export function verifyMessage(peerPool: PsrdPool, header: unknown, query: Bytes, body: Bytes, frame?: MacFrame): ParsedSignature {
  const parsed = parseSignature(header);
  verifyParsed(peerPool, parsed, query, body, frame);
  return parsed;
}

function verifyParsed(peerPool: PsrdPool, { version, fragments, mac }: ParsedSignature, query: Bytes, body: Bytes, frame: MacFrame | undefined): void {
  let key: Uint8Array;
  try {
    key = peerPool.peek(fragments, SIGNING_KEY_BYTES);
  } catch (error) {
    // An unknown block keeps its own code: the pools are out of step and the sender should re-register.
    const code = error instanceof DskeError && error.code === 'psrd.unknown-block' ? error.code : 'signature.malformed';
    throw new DskeError(code, `${SIGNATURE_HEADER} allocation: ${(error as Error).message}`);
  }
  let expected: Uint8Array;
  try {
    expected = macFor(version, key, frame, query, body);
  } finally {
    key.fill(0);
  }
  if (!timingSafeEqual(expected, mac)) throw new DskeError('signature.invalid', `${SIGNATURE_HEADER} does not match the message`);
  peerPool.consume(fragments);
}
