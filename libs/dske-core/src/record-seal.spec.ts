import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DskeError } from './errors';
import { openSealed, RecordSeal, SEAL_NONCE_BYTES, SEAL_TAG_BYTES, SEAL_VERSION, sealWithNonce } from './record-seal';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('RecordSeal', () => {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 96-bit IV, with AAD).
  const K = hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
  const P = hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
  const A = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
  const IV = hex('cafebabefacedbaddecaf888');
  const C = hex('522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662');
  const T = hex('76fc6ece0f4e1768cddf8853bb2d551b');

  it('is AES-256-GCM (known answer) with a version byte and the nonce in front', () => {
    const sealed = sealWithNonce(K, IV, A, P);
    expect(sealed).toEqual(Buffer.concat([Buffer.of(SEAL_VERSION), IV, C, T]));
    expect(openSealed(K, A, sealed)).toEqual(P);
  });

  it('refuses a 31- or 33-byte key', () => {
    expect(() => new RecordSeal(new Uint8Array(31))).toThrow(DskeError);
    expect(() => new RecordSeal(new Uint8Array(33))).toThrow(/32 bytes, got 33/);
  });

  it('takes a fresh random nonce for every record, so equal records look different', () => {
    const seal = new RecordSeal(K);
    const a = seal.seal('k', P);
    const b = seal.seal('k', P);
    expect(a.subarray(1, 1 + SEAL_NONCE_BYTES)).not.toEqual(b.subarray(1, 1 + SEAL_NONCE_BYTES));
    expect(a).not.toEqual(b);
    expect(a.length).toBe(1 + SEAL_NONCE_BYTES + P.length + SEAL_TAG_BYTES);
    expect(a.includes(P.subarray(0, 8))).toBe(false);
  });

  it('opens only under the same key and record key; any changed byte, a truncation or another version fails (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 40 }), fc.nat(), (key, plaintext, recordKey, at) => {
        const seal = new RecordSeal(key);
        const sealed = seal.seal(recordKey, plaintext);
        expect(seal.open(recordKey, sealed)).toEqual(Buffer.from(plaintext));
        expect(seal.open(`${recordKey}x`, sealed)).toBeUndefined();
        const flipped = Buffer.from(sealed);
        flipped[at % flipped.length] ^= 0x01;
        expect(seal.open(recordKey, flipped)).toBeUndefined();
        expect(seal.open(recordKey, sealed.subarray(0, sealed.length - 1))).toBeUndefined();
        const otherKey = Buffer.from(key);
        otherKey[0] ^= 0x80;
        expect(new RecordSeal(otherKey).open(recordKey, sealed)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('answers undefined, never throws, for inputs too short to be a record', () => {
    const seal = new RecordSeal(K);
    for (const n of [0, 1, 12, 28]) expect(seal.open('k', new Uint8Array(n))).toBeUndefined();
  });
});

describe('RecordSeal.nameOf', () => {
  it('gives the same 32 hex digits for the same key, others for other keys or another storage key', () => {
    const a = new RecordSeal(Buffer.alloc(32, 1));
    const b = new RecordSeal(Buffer.alloc(32, 2));
    expect(a.nameOf('reg:carol')).toMatch(/^[0-9a-f]{32}$/);
    expect(a.nameOf('reg:carol')).toBe(new RecordSeal(Buffer.alloc(32, 1)).nameOf('reg:carol'));
    expect(a.nameOf('reg:carol')).not.toBe(a.nameOf('reg:celia'));
    expect(a.nameOf('reg:carol')).not.toBe(b.nameOf('reg:carol'));
    expect(a.nameOf('reg:carol')).not.toContain('carol');
  });
});
