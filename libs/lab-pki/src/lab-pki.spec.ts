import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { createServer, connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { TLS_FILES } from '@dske/topology';
import { createLabCa, createLabPki, issueCertificate } from './lab-pki';

describe('lab PKI', () => {
  it('issues a CA that signs server and client certificates with the right names and usages', async () => {
    const ca = await createLabCa('Test CA');
    const caCert = new X509Certificate(ca.cert);
    expect(caCert.subject).toBe('CN=Test CA');
    expect(caCert.ca).toBe(true);

    const server = await issueCertificate(ca, { commonName: 'carol', usage: 'server', dnsNames: ['localhost', 'carol'], ipAddresses: ['127.0.0.1'] });
    const cert = new X509Certificate(server.cert);
    expect(cert.subject).toBe('CN=carol');
    expect(cert.issuer).toBe('CN=Test CA');
    expect(cert.subjectAltName).toBe('DNS:localhost, DNS:carol, IP Address:127.0.0.1');
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    // The key matches the certificate.
    expect(createPublicKey(createPrivateKey(server.key)).export({ format: 'pem', type: 'spki' })).toBe(cert.publicKey.export({ format: 'pem', type: 'spki' }));

    const other = await createLabCa('Other CA');
    expect(cert.verify(new X509Certificate(other.cert).publicKey)).toBe(false);
  });

  it('creates every file a topology needs', async () => {
    const files = await createLabPki({ clients: [{ name: 'carol', encryptors: ['sam'] }, { name: 'cindy', encryptors: [] }, { name: 'curtis', encryptors: ['sunny', 'susan'] }] });
    expect([...files.keys()].sort()).toEqual(
      ['ca.crt', 'ca.key', 'kme-carol.crt', 'kme-carol.key', 'kme-cindy.crt', 'kme-cindy.key', 'kme-curtis.crt', 'kme-curtis.key', 'sae-sam.crt', 'sae-sam.key', 'sae-sunny.crt', 'sae-sunny.key', 'sae-susan.crt', 'sae-susan.key'].sort(),
    );
    expect(new X509Certificate(files.get(TLS_FILES.saeCert('sunny'))!).subject).toBe('CN=sunny');
  });

  it('works for a real mutual-TLS handshake in Node', async () => {
    const files = await createLabPki({ clients: [{ name: 'carol', encryptors: ['sam'] }] });
    const server = createServer({ key: files.get('kme-carol.key'), cert: files.get('kme-carol.crt'), ca: files.get('ca.crt'), requestCert: true, rejectUnauthorized: true }, (socket) => {
      socket.end(`hello ${(socket.getPeerCertificate().subject as { CN: string }).CN}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: files.get('ca.crt'), key: files.get('sae-sam.key'), cert: files.get('sae-sam.crt'), servername: 'localhost' }, () => undefined);
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    server.close();
    expect(reply).toBe('hello sam');
  });
});
