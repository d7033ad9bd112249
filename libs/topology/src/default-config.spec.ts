import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, loadTopology, TOPOLOGY_DEFAULTS } from './index';

/** The repository's default topology, at the workspace root. */
const FILE = join(__dirname, '..', '..', '..', DEFAULT_CONFIG_FILE);

describe(`the repository's ${DEFAULT_CONFIG_FILE}`, () => {
  it('exists at the workspace root', () => {
    expect(existsSync(FILE), `${FILE} is missing`).toBe(true);
  });

  it('loads with the default settings', () => {
    expect(loadTopology(FILE).settings).toEqual({ ...TOPOLOGY_DEFAULTS });
  });

  it('follows the user guide port plan', () => {
    expect(loadTopology(FILE).nodes.map((n) => [n.kind, n.name, n.port])).toEqual([
      ['hub', 'hank', 8100],
      ['hub', 'helen', 8101],
      ['hub', 'hilary', 8102],
      ['hub', 'holly', 8103],
      ['hub', 'hugo', 8104],
      ['client', 'carol', 8105],
      ['client', 'celia', 8106],
      ['client', 'cindy', 8107],
      ['client', 'connie', 8108],
      ['client', 'curtis', 8109],
    ]);
  });

  it('attaches the encryptors to their clients', () => {
    const topology = loadTopology(FILE);
    expect(topology.clients.map((c) => [c.name, c.encryptors])).toEqual([
      ['carol', ['sam']],
      ['celia', ['serena']],
      ['cindy', []],
      ['connie', ['sofia']],
      ['curtis', ['sunny', 'susan']],
    ]);
    expect(['sam', 'serena', 'sofia', 'sunny', 'susan'].map((sae) => topology.clientForEncryptor(sae)?.name)).toEqual([
      'carol',
      'celia',
      'connie',
      'curtis',
      'curtis',
    ]);
  });
});
