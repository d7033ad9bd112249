/** What this KME offers over ETSI GS QKD 014; reported verbatim in the Status response. */
export const ETSI_LIMITS = {
  /** The user guide's default (its Status shows key_size 128); encryptors ask for 256 with size=256. */
  defaultKeySizeBits: 128,
  /** Shamir with the digest point needs at least 4 bytes. */
  minKeySizeBits: 32,
  maxKeySizeBits: 65536,
  maxKeyPerRequest: 32,
  /** additional_slave_SAE_IDs are not supported (yet): we say so. */
  maxSaeIdCount: 0,
} as const;
