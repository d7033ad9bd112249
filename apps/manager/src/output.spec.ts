import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology, type ClientPlan } from '@dske/topology';
import { etsiHeader, prettyBody, prettyJson, startingLine, statusHeader, stillWaitingLine, stoppingLine, waitingLine } from './output';

const guide = loadTopology(join(__dirname, '..', '..', '..', 'dske-config.yaml'));
const client = (name: string) => guide.node('client', name) as ClientPlan;

// Every expected string below is copied from the user guide.
describe('progress lines', () => {
  it('reads like the guide', () => {
    expect(startingLine(guide.hubs[0])).toBe('Starting hub hank on port 8100');
    expect(startingLine(client('curtis'))).toBe('Starting client curtis on port 8109');
    expect(stoppingLine(client('curtis'))).toBe('Stopping client curtis on port 8109');
    expect(stoppingLine(guide.hubs[4])).toBe('Stopping hub hugo on port 8104');
    expect(statusHeader(guide.hubs[0])).toBe('Status for hub hank on port 8100');
    expect(waitingLine('all nodes', 'stopped')).toBe('Waiting for all nodes to be stopped');
    expect(waitingLine('all nodes', 'started')).toBe('Waiting for all nodes to be started');
    expect(waitingLine('client carol, client corrie, hub hank', 'started')).toBe('Waiting for client carol, client corrie, hub hank to be started');
    expect(stillWaitingLine('client connie', 'stopped')).toBe('Still waiting for client connie to be stopped');
  });
});

describe('etsiHeader', () => {
  it('names the API, the client (KME) and port, and both SAEs', () => {
    expect(etsiHeader({ api: 'Get Key', client: client('carol'), master: 'sam', slave: 'serena' })).toBe(
      'Invoke ETSI QKD Get Key API on client (KME) carol port 8105 master encryptor (SAE) sam slave encryptor (SAE) serena:',
    );
    expect(etsiHeader({ api: 'Get Key with Key IDs', client: client('celia'), master: 'sam', slave: 'serena' })).toBe(
      'Invoke ETSI QKD Get Key with Key IDs API on client (KME) celia port 8106 master encryptor (SAE) sam slave encryptor (SAE) serena:',
    );
    expect(etsiHeader({ api: 'Status', client: client('carol'), master: 'sam', slave: 'sunny' })).toBe(
      'Invoke ETSI QKD Status API on client (KME) carol port 8105 master encryptor (SAE) sam slave encryptor (SAE) sunny:',
    );
  });
});

describe('JSON output', () => {
  it('uses a 2-space indent like the guide', () => {
    expect(prettyJson({ keys: [{ key_ID: 'k', key: 'v' }] }).split('\n')).toEqual([
      '{', '  "keys": [', '    {', '      "key_ID": "k",', '      "key": "v"', '    }', '  ]', '}',
    ]);
  });

  it('prints a body that is not JSON as received', () => {
    expect(prettyBody('<html>oops</html>', undefined)).toBe('<html>oops</html>');
    expect(prettyBody('{"a":1}', { a: 1 })).toBe('{\n  "a": 1\n}');
  });
});
