import { describe, expect, it } from 'vitest';
import { clientArgs, clientEnvironment, hubArgs, hubEnvironment, NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS, parseTopology, TopologyError, type Topology } from './index';

const doc = (...lines: string[]): string => `${lines.join('\n')}\n`;
const NODES = [
  'hubs: [{name: hank}, {name: helen}, {name: hilary}, {name: holly}, {name: hugo}]',
  'clients:',
  '  - {name: carol, encryptors: [{name: sam}]}',
  '  - {name: cindy}',
  '  - {name: curtis, encryptors: [{name: sunny}, {name: susan}]}',
];
const HUB_URLS = [
  'http://127.0.0.1:8100/hub/hank',
  'http://127.0.0.1:8101/hub/helen',
  'http://127.0.0.1:8102/hub/hilary',
  'http://127.0.0.1:8103/hub/holly',
  'http://127.0.0.1:8104/hub/hugo',
];
const plain: Topology = parseTopology(doc(...NODES), 'f');
const tuned: Topology = parseTopology(
  doc(
    'base_port: 9000',
    'min_nr_shares: 4',
    'start_request_psrd_threshold: 100',
    'stop_request_psrd_threshold: 300',
    'get_psrd_block_size: 64',
    'share_timeout_secs: 5',
    // A store per hub: hank on 6370, ..., hugo on 6374.
    'redis_url: redis://127.0.0.1:637{index}/0',
    ...NODES,
  ),
  'f',
);
const hub = (t: Topology, name: string) => t.node('hub', name) ?? expect.unreachable();
const client = (t: Topology, name: string) => t.node('client', name) ?? expect.unreachable();

describe('hubArgs', () => {
  it('gives name, port and share timeout', () => {
    expect(hubArgs(plain, hub(plain, 'hank'))).toEqual(['hank', '--port', '8100', '--share-timeout-secs', '60']);
  });

  it('adds --host when given and --redis-url when configured', () => {
    expect(hubArgs(tuned, hub(tuned, 'hugo'), { host: '0.0.0.0' })).toEqual([
      'hugo',
      '--port',
      '9004',
      '--host',
      '0.0.0.0',
      '--share-timeout-secs',
      '5',
      '--redis-url',
      'redis://127.0.0.1:6374/0',
    ]);
  });

  it('lets the caller override the Redis URL template', () => {
    expect(hubArgs(plain, hub(plain, 'helen'), { redisUrl: 'redis://{name}-redis:6379/0' })).toEqual([
      'helen',
      '--port',
      '8101',
      '--share-timeout-secs',
      '60',
      '--redis-url',
      'redis://helen-redis:6379/0',
    ]);
    // The override wins over the topology's own template.
    expect(hubArgs(tuned, hub(tuned, 'hank'), { redisUrl: 'redis://127.0.0.1:6390/{index}' }).slice(-2)).toEqual(['--redis-url', 'redis://127.0.0.1:6390/0']);
  });

  it('expands the redis_url template for each hub ({name} and {index})', () => {
    const t = parseTopology(doc('redis_url: rediss://:pw@{name}-store.lab:6380/{index}', 'min_nr_shares: 2', 'hubs: [{name: hank}, {name: helen}, {name: hilary}]', 'clients: []'), 'f');
    expect(t.hubs.map((h) => hubArgs(t, h).slice(-2))).toEqual([
      ['--redis-url', 'rediss://:pw@hank-store.lab:6380/0'],
      ['--redis-url', 'rediss://:pw@helen-store.lab:6380/1'],
      ['--redis-url', 'rediss://:pw@hilary-store.lab:6380/2'],
    ]);
    expect(t.hubs.map((h) => hubEnvironment(t, h, { host: '0.0.0.0' }).REDIS_URL)).toEqual([
      'rediss://:pw@hank-store.lab:6380/0',
      'rediss://:pw@helen-store.lab:6380/1',
      'rediss://:pw@hilary-store.lab:6380/2',
    ]);
    expect(tuned.hubs.map((h) => hubEnvironment(tuned, h, { host: '0.0.0.0' }).REDIS_URL)).toEqual([
      'redis://127.0.0.1:6370/0',
      'redis://127.0.0.1:6371/0',
      'redis://127.0.0.1:6372/0',
      'redis://127.0.0.1:6373/0',
      'redis://127.0.0.1:6374/0',
    ]);
  });

  it('adds the extra settings in spec order', () => {
    const extra = { mgmt_token_file: '/s/mgmt.token', health_port: 9999, state_dir: '/var/lib/dske', tls_cert: '/s/tls.crt', tls_key: '/s/tls.key', tls_ca: '/s/ca.crt' };
    expect(hubArgs(plain, hub(plain, 'hank'), { extra: () => extra })).toEqual([
      'hank',
      '--port',
      '8100',
      '--mgmt-token-file',
      '/s/mgmt.token',
      '--health-port',
      '9999',
      '--share-timeout-secs',
      '60',
      '--state-dir',
      '/var/lib/dske',
      '--tls-cert',
      '/s/tls.crt',
      '--tls-key',
      '/s/tls.key',
      '--tls-ca',
      '/s/ca.crt',
    ]);
  });
});

describe('a redis_url shared by two hubs', () => {
  it.each(['redis://127.0.0.1:6379/0', 'redis://127.0.0.1/{index}', 'redis://Store:6379/{name}'])('is refused: %s', (url) => {
    const load = () => parseTopology(doc(`redis_url: ${url}`, ...NODES), 'f');
    expect(load).toThrow(TopologyError);
    expect(load).toThrow(/^f:1: redis_url: '.*' gives hubs hank and helen the same Redis server /);
    try {
      load();
    } catch (error) {
      expect((error as TopologyError).code).toBe('shared-store');
    }
  });
});

describe('clientArgs', () => {
  it('gives the user guide command line for carol', () => {
    expect(clientArgs(plain, client(plain, 'carol'))).toEqual([
      'carol',
      '--port',
      '8105',
      '--hubs',
      ...HUB_URLS,
      '--encryptors',
      'sam',
      '--min-nr-shares',
      '3',
      '--start-request-psrd-threshold',
      '500',
      '--stop-request-psrd-threshold',
      '2000',
      '--get-psrd-block-size',
      '1000',
    ]);
  });

  it('omits --encryptors for a client without encryptors', () => {
    expect(clientArgs(plain, client(plain, 'cindy'))).toEqual([
      'cindy',
      '--port',
      '8106',
      '--hubs',
      ...HUB_URLS,
      '--min-nr-shares',
      '3',
      '--start-request-psrd-threshold',
      '500',
      '--stop-request-psrd-threshold',
      '2000',
      '--get-psrd-block-size',
      '1000',
    ]);
  });

  it('uses the topology settings, the given host and several encryptors', () => {
    expect(clientArgs(tuned, client(tuned, 'curtis'), { host: '::1' })).toEqual([
      'curtis',
      '--port',
      '9007',
      '--host',
      '::1',
      '--hubs',
      'http://[::1]:9000/hub/hank',
      'http://[::1]:9001/hub/helen',
      'http://[::1]:9002/hub/hilary',
      'http://[::1]:9003/hub/holly',
      'http://[::1]:9004/hub/hugo',
      '--encryptors',
      'sunny',
      'susan',
      '--min-nr-shares',
      '4',
      '--start-request-psrd-threshold',
      '100',
      '--stop-request-psrd-threshold',
      '300',
      '--get-psrd-block-size',
      '64',
    ]);
  });
});

describe('node environments for containers', () => {
  it('gives a hub its name, port, listen host, timeout and Redis', () => {
    expect(hubEnvironment(plain, hub(plain, 'holly'), { host: '0.0.0.0', redisUrl: 'redis://{name}-redis:6379/0' })).toEqual({
      DSKE_NAME: 'holly',
      DSKE_PORT: '8103',
      DSKE_HOST: '0.0.0.0',
      DSKE_SHARE_TIMEOUT_SECS: '60',
      REDIS_URL: 'redis://holly-redis:6379/0',
    });
    expect(hubEnvironment(plain, hub(plain, 'holly'), { host: '0.0.0.0' })).toEqual({
      DSKE_NAME: 'holly',
      DSKE_PORT: '8103',
      DSKE_HOST: '0.0.0.0',
      DSKE_SHARE_TIMEOUT_SECS: '60',
    });
  });

  it('gives a client hub URLs on service names', () => {
    expect(clientEnvironment(tuned, client(tuned, 'curtis'), { host: '0.0.0.0', hubHost: (name) => `${name}.dske.svc` })).toEqual({
      DSKE_NAME: 'curtis',
      DSKE_PORT: '9007',
      DSKE_HOST: '0.0.0.0',
      DSKE_HUBS: [
        'http://hank.dske.svc:9000/hub/hank',
        'http://helen.dske.svc:9001/hub/helen',
        'http://hilary.dske.svc:9002/hub/hilary',
        'http://holly.dske.svc:9003/hub/holly',
        'http://hugo.dske.svc:9004/hub/hugo',
      ].join(' '),
      DSKE_ENCRYPTORS: 'sunny susan',
      DSKE_MIN_NR_SHARES: '4',
      DSKE_START_REQUEST_PSRD_THRESHOLD: '100',
      DSKE_STOP_REQUEST_PSRD_THRESHOLD: '300',
      DSKE_GET_PSRD_BLOCK_SIZE: '64',
    });
  });

  it('gives a client https hub URLs when the hubs serve TLS (hubScheme), and its extra settings', () => {
    const env = clientEnvironment(plain, client(plain, 'carol'), {
      host: '0.0.0.0',
      hubHost: (name) => name,
      hubScheme: 'https',
      extra: (node) => ({ mgmt_token_file: `/s/${node.kind}-${node.name}/mgmt.token`, health_port: 9999 }),
    });
    expect(env.DSKE_HUBS).toBe(
      ['https://hank:8100/hub/hank', 'https://helen:8101/hub/helen', 'https://hilary:8102/hub/hilary', 'https://holly:8103/hub/holly', 'https://hugo:8104/hub/hugo'].join(' '),
    );
    expect(env.DSKE_MGMT_TOKEN_FILE).toBe('/s/client-carol/mgmt.token');
    expect(env.DSKE_HEALTH_PORT).toBe('9999');
    expect(clientArgs(plain, client(plain, 'cindy'), { hubScheme: 'https' }).slice(4, 9)).toEqual([
      'https://127.0.0.1:8100/hub/hank',
      'https://127.0.0.1:8101/hub/helen',
      'https://127.0.0.1:8102/hub/hilary',
      'https://127.0.0.1:8103/hub/holly',
      'https://127.0.0.1:8104/hub/hugo',
    ]);
    // hubScheme http is the default.
    expect(clientArgs(plain, client(plain, 'cindy'), { hubScheme: 'http' })).toEqual(clientArgs(plain, client(plain, 'cindy')));
  });

  it('leaves DSKE_ENCRYPTORS out for a client without encryptors', () => {
    expect(Object.keys(clientEnvironment(plain, client(plain, 'cindy'), { host: '0.0.0.0' }))).toEqual([
      'DSKE_NAME',
      'DSKE_PORT',
      'DSKE_HOST',
      'DSKE_HUBS',
      'DSKE_MIN_NR_SHARES',
      'DSKE_START_REQUEST_PSRD_THRESHOLD',
      'DSKE_STOP_REQUEST_PSRD_THRESHOLD',
      'DSKE_GET_PSRD_BLOCK_SIZE',
    ]);
  });
});

describe('NODE_RUNTIME_FLAGS and NODE_RUNTIME_ENV (the one place that names them; the manager, the tests, the image and the code cache take them from here)', () => {
  it('are small semi-spaces, gc() for the idle collection, one malloc arena', () => {
    expect(NODE_RUNTIME_FLAGS).toEqual(['--max-semi-space-size=2', '--expose-gc']);
    expect(NODE_RUNTIME_ENV).toEqual({ MALLOC_ARENA_MAX: '1' });
  });
});
