import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_SETTINGS, HUB_SETTINGS, NODE_PROGRAM_FILE, NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS } from '@dske/topology';
import { NodeProcess, REPO_ROOT, freePortRange, httpJson, spawnNode, waitForReady } from '@dske/test-support';

// The node programs as an operator runs them: --help, bad flags, environment variables.

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The parent's DSKE_* variables must not leak into the programs under test. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DSKE_') && k !== 'REDIS_URL'));
  return { ...env, ...extra };
}

/** Run a node program to its exit; one that is still running after 20 s is killed by PID (and the test fails). */
function run(kind: 'hub' | 'client', args: string[], env: NodeJS.ProcessEnv = {}, nodeFlags: readonly string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeFlags, join(REPO_ROOT, 'apps', kind, NODE_PROGRAM_FILE), ...args], { cwd: REPO_ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the code cache of a start (node-bundle.cache)', () => {
  for (const kind of ['hub', 'client'] as const) {
    it(`${kind}: taken with the flags the nodes run with; with other flags V8 refuses it and the program runs as without; the source mapped, not read (@dske/native-memory)`, async () => {
      const report = { DSKE_CODE_CACHE_REPORT: '1' };
      const taken = await run(kind, ['--help'], report, NODE_RUNTIME_FLAGS);
      expect(taken.stderr).toBe('code cache: taken; source: mapped\n');
      expect(taken.code).toBe(0);
      const refused = await run(kind, ['--help'], report);
      expect(refused.stderr).toBe('code cache: refused; source: mapped\n');
      expect(refused.code).toBe(0);
      expect(refused.stdout).toBe(taken.stdout);
      // Silent unless asked.
      expect((await run(kind, ['--help'], {}, NODE_RUNTIME_FLAGS)).stderr).toBe('');
    });
  }
});

describe('hub --help', () => {
  it('lists every option with its default and environment variable', async () => {
    const { code, stdout, stderr } = await run('hub', ['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('Usage: hub [options] [name]');
    // Terms are padded to the longest one (--max-shares-per-client <MAX_SHARES_PER_CLIENT>), then two spaces.
    const pad = (term: string) => `  ${term.padEnd(47)}  `;
    expect(lines).toContain(`${pad('-p, --port <PORT>')}TCP port to listen on (default: 8100, env: DSKE_PORT)`);
    expect(lines).toContain(`${pad('--share-timeout-secs <SHARE_TIMEOUT_SECS>')}Seconds a stored key share waits for its responder before it is deleted (default: 60, env: DSKE_SHARE_TIMEOUT_SECS)`);
    expect(lines).toContain(`${pad('-h, --help')}show this help message and exit`);
    for (const spec of HUB_SETTINGS) {
      const line = lines.find((l) => l.startsWith(`  ${spec.flag} `) || l.startsWith(`  -p, ${spec.flag} `));
      expect(line, spec.flag).toBeDefined();
      expect(line).toContain(spec.default === undefined ? `(env: ${spec.env})` : `(default: ${spec.default}, env: ${spec.env})`);
    }
  });
});

describe('client --help', () => {
  it('lists every option with its default and environment variable', async () => {
    const { code, stdout, stderr } = await run('client', ['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('Usage: client [options] [name]');
    const pad = (term: string) => `  ${term.padEnd(61)}  `;
    expect(lines).toContain(`${pad('--port <PORT>')}TCP port to listen on (default: 8100, env: DSKE_PORT)`);
    expect(lines).toContain(`${pad('--min-nr-shares <MIN_NR_SHARES>')}Minimum number of shares needed to reconstruct a key (default: 3, env: DSKE_MIN_NR_SHARES)`);
    expect(lines).toContain(
      `${pad('--start-request-psrd-threshold <START_REQUEST_PSRD_THRESHOLD>')}Ask a hub for PSRD when a pool holds fewer unused bytes than this (default: 500, env: DSKE_START_REQUEST_PSRD_THRESHOLD)`,
    );
    expect(lines).toContain(
      `${pad('--stop-request-psrd-threshold <STOP_REQUEST_PSRD_THRESHOLD>')}Stop asking for PSRD once a pool holds at least this many unused bytes (default: 2000, env: DSKE_STOP_REQUEST_PSRD_THRESHOLD)`,
    );
    expect(lines).toContain(`${pad('--get-psrd-block-size <GET_PSRD_BLOCK_SIZE>')}Size in bytes of each PSRD block requested from a hub (default: 1000, env: DSKE_GET_PSRD_BLOCK_SIZE)`);
    for (const spec of CLIENT_SETTINGS) {
      const line = lines.find((l) => l.startsWith(`  ${spec.flag} `));
      expect(line, spec.flag).toBeDefined();
      expect(line).toContain(spec.default === undefined ? `(env: ${spec.env})` : `(default: ${spec.default}, env: ${spec.env})`);
    }
  });
});

// Each case is a short-lived process: run a few at once.
describe('bad flag values: exit 2 with one line on stderr naming the flag', () => {
  const hubs = ['--hubs', 'http://127.0.0.1:9/hub/ha', 'http://127.0.0.1:9/hub/hb', 'http://127.0.0.1:9/hub/hc'];
  // Every case carries a port (flag or variable) so that a program that wrongly starts cannot take 8100.
  const cases: Array<[string, 'hub' | 'client', string[], NodeJS.ProcessEnv, string]> = [
    ['port abc', 'hub', ['hank', '--port', 'abc'], {}, "hub: error: --port: expected an integer from 1 to 65535, got 'abc'"],
    ['port 70000', 'hub', ['hank', '--port', '70000'], {}, "hub: error: --port: expected an integer from 1 to 65535, got '70000'"],
    ['port 0', 'client', ['carol', '--port', '0', ...hubs], {}, "client: error: --port: expected an integer from 1 to 65535, got '0'"],
    ['port missing its value', 'hub', ['hank', '--port'], {}, "hub: error: option '-p, --port <PORT>' argument missing"],
    ['share timeout 0', 'hub', ['hank', '--port', '1', '--share-timeout-secs', '0'], {}, "hub: error: --share-timeout-secs: expected an integer from 1 to 2147483, got '0'"],
    ['redis URL of another scheme', 'hub', ['hank', '--port', '1', '--redis-url', 'http://127.0.0.1:6379'], {}, "hub: error: --redis-url: expected a URL starting with redis:// or rediss://, got 'http://127.0.0.1:6379'"],
    ['unknown hub flag', 'hub', ['hank', '--port', '1', '--bogus'], {}, "hub: error: unknown option '--bogus'"],
    ['unknown client flag', 'client', ['carol', '--port', '1', ...hubs, '--bogus', '1'], {}, "client: error: unknown option '--bogus'"],
    ['min-nr-shares 9 with 3 hubs', 'client', ['carol', '--port', '1', ...hubs, '--min-nr-shares', '9'], {}, 'client: error: --min-nr-shares: 9 is more than the number of hubs (3)'],
    [
      'start threshold = stop threshold', 'client', ['carol', '--port', '1', ...hubs, '--start-request-psrd-threshold', '2000', '--stop-request-psrd-threshold', '2000'], {},
      'client: error: --start-request-psrd-threshold: 2000 must be less than --stop-request-psrd-threshold (2000)',
    ],
    [
      'start threshold above the default stop', 'client', ['carol', '--port', '1', ...hubs, '--start-request-psrd-threshold', '2500'], {},
      'client: error: --start-request-psrd-threshold: 2500 must be less than --stop-request-psrd-threshold (2000)',
    ],
    [
      "the guide's spelling --start-request-psrd_threshold is the same flag", 'client', ['carol', '--port', '1', ...hubs, '--start-request-psrd_threshold', '2500'], {},
      'client: error: --start-request-psrd-threshold: 2500 must be less than --stop-request-psrd-threshold (2000)',
    ],
    ['underscores in --share_timeout_secs=0', 'hub', ['hank', '--port', '1', '--share_timeout_secs=0'], {}, "hub: error: --share-timeout-secs: expected an integer from 1 to 2147483, got '0'"],
    ['a value with underscores stays as given', 'hub', ['hank', '--port', '1', '--redis-url', '--x_y'], {}, "hub: error: --redis-url: expected a URL starting with redis:// or rediss://, got '--x_y'"],
    ['block size 0', 'client', ['carol', '--port', '1', ...hubs, '--get-psrd-block-size', '0'], {}, "client: error: --get-psrd-block-size: expected an integer from 1 to 1048576, got '0'"],
    ['hub URL of another scheme', 'client', ['carol', '--port', '1', '--hubs', 'ftp://127.0.0.1/hub/h'], {}, "client: error: --hubs: expected a URL starting with http:// or https://, got 'ftp://127.0.0.1/hub/h'"],
    ['upper-case node name', 'hub', ['Hank', '--port', '1'], {}, "hub: error: node name 'Hank' must be a lower-case DNS label"],
    ['no node name', 'hub', ['--port', '1'], {}, 'hub: error: missing node name (argument or DSKE_NAME)'],
    ['DSKE_PORT abc', 'hub', ['hank'], { DSKE_PORT: 'abc' }, "hub: error: --port: expected an integer from 1 to 65535, got 'abc' (from DSKE_PORT)"],
    [
      'DSKE_MIN_NR_SHARES 9 with 3 hubs in DSKE_HUBS', 'client', ['carol'],
      { DSKE_PORT: '1', DSKE_HUBS: 'http://127.0.0.1:9/hub/ha,http://127.0.0.1:9/hub/hb,http://127.0.0.1:9/hub/hc', DSKE_MIN_NR_SHARES: '9' },
      'client: error: --min-nr-shares: 9 is more than the number of hubs (3)',
    ],
  ];
  it.concurrent.each(cases)('%s', async (_name, kind, args, env, line) => {
    const result = await run(kind, args, env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.stdout).toBe('');
  });
});

describe('settings from environment variables', () => {
  const started: NodeProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((node) => node.kill()));
  });

  it('a hub takes its name and port from DSKE_NAME and DSKE_PORT; a flag beats the variable', async () => {
    const port = await freePortRange(2);
    const hub = spawnNode('hub', 'envhub', port, [], cleanEnv({ DSKE_NAME: 'envhub', DSKE_PORT: String(port) }));
    started.push(hub);
    await waitForReady(`http://127.0.0.1:${port}/healthz`, hub);
    const status = await httpJson<{ name: string }>('GET', `http://127.0.0.1:${port}/hub/envhub/mgmt/v1/status`);
    expect(status.status).toBe(200);
    expect(status.body.name).toBe('envhub');
    // The tests start nodes as the manager and the image do: with NODE_RUNTIME_ENV (and NODE_RUNTIME_FLAGS).
    const environ = readFileSync(`/proc/${hub.child.pid}/environ`, 'utf8').split('\0');
    for (const [name, value] of Object.entries(NODE_RUNTIME_ENV)) expect(environ).toContain(`${name}=${value}`);
    expect(readFileSync(`/proc/${hub.child.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([...NODE_RUNTIME_FLAGS]));

    // -p is the user guide's short form of --port.
    const flagged = spawnNode('hub', 'flaghub', port + 1, ['flaghub', '-p', String(port + 1)], cleanEnv({ DSKE_PORT: '1' }));
    started.push(flagged);
    await waitForReady(`http://127.0.0.1:${port + 1}/healthz`, flagged);
  });

  it('a client takes hubs, encryptors and k from DSKE_* variables and registers', async () => {
    const [hubPort, clientPort] = await freePortRange(2).then((base) => [base, base + 1]);
    const hub = spawnNode('hub', 'envhub2', hubPort, ['envhub2', '--port', String(hubPort)], cleanEnv());
    started.push(hub);
    await waitForReady(`http://127.0.0.1:${hubPort}/healthz`, hub);
    const client = spawnNode(
      'client',
      'envclient',
      clientPort,
      [],
      cleanEnv({
        DSKE_NAME: 'envclient',
        DSKE_PORT: String(clientPort),
        DSKE_HUBS: `http://127.0.0.1:${hubPort}/hub/envhub2`,
        DSKE_ENCRYPTORS: 'sam,sue',
        DSKE_MIN_NR_SHARES: '1',
        DSKE_ALLOW_SINGLE_SHARE: 'yes',
        DSKE_GET_PSRD_BLOCK_SIZE: '300',
        DSKE_START_REQUEST_PSRD_THRESHOLD: '100',
        DSKE_STOP_REQUEST_PSRD_THRESHOLD: '600',
      }),
    );
    started.push(client);
    await waitForReady(`http://127.0.0.1:${clientPort}/readyz`, client);
    const status = await httpJson<{ name: string; encryptor_names: string[]; peer_hubs: Array<{ hub_name: string; registered: boolean; local_pool: { blocks: Array<{ size: number }> } }> }>(
      'GET',
      `http://127.0.0.1:${clientPort}/client/envclient/mgmt/v1/status`,
    );
    expect(status.body.name).toBe('envclient');
    expect(status.body.encryptor_names).toEqual(['sam', 'sue']);
    expect(status.body.peer_hubs.map((h) => [h.hub_name, h.registered])).toEqual([['envhub2', true]]);
    // Blocks of DSKE_GET_PSRD_BLOCK_SIZE bytes until DSKE_STOP_REQUEST_PSRD_THRESHOLD is reached.
    await expect.poll(async () => (await httpJson<typeof status.body>('GET', `http://127.0.0.1:${clientPort}/client/envclient/mgmt/v1/status`)).body.peer_hubs[0].local_pool.blocks.map((b) => b.size)).toEqual([300, 300]);
  });
});

describe('a client whose hub is down', () => {
  let client: NodeProcess | undefined;
  afterAll(async () => {
    await client?.kill();
  });

  it('logs the failed registration once, not once a second, and registers when the hub comes up', async () => {
    const [hubPort, clientPort] = await freePortRange(2).then((base) => [base, base + 1]);
    client = spawnNode('client', 'lonely', clientPort, ['lonely', '--port', String(clientPort), '--hubs', `http://127.0.0.1:${hubPort}/hub/late`, '--min-nr-shares', '1', '--allow-single-share', 'yes'], cleanEnv());
    await waitForReady(`http://127.0.0.1:${clientPort}/healthz`, client);
    await expect.poll(() => client!.log(), { timeout: 10_000 }).toContain('Register with peer hub late failed (attempt 1, retrying every second)');
    // Three more attempts go by without a line each.
    await new Promise((r) => setTimeout(r, 3500));
    const log = client.log();
    expect(log.match(/Register with peer hub late failed/g)).toHaveLength(1);
    expect(log).not.toMatch(/Call PUT \S+ failed/);

    const hub = spawnNode('hub', 'late', hubPort, ['late', '--port', String(hubPort)], cleanEnv());
    try {
      await waitForReady(`http://127.0.0.1:${clientPort}/readyz`, client);
      expect(client.log()).toContain('Finish register task for peer hub late');
    } finally {
      await hub.kill();
    }
  });
});
