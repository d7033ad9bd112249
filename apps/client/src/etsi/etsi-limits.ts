/** What this KME offers over ETSI GS QKD 014; reported verbatim in the Status response. */
export const ETSI_LIMITS = {
  /** The user guide's default (its Status shows key_size 128); encryptors ask for 256 with size=256. */
  defaultKeySizeBits: 128,
  /**
   * The digest point (x = 254) carries HMAC(R, key)[0..4): 32 bits about the
   * key, with R known to anyone holding k shares but not to k-1 of them; for
   * a short key those bits would matter, so keys are at least 128 bits.
   */
  minKeySizeBits: 128,
  maxKeySizeBits: 65536,
  maxKeyPerRequest: 32,
  /** additional_slave_SAE_IDs are not supported (yet): we say so. */
  maxSaeIdCount: 0,
} as const;
