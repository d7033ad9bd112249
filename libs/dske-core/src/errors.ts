/**
 * Every failure in dske-core is a DskeError with a stable code. The apps map
 * codes to HTTP statuses in one place; nothing here knows about HTTP.
 */
export type DskeErrorCode =
  | 'gf256.division-by-zero'
  | 'shamir.invalid-parameters'
  | 'shamir.invalid-shares'
  | 'shamir.not-enough-shares'
  | 'shamir.digest-mismatch'
  | 'otp.length-mismatch'
  | 'psrd.exhausted'
  | 'psrd.invalid-block'
  | 'psrd.duplicate-block'
  | 'psrd.unknown-block'
  | 'psrd.out-of-range'
  | 'psrd.invalid-size'
  | 'psrd.already-used'
  | 'allocation.size-mismatch'
  | 'allocation.malformed'
  | 'signature.missing'
  | 'signature.malformed'
  | 'signature.invalid'
  | 'seal.invalid-key';

export class DskeError extends Error {
  constructor(
    readonly code: DskeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DskeError';
  }
}

export function isDskeError(error: unknown, code?: DskeErrorCode): error is DskeError {
  return error instanceof DskeError && (code === undefined || error.code === code);
}
