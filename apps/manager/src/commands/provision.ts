/**
 * `provision`: the credentials of a secure deployment (layout in libs/topology
 * provision-files): a CA, one directory per node with its own certificate, the
 * CA certificate and its own mgmt token, and an operator directory with the
 * CA, each encryptor's certificate and every node's token. Only missing files
 * are written, so running it again (the compose init service does at every
 * `up`) keeps what the nodes already use. Keys and tokens are 0600, in 0700
 * directories. --k8s-secrets prints one Secret per node for `kubectl apply -f -`.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NODE_SECRET_FILES, nodeSecretsDir, OPERATOR_DIR, renderNodeSecrets, type NodePlan } from '@dske/topology';
import type { ManagerContext } from '../context';
import { ManagerError, reasonOf, UsageError } from '../errors';

export const DEFAULT_PROVISION_DIR = 'dske-secrets';

export interface ProvisionOptions {
  dir?: string;
  host?: string[];
  /** UID:GID that the node directories are given to (the containers' user), when run as root. */
  owner?: { uid: number; gid: number };
  k8sSecrets?: boolean;
  namespace?: string;
}

/** --owner UID:GID, numbers only (the container user is given by number). */
export function parseOwner(value: string): { uid: number; gid: number } {
  const match = /^(\d{1,9}):(\d{1,9})$/.exec(value);
  if (!match) throw new UsageError(`--owner: expected UID:GID (numbers), got '${value}'`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

const SECRET = (name: string) => name.endsWith('.key') || name.endsWith('.token');

export async function provisionCommand(ctx: ManagerContext, options: ProvisionOptions): Promise<void> {
  const { io, topology } = ctx;
  const dir = resolve(io.cwd, options.dir ?? join(dirname(ctx.configName), DEFAULT_PROVISION_DIR));
  const read = (path: string): string | undefined => {
    const file = join(dir, path);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  };
  // Messages go to stderr when stdout carries the Secrets.
  const say = options.k8sSecrets ? io.err : io.out;
  let files: Map<string, string>;
  try {
    // Loaded here, not with the CLI: the X.509 library is half of every other command's start-up.
    const { missingCredentials } = await import('@dske/lab-pki');
    files = await missingCredentials(topology, read, options.host ?? []);
  } catch (error) {
    throw new ManagerError(`${dir}: ${reasonOf(error)}`);
  }
  const written = new Map<string, string[]>();
  try {
    for (const [path, text] of files) {
      const file = join(dir, path);
      const sub = dirname(path);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const mode = SECRET(path) ? 0o600 : 0o644;
      writeFileSync(file, text, { mode });
      chmodSync(file, mode);
      written.set(sub, [...(written.get(sub) ?? []), path.slice(sub.length + 1)]);
    }
    if (options.owner) {
      // The node directories belong to the containers' user; the operator's stays with whoever ran this.
      for (const node of topology.nodes) {
        const nodeDir = join(dir, nodeSecretsDir(node.kind, node.name));
        chownSync(nodeDir, options.owner.uid, options.owner.gid);
        for (const name of Object.values(NODE_SECRET_FILES)) chownSync(join(nodeDir, name), options.owner.uid, options.owner.gid);
      }
    }
  } catch (error) {
    throw new ManagerError(`cannot write the credentials to ${dir}: ${reasonOf(error)}`);
  }
  if (written.size === 0) say(`${dir}: every credential is there; nothing written`);
  for (const [sub, names] of written) say(`Wrote ${join(dir, sub)}/: ${names.join(', ')}`);
  if (options.k8sSecrets) {
    const secrets = (node: NodePlan) => Object.fromEntries(Object.values(NODE_SECRET_FILES).map((name) => [name, readFileSync(join(dir, nodeSecretsDir(node.kind, node.name), name))]));
    io.out(renderNodeSecrets(topology, secrets, options.namespace).trimEnd());
  } else {
    say(`Operator credentials (CA, encryptor certificates, mgmt tokens): ${join(dir, OPERATOR_DIR)}; use them with '--credentials ${join(dir, OPERATOR_DIR)}'`);
  }
}
