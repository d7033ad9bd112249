import { createHmac, timingSafeEqual } from 'node:crypto';
import { DskeError } from './errors';
import { Fragment, fragmentsFromText, fragmentsToText } from './psrd/fragment';
import { PsrdPool } from './psrd/pool';

/**
 * The DSKE-Signature codec, used by both ends: `<allocation text>%<base64 HMAC>`
 * where the HMAC-SHA256 key is 32 PSRD bytes from the sender's local pool and
 * the message is the raw query string (without '?') followed by the raw body.
 */
export const SIGNATURE_HEADER = 'DSKE-Signature';
export const SIGNING_KEY_BYTES = 32;
const MAC_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface ParsedSignature {
  fragments: Fragment[];
  mac: Uint8Array;
}

type Bytes = Uint8Array | string;
const asBytes = (value: Bytes): Uint8Array => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value);

export function computeMac(key: Uint8Array, query: Bytes, body: Bytes): Uint8Array {
  return createHmac('sha256', key).update(asBytes(query)).update(asBytes(body)).digest();
}

export function formatSignature(fragments: readonly Fragment[], mac: Uint8Array): string {
  return `${fragmentsToText(fragments)}%${Buffer.from(mac).toString('base64')}`;
}

export function parseSignature(header: unknown): ParsedSignature {
  if (header === undefined || header === null || header === '') {
    throw new DskeError('signature.missing', `missing ${SIGNATURE_HEADER} header`);
  }
  if (typeof header !== 'string') throw new DskeError('signature.malformed', `${SIGNATURE_HEADER} header must appear once`);
  const parts = header.split('%');
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
  return { fragments, mac };
}

/** Sign with 32 fresh bytes from the sender's local pool; returns the header value. */
export function signMessage(localPool: PsrdPool, query: Bytes, body: Bytes): string {
  const allocation = localPool.allocate(SIGNING_KEY_BYTES);
  return formatSignature(allocation.fragments, computeMac(allocation.bytes, query, body));
}

/**
 * Verify a request from a caller not yet authenticated (a hub's view): a
 * malformed header is reported as such, but every way the named key can fail
 * (unknown block, bytes out of range or used, wrong MAC) is the same
 * signature.invalid, so a caller learns nothing about the receiver's pool.
 */
export function verifyRequest(peerPool: PsrdPool, header: unknown, query: Bytes, body: Bytes): void {
  const parsed = parseSignature(header);
  try {
    verifyParsed(peerPool, parsed, query, body);
  } catch {
    throw new DskeError('signature.invalid', `${SIGNATURE_HEADER} does not verify`);
  }
}

/**
 * Verify a header against the receiver's peer pool. The named bytes are used
 * only when the MAC matches, so a forged message spends no PSRD.
 */
export function verifyMessage(peerPool: PsrdPool, header: unknown, query: Bytes, body: Bytes): void {
  verifyParsed(peerPool, parseSignature(header), query, body);
}

function verifyParsed(peerPool: PsrdPool, { fragments, mac }: ReturnType<typeof parseSignature>, query: Bytes, body: Bytes): void {
  let key: Uint8Array;
  try {
    key = peerPool.peek(fragments, SIGNING_KEY_BYTES);
  } catch (error) {
    // An unknown block keeps its own code: the pools are out of step and the sender should re-register.
    const code = error instanceof DskeError && error.code === 'psrd.unknown-block' ? error.code : 'signature.malformed';
    throw new DskeError(code, `${SIGNATURE_HEADER} allocation: ${(error as Error).message}`);
  }
  const expected = computeMac(key, query, body);
  if (!timingSafeEqual(expected, mac)) throw new DskeError('signature.invalid', `${SIGNATURE_HEADER} does not match the message`);
  peerPool.consume(fragments);
}
