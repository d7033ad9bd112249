import { readFileSync } from 'node:fs';

/** The files behind --tls-cert, --tls-key and --tls-ca, read before the node starts. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/** Exits with status 2 and one line naming the flag, like every other bad setting. */
function fail(program: string, message: string): never {
  process.stderr.write(`${program}: error: ${message}\n`);
  process.exit(2);
}

function readSetting(program: string, flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    return fail(program, `${flag}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** --tls-cert, --tls-key and --tls-ca come together (HTTPS with client certificates) or not at all (plain HTTP). */
export function readTlsFiles(program: string, settings: Record<string, unknown>): TlsFiles | undefined {
  const flags = ['tls_cert', 'tls_key', 'tls_ca'] as const;
  const given = flags.filter((f) => settings[f] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length !== flags.length) fail(program, '--tls-cert, --tls-key and --tls-ca must be given together');
  return {
    cert: readSetting(program, '--tls-cert', settings.tls_cert as string),
    key: readSetting(program, '--tls-key', settings.tls_key as string),
    ca: readSetting(program, '--tls-ca', settings.tls_ca as string),
  };
}

/**
 * The mgmt token from --mgmt-token (DSKE_MGMT_TOKEN) or from the file named by
 * --mgmt-token-file (DSKE_MGMT_TOKEN_FILE, for containers: a mounted secret),
 * never both; undefined in lab mode.
 */
export function readMgmtToken(program: string, settings: Record<string, unknown>): string | undefined {
  const inline = settings.mgmt_token as string | undefined;
  const file = settings.mgmt_token_file as string | undefined;
  if (inline !== undefined && file !== undefined) fail(program, '--mgmt-token and --mgmt-token-file exclude each other');
  if (file === undefined) return inline;
  const token = readSetting(program, '--mgmt-token-file', file).toString('utf8').trim();
  if (token === '' || /\s/.test(token)) fail(program, `--mgmt-token-file: ${file} must hold one token (no spaces), it holds ${token === '' ? 'nothing' : 'several words'}`);
  return token;
}
