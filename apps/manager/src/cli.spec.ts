/** The command line in-process: help texts, usage errors, config errors. Nothing here starts a node. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSize } from './cli';
import type { ManagerIo } from './io';
import { runManager } from './run';

const REPO = join(__dirname, '..', '..', '..');

async function run(args: string[], cwd = REPO, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: ManagerIo = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')), cwd, env };
  const code = await runManager(args, io);
  return { code, out, err };
}

describe('--help', () => {
  it("matches the guide's listing, with manager in place of manager.py", async () => {
    const { code, out, err } = await run(['--help']);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out.slice(0, 16)).toEqual([
      'usage: manager [-h] [--config CONFIG_FILE] [--client CLIENT] [--hub HUB] {start,stop,status,etsi-qkd} ...',
      '',
      'DSKE Manager',
      '',
      'positional arguments:',
      '  {start,stop,status,etsi-qkd}',
      '    start               Start all hubs and clients',
      '    stop                Stop all hubs and clients',
      '    status              Report status for all hubs and clients',
      '    etsi-qkd            ETSI QKD operations',
      '',
      'options:',
      '  -h, --help            show this help message and exit',
      '  --config CONFIG_FILE  Configuration file name (default: dske-config.yaml)',
      '  --client CLIENT       Filter on client name',
      '  --hub HUB             Filter on hub name',
    ]);
    // The epilog documents the decisions and the environment variables.
    const epilog = out.slice(16).join('\n');
    expect(epilog).toContain('DSKE_MANAGER_PORT_WAIT_SECS');
    expect(epilog).toContain('DSKE_MANAGER_READY_WAIT_SECS');
    expect(epilog).toContain('start stops the nodes it\nstarted in this run');
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

  it('start, stop and status have help too', async () => {
    for (const cmd of ['start', 'stop', 'status']) {
      const { code, out } = await run([cmd, '--help']);
      expect(code).toBe(0);
      expect(out[0]).toBe(`usage: manager ${cmd} [-h]`);
    }
  });
});

describe('command-line errors: one line, exit status 2', () => {
  const cases: Array<[string[], string]> = [
    [[], 'manager: error: missing command (choose from start, stop, status, etsi-qkd)'],
    [['begin'], "manager: error: invalid command 'begin' (choose from start, stop, status, etsi-qkd)"],
    [['--verbose', 'start'], "manager: error: unknown option '--verbose'"],
    [['--client'], "manager: error: option '--client <CLIENT>' argument missing"],
    [['etsi-qkd', 'sam'], 'manager: error: etsi-qkd: expected master_sae_id slave_sae_id {get-key,get-key-with-key-ids,get-key-pair,get-status}'],
    [['etsi-qkd', 'sam', 'sunny', 'get-keys'], "manager: error: unknown command 'get-keys'"],
    [['etsi-qkd', 'sam', 'sunny', 'get-key', '--size', '12x'], "manager: error: --size: expected a positive integer number of bits, got '12x'"],
    [['etsi-qkd', 'sam', 'sunny', 'get-key-pair', '--size', '0'], "manager: error: --size: expected a positive integer number of bits, got '0'"],
    [['etsi-qkd', 'sam', 'sunny', 'get-key-with-key-ids'], "manager: error: missing required argument 'key_id'"],
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
    expect(err).toEqual(["bad.yaml:9: clients[1].encryptors[0].name: duplicate encryptor name 'sam' (already on client carol)"]);
    expect(out).toEqual([]);
    expect(code).toBe(1);
    expect(readdirSync(dir)).toEqual(['bad.yaml']);
    rmSync(dir, { recursive: true });
  });

  it('reports a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dske-manager-cli-'));
    const { code, err } = await run(['status'], dir);
    expect(err).toEqual(['dske-config.yaml: cannot read the topology file (no such file)']);
    expect(code).toBe(1);
    rmSync(dir, { recursive: true });
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
