import type { TlsFiles } from '@dske/service-runtime/cli';
import type { SyncPolicy } from '@dske/node-state';

export interface HubConfig {
  name: string;
  port: number;
  host: string;
  shareTimeoutSecs: number;
  redisUrl?: string;
  /** The hub's own state directory: its storage key and, without Redis, its state file; undefined: memory only. */
  stateDir?: string;
  /** When a state commit counts as written: fsynced (full) or handed to the OS (normal). */
  stateSync?: SyncPolicy;
  /** Lab mode shows a short preview of PSRD bytes in mgmt status; deployments do not. */
  showPsrdPreview: boolean;
  /** Bearer token for the mgmt API; undefined in lab mode. */
  mgmtToken?: string;
  /** HTTPS with client certificates: the oob API answers only the client a certificate names. Absent in lab mode. */
  tls?: TlsFiles;
  /** Plain-HTTP /healthz and /readyz on 127.0.0.1 for container healthchecks. */
  healthPort?: number;
  /** What this hub holds at most (429 beyond): see HUB_LIMIT_DEFAULTS. */
  limits: HubLimits;
}

export interface HubLimits {
  maxClients: number;
  maxPoolBytes: number;
  maxPoolBlocks: number;
  maxSharesPerClient: number;
}

export const HUB_CONFIG = Symbol('HUB_CONFIG');
