/** The command line in-process: help texts, usage errors, config errors. Nothing here starts a node. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSize } from './cli';
import { runInProcess } from './testing/run-in-process';

const REPO = join(__dirname, '..', '..', '..');

const run = (args: string[], cwd = REPO, env: NodeJS.ProcessEnv = {}) => runInProcess(args, cwd, env);

describe('--help', () => {
  it("matches the guide's listing, with manager in place of manager.py", async () => {
    const { code, out, err } = await run(['--help']);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out.slice(0, 24)).toEqual([
      'usage: manager [-h] [--config CONFIG_FILE] [--client CLIENT] [--hub HUB] [--url-base URL] [--node-url NAME=URL] [--credentials DIR] {start,stop,status,dashboard,reset,etsi-qkd,generate,provision,tls} ...',
      '',
      'DSKE Manager',
      '',
      'positional arguments:',
      '  {start,stop,status,dashboard,reset,etsi-qkd,generate,provision,tls}',
      '    start               Start all hubs and clients',
      '    stop                Stop all hubs and clients',
      '    status              Report status for all hubs and clients',
      '    dashboard           Serve a live web page of the topology: nodes up or down, pools, keys, shares',
      '    reset               Wipe the state of stopped local nodes (registrations, PSRD, shares)',
      '    etsi-qkd            ETSI QKD operations',
      '    generate            Generate deployment files from the topology',
      '    provision           Credentials of a secure deployment: a CA, node certificates, mgmt tokens',
      '    tls                 Lab PKI for mutual TLS',
      '',
      'options:',
      '  -h, --help            show this help message and exit',
      '  --config CONFIG_FILE  Configuration file name (default: dske-config.yaml)',
      '  --client CLIENT       Filter on client name',
      '  --hub HUB             Filter on hub name',
      '  --url-base URL        Reach deployed nodes at URL:PORT, or a {port}/{kind}/{name} template',
      '  --node-url NAME=URL   Reach node NAME at URL (repeatable; over --url-base)',
      '  --credentials DIR     Operator credentials of a secure deployment (from provision)',
    ]);
    // The epilog documents the decisions and the environment variables.
    const epilog = out.slice(24).join('\n');
    expect(epilog).toContain('DSKE_MANAGER_PORT_WAIT_SECS');
    expect(epilog).toContain("--url-base 'http://{name}.dske.svc:{port}'");
    expect(epilog).toContain('start only starts local processes and refuses both options.');
    expect(epilog).toContain('clients serve HTTPS');
    expect(epilog).toContain('--credentials DIR names the operator');
    expect(epilog).toContain('DSKE_MANAGER_READY_WAIT_SECS');
    expect(epilog).toContain('start stops the nodes it\nstarted in this run');
    expect(epilog).toContain('.dske-manager/state/KIND-NAME/');
  });

  it('-h is the same', async () => {
    expect((await run(['-h'])).out).toEqual((await run(['--help'])).out);
  });

  it('get-key and get-key-pair show --size SIZE  Key size in bits', async () => {
    for (const op of ['get-key', 'get-key-pair']) {
      const { code, out } = await run(['etsi-qkd', 'sam', 'sunny', op, '--help']);
      expect(code).toBe(0);
      expect(out[0]).toBe(`usage: manager etsi-qkd master_sae_id slave_sae_id ${op} [-h] [--size SIZE]`);
      expect(out.slice(-3)).toEqual(['options:', '  -h, --help   show this help message and exit', '  --size SIZE  Key size in bits']);
    }
  });

  it('get-key-with-key-ids shows its key_id argument', async () => {
    const { out } = await run(['etsi-qkd', 'sam', 'serena', 'get-key-with-key-ids', '--help']);
    expect(out[0]).toBe('usage: manager etsi-qkd master_sae_id slave_sae_id get-key-with-key-ids [-h] key_id');
    expect(out.slice(-5)).toEqual(['positional arguments:', '  key_id      Key ID', '', 'options:', '  -h, --help  show this help message and exit']);
  });

  it('etsi-qkd --help lists the operations, before or after the SAE IDs', async () => {
    const { out } = await run(['etsi-qkd', '--help']);
    expect(out[0]).toBe('usage: manager etsi-qkd [-h] master_sae_id slave_sae_id {get-key,get-key-with-key-ids,get-key-pair,get-status} ...');
    expect(out).toContain('  {get-key,get-key-with-key-ids,get-key-pair,get-status}');
    expect((await run(['etsi-qkd', 'sam', 'sunny', '--help'])).out).toEqual(out);
  });

  it('dashboard has its options and says what the page shows', async () => {
    const { code, out } = await run(['dashboard', '--help']);
    expect(code).toBe(0);
    expect(out.slice(0, 8)).toEqual([
      'usage: manager dashboard [-h] [--port PORT] [--host HOST]',
      '',
      'Serve a live web page of the topology: nodes up or down, pools, keys, shares',
      '',
      'options:',
      '  -h, --help   show this help message and exit',
      '  --port PORT  Port of the page (default: 8099; 0: any free port)',
      '  --host HOST  Address to listen on (default: 127.0.0.1)',
    ]);
    const epilog = out.join('\n');
    expect(epilog).toContain('it works without internet access');
    expect(epilog).toContain('--node-url and --credentials for a deployment');
  });

  it('generate lists its targets; each target has its options', async () => {
    const { code, out } = await run(['generate', '--help']);
    expect(code).toBe(0);
    expect(out.slice(0, 12)).toEqual([
      'usage: manager generate [-h] {compose,k8s} ...',
      '',
      'Generate deployment files from the topology',
      '',
      'positional arguments:',
      '  {compose,k8s}',
      '    compose      Write docker-compose.generated.yml (docker compose up)',
      '    k8s          Write deploy/k8s/ (kubectl apply -k deploy/k8s)',
      '',
      'options:',
      '  -h, --help     show this help message and exit',
      '',
    ]);
    expect(out.join('\n')).toContain('Files are written relative to the current directory');
    expect((await run(['generate', 'compose', '--help'])).out.slice(0, 10)).toEqual([
      'usage: manager generate compose [-h] [--image IMAGE] [--lab] [--check]',
      '',
      'Write docker-compose.generated.yml (docker compose up)',
      '',
      'options:',
      '  -h, --help     show this help message and exit',
      '  --image IMAGE  Image of the hub and client containers (default: dske:latest)',
      '  --lab          Open lab files: plain HTTP, SAE named in a header, open mgmt and oob (default: secure)',
      '  --check        Write nothing; fail if the files differ from what the topology gives',
      '',
    ]);
    const k8s = (await run(['generate', 'k8s', '--help'])).out;
    expect(k8s[0]).toBe('usage: manager generate k8s [-h] [--image IMAGE] [--namespace NAMESPACE] [--lab] [--check]');
    expect(k8s).toContain('  --namespace NAMESPACE');
    expect(k8s).toContain('                        Kubernetes namespace (default: dske)');
  });

  it('tls create documents its options, the files and their modes', async () => {
    expect((await run(['tls', '--help'])).out[0]).toBe('usage: manager tls [-h] {create} ...');
    const { code, out } = await run(['tls', 'create', '--help']);
    expect(code).toBe(0);
    expect(out.slice(0, 10)).toEqual([
      'usage: manager tls create [-h] [--dir DIR] [--host HOST] [--force]',
      '',
      'Create a lab CA and certificates for every client (KME) and encryptor (SAE)',
      '',
      'options:',
      '  -h, --help   show this help message and exit',
      "  --dir DIR    Directory for the files (default: the topology's tls_dir, else tls next to CONFIG_FILE)",
      "  --host HOST  Another name or IPv4 address in the clients' certificates (repeatable)",
      '  --force      Replace existing files',
      '',
    ]);
    expect(out.join(' ')).toContain('Keys are written with mode 0600.');
  });

  it('start, stop and status have help too', async () => {
    for (const cmd of ['stop', 'status', 'reset']) {
      const { code, out } = await run([cmd, '--help']);
      expect(code).toBe(0);
      expect(out[0]).toBe(`usage: manager ${cmd} [-h]`);
    }
    const start = await run(['start', '--help']);
    expect(start.out[0]).toBe('usage: manager start [-h] [--fresh]');
    expect(start.out.join('\n')).toContain('--fresh     Reset the nodes first: start without the state of an earlier run');
  });
});

describe('command-line errors: one line, exit status 2', () => {
  const cases: Array<[string[], string]> = [
    [[], 'manager: error: missing command (choose from start, stop, status, dashboard, reset, etsi-qkd, generate, provision, tls)'],
    [['begin'], "manager: error: invalid command 'begin' (choose from start, stop, status, dashboard, reset, etsi-qkd, generate, provision, tls)"],
    [['--verbose', 'start'], "manager: error: unknown option '--verbose'"],
    [['dashboard', '--port', '70000'], "manager: error: --port: expected a port number from 0 to 65535, got '70000'"],
    [['dashboard', '--port', '80a'], "manager: error: --port: expected a port number from 0 to 65535, got '80a'"],
    [['dashboard', '--host', 'example.org'], "manager: error: --host: expected an IP address to listen on (or localhost), got 'example.org'"],
    [['--client', 'carol', 'dashboard'], 'manager: error: dashboard does not take --client: it shows the whole topology'],
    [['--client'], "manager: error: option '--client <CLIENT>' argument missing"],
    [['etsi-qkd', 'sam'], 'manager: error: etsi-qkd: expected master_sae_id slave_sae_id {get-key,get-key-with-key-ids,get-key-pair,get-status}'],
    [['etsi-qkd', 'sam', 'sunny', 'get-keys'], "manager: error: unknown command 'get-keys'"],
    [['etsi-qkd', 'sam', 'sunny', 'get-key', '--size', '12x'], "manager: error: --size: expected a positive integer number of bits, got '12x'"],
    [['etsi-qkd', 'sam', 'sunny', 'get-key-pair', '--size', '0'], "manager: error: --size: expected a positive integer number of bits, got '0'"],
    [['etsi-qkd', 'sam', 'sunny', 'get-key-with-key-ids'], "manager: error: missing required argument 'key_id'"],
    [['generate'], 'manager: error: generate: missing command (choose from compose, k8s)'],
    [['generate', 'helm'], "manager: error: generate: invalid command 'helm' (choose from compose, k8s)"],
    [['generate', 'compose', '--namespace', 'x'], "manager: error: unknown option '--namespace'"],
    [['generate', 'k8s', '--namespace', 'Lab_1'], "manager: error: --namespace: expected a Kubernetes namespace name (lower-case letters, digits and '-', at most 63), got 'Lab_1'"],
    [['generate', 'compose', '--image', 'my image'], "manager: error: --image: expected an image reference such as dske:latest, got 'my image'"],
    [['--hub', 'hank', 'generate', 'k8s'], 'manager: error: generate k8s does not take --hub: it covers the whole topology'],
    [['--url-base', 'http://127.0.0.1', 'generate', 'compose'], 'manager: error: generate compose does not take --url-base: it covers the whole topology'],
    [['tls'], 'manager: error: tls: missing command (choose from create)'],
    [['tls', 'create', '--host', 'a b'], "manager: error: --host: expected a host name or an IPv4 address, got 'a b'"],
    [['tls', 'create', '--host', '300.1.1.1'], "manager: error: --host: expected a host name or an IPv4 address, got '300.1.1.1'"],
    [['--client', 'carol', 'tls', 'create'], 'manager: error: tls create does not take --client: it covers the whole topology'],
    [['--url-base', 'http://127.0.0.1', 'start'], 'manager: error: start does not take --url-base: it starts local node processes (status, stop and etsi-qkd take them)'],
    [['--node-url', 'hank=http://h:1', 'start'], 'manager: error: start does not take --node-url: it starts local node processes (status, stop and etsi-qkd take them)'],
    [['--url-base', 'http://127.0.0.1:8100', 'status'], "manager: error: --url-base: 'http://127.0.0.1:8100' names a port, but each node has its own: leave the port out (it comes from the port plan) or write {port}"],
    [['--url-base', 'http://{node}:{port}', 'status'], 'manager: error: --url-base: unknown placeholder {node} (use {port}, {kind}, {name})'],
    [['--node-url', 'hank', 'status'], "manager: error: --node-url: expected NAME=URL, got 'hank'"],
    [['status', '--url-base', 'http://127.0.0.1'], "manager: error: unknown option '--url-base'"],
  ];
  for (const [args, line] of cases) {
    it(`${args.join(' ') || '(nothing)'}`, async () => {
      const { code, out, err } = await run(args);
      expect(err).toEqual([line]);
      expect(out).toEqual([]);
      expect(code).toBe(2);
    });
  }

  it('a bad timing variable', async () => {
    const { code, err } = await run(['stop'], REPO, { DSKE_MANAGER_PORT_WAIT_SECS: 'soon' });
    expect(err).toEqual(["manager: error: DSKE_MANAGER_PORT_WAIT_SECS: expected a number of seconds, got 'soon'"]);
    expect(code).toBe(2);
  });
});

describe('topology errors: the loader message with the file name as given, exit 1, nothing done', () => {
  it('reports the line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-manager-cli-'));
    writeFileSync(join(dir, 'bad.yaml'), 'hubs:\n  - name: hank\nclients:\n  - name: carol\n    encryptors:\n      - name: sam\n  - name: celia\n    encryptors:\n      - name: sam\n');
    const { code, out, err } = await run(['--config', 'bad.yaml', 'start'], dir);
    // The one hub is valid, so the default min_nr_shares 3 is judged against it too.
    expect(err).toEqual([
      'bad.yaml:1: min_nr_shares: the default 3 is more than the number of hubs (1)',
      "bad.yaml:9: clients[1].encryptors[0].name: duplicate encryptor name 'sam' (already on client carol)",
    ]);
    expect(out).toEqual([]);
    expect(code).toBe(1);
    expect(readdirSync(dir)).toEqual(['bad.yaml']);
    rmSync(dir, { recursive: true });
  });

  it('reports every problem of the file at once, one line each, sorted by line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-manager-cli-'));
    writeFileSync(join(dir, 'bad.yaml'), 'hubs:\n  - name: Hank\n  - name: helen\n    port: 1\nclients:\n  - name: helen\nbase_port: http\n');
    const { code, out, err } = await run(['--config', 'bad.yaml', 'status'], dir);
    expect(err).toEqual([
      expect.stringMatching(/^bad\.yaml:2: hubs\[0\]\.name: invalid name 'Hank' /),
      'bad.yaml:4: hubs[1].port: unknown key (allowed: name)',
      "bad.yaml:6: clients[0].name: duplicate node name 'helen' (already a hub on line 3)",
      "bad.yaml:7: base_port: expected an integer from 1 to 65535, got the string 'http'",
    ]);
    expect(out).toEqual([]);
    expect(code).toBe(1);
    rmSync(dir, { recursive: true });
  });

  it('reports a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-manager-cli-'));
    const { code, err } = await run(['status'], dir);
    expect(err).toEqual(['dske-config.yaml: cannot read the topology file (no such file)']);
    expect(code).toBe(1);
    rmSync(dir, { recursive: true });
  });

  it('--node-url names an unknown node: exit 1, nothing done', async () => {
    const { code, out, err } = await run(['--node-url', 'hugh=http://127.0.0.1:1', 'status']);
    expect(err).toEqual(["manager: error: --node-url: unknown node 'hugh' (not in dske-config.yaml)"]);
    expect(out).toEqual([]);
    expect(code).toBe(1);
  });

  it('unknown SAE IDs are named', async () => {
    const { code, out, err } = await run(['etsi-qkd', 'bob', 'sunny', 'get-status']);
    expect(err).toEqual(["manager: error: unknown encryptor (SAE) 'bob' (not in dske-config.yaml)"]);
    expect(out).toEqual([]);
    expect(code).toBe(1);
  });
});

describe('parseSize', () => {
  it('accepts positive whole numbers only', () => {
    expect(parseSize('256')).toBe(256);
    for (const bad of ['0', '-8', '1.5', '1e3', '', ' 8', '99999999999999999999']) expect(() => parseSize(bad)).toThrow(/--size/);
  });
});
