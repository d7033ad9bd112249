/**
 * What `manager provision` writes for a deployment, in one place for the
 * command, the generators (mount paths) and the manager's --credentials:
 *
 *   operator/            the operator's: ca.crt and ca.key (the deployment's CA),
 *                        sae-SAE.crt/.key per encryptor, mgmt-KIND-NAME.token per node
 *   hub-NAME/, client-NAME/
 *                        one node's own: tls.crt/tls.key (its certificate, for its
 *                        name, localhost and 127.0.0.1), ca.crt, mgmt.token
 *
 * Each node sees only its own directory, mounted at CONTAINER_SECRETS_DIR.
 */
import { join } from 'node:path';
import { TLS_FILES } from './tls-files';

export const OPERATOR_DIR = 'operator';
/** Subject OU of the certificates of hubs and clients; a hub's oob API answers only certificates with it, never an encryptor's. */
export const NODE_CERT_OU = 'DSKE node';
export const SAE_CERT_OU = 'DSKE encryptor';
export const CONTAINER_SECRETS_DIR = '/etc/dske/secrets';

export const NODE_SECRET_FILES = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt', mgmtToken: 'mgmt.token' } as const;

export const OPERATOR_FILES = {
  caCert: TLS_FILES.caCert,
  caKey: TLS_FILES.caKey,
  saeCert: TLS_FILES.saeCert,
  saeKey: TLS_FILES.saeKey,
  mgmtToken: (kind: 'hub' | 'client', name: string) => `mgmt-${kind}-${name}.token`,
} as const;

export function nodeSecretsDir(kind: 'hub' | 'client', name: string): string {
  return `${kind}-${name}`;
}

/** A node's --tls-cert/--tls-key/--tls-ca/--mgmt-token-file values when its secrets are mounted at `dir`. */
export function nodeSecretPaths(dir: string): { tls_cert: string; tls_key: string; tls_ca: string; mgmt_token_file: string } {
  return {
    tls_cert: join(dir, NODE_SECRET_FILES.cert),
    tls_key: join(dir, NODE_SECRET_FILES.key),
    tls_ca: join(dir, NODE_SECRET_FILES.ca),
    mgmt_token_file: join(dir, NODE_SECRET_FILES.mgmtToken),
  };
}
