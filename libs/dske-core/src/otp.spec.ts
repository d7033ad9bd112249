import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DskeError } from './errors';
import { otpXor } from './otp';

describe('otpXor', () => {
  it('XORs byte by byte (known answer)', () => {
    expect(otpXor(Uint8Array.of(0x00, 0xff, 0x5a, 0x12), Uint8Array.of(0xff, 0xff, 0xa5, 0x34))).toEqual(Uint8Array.of(0xff, 0x00, 0xff, 0x26));
    expect(otpXor(new Uint8Array(0), new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  it('round trips and leaves its inputs alone (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }).chain((data) => fc.tuple(fc.constant(data), fc.uint8Array({ minLength: data.length, maxLength: data.length }))),
        ([data, pad]) => {
          const dataCopy = Uint8Array.from(data);
          const padCopy = Uint8Array.from(pad);
          const encrypted = otpXor(data, pad);
          expect(encrypted).not.toBe(data);
          expect(encrypted.length).toBe(data.length);
          expect(otpXor(encrypted, pad)).toEqual(data);
          expect(otpXor(data, encrypted)).toEqual(pad);
          expect(data).toEqual(dataCopy);
          expect(pad).toEqual(padCopy);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws otp.length-mismatch when the pad is not the length of the data', () => {
    for (const [d, p] of [
      [4, 3],
      [3, 4],
      [0, 1],
      [32, 0],
    ]) {
      let caught: unknown;
      try {
        otpXor(new Uint8Array(d), new Uint8Array(p));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DskeError);
      expect((caught as DskeError).code).toBe('otp.length-mismatch');
    }
  });
});
