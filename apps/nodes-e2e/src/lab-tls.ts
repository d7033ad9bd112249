import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabPki } from '@dske/lab-pki';

// The lab PKI's file names (createLabPki's map keys).
export const pkiFiles = {
  caCert: 'ca.crt',
  kmeCert: (client: string) => `kme-${client}.crt`,
  kmeKey: (client: string) => `kme-${client}.key`,
  saeCert: (sae: string) => `sae-${sae}.crt`,
  saeKey: (sae: string) => `sae-${sae}.key`,
};

/** A lab PKI for these clients in a directory of its own (keys 0600), and the flags that make a client serve mutual TLS with it. */
export interface LabPkiDir {
  pki: Map<string, string>;
  dir: string;
  path(file: string): string;
  clientTlsArgs(client: string): string[];
  remove(): void;
}

export async function writeLabPki(clients: Array<{ name: string; encryptors: string[] }>): Promise<LabPkiDir> {
  const pki = await createLabPki({ clients });
  const dir = mkdtempSync(join(tmpdir(), 'dske-lab-pki-'));
  for (const [file, pem] of pki) writeFileSync(join(dir, file), pem, { mode: 0o600 });
  const path = (file: string) => join(dir, file);
  return {
    pki,
    dir,
    path,
    clientTlsArgs: (client) => ['--tls-cert', path(pkiFiles.kmeCert(client)), '--tls-key', path(pkiFiles.kmeKey(client)), '--tls-ca', path(pkiFiles.caCert)],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
