/** `provision` in-process: the files and their modes, a second run that writes nothing, --owner, --k8s-secrets. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { runInProcess } from './testing/run-in-process';

const SMALL = `min_nr_shares: 2\nhubs:\n  - name: hank\n  - name: helen\nclients:\n  - name: carol\n    encryptors:\n      - name: sam\n  - name: cindy\n`;
const NODE_FILES = ['ca.crt', 'mgmt.token', 'tls.crt', 'tls.key'];

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dske-manager-provision-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'dske-config.yaml'), SMALL);
  return dir;
}
const mode = (file: string) => statSync(file).mode & 0o777;
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

describe('provision', () => {
  it('writes a directory per node and the operator directory, keys and tokens 0600 in 0700 directories; a second run writes nothing', async () => {
    const dir = tempDir();
    const first = await runInProcess(['provision'], dir);
    const root = join(dir, 'dske-secrets');
    expect(first.code).toBe(0);
    expect(first.err).toEqual([]);
    expect(first.out).toEqual([
      `Wrote ${root}/operator/: ca.crt, ca.key, mgmt-hub-hank.token, mgmt-hub-helen.token, mgmt-client-carol.token, mgmt-client-cindy.token, sae-sam.crt, sae-sam.key`,
      `Wrote ${root}/hub-hank/: tls.crt, tls.key, ca.crt, mgmt.token`,
      `Wrote ${root}/hub-helen/: tls.crt, tls.key, ca.crt, mgmt.token`,
      `Wrote ${root}/client-carol/: tls.crt, tls.key, ca.crt, mgmt.token`,
      `Wrote ${root}/client-cindy/: tls.crt, tls.key, ca.crt, mgmt.token`,
      `Operator credentials (CA, encryptor certificates, mgmt tokens): ${root}/operator; use them with '--credentials ${root}/operator'`,
    ]);
    expect(readdirSync(root).sort()).toEqual(['client-carol', 'client-cindy', 'hub-hank', 'hub-helen', 'operator']);
    for (const node of ['hub-hank', 'client-cindy']) {
      expect(readdirSync(join(root, node)).sort()).toEqual(NODE_FILES);
      expect(mode(join(root, node))).toBe(0o700);
      expect(mode(join(root, node, 'tls.key'))).toBe(0o600);
      expect(mode(join(root, node, 'mgmt.token'))).toBe(0o600);
      expect(mode(join(root, node, 'tls.crt'))).toBe(0o644);
    }
    const before = readFileSync(join(root, 'hub-hank', 'tls.key'), 'utf8');
    const second = await runInProcess(['provision'], dir);
    expect(second.out).toEqual([`${root}: every credential is there; nothing written`, expect.stringMatching(/^Operator credentials/)]);
    expect(readFileSync(join(root, 'hub-hank', 'tls.key'), 'utf8')).toBe(before);
  });

  it('--owner gives the node directories to the containers\' user (run as root here), not the operator\'s', async () => {
    const dir = tempDir();
    const { code } = await runInProcess(['provision', '--dir', 'out', '--owner', '4321:4322'], dir);
    expect(code).toBe(0);
    const isRoot = process.getuid?.() === 0;
    for (const path of ['out/hub-hank', 'out/hub-hank/tls.key', 'out/client-carol/mgmt.token']) {
      const st = statSync(join(dir, path));
      expect([st.uid, st.gid]).toEqual(isRoot ? [4321, 4322] : [process.getuid?.(), process.getgid?.()]);
    }
    expect(statSync(join(dir, 'out/operator/ca.key')).uid).toBe(process.getuid?.());
    expect((await runInProcess(['provision', '--owner', 'node'], dir)).err).toEqual(["manager: error: --owner: expected UID:GID (numbers), got 'node'"]);
  });

  it('--k8s-secrets prints the Namespace and one Secret per node holding only its own files; the messages go to stderr', async () => {
    const dir = tempDir();
    const { code, out, err } = await runInProcess(['provision', '--k8s-secrets', '--namespace', 'lab'], dir);
    expect(code).toBe(0);
    expect(err[0]).toMatch(/^Wrote .*\/operator\/: ca\.crt/);
    const docs = parseAllDocuments(out.join('\n')).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string> });
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}`)).toEqual(['Namespace lab', 'Secret dske-hub-hank', 'Secret dske-hub-helen', 'Secret dske-client-carol', 'Secret dske-client-cindy']);
    const carol = docs[3];
    expect(carol.metadata.namespace).toBe('lab');
    expect(Object.keys(carol.data!).sort()).toEqual(NODE_FILES);
    expect(Buffer.from(carol.data!['mgmt.token'], 'base64').toString()).toBe(readFileSync(join(dir, 'dske-secrets/client-carol/mgmt.token'), 'utf8'));
    // The CA's key stays with the operator.
    const caKey = readFileSync(join(dir, 'dske-secrets/operator/ca.key'));
    for (const d of docs) for (const value of Object.values(d.data ?? {})) expect(Buffer.from(value, 'base64').equals(caKey)).toBe(false);
  });
});
