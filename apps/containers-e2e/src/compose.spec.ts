import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree, REPO_ROOT } from '@dske/test-support';

/*
 * The committed docker-compose.generated.yml, for real: the image built from
 * docker/Dockerfile, `up --wait`, key pairs through the published ports with
 * ./manager, each hub's Redis out of every other container's reach, sealed
 * records, SIGKILL of every hub (and of clients, resuming from their state
 * volumes) between Get key and Get key with key IDs, a Redis outage. A project name of its own keeps a user's own deployment
 * untouched; `down -v` removes every container, network and volume, also
 * when a test fails.
 */
const COMPOSE_FILE = 'docker-compose.generated.yml';
const PROJECT = `dske-e2e-${process.pid}`;
const HUBS = ['hank', 'helen', 'hilary', 'holly', 'hugo'];
const CLIENTS = ['carol', 'celia', 'cindy', 'connie', 'curtis'];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], timeoutMs = 120_000): Run {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: `${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

const compose = (args: string[], timeoutMs?: number) => run('docker', ['compose', '-f', COMPOSE_FILE, '-p', PROJECT, ...args], timeoutMs);

function ok(result: Run, what: string): string {
  expect(result.status, `${what}:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`).toBe(0);
  return result.stdout;
}

/** The first JSON object in the manager's output (after its "Invoke ..." line). */
function firstJson(text: string): { keys: Array<{ key_ID: string; key: string }> } {
  const start = text.indexOf('{');
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return JSON.parse(text.slice(start, i + 1));
  }
  throw new Error(`no JSON in ${text}`);
}

describe(`docker compose -f ${COMPOSE_FILE} (secure, as committed)`, () => {
  let credentials: string;
  const manager = (args: string[]) => run(join(REPO_ROOT, 'manager'), ['--credentials', credentials, '--url-base', 'https://127.0.0.1', ...args], 60_000);
  const exec = (service: string, script: string) => compose(['exec', '-T', service, 'bash', '-c', script], 30_000);

  beforeAll(async () => {
    const busy = [];
    for (let port = 8100; port <= 8109; port++) if (!(await isPortFree(port))) busy.push(port);
    if (busy.length > 0) throw new Error(`ports ${busy.join(', ')} are in use (./manager start, or another deployment?); the compose file publishes 8100-8109`);
    ok(run('docker', ['build', '-q', '-f', 'docker/Dockerfile', '-t', 'dske:latest', '.'], 600_000), 'docker build');
    ok(compose(['up', '-d', '--wait', '--no-build'], 300_000), 'docker compose up --wait');
    credentials = mkdtempSync(join(tmpdir(), 'dske-operator-'));
    ok(compose(['cp', 'provision:/provision/operator/.', credentials]), 'docker compose cp the operator credentials');
  });

  afterAll(() => {
    const down = compose(['down', '-v', '--remove-orphans', '--timeout', '5'], 180_000);
    if (credentials) rmSync(credentials, { recursive: true, force: true });
    if (down.status !== 0) throw new Error(`docker compose down -v failed: ${down.stderr}`);
  });

  it('every service is up and healthy, the provisioning service exited 0', () => {
    const states = ok(compose(['ps', '-a', '--format', '{{.Service}} {{.State}} {{.Health}} {{.ExitCode}}']), 'ps')
      .trim()
      .split('\n')
      .map((line) => line.split(' '));
    const byService = new Map(states.map(([service, ...rest]) => [service, rest]));
    for (const service of [...HUBS, ...HUBS.map((h) => `${h}-redis`), ...CLIENTS]) expect([service, ...(byService.get(service) ?? [])].slice(0, 3)).toEqual([service, 'running', 'healthy']);
    expect(byService.get('provision')?.[0]).toBe('exited');
    expect(byService.get('provision')?.[2]).toBe('0');
  });

  it('makes key pairs through the published ports with ./manager --credentials (mutual TLS, the SAE certificates provisioned)', () => {
    for (const [master, slave] of [
      ['sam', 'sunny'],
      ['sofia', 'serena'],
    ]) {
      expect(ok(manager(['etsi-qkd', master, slave, 'get-key-pair']), `get-key-pair ${master} ${slave}`)).toContain('Key values match');
    }
  });

  it('/metrics and the dashboard reach the deployment: HTTPS, each node its own mgmt token', async () => {
    const token = readFileSync(join(credentials, 'mgmt-hub-hank.token'), 'utf8').trim();
    const scrape = (headers: string[]) => run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', '--cacert', join(credentials, 'ca.crt'), ...headers, 'https://127.0.0.1:8100/metrics']);
    expect(scrape([]).stdout).toBe('401');
    expect(scrape(['-H', `Authorization: Bearer ${token}`]).stdout).toBe('200');

    const dashboard = spawn(join(REPO_ROOT, 'manager'), ['--credentials', credentials, '--url-base', 'https://127.0.0.1', 'dashboard', '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      dashboard.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      dashboard.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      let url: string | undefined;
      for (let i = 0; i < 300 && url === undefined; i++) {
        url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
        if (url === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, output).toBeDefined();
      let snapshot: { nodes: Array<{ name: string; up: boolean; reason?: string }>; hubs: Array<{ sharesStored: number | null }> } | undefined;
      for (let i = 0; i < 50; i++) {
        snapshot = (await (await fetch(`${url}api/snapshot`)).json()) as typeof snapshot;
        if (snapshot!.nodes.every((n) => n.up)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(snapshot!.nodes.filter((n) => !n.up)).toEqual([]);
      // A key pair goes through every hub, and the counters show it.
      expect(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key-pair']), 'get-key-pair')).toContain('Key values match');
      for (let i = 0; i < 50 && !snapshot!.hubs.every((h) => (h.sharesStored ?? 0) >= 1); i++) {
        await new Promise((r) => setTimeout(r, 200));
        snapshot = (await (await fetch(`${url}api/snapshot`)).json()) as typeof snapshot;
      }
      for (const hub of snapshot!.hubs) expect(hub.sharesStored).toBeGreaterThanOrEqual(1);
    } finally {
      dashboard.kill('SIGTERM');
    }
  });

  it('no state service is reachable by two hubs: compose config, and from inside the network', () => {
    const config = JSON.parse(ok(compose(['config', '--format', 'json']), 'config')) as {
      services: Record<string, { networks?: Record<string, unknown>; volumes?: Array<{ source?: string }> }>;
      networks: Record<string, { internal?: boolean }>;
    };
    for (const hub of HUBS) {
      // Its Redis is on its store network only, which only this hub and its Redis join.
      expect(Object.keys(config.services[`${hub}-redis`].networks ?? {})).toEqual([`${hub}-store`]);
      const members = Object.entries(config.services).filter(([, s]) => Object.keys(s.networks ?? {}).includes(`${hub}-store`)).map(([name]) => name);
      expect(members.sort()).toEqual([hub, `${hub}-redis`].sort());
      expect(config.networks[`${hub}-store`].internal).toBe(true);
    }
    // Every volume has at most one user besides the provisioning run that fills the secrets volumes.
    const users = new Map<string, string[]>();
    for (const [name, s] of Object.entries(config.services)) for (const v of s.volumes ?? []) if (v.source) users.set(v.source, [...(users.get(v.source) ?? []), name]);
    for (const hub of HUBS) {
      expect(users.get(`${hub}-state`)).toEqual([hub]);
      expect(users.get(`${hub}-redis-data`)).toEqual([`${hub}-redis`]);
      expect(users.get(`hub-${hub}-secrets`)?.sort()).toEqual([hub, 'provision'].sort());
    }
    for (const [volume, services] of users) expect(services.filter((s) => s !== 'provision').length, volume).toBeLessThanOrEqual(1);

    expect(exec('hank', 'exec 3<>/dev/tcp/hank-redis/6379 && echo reached').stdout).toContain('reached');
    for (const [from, to] of [
      ['hank', 'helen-redis'],
      ['helen', 'hank-redis'],
      ['carol', 'hank-redis'],
      ['hugo', 'holly-redis'],
    ]) {
      const attempt = exec(from, `timeout 3 bash -c 'exec 3<>/dev/tcp/${to}/6379' && echo reached`);
      expect(attempt.stdout, `${from} reached ${to}`).not.toContain('reached');
      expect(attempt.status).not.toBe(0);
    }
  });

  it("a hub's Redis holds only sealed records: no share, no SAE, no client name", async () => {
    const made = firstJson(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key']), 'get-key'));
    const id = made.keys[0].key_ID;
    for (const hub of HUBS) {
      // Earlier keys' shares go when their acknowledgements arrive (just after delivery): wait for that.
      const scan = () => ok(compose(['exec', '-T', `${hub}-redis`, 'redis-cli', '--scan']), 'scan').trim().split('\n').sort();
      const state = (keys: string[]) => keys.filter((k) => /^dske:[a-z]+:state:[0-9a-f]{32}$/.test(k));
      const expected = [`dske:${hub}:share:${id}`, 'dske:store-owner'].sort();
      let keys = scan();
      for (let i = 0; i < 50 && JSON.stringify(keys.filter((k) => !state([k]).length)) !== JSON.stringify(expected); i++) {
        await new Promise((r) => setTimeout(r, 100));
        keys = scan();
      }
      // Besides the share and the owner: the hub's registrations and PSRD blocks, under opaque names only.
      expect(keys.filter((k) => state([k]).length === 0)).toEqual(expected);
      expect(state(keys).length, hub).toBeGreaterThan(5);
      for (const key of state(keys)) expect(key.startsWith(`dske:${hub}:state:`)).toBe(true);
      const record = ok(compose(['exec', '-T', `${hub}-redis`, 'redis-cli', '--no-raw', 'GET', `dske:${hub}:share:${id}`]), 'get');
      for (const word of ['sam', 'sunny', 'carol', 'share_index', 'user_key_id']) expect(record).not.toContain(word);
      const registration = ok(compose(['exec', '-T', `${hub}-redis`, 'redis-cli', '--no-raw', 'GET', state(keys)[0]]), 'get');
      for (const word of ['sam', 'sunny', 'carol', 'encryptor', 'registration']) expect(registration).not.toContain(word);
    }
    // The append-only file on the Redis volume holds the same sealed bytes: nothing in the clear on disk either.
    const aof = ok(compose(['exec', '-T', 'hank-redis', 'sh', '-c', 'cat /data/appendonlydir/*']), 'aof');
    expect(aof).toContain(id);
    expect(aof).not.toContain('sunny');
    expect(aof).not.toContain('carol');
    expect(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key-with-key-ids', id]), 'get-key-with-key-ids')).toContain(made.keys[0].key);
  });

  it('every hub killed with SIGKILL between Get key and Get key with key IDs: the key is still delivered once they are back', () => {
    const made = firstJson(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key']), 'get-key'));
    ok(compose(['kill', '-s', 'SIGKILL', ...HUBS]), 'kill');
    ok(compose(['up', '-d', '--wait', '--no-build', ...HUBS], 180_000), 'hubs back');
    const fetched = firstJson(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key-with-key-ids', made.keys[0].key_ID]), 'get-key-with-key-ids after the crash'));
    expect(fetched.keys).toEqual(made.keys);
    // The storage key on the hub's volume outlived the crash: made once, at the first start.
    for (const hub of HUBS) expect(ok(compose(['logs', '--no-log-prefix', hub]), 'logs').match(/Created the storage key/g), hub).toHaveLength(1);
  });

  it('the clients killed with SIGKILL between Get key and Get key with key IDs resume from their state volumes: the key is delivered, nobody registers again; a hub resumes from its Redis', () => {
    const made = firstJson(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key']), 'get-key'));
    ok(compose(['kill', '-s', 'SIGKILL', 'carol', 'curtis', 'hank']), 'kill');
    ok(compose(['up', '-d', '--wait', '--no-build', 'hank', 'carol', 'curtis'], 180_000), 'back');
    const fetched = firstJson(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key-with-key-ids', made.keys[0].key_ID]), 'get-key-with-key-ids after the crash'));
    expect(fetched.keys).toEqual(made.keys);
    expect(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key-pair']), 'get-key-pair after the crash')).toContain('Key values match');
    for (const client of ['carol', 'curtis']) {
      const log = ok(compose(['logs', '--no-log-prefix', client]), 'logs');
      // One registration per hub, at the first start; the restarted container resumed it.
      expect(log.match(/Begin register task for peer hub hank/g), client).toHaveLength(1);
      expect(log).toContain('Resumed registration with peer hub hank');
    }
    expect(ok(compose(['logs', '--no-log-prefix', 'hank']), 'logs')).toMatch(/Resumed \d+ client registrations/);
  });

  it("a hub whose Redis stops answers 503 store.unavailable within a second, keys still flow through the other hubs, and it recovers", async () => {
    ok(compose(['stop', '-t', '1', 'hank-redis']), 'stop hank-redis');
    const token = readFileSync(join(credentials, 'mgmt-hub-hank.token'), 'utf8').trim();
    const started = Date.now();
    const status = run('curl', ['-s', '--max-time', '5', '--cacert', join(credentials, 'ca.crt'), '-H', `Authorization: Bearer ${token}`, 'https://127.0.0.1:8100/hub/hank/mgmt/v1/status']);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(JSON.parse(status.stdout)).toMatchObject({ statusCode: 503, code: 'store.unavailable' });
    expect(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key-pair']), 'get-key-pair with hank out')).toContain('Key values match');
    ok(compose(['start', 'hank-redis']), 'start hank-redis');
    ok(compose(['up', '-d', '--wait', '--no-build', 'hank'], 120_000), 'hank healthy again');
    expect(ok(manager(['etsi-qkd', 'sam', 'sunny', 'get-key-pair']), 'get-key-pair')).toContain('Key values match');
    const log = ok(compose(['logs', '--no-log-prefix', 'hank']), 'logs');
    expect(log).not.toMatch(/Unhandled error event|ioredis|MaxRetriesPerRequest|Internal Server Error/);
    expect(log.match(/went away/g)).toHaveLength(1);
    expect(log).toMatch(/Share store redis:\/\/hank-redis:6379\/0 is back/);
  });
});
