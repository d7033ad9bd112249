import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { DskeError } from './errors';

/** AES-256-GCM: a 32-byte storage key, a random 96-bit nonce per record, a 128-bit tag. */
export const STORAGE_KEY_BYTES = 32;
export const SEAL_NONCE_BYTES = 12;
export const SEAL_TAG_BYTES = 16;
/** First byte of every sealed record, so that a later format can be told apart. */
export const SEAL_VERSION = 1;

/**
 * Seals records that a node keeps outside its process (a Redis, a file), so
 * that a reader of the store learns nothing of their contents and cannot move
 * one record into another's place: the record's key is the associated data.
 * Layout: version (1) || nonce (12) || ciphertext || tag (16).
 */
export class RecordSeal {
  private readonly key: Buffer;
  /** A key of its own for record names, derived from the storage key (never the sealing key itself). */
  private readonly nameKey: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== STORAGE_KEY_BYTES) throw new DskeError('seal.invalid-key', `a storage key is ${STORAGE_KEY_BYTES} bytes, got ${key.length}`);
    this.key = Buffer.from(key);
    this.nameKey = createHmac('sha256', this.key).update('dske record names').digest();
  }

  /**
   * An opaque name for a record whose key would tell something (a client's
   * name, a block's UUID): 32 hex digits of HMAC-SHA-256 under a key derived
   * from the storage key. The same key always gets the same name.
   */
  nameOf(recordKey: string): string {
    return createHmac('sha256', this.nameKey).update(recordKey, 'utf8').digest('hex').slice(0, 32);
  }

  seal(recordKey: string, plaintext: Uint8Array): Buffer {
    return sealWithNonce(this.key, randomBytes(SEAL_NONCE_BYTES), Buffer.from(recordKey, 'utf8'), plaintext);
  }

  /** The plaintext, or undefined when the record is not one this key sealed under this record key. */
  open(recordKey: string, sealed: Uint8Array): Buffer | undefined {
    return openSealed(this.key, Buffer.from(recordKey, 'utf8'), sealed);
  }
}

/** The seal with a given nonce: for known-answer tests only; records take a random one. */
export function sealWithNonce(key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: SEAL_TAG_BYTES });
  cipher.setAAD(associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(SEAL_VERSION), nonce, body, cipher.getAuthTag()]);
}

export function openSealed(key: Uint8Array, associatedData: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < 1 + SEAL_NONCE_BYTES + SEAL_TAG_BYTES || sealed[0] !== SEAL_VERSION) return undefined;
  const nonce = sealed.subarray(1, 1 + SEAL_NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - SEAL_TAG_BYTES);
  const body = sealed.subarray(1 + SEAL_NONCE_BYTES, sealed.length - SEAL_TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: SEAL_TAG_BYTES });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}
