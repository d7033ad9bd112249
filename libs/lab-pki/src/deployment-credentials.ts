import { randomBytes } from 'node:crypto';
import { NODE_CERT_OU, nodeSecretsDir, NODE_SECRET_FILES, OPERATOR_DIR, OPERATOR_FILES, SAE_CERT_OU } from '@dske/topology';
import { createLabCa, issueCertificate, type PemPair } from './lab-pki';

export interface CredentialTopology {
  hubs: ReadonlyArray<{ name: string }>;
  clients: ReadonlyArray<{ name: string; encryptors: readonly string[] }>;
}

/** A mgmt bearer token: 256 random bits, URL-safe. */
export function newMgmtToken(): string {
  return randomBytes(32).toString('base64url');
}

const at = (dir: string, file: string) => `${dir}/${file}`;

/**
 * The files that provisioning a deployment adds, as relative path -> text
 * (layout in libs/topology provision-files). Nothing that exists is replaced:
 * `existing` reads a present file. A node gets its own certificate (for its
 * name, localhost, 127.0.0.1 and `extraHosts`; usable to serve HTTPS and to
 * present to hubs), the CA certificate and its own mgmt token; the operator
 * keeps the CA, each encryptor's certificate and a copy of every token. A
 * new CA (none yet) means every certificate is issued anew.
 */
export async function missingCredentials(topology: CredentialTopology, existing: (path: string) => string | undefined, extraHosts: readonly string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const caCertPath = at(OPERATOR_DIR, OPERATOR_FILES.caCert);
  const caKeyPath = at(OPERATOR_DIR, OPERATOR_FILES.caKey);
  const oldCa = { cert: existing(caCertPath), key: existing(caKeyPath) };
  if ((oldCa.cert === undefined) !== (oldCa.key === undefined)) {
    throw new Error(`${oldCa.cert === undefined ? caCertPath : caKeyPath} is missing but its pair is there; restore it, or remove both to start a new CA`);
  }
  const freshCa = oldCa.cert === undefined;
  const ca: PemPair = freshCa ? await createLabCa('DSKE deployment CA') : { cert: oldCa.cert!, key: oldCa.key! };
  if (freshCa) {
    out.set(caCertPath, ca.cert);
    out.set(caKeyPath, ca.key);
  }
  const missing = (path: string) => freshCa || existing(path) === undefined;
  const ips = ['127.0.0.1', ...extraHosts.filter((h) => /^[0-9.]+$/.test(h))];
  const names = extraHosts.filter((h) => !/^[0-9.]+$/.test(h));

  const nodes = [...topology.hubs.map((h) => ({ kind: 'hub' as const, name: h.name })), ...topology.clients.map((c) => ({ kind: 'client' as const, name: c.name }))];
  for (const node of nodes) {
    const dir = nodeSecretsDir(node.kind, node.name);
    if (missing(at(dir, NODE_SECRET_FILES.cert)) || missing(at(dir, NODE_SECRET_FILES.key))) {
      const pair = await issueCertificate(ca, { commonName: node.name, usage: 'both', organizationalUnit: NODE_CERT_OU, dnsNames: [node.name, 'localhost', ...names], ipAddresses: ips });
      out.set(at(dir, NODE_SECRET_FILES.cert), pair.cert);
      out.set(at(dir, NODE_SECRET_FILES.key), pair.key);
    }
    if (missing(at(dir, NODE_SECRET_FILES.ca))) out.set(at(dir, NODE_SECRET_FILES.ca), ca.cert);
    // The node's token and the operator's copy stay equal: a lost copy is taken from the other.
    const tokenPath = at(dir, NODE_SECRET_FILES.mgmtToken);
    const copyPath = at(OPERATOR_DIR, OPERATOR_FILES.mgmtToken(node.kind, node.name));
    const token = existing(tokenPath)?.trim() ?? existing(copyPath)?.trim() ?? newMgmtToken();
    if (existing(tokenPath) === undefined) out.set(tokenPath, `${token}\n`);
    if (existing(copyPath)?.trim() !== token) out.set(copyPath, `${token}\n`);
  }
  for (const sae of topology.clients.flatMap((c) => c.encryptors)) {
    const certPath = at(OPERATOR_DIR, OPERATOR_FILES.saeCert(sae));
    const keyPath = at(OPERATOR_DIR, OPERATOR_FILES.saeKey(sae));
    if (missing(certPath) || missing(keyPath)) {
      const pair = await issueCertificate(ca, { commonName: sae, usage: 'client', organizationalUnit: SAE_CERT_OU, dnsNames: [sae] });
      out.set(certPath, pair.cert);
      out.set(keyPath, pair.key);
    }
  }
  return out;
}
