// @peculiar/x509 resolves its services through tsyringe, which needs the reflect polyfill.
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { TLS_FILES } from '@dske/topology';

/**
 * A small lab PKI for ETSI 014 mutual TLS: one CA, a server certificate per
 * client (KME) and a client certificate per encryptor (SAE, its ID in the
 * subject CN and as a DNS SAN). ECDSA P-256 keys, PEM output.
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface PemPair {
  cert: string;
  key: string;
}

export interface IssueOptions {
  commonName: string;
  /** 'both': a node's certificate, which serves HTTPS and is presented to the hubs. */
  usage: 'server' | 'client' | 'both';
  dnsNames?: string[];
  ipAddresses?: string[];
  days?: number;
  /** Subject OU: what kind of party holds the certificate (a DSKE node, an encryptor). */
  organizationalUnit?: string;
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function keyToPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

function serial(): string {
  // Positive, non-zero 16-byte serial.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.now() - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

const escapeDn = (value: string) => value.replace(/([,+"\\<>;=])/g, '\\$1');

export async function createLabCa(commonName = 'DSKE lab CA', days = 825): Promise<PemPair> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${escapeDn(commonName)}`,
    keys,
    signingAlgorithm: ALGORITHM,
    ...validity(days),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyToPem(keys.privateKey) };
}

export async function issueCertificate(ca: PemPair, options: IssueOptions): Promise<PemPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const keys = await generateKeys();
  const names: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${escapeDn(options.commonName)}${options.organizationalUnit ? `, OU=${escapeDn(options.organizationalUnit)}` : ''}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.key),
    signingAlgorithm: ALGORITHM,
    ...validity(options.days ?? 825),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension(
        options.usage === 'both'
          ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
          : [options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      ),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await keyToPem(keys.privateKey) };
}

export interface PkiTopology {
  clients: ReadonlyArray<{ name: string; encryptors: readonly string[] }>;
}

/**
 * Everything a TLS topology needs: the CA, one server certificate per client
 * (valid for its name, localhost and 127.0.0.1 plus `extraHosts`) and one
 * client certificate per encryptor. Returns file name -> PEM text.
 */
export async function createLabPki(topology: PkiTopology, extraHosts: string[] = []): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const ca = await createLabCa();
  files.set(TLS_FILES.caCert, ca.cert);
  files.set(TLS_FILES.caKey, ca.key);
  for (const client of topology.clients) {
    const ips = ['127.0.0.1', ...extraHosts.filter((h) => /^[0-9.]+$/.test(h))];
    const dns = ['localhost', client.name, ...extraHosts.filter((h) => !/^[0-9.]+$/.test(h))];
    const server = await issueCertificate(ca, { commonName: client.name, usage: 'server', dnsNames: dns, ipAddresses: ips });
    files.set(TLS_FILES.kmeCert(client.name), server.cert);
    files.set(TLS_FILES.kmeKey(client.name), server.key);
    for (const sae of client.encryptors) {
      const pair = await issueCertificate(ca, { commonName: sae, usage: 'client', dnsNames: [sae] });
      files.set(TLS_FILES.saeCert(sae), pair.cert);
      files.set(TLS_FILES.saeKey(sae), pair.key);
    }
  }
  return files;
}

/** Subject CN and DNS SANs of a PEM certificate (for tests and diagnostics). */
export function describeCertificate(pem: string): { subject: string; issuer: string; subjectAltName?: string } {
  const cert = new X509Certificate(pem);
  return { subject: cert.subject, issuer: cert.issuer, subjectAltName: cert.subjectAltName };
}
