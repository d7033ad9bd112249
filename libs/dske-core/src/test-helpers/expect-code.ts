import { expect } from 'vitest';
import { DskeError, DskeErrorCode } from '../errors';

/** Asserts that `fn` throws a DskeError with exactly this code. */
export function expectCode(fn: () => unknown, code: DskeErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DskeError);
  expect((caught as DskeError).code).toBe(code);
}
