/**
 * The lab PKI files of a topology with tls_dir, as the manager uses them:
 * ca.crt to check the clients' server certificates, and sae-<SAE>.crt/.key
 * to call the ETSI API as that encryptor (mutual TLS). File names come from
 * TLS_FILES, shared with the nodes' flags and the generators.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATOR_FILES, TLS_FILES, type ClientPlan } from '@dske/topology';
import { ManagerError } from './errors';
import type { TlsOptions } from './http';

/** How a missing lab PKI is fixed; the same hint on every message. */
export const CREATE_HINT = "create the lab PKI with './manager tls create'";

/** How missing operator credentials (--credentials) are made. */
export const PROVISION_HINT = "they come from './manager provision' (compose: docker compose cp provision:/provision/operator DIR)";

export class LabPkiFiles {
  private ca: Buffer | undefined;

  /**
   * `dir` is the topology's tls_dir (absolute), or the operator's directory
   * of a secure deployment (--credentials), which also holds every node's
   * mgmt token; `hint` says how its files are made.
   */
  constructor(
    readonly dir: string,
    private readonly hint: string = CREATE_HINT,
  ) {}

  private read(name: string): Buffer {
    const file = join(this.dir, name);
    try {
      return readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
      throw new ManagerError(`cannot read ${file} (${why}); ${this.hint}`);
    }
  }

  /** What the manager trusts when it talks to a client: the lab CA only. */
  trust(): TlsOptions {
    this.ca ??= this.read(TLS_FILES.caCert);
    return { ca: this.ca };
  }

  /** Mutual TLS as encryptor `sae`: its certificate and key, and the lab CA. */
  identity(sae: string): TlsOptions {
    return { ...this.trust(), cert: this.read(TLS_FILES.saeCert(sae)), key: this.read(TLS_FILES.saeKey(sae)) };
  }

  /** The node's own mgmt token (a secure deployment's operator directory). */
  mgmtToken(node: Pick<ClientPlan, 'name'> & { kind: 'hub' | 'client' }): string {
    return this.read(OPERATOR_FILES.mgmtToken(node.kind, node.name)).toString('utf8').trim();
  }

  /** The files the given clients need to serve HTTPS that are not there (file names). */
  missingFor(clients: readonly ClientPlan[]): string[] {
    const needed = [TLS_FILES.caCert, ...clients.flatMap((c) => [TLS_FILES.kmeCert(c.name), TLS_FILES.kmeKey(c.name)])];
    return needed.filter((name) => !existsSync(join(this.dir, name)));
  }
}
