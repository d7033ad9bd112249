import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopologyHarness } from '@dske/test-support';
import { type LabPkiDir, pkiFiles, writeLabPki } from './lab-tls';

const HUBS = ['hank', 'helen', 'hilary'];
const CLIENTS = [
  { name: 'carol', encryptors: ['sam'] },
  { name: 'curtis', encryptors: ['sunny'] },
];
const CLIENT_PROGRAM = join(__dirname, 'third-party', 'etsi014_client.py');

interface EtsiKey {
  key_ID: string;
  key: string;
}

// An ETSI GS QKD 014 client of its own (Python's standard library, written from the standard: URLs from host and
// port only, the SAE named by its client certificate) against clients serving mutual TLS with the lab PKI.
describe('a third-party ETSI 014 client over mutual TLS, at the standard root paths', () => {
  let topology: TopologyHarness;
  let lab: LabPkiDir;

  beforeAll(async () => {
    lab = await writeLabPki(CLIENTS);
    topology = await TopologyHarness.start({ hubs: HUBS, clients: CLIENTS, minNrShares: 2, https: true, clientArgsFor: (name) => lab.clientTlsArgs(name) });
  });
  afterAll(async () => {
    await topology?.close();
    lab?.remove();
  });

  /** Run the client as `sae` against `kme`; its JSON answer (the call must answer 200). */
  function etsi(kme: string, sae: string, ...args: string[]): { keys?: EtsiKey[] } & Record<string, unknown> {
    const port = String(topology.client(kme).port);
    const run = spawnSync('python3', [CLIENT_PROGRAM, '127.0.0.1', port, '--ca', lab.path(pkiFiles.caCert), '--cert', lab.path(pkiFiles.saeCert(sae)), '--key', lab.path(pkiFiles.saeKey(sae)), ...args], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status, `${args.join(' ')}: ${run.stderr}${run.stdout}`).toBe(0);
    return JSON.parse(run.stdout) as { keys?: EtsiKey[] };
  }

  it('Status, Get key (GET and POST, number 1 and 3) and Get key with key IDs (GET and POST) all work', () => {
    expect(etsi('carol', 'sam', 'status', 'sunny')).toMatchObject({ source_KME_ID: 'carol', target_KME_ID: 'curtis', master_SAE_ID: 'sam', slave_SAE_ID: 'sunny' });

    const one = etsi('carol', 'sam', 'enc_keys', 'sunny').keys!;
    expect(one).toHaveLength(1);
    const three = etsi('carol', 'sam', 'enc_keys', 'sunny', '--number', '3', '--size', '256').keys!;
    expect(three).toHaveLength(3);
    for (const key of three) expect(Buffer.from(key.key, 'base64')).toHaveLength(32);
    const posted = etsi('carol', 'sam', 'enc_keys', 'sunny', '--post', '--number', '3').keys!;
    expect(posted).toHaveLength(3);
    const postedOne = etsi('carol', 'sam', 'enc_keys', 'sunny', '--post').keys!;
    expect(postedOne).toHaveLength(1);

    expect(etsi('curtis', 'sunny', 'dec_keys', 'sam', one[0].key_ID).keys).toEqual(one);
    expect(etsi('curtis', 'sunny', 'dec_keys', 'sam', ...three.map((k) => k.key_ID), '--post').keys).toEqual(three);
    expect(etsi('curtis', 'sunny', 'dec_keys', 'sam', ...posted.map((k) => k.key_ID), '--post').keys).toEqual(posted);
    expect(etsi('curtis', 'sunny', 'dec_keys', 'sam', postedOne[0].key_ID).keys).toEqual(postedOne);
  });
});
