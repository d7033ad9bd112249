import { describe, expect, it } from 'vitest';
import { clientArgs, clientEnvironment, hubArgs, hubEnvironment, parseTopology, type Topology } from './index';

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
    'redis_url: redis://127.0.0.1:6379/0',
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
      'redis://127.0.0.1:6379/0',
    ]);
  });

  it('lets the caller override the Redis URL', () => {
    expect(hubArgs(plain, hub(plain, 'helen'), { redisUrl: 'redis://redis:6379' })).toEqual([
      'helen',
      '--port',
      '8101',
      '--share-timeout-secs',
      '60',
      '--redis-url',
      'redis://redis:6379',
    ]);
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
    expect(hubEnvironment(plain, hub(plain, 'holly'), { host: '0.0.0.0', redisUrl: 'redis://redis:6379/0' })).toEqual({
      DSKE_NAME: 'holly',
      DSKE_PORT: '8103',
      DSKE_HOST: '0.0.0.0',
      DSKE_SHARE_TIMEOUT_SECS: '60',
      REDIS_URL: 'redis://redis:6379/0',
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
