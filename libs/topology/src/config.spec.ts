import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology, parseTopology, TopologyError, type TopologyErrorCode } from './index';

const FILE = 'dske-config.yaml';
/** Joins lines so that line numbers in the expected messages can be read off the array index + 1. */
const doc = (...lines: string[]): string => `${lines.join('\n')}\n`;
const THREE_HUBS = ['hubs:', '  - name: hank', '  - name: helen', '  - name: hilary'];

function failure(text: string): TopologyError {
  try {
    parseTopology(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(TopologyError);
    return error as TopologyError;
  }
  throw new Error('the topology was accepted');
}

function expectError(text: string, message: string, code: TopologyErrorCode): TopologyError {
  const error = failure(text);
  expect(error.message).toBe(message);
  expect(error.code).toBe(code);
  return error;
}

describe('parseTopology fills in defaults', () => {
  it('uses every default when the file gives only nodes', () => {
    const topology = parseTopology(doc(...THREE_HUBS, 'clients: []'), FILE);
    expect(topology.file).toBe(FILE);
    expect(topology.settings).toEqual({
      base_port: 8100,
      start_request_psrd_threshold: 500,
      stop_request_psrd_threshold: 2000,
      get_psrd_block_size: 1000,
      min_nr_shares: 3,
      share_timeout_secs: 60,
    });
    expect('redis_url' in topology.settings).toBe(false);
  });

  it('takes every setting from the file', () => {
    const topology = parseTopology(
      doc(
        'base_port: 9000',
        'start_request_psrd_threshold: 10',
        'stop_request_psrd_threshold: 20',
        'get_psrd_block_size: 1048576',
        'min_nr_shares: 2',
        'share_timeout_secs: 5',
        'redis_url: rediss://:pw@{name}.store:6380/1',
        ...THREE_HUBS,
        'clients: []',
      ),
      FILE,
    );
    expect(topology.settings).toEqual({
      base_port: 9000,
      start_request_psrd_threshold: 10,
      stop_request_psrd_threshold: 20,
      get_psrd_block_size: 1048576,
      min_nr_shares: 2,
      share_timeout_secs: 5,
      redis_url: 'rediss://:pw@{name}.store:6380/1',
    });
  });

  it('accepts clients with absent, null or empty encryptors, and flow style', () => {
    const topology = parseTopology(
      doc('hubs: [{name: a}, {name: b}, {name: c}]', 'clients:', '  - name: x', '  - name: y', '    encryptors:', '  - {name: z, encryptors: []}'),
      FILE,
    );
    expect(topology.clients.map((c) => [c.name, c.encryptors])).toEqual([
      ['x', []],
      ['y', []],
      ['z', []],
    ]);
  });

  it('allows an encryptor named like a node: SAE IDs are a separate namespace', () => {
    const topology = parseTopology(doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptors:', '      - name: hank'), FILE);
    expect(topology.clientForEncryptor('hank')?.name).toBe('carol');
    expect(topology.node('hub', 'hank')?.port).toBe(8100);
  });

  it('accepts exactly 16 hubs and a 63-character name', () => {
    const long = `a${'b'.repeat(61)}c`;
    const hubs = Array.from({ length: 16 }, (_, i) => `  - name: h${i}`);
    const topology = parseTopology(doc('hubs:', ...hubs, 'clients:', `  - name: ${long}`), FILE);
    expect(topology.hubs).toHaveLength(16);
    expect(topology.clients[0]).toEqual({ kind: 'client', name: long, port: 8116, index: 0, encryptors: [] });
  });

  it('accepts the last possible port', () => {
    const topology = parseTopology(doc('base_port: 65532', ...THREE_HUBS, 'clients: [{name: c}]'), FILE);
    expect(topology.nodes.map((n) => n.port)).toEqual([65532, 65533, 65534, 65535]);
  });
});

describe('parseTopology reports, with file, line and field', () => {
  it('an empty file', () => {
    const error = expectError('', 'dske-config.yaml: the file is empty; expected a mapping with hubs and clients', 'empty-file');
    expect(error.line).toBeUndefined();
    expectError(doc('# only', '# comments'), 'dske-config.yaml: the file is empty; expected a mapping with hubs and clients', 'empty-file');
  });

  it('invalid YAML, at the line yaml names', () => {
    expectError(doc(...THREE_HUBS, 'clients: [', 'base_port: 1'), 'dske-config.yaml:6: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]', 'yaml-syntax');
    expectError(doc('hubs:', '\t- name: a'), 'dske-config.yaml:2: invalid YAML: Tabs are not allowed as indentation', 'yaml-syntax');
    expectError(doc(...THREE_HUBS, 'clients: []', 'hubs: []'), 'dske-config.yaml:6: invalid YAML: Map keys must be unique', 'yaml-syntax');
    expectError(doc('hubs: []', '---', 'clients: []'), 'dske-config.yaml:2: invalid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()', 'yaml-syntax');
  });

  it('a document that is not a mapping', () => {
    expectError(doc('# topology', '- name: hank'), 'dske-config.yaml:2: expected a mapping with hubs and clients at the top level, got a list', 'not-a-mapping');
    expectError(doc('hank'), "dske-config.yaml:1: expected a mapping with hubs and clients at the top level, got the string 'hank'", 'not-a-mapping');
  });

  it('an unknown top-level key', () => {
    const error = expectError(
      doc(...THREE_HUBS, 'clients: []', 'min_nr_share: 2'),
      'dske-config.yaml:6: min_nr_share: unknown key (allowed: base_port, start_request_psrd_threshold, stop_request_psrd_threshold, get_psrd_block_size, min_nr_shares, share_timeout_secs, allow_single_share, redis_url, tls_dir, hubs, clients)',
      'unknown-key',
    );
    expect([error.file, error.line, error.field]).toEqual([FILE, 6, 'min_nr_share']);
  });

  it('an unknown key in a hub', () => {
    expectError(doc('hubs:', '  - name: hank', '    port: 8100', 'clients: []'), 'dske-config.yaml:3: hubs[0].port: unknown key (allowed: name)', 'unknown-key');
  });

  it('an unknown key in a client', () => {
    expectError(doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptor:', '      - name: sam'), 'dske-config.yaml:7: clients[0].encryptor: unknown key (allowed: name, encryptors)', 'unknown-key');
  });

  it('an unknown key in an encryptor', () => {
    expectError(
      doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptors:', '      - name: sam', '        id: 7'),
      'dske-config.yaml:9: clients[0].encryptors[0].id: unknown key (allowed: name)',
      'unknown-key',
    );
  });

  it('a key that is not a plain name', () => {
    expectError(doc('? [a, b]', ': 1', ...THREE_HUBS, 'clients: []'), 'dske-config.yaml:1: keys must be plain names, got a list', 'unknown-key');
  });

  it('a missing hubs or clients key', () => {
    expectError(doc('# topology', 'clients: []'), 'dske-config.yaml:2: hubs: required key missing (a list of hubs)', 'missing-key');
    expectError(doc(...THREE_HUBS), "dske-config.yaml:1: clients: required key missing (a list of clients, possibly empty: 'clients: []')", 'missing-key');
  });

  it('hubs or clients of the wrong type', () => {
    expectError(doc('hubs:', '  name: hank', 'clients: []'), 'dske-config.yaml:1: hubs: expected a list of hubs, got a mapping', 'wrong-type');
    expectError(doc('hubs:', 'clients: []'), 'dske-config.yaml:1: hubs: expected a list of hubs, got nothing', 'wrong-type');
    expectError(doc(...THREE_HUBS, 'clients:'), 'dske-config.yaml:5: clients: expected a list of clients, got nothing', 'wrong-type');
    expectError(doc(...THREE_HUBS, 'clients: carol'), "dske-config.yaml:5: clients: expected a list of clients, got the string 'carol'", 'wrong-type');
    expectError(doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptors: sam'), "dske-config.yaml:7: clients[0].encryptors: expected a list of encryptors, got the string 'sam'", 'wrong-type');
  });

  it('a list item that is not a mapping', () => {
    expectError(doc('hubs:', '  - hank', 'clients: []'), "dske-config.yaml:2: hubs[0]: expected a mapping with a name (like '- name: hank'), got the string 'hank'", 'wrong-type');
    expectError(doc(...THREE_HUBS, 'clients:', '  - [carol]'), "dske-config.yaml:6: clients[0]: expected a mapping with a name (like '- name: carol'), got a list", 'wrong-type');
    expectError(
      doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptors:', '      - sam'),
      "dske-config.yaml:8: clients[0].encryptors[0]: expected a mapping with a name (like '- name: sam'), got the string 'sam'",
      'wrong-type',
    );
  });

  it('a missing name', () => {
    expectError(doc('hubs:', '  - name: hank', '  - {}', 'clients: []'), 'dske-config.yaml:3: hubs[1].name: required key missing', 'missing-key');
    expectError(doc(...THREE_HUBS, 'clients:', '  - encryptors: []'), 'dske-config.yaml:6: clients[0].name: required key missing', 'missing-key');
    expectError(
      doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptors:', '      - {}'),
      'dske-config.yaml:8: clients[0].encryptors[0].name: required key missing',
      'missing-key',
    );
  });

  it('a name of the wrong type', () => {
    expectError(doc('hubs:', '  - name: 7', 'clients: []'), 'dske-config.yaml:2: hubs[0].name: expected a name, got 7', 'wrong-type');
    expectError(doc('hubs:', '  - name:', 'clients: []'), 'dske-config.yaml:2: hubs[0].name: expected a name, got nothing', 'wrong-type');
  });

  it.each([['Hank'], ['9lives'], ['-x'], ['x-'], ['h_k'], ['h.k'], [`a${'b'.repeat(63)}`]])('an invalid name %j', (name) => {
    expectError(
      doc('hubs:', `  - name: ${name}`, 'clients: []'),
      `dske-config.yaml:2: hubs[0].name: invalid name '${name}' (names are lower-case DNS labels: a-z, 0-9 and '-', starting with a letter, not ending with '-', at most 63 characters)`,
      'invalid-name',
    );
  });

  it('an invalid encryptor name', () => {
    expectError(
      doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptors:', '      - name: SAE_1'),
      "dske-config.yaml:8: clients[0].encryptors[0].name: invalid name 'SAE_1' (names are lower-case DNS labels: a-z, 0-9 and '-', starting with a letter, not ending with '-', at most 63 characters)",
      'invalid-name',
    );
  });

  it('a duplicate hub name', () => {
    expectError(doc('hubs:', '  - name: hank', '  - name: hank', 'clients: []'), "dske-config.yaml:3: hubs[1].name: duplicate node name 'hank' (already a hub on line 2)", 'duplicate-name');
  });

  it('a duplicate client name', () => {
    expectError(doc(...THREE_HUBS, 'clients:', '  - name: carol', '  - name: carol'), "dske-config.yaml:7: clients[1].name: duplicate node name 'carol' (already a client on line 6)", 'duplicate-name');
  });

  it('a client named like a hub, in either order', () => {
    expectError(doc(...THREE_HUBS, 'clients:', '  - name: helen'), "dske-config.yaml:6: clients[0].name: duplicate node name 'helen' (already a hub on line 3)", 'duplicate-name');
    expectError(doc('clients:', '  - name: hank', ...THREE_HUBS), "dske-config.yaml:4: hubs[0].name: duplicate node name 'hank' (already a client on line 2)", 'duplicate-name');
  });

  it('an encryptor listed twice on one client', () => {
    expectError(
      doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptors:', '      - name: sam', '      - name: sam'),
      "dske-config.yaml:9: clients[0].encryptors[1].name: duplicate encryptor name 'sam' (already on client carol)",
      'duplicate-encryptor',
    );
  });

  it('an encryptor on two clients', () => {
    const error = expectError(
      doc(...THREE_HUBS, 'clients:', '  - name: carol', '    encryptors:', '      - name: sam', '  - name: celia', '    encryptors:', '      - name: sam'),
      "dske-config.yaml:11: clients[1].encryptors[0].name: duplicate encryptor name 'sam' (already on client carol)",
      'duplicate-encryptor',
    );
    expect([error.line, error.field]).toEqual([11, 'clients[1].encryptors[0].name']);
  });

  it('an empty hub list', () => {
    expectError(doc('hubs: []', 'clients: []'), 'dske-config.yaml:1: hubs: at least one hub is required', 'no-hubs');
  });

  it('more than 16 hubs', () => {
    const hubs = Array.from({ length: 17 }, (_, i) => `  - name: h${i}`);
    expectError(doc('min_nr_shares: 2', 'hubs:', ...hubs, 'clients: []'), 'dske-config.yaml:2: hubs: 17 hubs, but at most 16 are supported (one Shamir share per hub)', 'too-many-hubs');
  });

  it('min_nr_shares above the number of hubs', () => {
    expectError(doc('min_nr_shares: 4', ...THREE_HUBS, 'clients: []'), 'dske-config.yaml:1: min_nr_shares: 4 is more than the number of hubs (3)', 'inconsistent-settings');
  });

  it('the default min_nr_shares above the number of hubs, at the hubs line', () => {
    expectError(doc('# two hubs', 'hubs: [{name: a}, {name: b}]', 'clients: []'), 'dske-config.yaml:2: min_nr_shares: the default 3 is more than the number of hubs (2)', 'inconsistent-settings');
  });

  it('min_nr_shares below 1 or above 16', () => {
    expectError(doc('min_nr_shares: 0', ...THREE_HUBS, 'clients: []'), 'dske-config.yaml:1: min_nr_shares: expected an integer from 1 to 16, got 0', 'invalid-value');
    expectError(doc('min_nr_shares: 17', ...THREE_HUBS, 'clients: []'), 'dske-config.yaml:1: min_nr_shares: expected an integer from 1 to 16, got 17', 'invalid-value');
  });

  it('a start threshold not below the stop threshold', () => {
    expectError(
      doc('start_request_psrd_threshold: 2000', 'stop_request_psrd_threshold: 2000', ...THREE_HUBS, 'clients: []'),
      'dske-config.yaml:1: start_request_psrd_threshold: 2000 must be less than stop_request_psrd_threshold (2000)',
      'inconsistent-settings',
    );
    expectError(
      doc(...THREE_HUBS, 'clients: []', 'start_request_psrd_threshold: 2500'),
      'dske-config.yaml:6: start_request_psrd_threshold: 2500 must be less than stop_request_psrd_threshold (2000)',
      'inconsistent-settings',
    );
  });

  it('a stop threshold below the default start threshold, at the stop line', () => {
    expectError(
      doc(...THREE_HUBS, 'clients: []', 'stop_request_psrd_threshold: 400'),
      'dske-config.yaml:6: start_request_psrd_threshold: the default 500 must be less than stop_request_psrd_threshold (400)',
      'inconsistent-settings',
    );
  });

  it.each([
    ['start_request_psrd_threshold', '0', 'expected a positive integer, got 0', 'invalid-value'],
    ['stop_request_psrd_threshold', '-5', 'expected a positive integer, got -5', 'invalid-value'],
    ['stop_request_psrd_threshold', '2000.5', 'expected a positive integer, got 2000.5', 'invalid-value'],
    ['get_psrd_block_size', '0', 'expected an integer from 1 to 1048576, got 0', 'invalid-value'],
    ['get_psrd_block_size', '1048577', 'expected an integer from 1 to 1048576, got 1048577', 'invalid-value'],
    ['share_timeout_secs', '0', 'expected an integer from 1 to 2147483, got 0', 'invalid-value'],
    ['share_timeout_secs', '1.5', 'expected an integer from 1 to 2147483, got 1.5', 'invalid-value'],
    ['share_timeout_secs', '.inf', 'expected an integer from 1 to 2147483, got Infinity', 'invalid-value'],
    ['base_port', '0', 'expected an integer from 1 to 65535, got 0', 'invalid-value'],
    ['base_port', '70000', 'expected an integer from 1 to 65535, got 70000', 'invalid-value'],
    ['base_port', '"8100"', "expected an integer from 1 to 65535, got the string '8100'", 'wrong-type'],
    ['min_nr_shares', 'three', "expected an integer from 1 to 16, got the string 'three'", 'wrong-type'],
    ['get_psrd_block_size', 'true', 'expected an integer from 1 to 1048576, got true', 'wrong-type'],
    ['share_timeout_secs', '', 'expected an integer from 1 to 2147483, got nothing', 'wrong-type'],
    ['start_request_psrd_threshold', '[1]', 'expected a positive integer, got a list', 'wrong-type'],
  ])('%s: %s', (key, value, reason, code) => {
    expectError(doc(...THREE_HUBS, 'clients: []', `${key}: ${value}`), `dske-config.yaml:6: ${key}: ${reason}`, code as TopologyErrorCode);
  });

  it('a redis_url that gives two hubs one Redis server, naming the line, the hubs and the server', () => {
    expectError(
      doc('hubs: [{name: a}, {name: b}, {name: c}]', 'clients: []', 'redis_url: redis://:pw@127.0.0.1:6379/{index}'),
      "dske-config.yaml:3: redis_url: 'redis://***@127.0.0.1:6379/{index}' gives hubs a and b the same Redis server 127.0.0.1:6379; each hub is its own trust domain and needs a store of its own (one store holding k shares of a key undoes DSKE): put {name} into the host, e.g. redis://{name}-redis:6379/0",
      'shared-store',
    );
    // The default port counts as written out.
    expect(failure(doc('redis_url: redis://store', 'hubs: [{name: a}, {name: b}]', 'clients: []', 'min_nr_shares: 1', 'allow_single_share: true')).message).toContain('hubs a and b the same Redis server store:6379;');
  });

  it('min_nr_shares 1 only with allow_single_share: true (every hub would hold the whole key)', () => {
    expectError(
      doc('min_nr_shares: 1', ...THREE_HUBS, 'clients: []'),
      'dske-config.yaml:1: min_nr_shares: 1 gives every hub the whole key (each share is the key itself); that is for a lab only: set allow_single_share: true to allow it',
      'inconsistent-settings',
    );
    expect(parseTopology(doc('min_nr_shares: 1', 'allow_single_share: true', ...THREE_HUBS, 'clients: []'), FILE).settings.allow_single_share).toBe(true);
    expectError(doc('allow_single_share: yes please', ...THREE_HUBS, 'clients: []'), "dske-config.yaml:1: allow_single_share: expected true or false, got the string 'yes please'", 'wrong-type');
    // false is the default and leaves nothing in the settings.
    expect('allow_single_share' in parseTopology(doc('allow_single_share: false', ...THREE_HUBS, 'clients: []'), FILE).settings).toBe(false);
  });

  it('a redis_url template is judged for every hub: one that gives a later hub no valid URL names that hub', () => {
    const hubs = `hubs: [${Array.from({ length: 8 }, (_, i) => `{name: h${i}}`).join(', ')}]`;
    expectError(
      doc('redis_url: redis://127.0.0.1:6553{index}/0', hubs, 'clients: []'),
      "dske-config.yaml:1: redis_url: 'redis://127.0.0.1:6553{index}/0' gives hub h6 'redis://127.0.0.1:65536/0': expected a URL starting with redis:// or rediss:// and a port up to 65535",
      'invalid-value',
    );
  });

  it('a redis_url template with {name} or {index} in the host or port gives each hub its own server', () => {
    const hubs = (t: string) => parseTopology(doc(`redis_url: ${t}`, ...THREE_HUBS, 'clients: []'), FILE);
    expect(hubs('redis://{name}-redis:6379/0').settings.redis_url).toBe('redis://{name}-redis:6379/0');
    expect(hubs('redis://127.0.0.1:637{index}').settings.redis_url).toBe('redis://127.0.0.1:637{index}');
    // One hub alone cannot share its store.
    expect(parseTopology(doc('redis_url: redis://store:6379', 'hubs: [{name: a}]', 'clients: []', 'min_nr_shares: 1', 'allow_single_share: true'), FILE).settings.redis_url).toBe('redis://store:6379');
  });

  it('a redis_url that is not a redis URL, with credentials masked', () => {
    expectError(doc('redis_url: http://u:secret@redis:6379', ...THREE_HUBS, 'clients: []'), "dske-config.yaml:1: redis_url: expected a URL starting with redis:// or rediss://, got 'http://***@redis:6379'", 'invalid-value');
    expectError(doc('redis_url: 6379', ...THREE_HUBS, 'clients: []'), 'dske-config.yaml:1: redis_url: expected a URL starting with redis:// or rediss://, got 6379', 'wrong-type');
  });

  it('ports beyond 65535', () => {
    expectError(
      doc('base_port: 65530', ...THREE_HUBS, 'clients:', '  - name: c1', '  - name: c2', '  - name: c3', '  - name: c4'),
      'dske-config.yaml:1: base_port: 65530 leaves too few ports: 7 nodes need ports 65530 to 65536, beyond 65535',
      'port-range',
    );
  });

  it('YAML aliases', () => {
    expectError(doc('hubs: &h [{name: a}, {name: b}, {name: c}]', 'clients: *h'), 'dske-config.yaml:2: clients: YAML aliases (*name) are not supported in the topology file', 'yaml-alias');
  });

  it('every problem at once, sorted by line; code and line are the first one', () => {
    const error = expectError(
      doc('base_port: 0', 'hubs:', '  - name: Hank', 'clients: x'),
      [
        'dske-config.yaml:1: base_port: expected an integer from 1 to 65535, got 0',
        "dske-config.yaml:3: hubs[0].name: invalid name 'Hank' (names are lower-case DNS labels: a-z, 0-9 and '-', starting with a letter, not ending with '-', at most 63 characters)",
        "dske-config.yaml:4: clients: expected a list of clients, got the string 'x'",
      ].join('\n'),
      'invalid-value',
    );
    expect(error.line).toBe(1);
    expect(error.problems.map((p) => [p.line, p.code])).toEqual([
      [1, 'invalid-value'],
      [3, 'invalid-name'],
      [4, 'wrong-type'],
    ]);
  });

  it('a bad hub, client or encryptor does not hide the next one', () => {
    const error = failure(
      doc(
        'hubs:',
        '  - name: hank',
        '    colour: red',
        '  - name: hank',
        '  - nam: helen',
        '  - name: hilary',
        'clients:',
        '  - name: carol',
        '    encryptors: [{name: sam}, {name: Sam}, {name: sam}]',
        '  - name: curtis',
        '    colour: blue',
        'min_nr_shares: many',
      ),
    );
    expect(error.message.split('\n')).toEqual([
      'dske-config.yaml:3: hubs[0].colour: unknown key (allowed: name)',
      "dske-config.yaml:4: hubs[1].name: duplicate node name 'hank' (already a hub on line 2)",
      'dske-config.yaml:5: hubs[2].nam: unknown key (allowed: name)',
      'dske-config.yaml:5: hubs[2].name: required key missing',
      expect.stringMatching(/^dske-config\.yaml:9: clients\[0\]\.encryptors\[1\]\.name: invalid name 'Sam'/),
      "dske-config.yaml:9: clients[0].encryptors[2].name: duplicate encryptor name 'sam' (already on client carol)",
      'dske-config.yaml:11: clients[1].colour: unknown key (allowed: name, encryptors)',
      expect.stringMatching(/^dske-config\.yaml:12: min_nr_shares: expected an integer/),
    ]);
  });

  it('a bad entry does not hide a broken rule between other settings, and every broken rule is reported', () => {
    const error = failure(doc('hubs:', '  - name: Hank', '  - name: helen', 'clients: []', 'start_request_psrd_threshold: 900', 'stop_request_psrd_threshold: 800', 'get_psrd_block_size: 2000000'));
    expect(error.problems.map((p) => [p.line, p.field, p.code])).toEqual([
      [2, 'hubs[0].name', 'invalid-name'],
      [5, 'start_request_psrd_threshold', 'inconsistent-settings'],
      [7, 'get_psrd_block_size', 'invalid-value'],
    ]);
    // With the hubs all valid, the rule that counts them is judged too.
    const rules = failure(doc('hubs:', '  - name: hank', '  - name: helen', 'clients: []', 'min_nr_shares: 3', 'start_request_psrd_threshold: 900', 'stop_request_psrd_threshold: 800'));
    expect(rules.problems.map((p) => [p.line, p.field, p.reason])).toEqual([
      [5, 'min_nr_shares', '3 is more than the number of hubs (2)'],
      [6, 'start_request_psrd_threshold', '900 must be less than stop_request_psrd_threshold (800)'],
    ]);
  });

  it('settings that relate are checked only once each is valid', () => {
    // min_nr_shares 'x' is one problem; the default that stands in for it must not then clash with the two hubs as a second.
    const error = failure(doc('hubs: [{name: hank}, {name: helen}]', 'clients: []', 'min_nr_shares: x'));
    expect(error.message).toBe("dske-config.yaml:3: min_nr_shares: expected an integer from 1 to 16, got the string 'x'");
  });
});

describe('loadTopology', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dske-topology-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and parses a file, naming it in the result', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, doc(...THREE_HUBS, 'clients: [{name: carol}]'));
    const topology = loadTopology(file);
    expect(topology.file).toBe(file);
    expect(topology.nodes.map((n) => `${n.name}:${n.port}`)).toEqual(['hank:8100', 'helen:8101', 'hilary:8102', 'carol:8103']);
  });

  it('names the file in parse errors', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, doc(...THREE_HUBS, 'clients: [{name: hank}]'));
    expect(() => loadTopology(file)).toThrow(`${file}:5: clients[0].name: duplicate node name 'hank' (already a hub on line 2)`);
  });

  it('reports a missing file', () => {
    const file = join(dir, 'missing.yaml');
    const error = (() => {
      try {
        loadTopology(file);
      } catch (e) {
        return e as TopologyError;
      }
      throw new Error('loaded');
    })();
    expect(error).toBeInstanceOf(TopologyError);
    expect(error.message).toBe(`${file}: cannot read the topology file (no such file)`);
    expect([error.code, error.file, error.line]).toEqual(['unreadable-file', file, undefined]);
  });

  it('reports a directory', () => {
    expect(() => loadTopology(dir)).toThrow(`${dir}: cannot read the topology file (it is a directory)`);
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable file', () => {
    const file = join(dir, 'secret.yaml');
    writeFileSync(file, 'hubs: []\n');
    chmodSync(file, 0o000);
    expect(() => loadTopology(file)).toThrow(`${file}: cannot read the topology file (permission denied)`);
  });
});
