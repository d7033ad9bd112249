/**
 * A topology with tls_dir, driven over HTTPS and mutual TLS: `tls create`
 * writes the lab PKI, start gives the clients their certificates and waits
 * for their /readyz over HTTPS, etsi-qkd presents the encryptors'
 * certificates, status and stop talk HTTPS to the clients. The manager checks
 * the clients' certificates against the topology's ca.crt.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsJson, isPortFree } from '@dske/test-support';
import { cleanUpAll, liveNodePids, manager, parseEtsi, parseStatus, SMALL_CONFIG, topologyDir, withoutStillWaiting, type TopologyDir } from './support/manager-run';

const NODES = ['hank', 'helen', 'hilary', 'carol', 'curtis'];

describe('mutual TLS: a small topology with tls_dir', () => {
  let t: TopologyDir;
  const p = (i: number) => t.port(i);

  beforeAll(async () => {
    t = await topologyDir(`${SMALL_CONFIG}tls_dir: tls\n`, 5);
  });
  afterAll(cleanUpAll);

  it('start without the lab PKI fails at once, naming the missing files, and starts nothing', async () => {
    const run = await manager(t.dir, ['start']);
    expect(run).toEqual({
      code: 1,
      stdout: [],
      stderr: [`manager: error: tls_dir ${join(t.dir, 'tls')} lacks ca.crt, kme-carol.crt, kme-carol.key, kme-curtis.crt, kme-curtis.key; create the lab PKI with './manager tls create'`],
    });
  });

  it('tls create writes the files into the tls_dir', async () => {
    const run = await manager(t.dir, ['tls', 'create']);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toBe('Wrote tls/ca.crt');
    expect(run.stdout).toHaveLength(11);
    expect(run.stdout[10]).toBe("dske-config.yaml already has tls_dir: tls, so './manager start' gives the clients these files (mutual TLS on the ETSI API)");
  });

  it('start waits for the clients over HTTPS', async () => {
    const run = await manager(t.dir, ['start']);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(withoutStillWaiting(run.stdout)).toEqual([
      'Waiting for all nodes to be stopped',
      ...NODES.map((name, i) => `Starting ${i < 3 ? 'hub' : 'client'} ${name} on port ${p(i)}`),
      'Waiting for all nodes to be started',
    ]);
    // The clients really serve HTTPS with mutual TLS: no certificate, no key.
    const ca = readFileSync(join(t.dir, 'tls', 'ca.crt'));
    const anonymous = await httpsJson('GET', `https://127.0.0.1:${p(3)}/client/carol/etsi/api/v1/keys/sunny/status`, { tls: { ca }, headers: { authorization: 'Bearer sam' } });
    expect(anonymous.status).toBe(401);
  });

  it('etsi-qkd get-key-pair presents the encryptors\' certificates', async () => {
    const run = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-pair', '--size', '512']);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout[run.stdout.length - 1]).toBe('Key values match');
    const calls = parseEtsi(run.stdout);
    expect(calls.map((c) => c.header)).toEqual([
      `Invoke ETSI QKD Get Key API on client (KME) carol port ${p(3)} master encryptor (SAE) sam slave encryptor (SAE) sunny:`,
      `Invoke ETSI QKD Get Key with Key IDs API on client (KME) curtis port ${p(4)} master encryptor (SAE) sam slave encryptor (SAE) sunny:`,
    ]);
    expect(calls[1].body).toEqual(calls[0].body);
  });

  it('etsi-qkd get-status and get-key in the other direction', async () => {
    const status = await manager(t.dir, ['etsi-qkd', 'sunny', 'sam', 'get-status']);
    expect(status.code, status.stderr.join('\n')).toBe(0);
    expect(parseEtsi(status.stdout)[0].body).toMatchObject({ source_KME_ID: 'curtis', target_KME_ID: 'carol', master_SAE_ID: 'sunny', slave_SAE_ID: 'sam' });
    const key = await manager(t.dir, ['etsi-qkd', 'sunny', 'sam', 'get-key']);
    expect(key.code, key.stderr.join('\n')).toBe(0);
  });

  it('status reaches every node, the clients over HTTPS; also through --url-base http://127.0.0.1', async () => {
    for (const args of [['status'], ['--url-base', 'http://127.0.0.1', 'status']]) {
      const run = await manager(t.dir, args);
      expect(run.stderr).toEqual([]);
      expect(run.code).toBe(0);
      expect(parseStatus(run.stdout).map((n) => n.status.name)).toEqual(NODES);
    }
  });

  it("a missing encryptor certificate fails before any call, so no key is taken", async () => {
    const key = join(t.dir, 'tls', 'sae-sunny.key');
    renameSync(key, `${key}.away`);
    try {
      const run = await manager(t.dir, ['etsi-qkd', 'sam', 'sunny', 'get-key-pair']);
      expect(run).toEqual({ code: 1, stdout: [], stderr: [`manager: error: cannot read ${key} (no such file); create the lab PKI with './manager tls create'`] });
    } finally {
      renameSync(`${key}.away`, key);
    }
  });

  it('a client certificate from another CA than the topology\'s ca.crt is refused by the manager', async () => {
    // Same topology, other lab PKI: the running clients' certificates do not chain to it.
    writeFileSync(join(t.dir, 'other.yaml'), readFileSync(join(t.dir, 'dske-config.yaml'), 'utf8').replace('tls_dir: tls', 'tls_dir: other'));
    expect((await manager(t.dir, ['--config', 'other.yaml', 'tls', 'create'])).code).toBe(0);
    const status = await manager(t.dir, ['--config', 'other.yaml', '--client', 'carol', '--hub', 'hank', 'status']);
    expect(status.code).toBe(1);
    expect(parseStatus(status.stdout.slice(0, -1)).map((n) => n.status.name)).toEqual(['hank']);
    expect(status.stdout[status.stdout.length - 1]).toBe(`Status for client carol on port ${p(3)}`);
    expect(status.stderr[0]).toMatch(new RegExp(`^Could not get status of client carol on port ${p(3)}: TLS: `));
    expect(status.stderr[1]).toBe('manager: error: could not get the status of client carol');
    const etsi = await manager(t.dir, ['--config', 'other.yaml', 'etsi-qkd', 'sam', 'sunny', 'get-status']);
    expect(etsi.code).toBe(1);
    expect(etsi.stderr[0]).toMatch(new RegExp(`^manager: error: client \\(KME\\) carol on port ${p(3)} did not answer: TLS: `));
  });

  it('stop asks every node over its own scheme and frees the ports', async () => {
    const run = await manager(t.dir, ['stop']);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(withoutStillWaiting(run.stdout)).toEqual([
      ...NODES.map((name, i) => `Stopping ${i < 3 ? 'hub' : 'client'} ${name} on port ${p(i)}`).reverse(),
      'Waiting for all nodes to be stopped',
    ]);
    expect(liveNodePids(t.dir)).toEqual([]);
    expect((await Promise.all(NODES.map((_, i) => isPortFree(p(i))))).every(Boolean)).toBe(true);
  });
});
