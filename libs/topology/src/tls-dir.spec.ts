import { describe, expect, it } from 'vitest';
import { parseTopology } from './config';
import { clientArgs, hubArgs } from './node-command';

const base = `hubs:\n  - name: hank\n  - name: helen\nclients:\n  - name: carol\n    encryptors:\n      - name: sam\nmin_nr_shares: 2\n`;

describe('tls_dir', () => {
  it('resolves against the topology file and gives clients their certificate flags', () => {
    const topology = parseTopology(`${base}tls_dir: tls\n`, '/labs/net/dske-config.yaml');
    expect(topology.settings.tls_dir).toBe('/labs/net/tls');
    const args = clientArgs(topology, topology.clients[0]);
    expect(args.slice(args.indexOf('--tls-cert'))).toEqual([
      '--tls-cert', '/labs/net/tls/kme-carol.crt', '--tls-key', '/labs/net/tls/kme-carol.key', '--tls-ca', '/labs/net/tls/ca.crt',
    ]);
    expect(hubArgs(topology, topology.hubs[0])).not.toContain('--tls-cert');
  });

  it('is absent by default, and clients get no TLS flags', () => {
    const topology = parseTopology(base, 'dske-config.yaml');
    expect(topology.settings.tls_dir).toBeUndefined();
    expect(clientArgs(topology, topology.clients[0])).not.toContain('--tls-cert');
  });

  it('must be a non-empty string', () => {
    expect(() => parseTopology(`${base}tls_dir: 7\n`, 'x.yaml')).toThrow('x.yaml:9: tls_dir: expected a directory path, got 7');
    expect(() => parseTopology(`${base}tls_dir: ''\n`, 'x.yaml')).toThrow("x.yaml:9: tls_dir: expected a directory path, got ''");
  });
});
