/**
 * The one source of truth for every default and node setting: the config
 * loader, the node CLIs, the manager and the deployment generators read them
 * from here rather than repeating literals.
 */

export const TOPOLOGY_DEFAULTS = {
  base_port: 8100,
  start_request_psrd_threshold: 500,
  stop_request_psrd_threshold: 2000,
  get_psrd_block_size: 1000,
  min_nr_shares: 3,
  share_timeout_secs: 60,
} as const;

export const DEFAULT_CONFIG_FILE = 'dske-config.yaml';
export const DEFAULT_HOST = '127.0.0.1';
/** Shamir limit n <= 16: one share per hub. */
export const MAX_HUBS = 16;
/** 1 MiB upper bound the hub states for GET psrd size. */
export const MAX_PSRD_BLOCK_SIZE = 1048576;
/** Node timers cannot wait longer than 2^31-1 ms; beyond that a share would expire at once. */
export const MAX_SHARE_TIMEOUT_SECS = 2147483;
export const MAX_PORT = 65535;
/** Containers get the node name in this variable (it is the positional argument on the command line). */
export const NODE_NAME_ENV = 'DSKE_NAME';

export type SettingKind = 'port' | 'positive-int' | 'string' | 'url-list' | 'name-list' | 'url' | 'path' | 'choice';

export interface SettingSpec {
  /** Same spelling as the config file key where the setting comes from the config file. */
  key: string;
  flag: string;
  env: string;
  description: string;
  kind: SettingKind;
  default?: number | string;
  /** Upper bound for 'positive-int' settings ('port' is always 1..65535). */
  max?: number;
  /** Accepted URL schemes (with ':') for 'url' and 'url-list' settings. */
  schemes?: readonly string[];
  /** Accepted values of a 'choice' setting. */
  choices?: readonly string[];
}

export class SettingError extends Error {
  constructor(
    readonly flag: string,
    readonly reason: string,
  ) {
    super(`${flag}: ${reason}`);
    this.name = 'SettingError';
  }
}

const PORT: SettingSpec = {
  key: 'port',
  flag: '--port',
  env: 'DSKE_PORT',
  description: 'TCP port to listen on',
  kind: 'port',
  default: TOPOLOGY_DEFAULTS.base_port,
};

const HOST: SettingSpec = {
  key: 'host',
  flag: '--host',
  env: 'DSKE_HOST',
  description: 'Address to listen on (0.0.0.0 in containers)',
  kind: 'string',
  default: DEFAULT_HOST,
};

/** The mgmt token's variable: the manager passes it on to the nodes it starts and uses it itself. */
export const MGMT_TOKEN_ENV = 'DSKE_MGMT_TOKEN';

/** Off by default (lab mode, as in the user guide); deployments should set it. */
const MGMT_TOKEN: SettingSpec = {
  key: 'mgmt_token',
  flag: '--mgmt-token',
  env: MGMT_TOKEN_ENV,
  description: 'Bearer token required on the mgmt API (status, stop); without it mgmt is open (lab mode). Prefer the variable: flags show in ps',
  kind: 'string',
};

const MGMT_TOKEN_FILE: SettingSpec = {
  key: 'mgmt_token_file',
  flag: '--mgmt-token-file',
  env: 'DSKE_MGMT_TOKEN_FILE',
  description: 'File holding the mgmt bearer token (a mounted secret in containers); excludes --mgmt-token',
  kind: 'path',
};

/** Orchestrators' probes: a second, plain-HTTP listener on 127.0.0.1 for /healthz and /readyz only. */
const HEALTH_PORT: SettingSpec = {
  key: 'health_port',
  flag: '--health-port',
  env: 'DSKE_HEALTH_PORT',
  description: 'Also answer /healthz and /readyz over plain HTTP on 127.0.0.1:PORT (container healthchecks, also when the node serves HTTPS)',
  kind: 'port',
};

/** What one hub holds at most, so that nobody who reaches it can grow it without bound (429 beyond). */
export const HUB_LIMIT_DEFAULTS = {
  max_clients: 256,
  /** Unused bytes per pool: at least one block of the largest size, and room for the largest ETSI request. */
  max_pool_bytes: 4 * MAX_PSRD_BLOCK_SIZE,
  max_pool_blocks: 4096,
  max_shares_per_client: 10_000,
} as const;

/** --tls-cert, --tls-key, --tls-ca: the same files for both node kinds, which use them differently. */
function tlsSettings(certDescription: string, caDescription: string): SettingSpec[] {
  return [
    { key: 'tls_cert', flag: '--tls-cert', env: 'DSKE_TLS_CERT', description: certDescription, kind: 'path' },
    { key: 'tls_key', flag: '--tls-key', env: 'DSKE_TLS_KEY', description: 'PEM private key of --tls-cert', kind: 'path' },
    { key: 'tls_ca', flag: '--tls-ca', env: 'DSKE_TLS_CA', description: caDescription, kind: 'path' },
  ];
}

/** Choices of --state-sync: the first is the default. */
export const STATE_SYNC_POLICIES = ['full', 'normal'] as const;

/** Where a node keeps what outlives its process, and when a write counts as done. */
function stateSettings(kind: 'hub' | 'client'): SettingSpec[] {
  const what = kind === 'hub' ? 'registrations, PSRD pools with their used bytes and undelivered shares' : 'registrations and PSRD pools with their used bytes';
  return [
    {
      key: 'state_dir',
      flag: '--state-dir',
      env: 'DSKE_STATE_DIR',
      description:
        `Directory of this ${kind}'s own state: its storage key (created on first start, mode 0600) and ` +
        (kind === 'hub' ? 'either its state file state.db or, with --redis-url, the key that seals its records in Redis' : 'its state file state.db') +
        ` (${what}, sealed, written before any byte of an allocation leaves). A ${kind} restarted on it resumes where it was. Without it everything lives in memory and is lost when the process ends`,
      kind: 'path',
    },
    {
      key: 'state_sync',
      flag: '--state-sync',
      env: 'DSKE_STATE_SYNC',
      description: 'full: every state write is fsynced (survives a power loss); normal: handed to the operating system (survives a crash of the process, kill -9, but a power loss may forget the last writes and so reuse PSRD)',
      kind: 'choice',
      choices: STATE_SYNC_POLICIES,
      default: STATE_SYNC_POLICIES[0],
    },
  ];
}

export const HUB_SETTINGS: readonly SettingSpec[] = [
  PORT,
  HOST,
  MGMT_TOKEN,
  MGMT_TOKEN_FILE,
  HEALTH_PORT,
  {
    key: 'share_timeout_secs',
    flag: '--share-timeout-secs',
    env: 'DSKE_SHARE_TIMEOUT_SECS',
    description: 'Seconds a stored key share waits for its responder before it is deleted',
    kind: 'positive-int',
    default: TOPOLOGY_DEFAULTS.share_timeout_secs,
    max: MAX_SHARE_TIMEOUT_SECS,
  },
  {
    key: 'redis_url',
    flag: '--redis-url',
    env: 'REDIS_URL',
    description: 'Redis of this hub alone for the share store (redis:// or rediss://); records are sealed with the storage key. Without it shares are kept in memory',
    kind: 'url',
    schemes: ['redis:', 'rediss:'],
  },
  {
    key: 'max_clients',
    flag: '--max-clients',
    env: 'DSKE_MAX_CLIENTS',
    description: 'Clients this hub registers at most; a registration beyond is refused (429)',
    kind: 'positive-int',
    default: HUB_LIMIT_DEFAULTS.max_clients,
    max: 65536,
  },
  {
    key: 'max_pool_bytes',
    flag: '--max-pool-bytes',
    env: 'DSKE_MAX_POOL_BYTES',
    description: 'Unused PSRD bytes one pool holds at most; a PSRD request beyond is refused (429)',
    kind: 'positive-int',
    default: HUB_LIMIT_DEFAULTS.max_pool_bytes,
    max: 1024 * MAX_PSRD_BLOCK_SIZE,
  },
  {
    key: 'max_pool_blocks',
    flag: '--max-pool-blocks',
    env: 'DSKE_MAX_POOL_BLOCKS',
    description: 'PSRD blocks one pool holds at most; a PSRD request beyond is refused (429)',
    kind: 'positive-int',
    default: HUB_LIMIT_DEFAULTS.max_pool_blocks,
    max: 1_000_000,
  },
  {
    key: 'max_shares_per_client',
    flag: '--max-shares-per-client',
    env: 'DSKE_MAX_SHARES_PER_CLIENT',
    description: 'Undelivered shares one client may have stored here at most; more are refused (429)',
    kind: 'positive-int',
    default: HUB_LIMIT_DEFAULTS.max_shares_per_client,
    max: 10_000_000,
  },
  ...stateSettings('hub'),
  ...tlsSettings(
    'PEM server certificate: serve HTTPS, and answer the oob API (registration, PSRD) only to the client whose certificate names it',
    'PEM CA certificate(s) that client certificates must chain to',
  ),
];

export const CLIENT_SETTINGS: readonly SettingSpec[] = [
  PORT,
  HOST,
  MGMT_TOKEN,
  MGMT_TOKEN_FILE,
  HEALTH_PORT,
  ...stateSettings('client'),
  {
    key: 'hubs',
    flag: '--hubs',
    env: 'DSKE_HUBS',
    description: 'Base URLs of the hubs, in topology order (e.g. http://127.0.0.1:8100/hub/hank); space or comma separated',
    kind: 'url-list',
    schemes: ['http:', 'https:'],
  },
  {
    key: 'encryptors',
    flag: '--encryptors',
    env: 'DSKE_ENCRYPTORS',
    description: 'Names (SAE IDs) of the encryptors consuming keys from this client (KME); space or comma separated',
    kind: 'name-list',
  },
  {
    key: 'min_nr_shares',
    flag: '--min-nr-shares',
    env: 'DSKE_MIN_NR_SHARES',
    description: 'Minimum number of shares needed to reconstruct a key',
    kind: 'positive-int',
    default: TOPOLOGY_DEFAULTS.min_nr_shares,
    max: MAX_HUBS,
  },
  {
    key: 'signature_version',
    flag: '--signature-version',
    env: 'DSKE_SIGNATURE_VERSION',
    description: 'DSKE-Signature version of requests to hubs: 2 frames method, path, query and body and binds answers to requests; 1 for hubs that speak only v1',
    kind: 'choice',
    choices: ['1', '2'],
    default: '2',
  },
  {
    key: 'allow_single_share',
    flag: '--allow-single-share',
    env: 'DSKE_ALLOW_SINGLE_SHARE',
    description: 'yes: accept --min-nr-shares 1, where every hub gets the whole key (a lab setting)',
    kind: 'choice',
    choices: ['no', 'yes'],
    default: 'no',
  },
  {
    key: 'start_request_psrd_threshold',
    flag: '--start-request-psrd-threshold',
    env: 'DSKE_START_REQUEST_PSRD_THRESHOLD',
    description: 'Ask a hub for PSRD when a pool holds fewer unused bytes than this',
    kind: 'positive-int',
    default: TOPOLOGY_DEFAULTS.start_request_psrd_threshold,
  },
  {
    key: 'stop_request_psrd_threshold',
    flag: '--stop-request-psrd-threshold',
    env: 'DSKE_STOP_REQUEST_PSRD_THRESHOLD',
    description: 'Stop asking for PSRD once a pool holds at least this many unused bytes',
    kind: 'positive-int',
    default: TOPOLOGY_DEFAULTS.stop_request_psrd_threshold,
  },
  {
    key: 'get_psrd_block_size',
    flag: '--get-psrd-block-size',
    env: 'DSKE_GET_PSRD_BLOCK_SIZE',
    description: 'Size in bytes of each PSRD block requested from a hub',
    kind: 'positive-int',
    default: TOPOLOGY_DEFAULTS.get_psrd_block_size,
    max: MAX_PSRD_BLOCK_SIZE,
  },
  ...tlsSettings(
    'PEM certificate: serve HTTPS and require SAE client certificates on the ETSI API (mutual TLS); also presented to https:// hubs',
    'PEM CA certificate(s) that SAE client certificates (and the certificates of https:// hubs) must chain to',
  ),
  {
    key: 'tls_sae_id_from',
    flag: '--tls-sae-id-from',
    env: 'DSKE_TLS_SAE_ID_FROM',
    description: 'Where a client certificate names its SAE ID: the subject CN, or the first DNS subjectAltName',
    kind: 'choice',
    choices: ['cn', 'san'],
    default: 'cn',
  },
];

/** Looks a setting up by key; a missing key is a programming error, not user input. */
export function settingSpec(specs: readonly SettingSpec[], key: string): SettingSpec {
  const spec = specs.find((s) => s.key === key);
  if (spec === undefined) throw new Error(`no setting '${key}'`);
  return spec;
}
