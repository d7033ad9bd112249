/**
 * `tls create`: a lab PKI for the topology (libs/lab-pki): a CA, a server
 * certificate per client (KME) and a client certificate per encryptor (SAE),
 * in the directory that the topology's tls_dir names. Private keys are
 * written with mode 0600, certificates 0644. Existing files are replaced only
 * with --force: a new CA invalidates every certificate the running nodes and
 * the encryptors hold.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ManagerContext } from '../context';
import { ManagerError, reasonOf, UsageError } from '../errors';

/** The directory `tls create` uses without --dir, next to the topology file. */
export const DEFAULT_TLS_DIR = 'tls';
export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;

export interface TlsCreateOptions {
  dir?: string;
  /** Extra names or IPv4 addresses for the clients' server certificates. */
  host?: string[];
  force?: boolean;
}

/** --host: a DNS name (optionally a *. wildcard) or an IPv4 address. */
export function parseHost(value: string, previous: string[]): string[] {
  const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(value);
  const dns = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(value) && !/^[0-9.]+$/.test(value);
  if (!ipv4 && !dns) throw new UsageError(`--host: expected a host name or an IPv4 address, got '${value}'`);
  return [...previous, value];
}

const posixPath = (path: string) => path.split(sep).join('/');

/** A path as messages show it: relative to the current directory when inside it. */
function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? posixPath(rel) : path;
}

export async function tlsCreateCommand(ctx: ManagerContext, options: TlsCreateOptions): Promise<void> {
  const { io, topology, configName } = ctx;
  const configFile = resolve(io.cwd, configName);
  const dir = options.dir !== undefined ? resolve(io.cwd, options.dir) : (topology.settings.tls_dir ?? join(dirname(configFile), DEFAULT_TLS_DIR));
  const pki = topology.clients.map((c) => ({ name: c.name, encryptors: c.encryptors }));
  // Loaded here, not with the CLI: the X.509 library is half of every other command's start-up.
  const { createLabPki } = await import('@dske/lab-pki');
  const files = await createLabPki({ clients: pki }, options.host ?? []);

  const existing = [...files.keys()].filter((name) => existsSync(join(dir, name)));
  if (existing.length > 0 && !options.force) {
    throw new ManagerError(`${shown(io.cwd, dir)} already holds ${existing.join(', ')}; use --force to replace them`);
  }

  try {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of files) {
      const file = join(dir, name);
      const mode = name.endsWith('.key') ? KEY_MODE : CERT_MODE;
      // A new file, never a rewrite of an old one, so a key is not readable by others for a moment; chmod past the umask.
      rmSync(file, { force: true });
      writeFileSync(file, text, { mode, flag: 'wx' });
      chmodSync(file, mode);
      io.out(`Wrote ${shown(io.cwd, file)}`);
    }
  } catch (error) {
    throw new ManagerError(`cannot write the lab PKI to ${shown(io.cwd, dir)}: ${reasonOf(error)}`);
  }

  // tls_dir is resolved against the topology file's directory.
  const fromConfig = relative(dirname(configFile), dir);
  const setting = `tls_dir: ${fromConfig === '' ? '.' : isAbsolute(fromConfig) ? dir : posixPath(fromConfig)}`;
  const current = topology.settings.tls_dir;
  if (current === dir) {
    io.out(`${configName} already has ${setting}, so './manager start' gives the clients these files (mutual TLS on the ETSI API)`);
  } else if (current === undefined) {
    io.out(`To use them, add this line to ${configName} ('./manager start' then gives the clients these files):`);
    io.out(`  ${setting}`);
  } else {
    io.out(`${configName} has tls_dir ${shown(io.cwd, current)}; to use these files instead, change it to:`);
    io.out(`  ${setting}`);
  }
}
