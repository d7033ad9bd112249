import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareGenerated, COMPOSE_FILE, GENERATED_MARKER, KUBERNETES_DIR, loadTopology, parseTopology, renderCompose, renderDeployFiles, renderKubernetes } from '../index';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = join(REPO_ROOT, 'tools', 'dist', 'generate-deploy.js');

/** What is on disk: the files the generator would write plus any older generated file left in deploy/k8s. */
function filesOnDisk(root: string, paths: string[]): Record<string, string | undefined> {
  const dir = join(root, KUBERNETES_DIR);
  const leftovers = existsSync(dir)
    ? readdirSync(dir)
        .map((name) => `${KUBERNETES_DIR}/${name}`)
        .filter((path) => readFileSync(join(root, path), 'utf8').startsWith(GENERATED_MARKER))
    : [];
  const out: Record<string, string | undefined> = {};
  for (const path of [...paths, ...leftovers]) out[path] = existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : undefined;
  return out;
}

describe('the committed deployment files', () => {
  it('match dske-config.yaml (regenerate with `npx nx run tools:generate` when this fails)', () => {
    const topology = loadTopology(join(REPO_ROOT, 'dske-config.yaml'));
    const expected = renderDeployFiles(topology, { sourceFile: 'dske-config.yaml' });
    const drift = compareGenerated(expected, filesOnDisk(REPO_ROOT, Object.keys(expected)));
    expect(drift.map((d) => d.message).join('\n'), 'docker-compose.generated.yml or deploy/k8s/ drifted from dske-config.yaml; run `npx nx run tools:generate`').toBe('');
  });
});

describe('compareGenerated', () => {
  it('names the file and the first differing line', () => {
    const drift = compareGenerated({ 'a.yml': 'x\ny\nz\n', 'b.yml': 'b\n' }, { 'a.yml': 'x\nY\nz\n', 'b.yml': undefined, 'c.yml': 'old\n' });
    expect(drift.map((d) => d.message)).toEqual([
      'a.yml: differs from the generator\'s output, first at line 2 (4 lines on disk, 4 generated)\n  - on disk:   "Y"\n  + generated: "y"',
      'b.yml: missing (the generator writes it)',
      'c.yml: generated earlier but no longer part of the output (delete it or regenerate)',
    ]);
  });
});

describe('tools/generate-deploy', () => {
  const dirs: string[] = [];
  const tempRoot = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-generate-'));
    dirs.push(dir);
    return dir;
  };
  const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8' });
  /** Every file under dir, relative, with its content. */
  const snapshot = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (rel: string): void => {
      for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(path);
        else out[path] = readFileSync(join(dir, path), 'utf8');
      }
    };
    walk('');
    return out;
  };

  beforeAll(() => {
    // The script runs compiled, as `nx run tools:generate` runs it; tsc -b is incremental (and builds libs/topology first).
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(REPO_ROOT, 'tools', 'tsconfig.json')], { stdio: 'pipe' });
  }, 120_000);
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const TOPOLOGY = 'hubs: [{name: hank}, {name: helen}, {name: hilary}]\nclients:\n  - {name: carol, encryptors: [{name: sam}]}\n  - {name: curtis, encryptors: [{name: sunny}]}\n';

  it('writes the compose file and deploy/k8s, then --check passes; a hand edit or a stale file fails --check', () => {
    const root = tempRoot();
    writeFileSync(join(root, 'dske-config.yaml'), TOPOLOGY);
    const first = run(root, '--root', root);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const written = snapshot(root);
    const expected = renderDeployFiles(loadTopology(join(root, 'dske-config.yaml')), { sourceFile: 'dske-config.yaml' });
    expect(written).toEqual({ 'dske-config.yaml': TOPOLOGY, ...expected });

    expect(run(root, '--root', root, '--check').status).toBe(0);
    // Same input, same bytes: a second run changes nothing.
    expect(run(root, '--root', root).stdout).toContain('0 changed');
    expect(snapshot(root)).toEqual(written);

    writeFileSync(join(root, COMPOSE_FILE), written[COMPOSE_FILE].replace('DSKE_MIN_NR_SHARES: "3"', 'DSKE_MIN_NR_SHARES: "2"'));
    writeFileSync(join(root, KUBERNETES_DIR, 'hub-hugo.yaml'), `${GENERATED_MARKER} from dske-config.yaml: Deployment hugo.\n`);
    writeFileSync(join(root, KUBERNETES_DIR, 'notes.yaml'), '# mine, not generated\n');
    const check = run(root, '--root', root, '--check');
    expect(check.status).toBe(1);
    expect(check.stderr).toContain(`${COMPOSE_FILE}: differs from the generator's output, first at line`);
    expect(check.stderr).toContain('- on disk:   "      DSKE_MIN_NR_SHARES: \\"2\\""');
    expect(check.stderr).toContain(`${KUBERNETES_DIR}/hub-hugo.yaml: generated earlier but no longer part of the output`);
    expect(check.stderr).not.toContain('notes.yaml');

    // Regenerating repairs the edit, removes the stale generated file and keeps the user's own file.
    expect(run(root, '--root', root).status).toBe(0);
    expect(snapshot(root)).toEqual({ ...written, [`${KUBERNETES_DIR}/notes.yaml`]: '# mine, not generated\n' });
  });

  it('takes --config relative to the working directory and names it in the headers', () => {
    const root = tempRoot();
    mkdirSync(join(root, 'lab'));
    writeFileSync(join(root, 'lab', 'small.yaml'), 'min_nr_shares: 1\nallow_single_share: true\nhubs: [{name: hank}]\nclients: [{name: cindy}]\n');
    const result = run(join(root, 'lab'), '--root', root, '--config', 'small.yaml');
    expect(result.status).toBe(0);
    const compose = readFileSync(join(root, COMPOSE_FILE), 'utf8');
    expect(compose).toBe(renderCompose(loadTopology(join(root, 'lab', 'small.yaml')), { sourceFile: 'lab/small.yaml' }));
    expect(compose.split('\n')[2]).toBe('#   ./manager --config lab/small.yaml generate compose');
  });

  const INVALID: Record<string, string> = {
    'an unknown key': `${TOPOLOGY}hub_count: 3\n`,
    'a duplicate node name': 'hubs: [{name: hank}, {name: helen}, {name: hank}]\nclients: []\n',
    'min_nr_shares above the hub count': 'min_nr_shares: 4\nhubs: [{name: hank}, {name: helen}, {name: hilary}]\nclients: []\n',
    'thresholds out of order': `start_request_psrd_threshold: 3000\n${TOPOLOGY}`,
    'a YAML syntax error': 'hubs: [{name: hank}\nclients: []\n',
    'an empty file': '',
    'ports beyond 65535': `base_port: 65534\n${TOPOLOGY}`,
    'one Redis server for every hub': `redis_url: redis://cache.lab:6379/0\n${TOPOLOGY}`,
    'a redis_url template that is no Redis URL': `redis_url: http://{name}-redis:6379/0\n${TOPOLOGY}`,
  };
  for (const [label, text] of Object.entries(INVALID)) {
    it(`gives the loader's error and writes nothing: ${label}`, () => {
      const root = tempRoot();
      writeFileSync(join(root, 'dske-config.yaml'), text);
      const result = run(root, '--root', root, '--config', 'dske-config.yaml');
      const loaderMessage = (() => {
        try {
          loadTopology(join(root, 'dske-config.yaml'));
        } catch (error) {
          return (error as Error).message.replace(join(root, 'dske-config.yaml'), 'dske-config.yaml');
        }
        return expect.unreachable('the loader accepted it');
      })();
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(`generate-deploy: error: ${loaderMessage}\n`);
      expect(result.stdout).toBe('');
      expect(snapshot(root)).toEqual({ 'dske-config.yaml': text });
    });
  }

  const RESERVED: Record<string, { from: string; to: string; message: string }> = {
    'a hub named provision': {
      from: '{name: helen}',
      to: '{name: provision}',
      message:
        "dske-config.yaml: hubs[1].name: the name 'provision' is reserved for the provisioning service of the generated docker compose and Kubernetes deployments; rename this hub",
    },
    "a client named after a hub's Redis service": {
      from: '{name: curtis,',
      to: '{name: hank-redis,',
      message:
        "dske-config.yaml: clients[1].name: the name 'hank-redis' is reserved for the Redis service of hub hank of the generated docker compose and Kubernetes deployments; rename this client",
    },
  };
  for (const [label, { from, to, message }] of Object.entries(RESERVED)) {
    it(`leaves committed files untouched when the topology turns invalid: ${label}`, () => {
      const root = tempRoot();
      writeFileSync(join(root, 'dske-config.yaml'), TOPOLOGY);
      expect(run(root, '--root', root).status).toBe(0);
      const before = snapshot(root);
      const broken = TOPOLOGY.replace(from, to);
      expect(broken).not.toBe(TOPOLOGY);
      writeFileSync(join(root, 'dske-config.yaml'), broken);
      const result = run(root, '--root', root);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(`generate-deploy: error: ${message}\n`);
      expect(result.stdout).toBe('');
      expect(snapshot(root)).toEqual({ ...before, 'dske-config.yaml': broken });
    });
  }

  it('reserves NAME-redis only for the Redis services it generates: with external stores the name is free', () => {
    const root = tempRoot();
    const text = `redis_url: redis://{name}.cache.lab:6379/0\n${TOPOLOGY.replace('{name: curtis,', '{name: hank-redis,')}`;
    writeFileSync(join(root, 'dske-config.yaml'), text);
    const result = run(root, '--root', root);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const compose = readFileSync(join(root, COMPOSE_FILE), 'utf8');
    expect(compose).toContain('REDIS_URL: redis://hank.cache.lab:6379/0');
    expect(compose).not.toContain('redis:7');
    expect(existsSync(join(root, KUBERNETES_DIR, 'client-hank-redis.yaml'))).toBe(true);
  });

  it('reports a missing topology file and bad arguments', () => {
    const root = tempRoot();
    const missing = run(root, '--root', root, '--config', 'nope.yaml');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('generate-deploy: error: nope.yaml: cannot read the topology file (no such file)\n');
    expect(run(root, '--frobnicate').stderr).toBe("generate-deploy: error: unknown argument '--frobnicate'\n");
    expect(run(root, '--config').stderr).toBe('generate-deploy: error: --config needs a value\n');
    expect(snapshot(root)).toEqual({});
  });
});

describe('regenerate command in the headers', () => {
  const topology = parseTopology('hubs: [{name: hank}, {name: helen}]\nmin_nr_shares: 2\nclients: [{name: carol, encryptors: [{name: sam}]}]\n', 'lab.yaml');

  it('names the config file and keeps a non-default image and namespace', () => {
    expect(renderCompose(topology, { sourceFile: 'lab.yaml', image: 'registry.example.net/dske:0.1' })).toContain(
      '#   ./manager --config lab.yaml generate compose --image registry.example.net/dske:0.1\n',
    );
    const k8s = renderKubernetes(topology, { sourceFile: 'lab.yaml', namespace: 'lab' });
    expect(k8s['hub-hank.yaml']).toContain('#   ./manager --config lab.yaml generate k8s --namespace lab\n');
    expect(k8s['kustomization.yaml']).toContain('#   ./manager --config lab.yaml generate k8s --namespace lab\n');
  });

  it('leaves default options out', () => {
    expect(renderCompose(topology, { sourceFile: 'dske-config.yaml', image: 'dske:latest' })).toContain('#   ./manager generate compose\n');
    expect(renderKubernetes(topology, { sourceFile: 'dske-config.yaml', namespace: 'dske' })['namespace.yaml']).toContain('#   ./manager generate k8s\n');
  });
});
