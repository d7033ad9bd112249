/**
 * docker/Dockerfile, docker/entrypoint.sh and .dockerignore, checked by
 * reading them, so that a mistake shows without a Docker engine too
 * (apps/containers-e2e builds the image and runs it for real).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_PROGRAM_FILE, NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS } from '../node-command';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && current === '') continue;
    if (line.endsWith('\\')) current += `${line.slice(0, -1)} `;
    else {
      current += line;
      if (current.trim() !== '') logical.push(current.trim());
      current = '';
    }
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, args] = /^(\S+)\s+(.*)$/s.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args.trim()) ?? [];
      stages.push({ from, name, steps: [] });
    } else {
      stages.at(-1)?.steps.push({ op: op.toUpperCase(), args: args.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

/** .dockerignore semantics for plain patterns (no `!`): a path is out when it or a parent directory matches. */
function dockerIgnored(patterns: string[], path: string): boolean {
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/^\/+|\/+$/g, '')
      .split(/(\*\*\/?|\*|\?)/)
      .map((part) => (part === '**/' || part === '**' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`^${body}$`);
  });
  const parts = path.split('/');
  return parts.some((_, i) => regexes.some((r) => r.test(parts.slice(0, i + 1).join('/'))));
}

describe('docker/Dockerfile', () => {
  const stages = parseDockerfile(read('docker/Dockerfile'));
  const final = stages.at(-1)!;
  const runs = (stage: Stage): string => stage.steps.filter((s) => s.op === 'RUN').map((s) => s.args).join('\n');

  it('is multi-stage on Node 20 slim: a build stage compiles, the runtime stage has production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.from).toBe('node:20-slim');
    const build = stages.find((s) => s.name === 'build')!;
    expect(runs(build)).toMatch(/npm ci\b(?!.*--omit)/);
    expect(runs(build)).toContain('npm run build');
    expect(runs(final)).toContain('npm ci --omit=dev');
    // The runtime stage takes compiled output, never the sources or the build stage's node_modules.
    const copies = final.steps.filter((s) => s.op === 'COPY').map((s) => s.args);
    expect(copies.some((c) => c.startsWith('--from=build'))).toBe(true);
    expect(copies.filter((c) => /(^|\s)\.\s/.test(c) || c.includes('node_modules'))).toEqual([]);
    // Compiled output of every lib and app, next to the workspace package.json files npm ci linked.
    expect(runs(build)).toMatch(/for dist in libs\/\*\/dist apps\/\*\/dist/);
  });

  it("carries ReDoc's standalone bundle where the nodes look for it, and checks it resolves", () => {
    const build = stages.find((s) => s.name === 'build')!;
    expect(runs(build)).toContain('cp node_modules/redoc/bundles/redoc.standalone.js ');
    expect(runs(build)).toContain('/out/node_modules/redoc/bundles/');
    expect(runs(build)).toContain('cp node_modules/redoc/package.json node_modules/redoc/LICENSE /out/node_modules/redoc/');
    expect(runs(final)).toContain("'redoc/bundles/redoc.standalone.js']) require.resolve(p)");
    // The copy lands after the runtime's npm ci, which would otherwise remove it.
    const steps = final.steps.map((s) => `${s.op} ${s.args}`);
    const npmCi = steps.findIndex((s) => s.includes('npm ci --omit=dev'));
    expect(npmCi).toBeGreaterThanOrEqual(0);
    expect(steps.findIndex((s) => s.startsWith('COPY --from=build /out/'))).toBeGreaterThan(npmCi);
  });

  it('runs as a non-root user given by number, with a /readyz HEALTHCHECK in Node (slim has no curl)', () => {
    const user = final.steps.filter((s) => s.op === 'USER').at(-1)?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const healthcheck = final.steps.find((s) => s.op === 'HEALTHCHECK')?.args ?? '';
    const exec = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    expect(exec).toEqual(['node', '/app/docker/healthcheck.js']);
    expect(final.steps.filter((s) => s.op === 'COPY').map((s) => s.args)).toContain('docker/entrypoint.sh docker/healthcheck.js /app/docker/');
    const script = read('docker/healthcheck.js');
    expect(script).toContain('process.env.DSKE_PORT');
    expect(script).toContain("path: '/readyz'");
    expect(script).toContain('process.env.DSKE_TLS_CERT');
    expect(final.steps.find((s) => s.op === 'ENV')?.args).toContain('DSKE_HOST=0.0.0.0');
  });

  it('starts the app named by the command through docker/entrypoint.sh', () => {
    const entrypoint = JSON.parse(final.steps.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint).toEqual(['/app/docker/entrypoint.sh']);
    expect(statSync(join(REPO_ROOT, 'docker/entrypoint.sh')).mode & 0o111).not.toBe(0);
    const script = read('docker/entrypoint.sh');
    expect(script).toMatch(/hub \| client \| manager\)/);
    // Containers run the nodes with the same Node.js flags as the manager does.
    expect(script).toContain(`exec node ${NODE_RUNTIME_FLAGS.join(' ')} "$app_dir/apps/$program/$file" "$@"`);
    for (const [name, value] of Object.entries(NODE_RUNTIME_ENV)) expect(script).toContain(`export ${name}=${value}\n`);
    expect(script).toContain(`if [ "$program" = manager ]; then file=dist/main.js; else file=${NODE_PROGRAM_FILE}; fi`);
    for (const app of ['hub', 'client', 'manager']) {
      expect(JSON.parse(read(`apps/${app}/package.json`)).main).toBe('dist/main.js');
    }
    const built = (JSON.parse(read('tsconfig.build.json')) as { references: Array<{ path: string }> }).references.map((r) => r.path);
    expect(built).toEqual(expect.arrayContaining(['apps/hub', 'apps/client', 'apps/manager']));
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('has no exceptions (the checks below assume plain patterns)', () => {
    expect(patterns.filter((p) => p.startsWith('!'))).toEqual([]);
  });

  it('keeps out what the image builds itself, and secrets', () => {
    for (const path of ['node_modules/yaml/package.json', 'libs/topology/node_modules/x', 'libs/topology/dist/index.js', 'apps/hub/dist/main.js', 'libs/topology/tsconfig.tsbuildinfo', '.git/HEAD', '.nx/cache/x', 'tmp/test-logs/hub-hank.out', '.env', 'docker-compose.generated.yml', 'deploy/k8s/hub-hank.yaml',
      // Local nodes' state (storage keys, PSRD, shares) and the credentials the manager writes.
      '.dske-manager/state/hub-hank/storage.key', '.dske-manager/state/client-carol/state.db', 'dske-secrets/operator/ca.key', 'dske-operator/mgmt-hub-hank.token']) {
      expect(dockerIgnored(patterns, path), path).toBe(true);
    }
  });

  it('keeps everything `npm ci` and `npm run build` (tsc, then the bundler) need', () => {
    const needed = ['package.json', 'package-lock.json', 'tsconfig.base.json', 'tsconfig.build.json', 'tools/bundle-nodes.mjs', 'docker/entrypoint.sh', 'docker/healthcheck.js'];
    // npm ci needs every workspace's package.json, built or not.
    for (const dir of ['libs', 'apps']) for (const name of readdirSync(join(REPO_ROOT, dir))) needed.push(`${dir}/${name}/package.json`);
    const walk = (dir: string): string[] =>
      readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
    for (const { path } of (JSON.parse(read('tsconfig.build.json')) as { references: Array<{ path: string }> }).references) {
      needed.push(`${path}/tsconfig.json`, ...walk(`${path}/src`).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts')));
    }
    expect(needed.filter((path) => dockerIgnored(patterns, path))).toEqual([]);
  });
});
