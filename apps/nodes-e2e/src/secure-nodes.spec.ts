import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingCredentials } from '@dske/lab-pki';
import { NODE_RUNTIME_FLAGS, nodeSecretPaths, nodeSecretsDir, OPERATOR_DIR } from '@dske/topology';
import { freePortRange, httpJson, httpsJson, REPO_ROOT, TopologyHarness } from '@dske/test-support';

const HUBS = ['ha', 'hb', 'hc'];
const CLIENTS = [
  { name: 'ca', encryptors: ['sa'] },
  { name: 'cb', encryptors: ['sb'] },
];

/**
 * Nodes as a secure deployment runs them (what `manager provision` writes and
 * the generated files give): every node on HTTPS with its own certificate and
 * mgmt token file, probes on a plain-HTTP loopback port, hubs' oob answering
 * only the client a certificate names.
 */
describe('nodes with provisioned credentials (secure deployment)', () => {
  let dir: string;
  let topology: TopologyHarness;
  let healthBase: number;
  const file = (path: string) => readFileSync(join(dir, path));
  const operator = (name: string) => file(`${OPERATOR_DIR}/${name}`);
  const nodeArgs = (kind: 'hub' | 'client', name: string, index: number) => {
    const paths = nodeSecretPaths(join(dir, nodeSecretsDir(kind, name)));
    return ['--tls-cert', paths.tls_cert, '--tls-key', paths.tls_key, '--tls-ca', paths.tls_ca, '--mgmt-token-file', paths.mgmt_token_file, '--health-port', String(healthBase + (kind === 'hub' ? 0 : HUBS.length) + index)];
  };
  const sae = (name: string) => ({ cert: operator(`sae-${name}.crt`), key: operator(`sae-${name}.key`), ca: operator('ca.crt') });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dske-provisioned-'));
    const files = await missingCredentials({ hubs: HUBS.map((name) => ({ name })), clients: CLIENTS }, () => undefined);
    for (const [path, text] of files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text, { mode: 0o600 });
    }
    healthBase = await freePortRange(HUBS.length + CLIENTS.length);
    topology = await TopologyHarness.start({
      hubs: HUBS,
      clients: CLIENTS,
      minNrShares: 2,
      https: true,
      hubsHttps: true,
      env: { DSKE_HIDE_PSRD: '1' },
      hubArgsFor: (name, i) => nodeArgs('hub', name, i),
      clientArgsFor: (name) => nodeArgs('client', name, CLIENTS.findIndex((c) => c.name === name)),
    });
  });
  afterAll(async () => {
    await topology?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('clients register with the hubs over mutual TLS, and a key pair works with SAE certificates', async () => {
    const made = await httpsJson<{ keys: Array<{ key_ID: string; key: string }> }>('GET', `${topology.clientUrl('ca')}/etsi/api/v1/keys/sb/enc_keys`, { tls: sae('sa') });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const fetched = await httpsJson<{ keys: Array<{ key_ID: string; key: string }> }>('GET', `${topology.clientUrl('cb')}/etsi/api/v1/keys/sa/dec_keys?key_ID=${made.body.keys[0].key_ID}`, { tls: sae('sb') });
    expect(fetched.status).toBe(200);
    expect(fetched.body.keys).toEqual(made.body.keys);
  });

  it('status shows no PSRD bytes and no key IDs of pending shares (DSKE_HIDE_PSRD=1)', async () => {
    const hubStatus = () =>
      httpsJson<{ peer_clients: Array<{ local_pool: { blocks: object[] } }>; shares: Array<Record<string, unknown>> }>('GET', `${topology.hubUrl('ha')}/mgmt/v1/status`, {
        tls: { ca: operator('ca.crt') },
        headers: { authorization: `Bearer ${file('hub-ha/mgmt.token').toString().trim()}` },
      });
    // Keys of the tests before are delivered; their acknowledgements may still be on the way (they wait up to 250 ms for a message to ride on).
    const deadline = Date.now() + 10_000;
    while ((await hubStatus()).body.shares.length > 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    const made = await httpsJson<{ keys: Array<{ key_ID: string }> }>('GET', `${topology.clientUrl('ca')}/etsi/api/v1/keys/sb/enc_keys`, { tls: sae('sa') });
    expect(made.status).toBe(200);
    const status = await hubStatus();
    expect(status.body.shares).toEqual([{ master_client_name: 'ca', master_sae_id: 'sa', slave_sae_id: 'sb', share_index: 0, size: 16 }]);
    expect(JSON.stringify(status.body)).not.toContain(made.body.keys[0].key_ID);
    for (const c of status.body.peer_clients) for (const b of c.local_pool.blocks) expect(Object.keys(b).sort()).toEqual(['nr_unused_bytes', 'nr_used_bytes', 'size', 'uuid']);
    // Delivered: the hubs delete the share once the acknowledgement arrives.
    const fetched = await httpsJson('GET', `${topology.clientUrl('cb')}/etsi/api/v1/keys/sa/dec_keys?key_ID=${made.body.keys[0].key_ID}`, { tls: sae('sb') });
    expect(fetched.status).toBe(200);
  });

  it("a hub's oob API answers only the client whose certificate the request names; nothing changes otherwise", async () => {
    const hub = topology.hubUrl('ha');
    const ca = operator('ca.crt');
    const asClient = (name: string) => ({ cert: file(`client-${name}/tls.crt`), key: file(`client-${name}/tls.key`), ca });
    const register = (tls: { ca: Buffer; cert?: Buffer; key?: Buffer }, client = 'ca') =>
      httpsJson<{ code: string; message: string }>('PUT', `${hub}/dske/oob/v1/registration`, { tls, body: { client_name: client, encryptor_names: [`s${client.slice(1)}`] } });
    const status = () => httpsJson<{ peer_clients: Array<{ client_name: string; local_pool: { blocks: Array<{ uuid: string }> } }> }>('GET', `${hub}/mgmt/v1/status`, {
      tls: { ca },
      headers: { authorization: `Bearer ${file('hub-ha/mgmt.token').toString().trim()}` },
    });
    const before = (await status()).body;

    const none = await register({ ca });
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('oob.certificate-required');
    const wrong = await register(asClient('cb'));
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ code: 'oob.wrong-client', message: "the certificate is client cb's, not ca's" });
    const encryptor = await register(sae('sa'), 'ca');
    expect(encryptor.status).toBe(403);
    expect(encryptor.body.message).toBe('the certificate of sa is not a DSKE node\'s (OU DSKE encryptor, expected DSKE node)');
    const psrd = await httpsJson<{ code: string }>('GET', `${hub}/dske/oob/v1/psrd?client_name=ca&pool_owner=client&size=32`, { tls: asClient('cb') });
    expect(psrd.status).toBe(403);
    // A JSON body naming the caller does not let a GET act for another client named in the query.
    const smuggled = await httpsJson<{ code: string }>('GET', `${hub}/dske/oob/v1/psrd?client_name=ca&pool_owner=client&size=32`, { tls: asClient('cb'), body: { client_name: 'cb' } });
    expect(smuggled.status).toBe(403);
    expect(smuggled.body.code).toBe('oob.wrong-client');
    // A certificate from another CA does not count.
    const strangers = await missingCredentials({ hubs: [], clients: [{ name: 'ca', encryptors: [] }] }, () => undefined);
    const foreign = await register({ ca, cert: Buffer.from(strangers.get('client-ca/tls.crt')!), key: Buffer.from(strangers.get('client-ca/tls.key')!) });
    expect(foreign.status).toBe(401);
    expect((await status()).body).toEqual(before);
  });

  it('probes answer on the plain-HTTP loopback port; mgmt takes the token from the file', async () => {
    for (let i = 0; i < HUBS.length + CLIENTS.length; i++) {
      expect(await httpJson('GET', `http://127.0.0.1:${healthBase + i}/readyz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(await httpJson('GET', `http://127.0.0.1:${healthBase + i}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    }
    const other = await httpJson<{ code: string }>('GET', `http://127.0.0.1:${healthBase}/hub/ha/mgmt/v1/status`);
    expect(other.status).toBe(404);
    const ca = operator('ca.crt');
    const url = `${topology.clientUrl('ca')}/mgmt/v1/status`;
    expect((await httpsJson('GET', url, { tls: { ca } })).status).toBe(401);
    expect((await httpsJson('GET', url, { tls: { ca }, headers: { authorization: `Bearer ${file('client-cb/mgmt.token').toString().trim()}` } })).status).toBe(401);
    expect((await httpsJson('GET', url, { tls: { ca }, headers: { authorization: `Bearer ${operator('mgmt-client-ca.token').toString().trim()}` } })).status).toBe(200);
  });

  it('--mgmt-token-file: a clear error for an empty file, or with --mgmt-token as well', () => {
    const empty = join(dir, 'empty.token');
    writeFileSync(empty, '\n');
    const hub = (args: string[]) => spawnSync(process.execPath, [...NODE_RUNTIME_FLAGS, join(REPO_ROOT, 'apps/hub/dist/main.js'), 'hx', ...args], { encoding: 'utf8', timeout: 10_000 });
    expect(hub(['--mgmt-token-file', empty])).toMatchObject({ status: 2, stderr: `hub: error: --mgmt-token-file: ${empty} must hold one token (no spaces), it holds nothing\n` });
    expect(hub(['--mgmt-token-file', empty, '--mgmt-token', 'x'])).toMatchObject({ status: 2, stderr: 'hub: error: --mgmt-token and --mgmt-token-file exclude each other\n' });
    expect(hub(['--mgmt-token-file', join(dir, 'nope')]).stderr).toBe(`hub: error: --mgmt-token-file: cannot read ${join(dir, 'nope')}: ENOENT\n`);
  });
});
