import { join } from 'node:path';

/** File names of a lab PKI directory: one place for the generator, the nodes' flags and the manager. */
export const TLS_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  kmeCert: (client: string) => `kme-${client}.crt`,
  kmeKey: (client: string) => `kme-${client}.key`,
  saeCert: (sae: string) => `sae-${sae}.crt`,
  saeKey: (sae: string) => `sae-${sae}.key`,
} as const;

/** The client's --tls-cert/--tls-key/--tls-ca values for a topology with a tls_dir. */
export function clientTlsPaths(tlsDir: string, client: string): { tls_cert: string; tls_key: string; tls_ca: string } {
  return { tls_cert: join(tlsDir, TLS_FILES.kmeCert(client)), tls_key: join(tlsDir, TLS_FILES.kmeKey(client)), tls_ca: join(tlsDir, TLS_FILES.caCert) };
}
