/** `tls create` in-process: the lab PKI files, their modes, the default directory, refusal to overwrite, --force, --dir, --host. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runInProcess } from './testing/run-in-process';

const SMALL = `min_nr_shares: 2\nhubs:\n  - name: hank\n  - name: helen\n  - name: hilary\nclients:\n  - name: carol\n    encryptors:\n      - name: sam\n  - name: curtis\n    encryptors:\n      - name: sunny\n      - name: susan\n`;
const FILES = [
  'ca.crt', 'ca.key',
  'kme-carol.crt', 'kme-carol.key', 'sae-sam.crt', 'sae-sam.key',
  'kme-curtis.crt', 'kme-curtis.key', 'sae-sunny.crt', 'sae-sunny.key', 'sae-susan.crt', 'sae-susan.key',
];

const run = (args: string[], cwd: string) => runInProcess(args, cwd);

const dirs: string[] = [];
function tempDir(files: Record<string, string> = { 'dske-config.yaml': SMALL }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dske-manager-tls-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
const mode = (file: string) => statSync(file).mode & 0o777;
const cert = (dir: string, name: string) => new X509Certificate(readFileSync(join(dir, name)));

afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

describe('tls create', () => {
  it('writes the CA, a server certificate per client and a client certificate per encryptor into tls/ next to the topology file', async () => {
    const dir = tempDir();
    const { code, out, err } = await run(['tls', 'create'], dir);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toEqual([
      ...FILES.map((f) => `Wrote tls/${f}`),
      "To use them, add this line to dske-config.yaml ('./manager start' then gives the clients these files):",
      '  tls_dir: tls',
    ]);
    const tls = join(dir, 'tls');
    expect(readdirSync(tls).sort()).toEqual([...FILES].sort());
    for (const f of FILES) expect(mode(join(tls, f)), f).toBe(f.endsWith('.key') ? 0o600 : 0o644);

    const ca = cert(tls, 'ca.crt');
    expect(ca.ca).toBe(true);
    for (const f of FILES.filter((n) => n.endsWith('.crt') && n !== 'ca.crt')) {
      const c = cert(tls, f);
      expect(c.verify(ca.publicKey), f).toBe(true);
      expect(c.checkIssued(ca), f).toBe(true);
    }
    expect(cert(tls, 'sae-susan.crt').subject).toBe('CN=susan');
    const kme = cert(tls, 'kme-carol.crt');
    expect(kme.subject).toBe('CN=carol');
    expect(kme.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(kme.checkHost('carol')).toBe('carol');
    expect(kme.checkHost('localhost')).toBe('localhost');
    // Each key belongs to its certificate.
    expect(cert(tls, 'sae-sam.crt').checkPrivateKey(createPrivateKey(readFileSync(join(tls, 'sae-sam.key'))))).toBe(true);
  });

  it('refuses to overwrite existing files without --force; nothing changes', async () => {
    const dir = tempDir({ 'dske-config.yaml': SMALL, 'tls/ca.key': 'mine\n' });
    const { code, out, err } = await run(['tls', 'create'], dir);
    expect({ code, out, err }).toEqual({ code: 1, out: [], err: ['manager: error: tls already holds ca.key; use --force to replace them'] });
    expect(readdirSync(join(dir, 'tls'))).toEqual(['ca.key']);
    expect(readFileSync(join(dir, 'tls', 'ca.key'), 'utf8')).toBe('mine\n');
  });

  it('--force replaces them, with a new CA and key modes 0600 even where the old file was readable', async () => {
    const dir = tempDir();
    await run(['tls', 'create'], dir);
    const before = readFileSync(join(dir, 'tls', 'ca.crt'), 'utf8');
    const again = await run(['tls', 'create'], dir);
    expect(again.code).toBe(1);
    expect(again.err[0]).toBe(`manager: error: tls already holds ${FILES.join(', ')}; use --force to replace them`);
    writeFileSync(join(dir, 'tls', 'sae-sam.key'), 'old\n', { mode: 0o644 });
    const forced = await run(['tls', 'create', '--force'], dir);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'tls', 'ca.crt'), 'utf8')).not.toBe(before);
    expect(mode(join(dir, 'tls', 'sae-sam.key'))).toBe(0o600);
  });

  it("uses the topology's tls_dir by default, and says it is already set", async () => {
    const dir = tempDir({ 'net/lab.yaml': `${SMALL}tls_dir: ../pki\n` });
    const { code, out } = await run(['--config', 'net/lab.yaml', 'tls', 'create'], dir);
    expect(code).toBe(0);
    expect(out[0]).toBe('Wrote pki/ca.crt');
    expect(out[out.length - 1]).toBe("net/lab.yaml already has tls_dir: ../pki, so './manager start' gives the clients these files (mutual TLS on the ETSI API)");
    expect(readdirSync(join(dir, 'pki')).sort()).toEqual([...FILES].sort());
  });

  it('without tls_dir the default is tls next to the topology file; --dir and --host choose otherwise', async () => {
    const dir = tempDir({ 'net/lab.yaml': SMALL });
    const byDefault = await run(['--config', 'net/lab.yaml', 'tls', 'create'], dir);
    expect(byDefault.out[0]).toBe('Wrote net/tls/ca.crt');
    expect(byDefault.out.slice(-1)).toEqual(['  tls_dir: tls']);

    const chosen = await run(['--config', 'net/lab.yaml', 'tls', 'create', '--dir', 'certs/lab', '--host', 'kme.example', '--host', '10.1.2.3'], dir);
    expect(chosen.code).toBe(0);
    expect(chosen.out[0]).toBe('Wrote certs/lab/ca.crt');
    expect(chosen.out.slice(-2)).toEqual(["To use them, add this line to net/lab.yaml ('./manager start' then gives the clients these files):", '  tls_dir: ../certs/lab']);
    const kme = cert(join(dir, 'certs', 'lab'), 'kme-curtis.crt');
    expect(kme.checkHost('kme.example')).toBe('kme.example');
    expect(kme.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(kme.checkHost('curtis')).toBe('curtis');
  });

  it('with another tls_dir in the topology, says how to point it at the new files', async () => {
    const dir = tempDir({ 'dske-config.yaml': `${SMALL}tls_dir: pki\n` });
    const { code, out } = await run(['tls', 'create', '--dir', 'other'], dir);
    expect(code).toBe(0);
    expect(out.slice(-2)).toEqual(['dske-config.yaml has tls_dir pki; to use these files instead, change it to:', '  tls_dir: other']);
  });

  it('an invalid topology writes nothing', async () => {
    const dir = tempDir({ 'dske-config.yaml': 'hubs: 3\nclients: []\n' });
    const { code, out, err } = await run(['tls', 'create'], dir);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^dske-config.yaml:1: hubs: /);
    expect(readdirSync(dir)).toEqual(['dske-config.yaml']);
  });
});
