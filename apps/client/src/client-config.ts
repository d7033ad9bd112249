export interface ClientConfig {
  name: string;
  port: number;
  host: string;
  hubUrls: string[];
  encryptors: string[];
  minNrShares: number;
  startRequestPsrdThreshold: number;
  stopRequestPsrdThreshold: number;
  getPsrdBlockSize: number;
  /** Per inter-node request. */
  requestTimeoutMs: number;
  showPsrdPreview: boolean;
  /** Bearer token for the mgmt API; undefined in lab mode. */
  mgmtToken?: string;
  /** Mutual TLS on the ETSI API (HTTPS); absent in lab mode (plain HTTP, bearer SAE IDs). */
  tls?: { cert: Buffer; key: Buffer; ca: Buffer; saeIdFrom: 'cn' | 'san' };
  /** Plain-HTTP /healthz and /readyz on 127.0.0.1 for container healthchecks. */
  healthPort?: number;
  /** The client's own state directory (storage key and state file); undefined: memory only. */
  stateDir?: string;
  /** When a state commit counts as written: fsynced (full) or handed to the OS (normal). */
  stateSync?: 'full' | 'normal';
  /** DSKE-Signature version of requests to hubs (2 unless a hub speaks only v1). */
  signatureVersion?: 1 | 2;
}

export const CLIENT_CONFIG = Symbol('CLIENT_CONFIG');
