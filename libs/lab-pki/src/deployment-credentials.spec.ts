import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { missingCredentials } from './deployment-credentials';

const TOPOLOGY = { hubs: [{ name: 'hank' }, { name: 'helen' }], clients: [{ name: 'carol', encryptors: ['sam'] }, { name: 'cindy', encryptors: [] }] };
const NODES = ['hub-hank', 'hub-helen', 'client-carol', 'client-cindy'];
const ALL = [
  'operator/ca.crt', 'operator/ca.key',
  ...NODES.flatMap((n) => [`${n}/tls.crt`, `${n}/tls.key`, `${n}/ca.crt`, `${n}/mgmt.token`, `operator/mgmt-${n}.token`]),
  'operator/sae-sam.crt', 'operator/sae-sam.key',
].sort();

describe('missingCredentials', () => {
  it('gives a fresh deployment a CA, a certificate and token per node, and the operator the CA, SAE certificates and every token', async () => {
    const files = await missingCredentials(TOPOLOGY, () => undefined, ['dske.example.net']);
    expect([...files.keys()].sort()).toEqual(ALL);
    const ca = new X509Certificate(files.get('operator/ca.crt')!);
    expect(ca.ca).toBe(true);
    for (const node of NODES) {
      const name = node.split('-')[1];
      const cert = new X509Certificate(files.get(`${node}/tls.crt`)!);
      expect(cert.subject).toBe(`CN=${name}\nOU=DSKE node`);
      expect(cert.subjectAltName).toBe(`DNS:${name}, DNS:localhost, DNS:dske.example.net, IP Address:127.0.0.1`);
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(createPublicKey(createPrivateKey(files.get(`${node}/tls.key`)!)).export({ type: 'spki', format: 'pem' })).toBe(cert.publicKey.export({ type: 'spki', format: 'pem' }));
      expect(files.get(`${node}/ca.crt`)).toBe(files.get('operator/ca.crt'));
      expect(files.get(`${node}/mgmt.token`)).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
      expect(files.get(`operator/mgmt-${node}.token`)).toBe(files.get(`${node}/mgmt.token`));
    }
    expect(new Set(NODES.map((n) => files.get(`${n}/mgmt.token`))).size).toBe(NODES.length);
    const sae = new X509Certificate(files.get('operator/sae-sam.crt')!);
    expect(sae.subject).toBe('CN=sam\nOU=DSKE encryptor');
    expect(sae.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('writes nothing that is there; a lost key gets its node a new pair, a lost token copy is taken from the node', async () => {
    const files = await missingCredentials(TOPOLOGY, () => undefined);
    const existing = new Map(files);
    expect((await missingCredentials(TOPOLOGY, (p) => existing.get(p))).size).toBe(0);
    existing.delete('hub-helen/tls.key');
    existing.delete('operator/mgmt-client-carol.token');
    const again = await missingCredentials(TOPOLOGY, (p) => existing.get(p));
    expect([...again.keys()].sort()).toEqual(['hub-helen/tls.crt', 'hub-helen/tls.key', 'operator/mgmt-client-carol.token']);
    expect(again.get('operator/mgmt-client-carol.token')).toBe(files.get('client-carol/mgmt.token'));
    expect(new X509Certificate(again.get('hub-helen/tls.crt')!).verify(new X509Certificate(files.get('operator/ca.crt')!).publicKey)).toBe(true);
  });

  it('a new node in the topology gets its files; the others keep theirs', async () => {
    const existing = await missingCredentials(TOPOLOGY, () => undefined);
    const grown = { ...TOPOLOGY, hubs: [...TOPOLOGY.hubs, { name: 'hilary' }] };
    const added = await missingCredentials(grown, (p) => existing.get(p));
    expect([...added.keys()].sort()).toEqual(['hub-hilary/ca.crt', 'hub-hilary/mgmt.token', 'hub-hilary/tls.crt', 'hub-hilary/tls.key', 'operator/mgmt-hub-hilary.token']);
  });

  it('refuses half a CA, naming the missing file', async () => {
    const files = await missingCredentials(TOPOLOGY, () => undefined);
    await expect(missingCredentials(TOPOLOGY, (p) => (p === 'operator/ca.key' ? undefined : files.get(p)))).rejects.toThrow('operator/ca.key is missing but its pair is there; restore it, or remove both to start a new CA');
  });
});
