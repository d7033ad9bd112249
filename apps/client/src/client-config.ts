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
}

export const CLIENT_CONFIG = Symbol('CLIENT_CONFIG');
