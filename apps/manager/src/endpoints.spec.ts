/** Where the manager reaches nodes: local defaults, --url-base (plain and template), --node-url, HTTPS with tls_dir. */
import { describe, expect, it } from 'vitest';
import { parseTopology, type NodePlan } from '@dske/topology';
import { Endpoints, parseNodeUrl, parseUrlBase, type Addressing } from './endpoints';
import { ManagerError, UsageError } from './errors';

const YAML = `base_port: 9000\nmin_nr_shares: 2\nhubs:\n  - name: hank\n  - name: helen\nclients:\n  - name: carol\n    encryptors:\n      - name: sam\n`;
const lab = parseTopology(YAML, '/labs/dske-config.yaml');
const tls = parseTopology(`${YAML}tls_dir: pki\n`, '/labs/dske-config.yaml');
const hank = lab.hubs[0];
const carol = lab.clients[0];

const endpoints = (addressing: Addressing, topology = lab) => new Endpoints(topology, addressing, 'dske-config.yaml');
const urls = (e: Endpoints, node: NodePlan) => [e.of(node).root, e.of(node).api];

describe('parseUrlBase', () => {
  it('takes a base URL without a port, or a template with {port}, {kind}, {name}', () => {
    for (const ok of ['http://127.0.0.1', 'https://dske.example/', 'http://gw.example/prefix', 'http://{name}.dske.svc:{port}', 'http://127.0.0.1:{port}', 'http://h/{kind}s/{name}:{port}']) {
      expect(parseUrlBase(ok)).toEqual({ text: ok });
    }
  });

  it('refuses anything else with a usage error naming the option', () => {
    const cases: Array<[string, RegExp]> = [
      ['127.0.0.1', /expected an http:\/\/ or https:\/\/ URL, got '127.0.0.1'/],
      ['ftp://h', /expected an http:\/\/ or https:\/\/ URL/],
      ['http://127.0.0.1:8100', /names a port, but each node has its own/],
      ['http://127.0.0.1:80', /names a port/],
      ['http://{host}:{port}', /unknown placeholder \{host\}/],
      ['http://h?x=1', /may not have a query/],
      ['http://u:p@h', /names a port|may not have/],
    ];
    for (const [bad, message] of cases) {
      expect(() => parseUrlBase(bad)).toThrow(UsageError);
      expect(() => parseUrlBase(bad)).toThrow(message);
    }
  });
});

describe('parseNodeUrl', () => {
  it('collects NAME=URL pairs', () => {
    expect(parseNodeUrl('carol=http://127.0.0.1:18105', parseNodeUrl('hank=https://h:1', []))).toEqual([
      { name: 'hank', url: 'https://h:1' },
      { name: 'carol', url: 'http://127.0.0.1:18105' },
    ]);
  });

  it('refuses a missing name or URL, a bad URL and a name given twice', () => {
    expect(() => parseNodeUrl('carol', [])).toThrow("--node-url: expected NAME=URL, got 'carol'");
    expect(() => parseNodeUrl('=http://h', [])).toThrow('expected NAME=URL');
    expect(() => parseNodeUrl('carol=h:1', [])).toThrow("--node-url: expected an http:// or https:// URL, got 'h:1'");
    expect(() => parseNodeUrl('carol=http://b', [{ name: 'carol', url: 'http://a' }])).toThrow("--node-url: node 'carol' given twice");
  });
});

describe('Endpoints', () => {
  it('by default: 127.0.0.1 at the plan port, local', () => {
    const e = endpoints({});
    expect(urls(e, hank)).toEqual(['http://127.0.0.1:9000', 'http://127.0.0.1:9000/hub/hank']);
    expect(urls(e, carol)).toEqual(['http://127.0.0.1:9002', 'http://127.0.0.1:9002/client/carol']);
    expect(e.of(hank).remote).toBe(false);
    expect(e.where(hank)).toBe('on port 9000');
    expect(e.overridden).toBe(false);
    expect(e.tlsFor(carol)).toBeUndefined();
  });

  it('--url-base adds the plan port and keeps a path prefix', () => {
    const e = endpoints({ urlBase: parseUrlBase('http://127.0.0.1') });
    expect(urls(e, carol)).toEqual(['http://127.0.0.1:9002', 'http://127.0.0.1:9002/client/carol']);
    expect(e.of(carol).remote).toBe(true);
    expect(e.describe(carol)).toBe('client carol at http://127.0.0.1:9002');
    expect(urls(endpoints({ urlBase: parseUrlBase('https://gw.example/dske/') }), hank)).toEqual(['https://gw.example:9000/dske', 'https://gw.example:9000/dske/hub/hank']);
  });

  it('a --url-base template is filled in per node', () => {
    const e = endpoints({ urlBase: parseUrlBase('http://{name}.dske.svc:{port}') });
    expect(urls(e, hank)).toEqual(['http://hank.dske.svc:9000', 'http://hank.dske.svc:9000/hub/hank']);
    expect(urls(endpoints({ urlBase: parseUrlBase('http://gw/{kind}/{name}/') }), carol)).toEqual(['http://gw/client/carol', 'http://gw/client/carol/client/carol']);
  });

  it('--node-url wins over --url-base for its node only', () => {
    const e = endpoints({ urlBase: parseUrlBase('http://127.0.0.1'), nodeUrls: [{ name: 'carol', url: 'http://127.0.0.1:18000/' }] });
    expect(urls(e, carol)).toEqual(['http://127.0.0.1:18000', 'http://127.0.0.1:18000/client/carol']);
    expect(urls(e, hank)).toEqual(['http://127.0.0.1:9000', 'http://127.0.0.1:9000/hub/hank']);
    expect(e.overridden).toBe(true);
  });

  it('--node-url names a node of the topology', () => {
    expect(() => endpoints({ nodeUrls: [{ name: 'bob', url: 'http://h' }] })).toThrow(ManagerError);
    expect(() => endpoints({ nodeUrls: [{ name: 'bob', url: 'http://h' }] })).toThrow("--node-url: unknown node 'bob' (not in dske-config.yaml)");
  });

  it('with tls_dir clients are reached over https whatever the scheme given; hubs stay on http', () => {
    const e = endpoints({}, tls);
    expect(urls(e, tls.clients[0])).toEqual(['https://127.0.0.1:9002', 'https://127.0.0.1:9002/client/carol']);
    expect(urls(e, tls.hubs[0])[0]).toBe('http://127.0.0.1:9000');
    expect(e.of(tls.clients[0]).tls).toBe(true);
    expect(e.pki?.dir).toBe('/labs/pki');
    expect(e.tlsFor(tls.hubs[0])).toBeUndefined();
    const remote = endpoints({ urlBase: parseUrlBase('http://{name}:{port}'), nodeUrls: [{ name: 'hank', url: 'http://x:1' }] }, tls);
    expect(remote.of(tls.clients[0]).root).toBe('https://carol:9002');
    expect(remote.of(tls.hubs[0]).root).toBe('http://x:1');
    // The CA is read when first needed; a missing one says how to create it.
    expect(() => e.tlsFor(tls.clients[0])).toThrow("cannot read /labs/pki/ca.crt (no such file); create the lab PKI with './manager tls create'");
  });
});
