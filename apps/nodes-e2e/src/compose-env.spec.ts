/**
 * The containers' start command works outside Docker: hubs and clients start
 * with exactly the environment docker-compose.generated.yml gives them (no
 * command-line flags), pass the compose healthchecks, and make a key pair.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabPki } from '@dske/lab-pki';
import { NODE_RUNTIME_FLAGS, parseTopology, renderCompose, TLS_FILES } from '@dske/topology';
import { freePortRange, httpJson, REPO_ROOT, spawnNode, type NodeProcess } from '@dske/test-support';

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  healthcheck: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: Array<{ type: string; source: string; target: string; read_only: boolean }>;
}

interface KeyContainer {
  keys: Array<{ key_ID: string; key: string }>;
}

const LOOPBACK = '127.0.0.1';
const REAL_REDIS = `redis://${LOOPBACK}:6379/0`;

/** Runs a compose healthcheck test (["CMD", program, ...args]) here; resolves with its exit code. */
function runHealthcheck(test: string[]): Promise<number> {
  expect(test[0]).toBe('CMD');
  const program = test[1] === 'node' ? process.execPath : test[1];
  return new Promise((done) => execFile(program, test.slice(2), { timeout: 5000 }, (error) => done(error ? (typeof error.code === 'number' ? error.code : 1) : 0)));
}

async function waitHealthy(name: string, service: Service, node: NodeProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (node.child.exitCode !== null) throw new Error(`${name} exited with ${node.child.exitCode}:\n${node.log().slice(-2000)}`);
    if ((await runHealthcheck(service.healthcheck.test)) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} not healthy after ${timeoutMs} ms:\n${node.log().slice(-2000)}`);
}

/**
 * Starts every node service of a compose file as a local process with the
 * service's environment and no flags, in depends_on order like compose (a
 * service starts once all it depends on is healthy by its own healthcheck).
 *
 * The one difference is that there is no container network or file system
 * here: service host names become 127.0.0.1 (host ports equal container
 * ports, so the URLs still reach the right node), the hubs' Redis is the real
 * one on 127.0.0.1:6379, bind-mounted paths become their sources under
 * `projectDir`, and DSKE_HOST 0.0.0.0 becomes 127.0.0.1 so that the test nodes
 * stay on loopback (0.0.0.0 would work as well).
 */
async function startFromCompose(services: Record<string, Service>, projectDir: string, started: Map<string, NodeProcess>): Promise<Map<string, Record<string, string>>> {
  const names = Object.keys(services);
  const hostPattern = new RegExp(`//(${names.join('|')}):`, 'g');
  const envs = new Map<string, Record<string, string>>();
  for (const [name, service] of Object.entries(services)) {
    if (name === 'redis') continue;
    const env = { ...service.environment! };
    expect(env.DSKE_HOST).toBe('0.0.0.0');
    env.DSKE_HOST = LOOPBACK;
    if (env.DSKE_HUBS !== undefined) env.DSKE_HUBS = env.DSKE_HUBS.replace(hostPattern, `//${LOOPBACK}:`);
    if (env.REDIS_URL !== undefined) {
      expect(env.REDIS_URL).toBe('redis://redis:6379/0');
      env.REDIS_URL = REAL_REDIS;
    }
    for (const mount of service.volumes ?? []) {
      for (const [key, value] of Object.entries(env)) if (value === mount.target) env[key] = resolve(projectDir, mount.source);
    }
    envs.set(name, env);
  }
  // Nothing of the test runner's own DSKE_* or REDIS_URL may leak in: a node gets only its compose variables.
  const scrub = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('DSKE_') || k === 'REDIS_URL').map((k) => [k, undefined]));
  const healthy = new Set<string>(['redis']);
  while (healthy.size < names.length) {
    const wave = names.filter((n) => !healthy.has(n) && Object.keys(services[n].depends_on ?? {}).every((d) => healthy.has(d)));
    expect(wave.length, 'a depends_on cycle').toBeGreaterThan(0);
    for (const name of wave) {
      const kind = services[name].command![0] as 'hub' | 'client';
      started.set(name, spawnNode(kind, name, Number(envs.get(name)!.DSKE_PORT), [], { ...scrub, ...envs.get(name) }));
    }
    await Promise.all(wave.map((name) => waitHealthy(name, services[name], started.get(name)!)));
    for (const name of wave) healthy.add(name);
  }
  return envs;
}

function composeServices(topologyText: string, topologyFile: string): Record<string, Service> {
  const topology = parseTopology(topologyText, topologyFile);
  return (parse(renderCompose(topology, { sourceFile: 'dske-config.yaml' })) as { services: Record<string, Service> }).services;
}

describe('nodes started with the compose environment', () => {
  let base: number;
  let envs: Map<string, Record<string, string>>;
  const nodes = new Map<string, NodeProcess>();
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REAL_REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    base = await freePortRange(4);
    const services = composeServices(
      [`base_port: ${base}`, 'min_nr_shares: 2', 'hubs: [{name: hank}, {name: helen}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}]}', ''].join('\n'),
      'compose-env.yaml',
    );
    envs = await startFromCompose(services, REPO_ROOT, nodes);
  });

  afterAll(async () => {
    await Promise.all([...nodes.values()].map((n) => n.kill()));
    await redis?.quit();
  });

  it('the started processes carry no DSKE command-line flags (only Node.js flags) and listen on the plan ports', () => {
    expect([...nodes.keys()]).toEqual(['hank', 'helen', 'carol', 'curtis']);
    for (const [name, node] of nodes) {
      expect(node.child.spawnargs.slice(1)).toEqual([...NODE_RUNTIME_FLAGS, join(REPO_ROOT, 'apps', node.kind, 'dist', 'main.js')]);
      expect(node.port).toBe(base + ['hank', 'helen', 'carol', 'curtis'].indexOf(name));
    }
  });

  it('makes a key pair through the hubs, with the shares in the real Redis', async () => {
    const carol = `http://${LOOPBACK}:${envs.get('carol')!.DSKE_PORT}/client/carol`;
    const curtis = `http://${LOOPBACK}:${envs.get('curtis')!.DSKE_PORT}/client/curtis`;
    const made = await httpJson<KeyContainer>('GET', `${carol}/etsi/api/v1/keys/sunny/enc_keys?size=256`, { headers: { authorization: 'Bearer sam' } });
    expect(made.status, made.text).toBe(200);
    const [{ key_ID, key }] = made.body.keys;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    // Each hub keeps its share in Redis (REDIS_URL from the compose file) until the slave's client fetches it.
    expect(await redis.exists(`dske:hank:share:${key_ID}`, `dske:helen:share:${key_ID}`)).toBe(2);

    const fetched = await httpJson<KeyContainer>('GET', `${curtis}/etsi/api/v1/keys/sam/dec_keys?key_ID=${key_ID}`, { headers: { authorization: 'Bearer sunny' } });
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.body).toEqual({ keys: [{ key_ID, key }] });
    expect(await redis.exists(`dske:hank:share:${key_ID}`, `dske:helen:share:${key_ID}`)).toBe(0);
  });

  it('shows PSRD previews in mgmt status (compose leaves DSKE_HIDE_PSRD unset)', async () => {
    const status = await httpJson<unknown>('GET', `http://${LOOPBACK}:${envs.get('carol')!.DSKE_PORT}/client/carol/mgmt/v1/status`);
    expect(status.status).toBe(200);
    expect(status.text).toMatch(/"data":"/);
  });

  it("the image's HEALTHCHECK command (docker/Dockerfile) passes against a running node and fails on a closed port", async () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'docker', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
    const line = dockerfile.split('\n').find((l) => l.startsWith('HEALTHCHECK'))!;
    const exec = JSON.parse(line.slice(line.indexOf('CMD ') + 4)) as string[];
    expect(exec[0]).toBe('node');
    // /app in the image is the repository root here.
    const args = exec.slice(1).map((a) => a.replace(/^\/app\//, `${REPO_ROOT}/`));
    const run = (port: string) => spawnSync(process.execPath, args, { env: { ...process.env, DSKE_PORT: port, DSKE_TLS_CERT: '' }, timeout: 10_000 });
    expect(run(envs.get('curtis')!.DSKE_PORT).status).toBe(0);
    expect(run(envs.get('hank')!.DSKE_PORT).status).toBe(0);
    expect(run(String(await freePortRange(1))).status).toBe(1);
  });

  it('docker/entrypoint.sh maps hub and client to the built programs, and refuses unknown programs', () => {
    const entrypoint = (...args: string[]) => spawnSync('sh', [join(REPO_ROOT, 'docker', 'entrypoint.sh'), ...args], { encoding: 'utf8', timeout: 20_000 });
    const hub = entrypoint('hub', '--help');
    expect(hub.status).toBe(0);
    expect(hub.stdout).toContain('Usage: hub');
    expect(hub.stdout).toContain('--share-timeout-secs');
    const client = entrypoint('client', '--help');
    expect(client.status).toBe(0);
    expect(client.stdout).toContain('Usage: client');
    expect(client.stdout).toContain('--hubs');
    const help = entrypoint();
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: entrypoint.sh hub|client|manager');
    const unknown = entrypoint('shell');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown program 'shell'");
  });
});

/** One ETSI call over mutual TLS, as an encryptor with its lab certificate makes it. */
function etsiOverTls(url: string, pki: Map<string, string>, sae: string): Promise<{ status: number; body: KeyContainer; text: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { cert: pki.get(TLS_FILES.saeCert(sae)), key: pki.get(TLS_FILES.saeKey(sae)), ca: pki.get(TLS_FILES.caCert), timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(text || 'null') as KeyContainer, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

describe('TLS clients started with the compose environment (tls_dir, bind-mounted certificates)', () => {
  let dir: string;
  let pki: Map<string, string>;
  let envs: Map<string, Record<string, string>>;
  let services: Record<string, Service>;
  const nodes = new Map<string, NodeProcess>();

  beforeAll(async () => {
    // A project directory as the compose file would see it: the topology and its tls_dir side by side.
    dir = mkdtempSync(join(tmpdir(), 'dske-compose-tls-'));
    const clients = [
      { name: 'carol', encryptors: ['sam'] },
      { name: 'curtis', encryptors: ['sunny'] },
    ];
    pki = await createLabPki({ clients });
    mkdirSync(join(dir, 'pki'));
    for (const [file, pem] of pki) writeFileSync(join(dir, 'pki', file), pem, { mode: 0o600 });
    const base = await freePortRange(4);
    const text = [`base_port: ${base}`, 'min_nr_shares: 2', 'tls_dir: pki', 'hubs: [{name: hank}, {name: helen}]', 'clients:', '  - {name: carol, encryptors: [{name: sam}]}', '  - {name: curtis, encryptors: [{name: sunny}]}', ''].join('\n');
    writeFileSync(join(dir, 'dske-config.yaml'), text);
    services = composeServices(text, join(dir, 'dske-config.yaml'));
    envs = await startFromCompose(services, dir, nodes);
  });

  afterAll(async () => {
    await Promise.all([...nodes.values()].map((n) => n.kill()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the clients got their certificate files through the mounts, and passed the HTTPS healthcheck', () => {
    expect(services.carol.volumes?.map((v) => v.source)).toEqual(['./pki/kme-carol.crt', './pki/kme-carol.key', './pki/ca.crt']);
    expect(envs.get('carol')!.DSKE_TLS_KEY).toBe(join(dir, 'pki', 'kme-carol.key'));
    expect(services.carol.healthcheck.test.join(' ')).toContain("require('node:https')");
    expect(services.hank.volumes).toBeUndefined();
  });

  it('makes a key pair over mutual TLS, the SAE IDs taken from the certificates', async () => {
    const carol = `https://${LOOPBACK}:${envs.get('carol')!.DSKE_PORT}/client/carol`;
    const curtis = `https://${LOOPBACK}:${envs.get('curtis')!.DSKE_PORT}/client/curtis`;
    const made = await etsiOverTls(`${carol}/etsi/api/v1/keys/sunny/enc_keys?size=256`, pki, 'sam');
    expect(made.status, made.text).toBe(200);
    const [{ key_ID, key }] = made.body.keys;
    const fetched = await etsiOverTls(`${curtis}/etsi/api/v1/keys/sam/dec_keys?key_ID=${key_ID}`, pki, 'sunny');
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.body).toEqual({ keys: [{ key_ID, key }] });
  });

  it("the image's healthcheck script speaks HTTPS to a TLS client", () => {
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'docker', 'healthcheck.js')], {
      env: { ...process.env, DSKE_PORT: envs.get('carol')!.DSKE_PORT, DSKE_TLS_CERT: envs.get('carol')!.DSKE_TLS_CERT },
      timeout: 10_000,
    });
    expect(run.status).toBe(0);
  });
});
