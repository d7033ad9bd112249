import { describe, expect, it } from 'vitest';
import {
  CLIENT_SETTINGS,
  DEFAULT_CONFIG_FILE,
  DEFAULT_HOST,
  HUB_SETTINGS,
  MAX_HUBS,
  MAX_PSRD_BLOCK_SIZE,
  nodeArgs,
  nodeEnvironment,
  parseSettingValue,
  SettingError,
  settingSpec,
  TOPOLOGY_DEFAULTS,
  validateClientSettings,
  type SettingSpec,
} from './index';

const hub = (key: string): SettingSpec => settingSpec(HUB_SETTINGS, key);
const client = (key: string): SettingSpec => settingSpec(CLIENT_SETTINGS, key);

function settingError(spec: SettingSpec, raw: string): SettingError {
  try {
    parseSettingValue(spec, raw);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return error as SettingError;
  }
  throw new Error(`${spec.flag} accepted '${raw}'`);
}

describe('setting constants', () => {
  it('holds the user guide defaults', () => {
    expect(TOPOLOGY_DEFAULTS).toEqual({
      base_port: 8100,
      start_request_psrd_threshold: 500,
      stop_request_psrd_threshold: 2000,
      get_psrd_block_size: 1000,
      min_nr_shares: 3,
      share_timeout_secs: 60,
    });
    expect(DEFAULT_CONFIG_FILE).toBe('dske-config.yaml');
    expect(DEFAULT_HOST).toBe('127.0.0.1');
    expect(MAX_HUBS).toBe(16);
    expect(MAX_PSRD_BLOCK_SIZE).toBe(1048576);
  });

  it('lists the hub settings with flags, variables and defaults', () => {
    expect(HUB_SETTINGS.map((s) => [s.key, s.flag, s.env, s.kind, s.default])).toEqual([
      ['port', '--port', 'DSKE_PORT', 'port', 8100],
      ['host', '--host', 'DSKE_HOST', 'string', '127.0.0.1'],
      ['mgmt_token', '--mgmt-token', 'DSKE_MGMT_TOKEN', 'string', undefined],
      ['mgmt_token_file', '--mgmt-token-file', 'DSKE_MGMT_TOKEN_FILE', 'path', undefined],
      ['health_port', '--health-port', 'DSKE_HEALTH_PORT', 'port', undefined],
      ['share_timeout_secs', '--share-timeout-secs', 'DSKE_SHARE_TIMEOUT_SECS', 'positive-int', 60],
      ['redis_url', '--redis-url', 'REDIS_URL', 'url', undefined],
      ['max_clients', '--max-clients', 'DSKE_MAX_CLIENTS', 'positive-int', 256],
      ['max_pool_bytes', '--max-pool-bytes', 'DSKE_MAX_POOL_BYTES', 'positive-int', 4194304],
      ['max_pool_blocks', '--max-pool-blocks', 'DSKE_MAX_POOL_BLOCKS', 'positive-int', 4096],
      ['max_shares_per_client', '--max-shares-per-client', 'DSKE_MAX_SHARES_PER_CLIENT', 'positive-int', 10000],
      ['state_dir', '--state-dir', 'DSKE_STATE_DIR', 'path', undefined],
      ['state_sync', '--state-sync', 'DSKE_STATE_SYNC', 'choice', 'full'],
      ['tls_cert', '--tls-cert', 'DSKE_TLS_CERT', 'path', undefined],
      ['tls_key', '--tls-key', 'DSKE_TLS_KEY', 'path', undefined],
      ['tls_ca', '--tls-ca', 'DSKE_TLS_CA', 'path', undefined],
    ]);
  });

  it('lists the client settings with flags, variables and defaults', () => {
    expect(CLIENT_SETTINGS.map((s) => [s.key, s.flag, s.env, s.kind, s.default])).toEqual([
      ['port', '--port', 'DSKE_PORT', 'port', 8100],
      ['host', '--host', 'DSKE_HOST', 'string', '127.0.0.1'],
      ['mgmt_token', '--mgmt-token', 'DSKE_MGMT_TOKEN', 'string', undefined],
      ['mgmt_token_file', '--mgmt-token-file', 'DSKE_MGMT_TOKEN_FILE', 'path', undefined],
      ['health_port', '--health-port', 'DSKE_HEALTH_PORT', 'port', undefined],
      ['state_dir', '--state-dir', 'DSKE_STATE_DIR', 'path', undefined],
      ['state_sync', '--state-sync', 'DSKE_STATE_SYNC', 'choice', 'full'],
      ['hubs', '--hubs', 'DSKE_HUBS', 'url-list', undefined],
      ['encryptors', '--encryptors', 'DSKE_ENCRYPTORS', 'name-list', undefined],
      ['min_nr_shares', '--min-nr-shares', 'DSKE_MIN_NR_SHARES', 'positive-int', 3],
      ['signature_version', '--signature-version', 'DSKE_SIGNATURE_VERSION', 'choice', '2'],
      ['allow_single_share', '--allow-single-share', 'DSKE_ALLOW_SINGLE_SHARE', 'choice', 'no'],
      ['start_request_psrd_threshold', '--start-request-psrd-threshold', 'DSKE_START_REQUEST_PSRD_THRESHOLD', 'positive-int', 500],
      ['stop_request_psrd_threshold', '--stop-request-psrd-threshold', 'DSKE_STOP_REQUEST_PSRD_THRESHOLD', 'positive-int', 2000],
      ['get_psrd_block_size', '--get-psrd-block-size', 'DSKE_GET_PSRD_BLOCK_SIZE', 'positive-int', 1000],
      ['tls_cert', '--tls-cert', 'DSKE_TLS_CERT', 'path', undefined],
      ['tls_key', '--tls-key', 'DSKE_TLS_KEY', 'path', undefined],
      ['tls_ca', '--tls-ca', 'DSKE_TLS_CA', 'path', undefined],
      ['tls_sae_id_from', '--tls-sae-id-from', 'DSKE_TLS_SAE_ID_FROM', 'choice', 'cn'],
    ]);
  });

  it('gives every setting a description', () => {
    for (const spec of [...HUB_SETTINGS, ...CLIENT_SETTINGS]) expect(spec.description.length).toBeGreaterThan(10);
  });

  it('settingSpec refuses an unknown key', () => {
    expect(() => settingSpec(HUB_SETTINGS, 'hubs')).toThrow("no setting 'hubs'");
  });
});

describe('parseSettingValue accepts', () => {
  it.each([
    ['1', 1],
    ['8100', 8100],
    ['65535', 65535],
    [' 8101 ', 8101],
  ])('port %j', (raw, value) => {
    expect(parseSettingValue(hub('port'), raw)).toBe(value);
  });

  it('positive integers up to their bound', () => {
    expect(parseSettingValue(client('min_nr_shares'), '16')).toBe(16);
    expect(parseSettingValue(client('get_psrd_block_size'), '1048576')).toBe(1048576);
    expect(parseSettingValue(client('start_request_psrd_threshold'), '123456789')).toBe(123456789);
    expect(parseSettingValue(hub('share_timeout_secs'), '2147483')).toBe(2147483);
  });

  it('a host', () => {
    expect(parseSettingValue(hub('host'), '0.0.0.0')).toBe('0.0.0.0');
    expect(parseSettingValue(hub('host'), 'hub-hank')).toBe('hub-hank');
  });

  it('redis and rediss URLs', () => {
    expect(parseSettingValue(hub('redis_url'), 'redis://127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379/0');
    expect(parseSettingValue(hub('redis_url'), 'rediss://:pw@redis:6380')).toBe('rediss://:pw@redis:6380');
  });

  it('hub URLs separated by spaces, commas or both', () => {
    const urls = ['http://127.0.0.1:8100/hub/hank', 'https://helen:8101/hub/helen'];
    expect(parseSettingValue(client('hubs'), urls.join(' '))).toEqual(urls);
    expect(parseSettingValue(client('hubs'), urls.join(','))).toEqual(urls);
    expect(parseSettingValue(client('hubs'), ` ${urls.join(' ,\n ')} `)).toEqual(urls);
  });

  it('encryptor names, and no names at all', () => {
    expect(parseSettingValue(client('encryptors'), 'sunny susan')).toEqual(['sunny', 'susan']);
    expect(parseSettingValue(client('encryptors'), 'sunny,susan')).toEqual(['sunny', 'susan']);
    expect(parseSettingValue(client('encryptors'), '')).toEqual([]);
  });
});

describe('parseSettingValue rejects', () => {
  it.each([
    ['port', 'abc', "--port: expected an integer from 1 to 65535, got 'abc'"],
    ['port', '0', "--port: expected an integer from 1 to 65535, got '0'"],
    ['port', '65536', "--port: expected an integer from 1 to 65535, got '65536'"],
    ['port', '-1', "--port: expected an integer from 1 to 65535, got '-1'"],
    ['port', '81.5', "--port: expected an integer from 1 to 65535, got '81.5'"],
    ['port', '1e3', "--port: expected an integer from 1 to 65535, got '1e3'"],
    ['port', '', "--port: expected an integer from 1 to 65535, got ''"],
    ['port', '80\n81', "--port: expected an integer from 1 to 65535, got '80\\n81'"],
    ['share_timeout_secs', '0', "--share-timeout-secs: expected an integer from 1 to 2147483, got '0'"],
    ['share_timeout_secs', '2147484', "--share-timeout-secs: expected an integer from 1 to 2147483, got '2147484'"],
    ['host', '', "--host: expected a non-empty value without spaces, got ''"],
    ['host', 'a b', "--host: expected a non-empty value without spaces, got 'a b'"],
    ['redis_url', 'http://redis:6379', "--redis-url: expected a URL starting with redis:// or rediss://, got 'http://redis:6379'"],
    ['redis_url', 'redis:6379', "--redis-url: expected a URL starting with redis:// or rediss://, got 'redis:6379'"],
    ['redis_url', 'redis', "--redis-url: expected a URL starting with redis:// or rediss://, got 'redis'"],
    ['health_port', '0', "--health-port: expected an integer from 1 to 65535, got '0'"],
    ['state_dir', ' ', '--state-dir: expected a file path, got an empty value'],
    ['mgmt_token_file', '', '--mgmt-token-file: expected a file path, got an empty value'],
  ])('hub %s %j', (key, raw, message) => {
    expect(settingError(hub(key), raw).message).toBe(message);
  });

  it.each([
    ['min_nr_shares', '0', "--min-nr-shares: expected an integer from 1 to 16, got '0'"],
    ['min_nr_shares', '17', "--min-nr-shares: expected an integer from 1 to 16, got '17'"],
    ['start_request_psrd_threshold', 'x', "--start-request-psrd-threshold: expected a positive integer, got 'x'"],
    ['stop_request_psrd_threshold', '99999999999999999', "--stop-request-psrd-threshold: expected a positive integer, got '99999999999999999'"],
    ['get_psrd_block_size', '1048577', "--get-psrd-block-size: expected an integer from 1 to 1048576, got '1048577'"],
    ['hubs', '', "--hubs: expected at least one URL, got ''"],
    ['hubs', ' , ', "--hubs: expected at least one URL, got ' , '"],
    ['hubs', 'http://a:1/hub/a ftp://b/hub/b', "--hubs: expected a URL starting with http:// or https://, got 'ftp://b/hub/b'"],
    ['hubs', '127.0.0.1:8100', "--hubs: expected a URL starting with http:// or https://, got '127.0.0.1:8100'"],
    ['hubs', 'http://a:1/hub/a,http://a:1/hub/a', "--hubs: duplicate URL 'http://a:1/hub/a'"],
    ['encryptors', 'sam Sam', "--encryptors: invalid name 'Sam' (names are lower-case DNS labels: a-z, 0-9 and '-', starting with a letter, not ending with '-', at most 63 characters)"],
    ['encryptors', 'sam,sam', "--encryptors: duplicate name 'sam'"],
  ])('client %s %j', (key, raw, message) => {
    expect(settingError(client(key), raw).message).toBe(message);
  });

  it('masks credentials in an echoed URL', () => {
    expect(settingError(hub('redis_url'), 'http://user:secret@redis:6379').message).toBe(
      "--redis-url: expected a URL starting with redis:// or rediss://, got 'http://***@redis:6379'",
    );
  });

  it('keeps the message on one line and short for long values', () => {
    const error = settingError(hub('host'), `a\u2028${'b'.repeat(200)}`);
    expect(error.message).not.toMatch(/[\n\r\u2028]/);
    expect(error.message).toBe(`--host: expected a non-empty value without spaces, got 'a\\u2028${'b'.repeat(75)}...'`);
  });

  it('exposes the flag and the reason', () => {
    const error = settingError(hub('port'), 'x');
    expect(error.name).toBe('SettingError');
    expect(error.flag).toBe('--port');
    expect(error.reason).toBe("expected an integer from 1 to 65535, got 'x'");
  });
});

describe('validateClientSettings', () => {
  const hubs = ['http://127.0.0.1:8100/hub/a', 'http://127.0.0.1:8101/hub/b', 'http://127.0.0.1:8102/hub/c'];
  const good = { min_nr_shares: 3, start_request_psrd_threshold: 500, stop_request_psrd_threshold: 2000, get_psrd_block_size: 1000, hubs };
  const messageOf = (changes: Partial<typeof good>): string => {
    try {
      validateClientSettings({ ...good, ...changes });
    } catch (error) {
      expect(error).toBeInstanceOf(SettingError);
      return (error as Error).message;
    }
    return 'accepted';
  };

  it('accepts consistent settings', () => {
    expect(messageOf({})).toBe('accepted');
    expect(messageOf({ min_nr_shares: 1, allow_single_share: true, start_request_psrd_threshold: 1, stop_request_psrd_threshold: 2, get_psrd_block_size: MAX_PSRD_BLOCK_SIZE })).toBe('accepted');
  });

  it('rejects min_nr_shares below 1', () => {
    expect(messageOf({ min_nr_shares: 0 })).toBe('--min-nr-shares: 0 is not a positive integer');
    expect(messageOf({ min_nr_shares: Number.NaN })).toBe('--min-nr-shares: NaN is not a positive integer');
  });

  it('rejects min_nr_shares above the number of hubs', () => {
    expect(messageOf({ min_nr_shares: 4 })).toBe('--min-nr-shares: 4 is more than the number of hubs (3)');
    expect(messageOf({ hubs: [] })).toBe('--min-nr-shares: 3 is more than the number of hubs (0)');
  });

  it('rejects min_nr_shares 1 unless --allow-single-share yes', () => {
    expect(messageOf({ min_nr_shares: 1 })).toBe('--min-nr-shares: 1 gives every hub the whole key (each share is the key itself); that is for a lab only: set --allow-single-share yes to allow it');
    expect(messageOf({ min_nr_shares: 1, allow_single_share: true })).toBe('accepted');
  });

  it('rejects min_nr_shares above 16', () => {
    expect(messageOf({ min_nr_shares: 17 })).toBe('--min-nr-shares: 17 is more than 16, the most shares a key is split into');
  });

  it('rejects more than 16 hubs', () => {
    const many = Array.from({ length: 17 }, (_, i) => `http://127.0.0.1:${8100 + i}/hub/h${i}`);
    expect(messageOf({ hubs: many })).toBe('--hubs: 17 hubs, but at most 16 are supported (one Shamir share per hub)');
  });

  it('rejects a start threshold not below the stop threshold', () => {
    expect(messageOf({ start_request_psrd_threshold: 2000 })).toBe('--start-request-psrd-threshold: 2000 must be less than --stop-request-psrd-threshold (2000)');
    expect(messageOf({ start_request_psrd_threshold: 3000 })).toBe('--start-request-psrd-threshold: 3000 must be less than --stop-request-psrd-threshold (2000)');
  });

  it('rejects a block size above 1 MiB', () => {
    expect(messageOf({ get_psrd_block_size: MAX_PSRD_BLOCK_SIZE + 1 })).toBe('--get-psrd-block-size: 1048577 is more than the maximum 1048576 (1 MiB)');
  });

  it('rejects a non-integer size', () => {
    expect(messageOf({ get_psrd_block_size: 1.5 })).toBe('--get-psrd-block-size: 1.5 is not a positive integer');
  });
});

describe('nodeArgs and nodeEnvironment', () => {
  const values = { port: 8105, host: undefined, hubs: ['http://a:1/hub/a', 'http://b:2/hub/b'], encryptors: [], min_nr_shares: 2 };

  it('renders flags in spec order, lists as separate arguments, skipping unset and empty values', () => {
    expect(nodeArgs('carol', CLIENT_SETTINGS, values)).toEqual([
      'carol',
      '--port',
      '8105',
      '--hubs',
      'http://a:1/hub/a',
      'http://b:2/hub/b',
      '--min-nr-shares',
      '2',
    ]);
  });

  it('renders variables with the name in DSKE_NAME and lists space separated', () => {
    expect(nodeEnvironment('carol', CLIENT_SETTINGS, values)).toEqual({
      DSKE_NAME: 'carol',
      DSKE_PORT: '8105',
      DSKE_HUBS: 'http://a:1/hub/a http://b:2/hub/b',
      DSKE_MIN_NR_SHARES: '2',
    });
  });

  it('round-trips through parseSettingValue', () => {
    const env = nodeEnvironment('carol', CLIENT_SETTINGS, { ...values, encryptors: ['sam', 'sue'] });
    expect(parseSettingValue(client('hubs'), env.DSKE_HUBS)).toEqual(values.hubs);
    expect(parseSettingValue(client('encryptors'), env.DSKE_ENCRYPTORS)).toEqual(['sam', 'sue']);
    expect(parseSettingValue(client('port'), env.DSKE_PORT)).toBe(8105);
  });
});
