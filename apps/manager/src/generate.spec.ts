/**
 * `generate compose` and `generate k8s` in-process, in temporary directories:
 * the files written relative to the current directory, --check, the
 * options, invalid topologies (nothing written), and the repository's own
 * committed files (byte for byte).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPOSE_FILE, GENERATED_MARKER, KUBERNETES_DIR } from '@dske/topology';
import { runInProcess } from './testing/run-in-process';

const REPO = join(__dirname, '..', '..', '..');
const SMALL = `base_port: 18200\nmin_nr_shares: 2\nhubs:\n  - name: hank\n  - name: helen\n  - name: hilary\nclients:\n  - name: carol\n    encryptors:\n      - name: sam\n  - name: curtis\n    encryptors:\n      - name: sunny\n`;
const K8S_FILES = [
  'client-carol.yaml', 'client-curtis.yaml', 'hub-hank.yaml', 'hub-helen.yaml', 'hub-hilary.yaml',
  'kustomization.yaml', 'namespace.yaml', 'topology-configmap.yaml',
];

const run = (args: string[], cwd: string) => runInProcess(args, cwd);

const dirs: string[] = [];
function tempDir(config?: string, name = 'dske-config.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'dske-manager-generate-'));
  dirs.push(dir);
  if (config !== undefined) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), config);
  }
  return dir;
}
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

/** Every file under `dir`, relative, sorted. */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tree(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

describe('generate compose', () => {
  it('writes docker-compose.generated.yml in the current directory and says so', async () => {
    const dir = tempDir(SMALL);
    const { code, out, err } = await run(['generate', 'compose'], dir);
    expect({ code, out, err }).toEqual({ code: 0, out: ['Wrote docker-compose.generated.yml'], err: [] });
    const text = read(dir, COMPOSE_FILE);
    expect(text.split('\n').slice(0, 3)).toEqual([
      `${GENERATED_MARKER} from dske-config.yaml: 3 hubs each with a Redis of its own, 2 clients.`,
      '# Do not edit by hand: edit dske-config.yaml and regenerate with',
      '#   ./manager generate compose',
    ]);
    expect(text).toContain('image: dske:latest');
    expect(text).toContain('published: "18204"');
    // Same input, same bytes.
    expect((await run(['generate', 'compose'], dir)).code).toBe(0);
    expect(read(dir, COMPOSE_FILE)).toBe(text);
  });

  it('--lab writes the open lab file, labelled as such, and the regenerate command says --lab', async () => {
    const dir = tempDir(SMALL);
    expect((await run(['generate', 'compose', '--lab'], dir)).code).toBe(0);
    const text = read(dir, COMPOSE_FILE);
    expect(text.split('\n')[0]).toBe(`${GENERATED_MARKER} from dske-config.yaml: LAB MODE, 3 hubs each with a Redis of its own, 2 clients.`);
    expect(text).toContain('#   ./manager generate compose --lab\n');
    expect(text).not.toContain('provision:');
    expect(text).not.toContain('DSKE_HIDE_PSRD');
    expect((await run(['generate', 'compose', '--check'], dir)).code).toBe(1);
    expect((await run(['generate', 'compose', '--lab', '--check'], dir)).code).toBe(0);
  });

  it('--image sets the image; --config names the source file as given, relative to the current directory', async () => {
    const dir = tempDir(SMALL, 'net/lab.yaml');
    const { code, out } = await run(['--config', './net/lab.yaml', 'generate', 'compose', '--image', 'registry.example/dske:1.2'], dir);
    expect({ code, out }).toEqual({ code: 0, out: ['Wrote docker-compose.generated.yml'] });
    const text = read(dir, COMPOSE_FILE);
    expect(text).toContain('image: registry.example/dske:1.2');
    expect(text).not.toContain('dske:latest');
    expect(text).toContain('#   ./manager --config net/lab.yaml generate compose');
    expect(tree(dir)).toEqual([COMPOSE_FILE, join('net', 'lab.yaml')]);
  });

  it('--check: exit 0 when the file matches, else exit 1 naming what differs, and nothing is written', async () => {
    const dir = tempDir(SMALL);
    const missing = await run(['generate', 'compose', '--check'], dir);
    expect(missing.err).toEqual([
      'docker-compose.generated.yml: missing (the generator writes it)',
      'manager: error: 1 generated file(s) do not match dske-config.yaml: docker-compose.generated.yml; run the same command without --check to regenerate',
    ]);
    expect(missing.code).toBe(1);
    expect(tree(dir)).toEqual(['dske-config.yaml']);

    await run(['generate', 'compose'], dir);
    expect(await run(['generate', 'compose', '--check'], dir)).toEqual({ code: 0, out: ['docker-compose.generated.yml matches dske-config.yaml'], err: [] });

    // The topology changes: the file on disk drifts.
    writeFileSync(join(dir, 'dske-config.yaml'), SMALL.replace('18200', '18300'));
    const before = read(dir, COMPOSE_FILE);
    const drift = await run(['generate', 'compose', '--check'], dir);
    expect(drift.code).toBe(1);
    expect(drift.out).toEqual([]);
    expect(drift.err[0]).toMatch(/^docker-compose.generated.yml: differs from the generator's output, first at line \d+ /);
    expect(drift.err[drift.err.length - 1]).toMatch(/^manager: error: 1 generated file\(s\) do not match dske-config.yaml: docker-compose.generated.yml;/);
    expect(read(dir, COMPOSE_FILE)).toBe(before);
  });
});

describe('generate k8s', () => {
  it('writes deploy/k8s/*, one line per file; --namespace and --image reach the manifests', async () => {
    const dir = tempDir(SMALL);
    const { code, out, err } = await run(['generate', 'k8s', '--namespace', 'dske-lab', '--image', 'dske:test'], dir);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toEqual(K8S_FILES.map((f) => `Wrote ${KUBERNETES_DIR}/${f}`));
    expect(readdirSync(join(dir, KUBERNETES_DIR)).sort()).toEqual(K8S_FILES);
    expect(read(dir, `${KUBERNETES_DIR}/namespace.yaml`)).toContain('name: dske-lab');
    expect(read(dir, `${KUBERNETES_DIR}/hub-hank.yaml`)).toContain('image: dske:test');
    expect(read(dir, `${KUBERNETES_DIR}/hub-hank.yaml`)).toContain('#   ./manager generate k8s');
    expect(await run(['generate', 'k8s', '--namespace', 'dske-lab', '--image', 'dske:test', '--check'], dir)).toEqual({
      code: 0,
      out: ['8 files in deploy/k8s match dske-config.yaml'],
      err: [],
    });
    // Other options give other files.
    expect((await run(['generate', 'k8s', '--check'], dir)).code).toBe(1);
  });

  it('removes generated files of nodes no longer in the topology, and leaves other files alone', async () => {
    const dir = tempDir(SMALL);
    await run(['generate', 'k8s'], dir);
    writeFileSync(join(dir, KUBERNETES_DIR, 'hub-hugo.yaml'), `${GENERATED_MARKER} from dske-config.yaml: Deployment hugo.\n`);
    writeFileSync(join(dir, KUBERNETES_DIR, 'my-ingress.yaml'), 'kind: Ingress\n');
    const check = await run(['generate', 'k8s', '--check'], dir);
    expect(check.err).toEqual([
      'deploy/k8s/hub-hugo.yaml: generated earlier but no longer part of the output (delete it or regenerate)',
      'manager: error: 1 generated file(s) do not match dske-config.yaml: deploy/k8s/hub-hugo.yaml; run the same command without --check to regenerate',
    ]);
    expect(check.code).toBe(1);
    const again = await run(['generate', 'k8s'], dir);
    expect(again.out[again.out.length - 1]).toBe('Removed deploy/k8s/hub-hugo.yaml');
    expect(existsSync(join(dir, KUBERNETES_DIR, 'hub-hugo.yaml'))).toBe(false);
    expect(read(dir, `${KUBERNETES_DIR}/my-ingress.yaml`)).toBe('kind: Ingress\n');
    expect((await run(['generate', 'k8s', '--check'], dir)).code).toBe(0);
  });
});

describe('invalid topologies: the loader error, exit 1, nothing written', () => {
  const cases: Array<[string, string, string]> = [
    ['a duplicate node name', 'hubs:\n  - name: hank\n  - name: hank\nclients:\n  - name: carol\n', "dske-config.yaml:3: hubs[1].name: duplicate node name 'hank' (already a hub on line 2)"],
    ['a client named after a hub\'s Redis', 'min_nr_shares: 2\nhubs:\n  - name: hank\n  - name: helen\nclients:\n  - name: carol\n  - name: hank-redis\n', "dske-config.yaml: clients[1].name: the name 'hank-redis' is reserved for the Redis service of hub hank"],
    ['a hub named provision', 'min_nr_shares: 2\nhubs:\n  - name: hank\n  - name: provision\nclients:\n  - name: carol\n', "dske-config.yaml: hubs[1].name: the name 'provision' is reserved for the provisioning service"],
    ['two hubs on one Redis', 'min_nr_shares: 2\nredis_url: redis://cache:6379/0\nhubs:\n  - name: hank\n  - name: helen\nclients:\n  - name: carol\n', "dske-config.yaml:2: redis_url: 'redis://cache:6379/0' gives hubs hank and helen the same Redis server cache:6379"],
    ['a bad setting', `${SMALL}min_nr_shares: 9\n`, 'dske-config.yaml:'],
  ];
  for (const [what, yaml, message] of cases) {
    for (const target of ['compose', 'k8s']) {
      it(`${target}: ${what}`, async () => {
        const dir = tempDir(yaml);
        const { code, out, err } = await run(['generate', target], dir);
        expect(out).toEqual([]);
        expect(err).toHaveLength(1);
        expect(err[0].startsWith(message)).toBe(true);
        expect(code).toBe(1);
        expect(tree(dir)).toEqual(['dske-config.yaml']);
      });
    }
  }

  it('a missing topology file', async () => {
    const dir = tempDir();
    expect(await run(['--config', 'net.yaml', 'generate', 'compose'], dir)).toEqual({ code: 1, out: [], err: ['net.yaml: cannot read the topology file (no such file)'] });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the repository's committed deployment files", () => {
  it('are what ./manager generate gives for dske-config.yaml, byte for byte', async () => {
    const dir = tempDir();
    copyFileSync(join(REPO, 'dske-config.yaml'), join(dir, 'dske-config.yaml'));
    expect((await run(['generate', 'compose'], dir)).code).toBe(0);
    expect((await run(['generate', 'k8s'], dir)).code).toBe(0);
    expect(read(dir, COMPOSE_FILE)).toBe(read(REPO, COMPOSE_FILE));
    const committed = readdirSync(join(REPO, KUBERNETES_DIR)).sort();
    expect(readdirSync(join(dir, KUBERNETES_DIR)).sort()).toEqual(committed);
    for (const file of committed) expect(read(dir, `${KUBERNETES_DIR}/${file}`), file).toBe(read(REPO, `${KUBERNETES_DIR}/${file}`));
  });

  it('pass --check in the repository root (which writes nothing)', async () => {
    expect(await run(['generate', 'compose', '--check'], REPO)).toEqual({ code: 0, out: ['docker-compose.generated.yml matches dske-config.yaml'], err: [] });
    const k8s = await run(['generate', 'k8s', '--check'], REPO);
    expect(k8s.code).toBe(0);
    expect(k8s.out).toEqual([`${readdirSync(join(REPO, KUBERNETES_DIR)).length} files in deploy/k8s match dske-config.yaml`]);
  });
});
