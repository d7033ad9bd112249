import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology, NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS, type ClientPlan } from '@dske/topology';
import {
  isRecordedProcessRunning, logFileName, logTail, nodeCommand, nodeEnvironment, nodeProgram, processCommandLine, readPidRecord, removePidRecord,
  terminate, writePidRecord, type PidRecord,
} from './node-processes';

const REPO = join(__dirname, '..', '..', '..');
const guide = loadTopology(join(REPO, 'dske-config.yaml'));
const dir = mkdtempSync(join(tmpdir(), 'dske-manager-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nodeCommand', () => {
  it("is `node NODE_RUNTIME_FLAGS <repo>/apps/<kind>/dist/node.js` with the topology library's arguments", () => {
    expect(nodeProgram('hub')).toBe(join(REPO, 'apps', 'hub', 'dist', 'node.js'));
    expect(nodeCommand(guide, guide.hubs[1])).toEqual([
      process.execPath, ...NODE_RUNTIME_FLAGS, nodeProgram('hub'), 'helen', '--port', '8101', '--share-timeout-secs', '60', '--state-dir', '.dske-manager/state/hub-helen',
    ]);
    const carol = nodeCommand(guide, guide.node('client', 'carol') as ClientPlan);
    expect(carol.slice(0, NODE_RUNTIME_FLAGS.length + 5)).toEqual([process.execPath, ...NODE_RUNTIME_FLAGS, nodeProgram('client'), 'carol', '--port', '8105']);
    expect(carol).toContain('http://127.0.0.1:8104/hub/hugo');
    // Each node its own state directory, relative to the manager's working directory where the node runs.
    expect(carol.slice(carol.indexOf('--state-dir'), carol.indexOf('--state-dir') + 2)).toEqual(['--state-dir', '.dske-manager/state/client-carol']);
  });

  it('names log files like the guide: client-carol.out', () => {
    expect(logFileName({ kind: 'client', name: 'carol' })).toBe('client-carol.out');
    expect(logFileName({ kind: 'hub', name: 'hank' })).toBe('hub-hank.out');
  });
});

describe('nodeEnvironment', () => {
  it('drops the variables node programs read settings from, keeps the rest, and adds the runtime environment', () => {
    const env = nodeEnvironment({ PATH: '/bin', REDIS_URL: 'redis://x', DSKE_PORT: '1', DSKE_NAME: 'x', DSKE_HUBS: 'h', DSKE_HIDE_PSRD: '1' });
    expect(env).toEqual({ PATH: '/bin', DSKE_HIDE_PSRD: '1', MALLOC_ARENA_MAX: '1' });
    expect(nodeEnvironment({ MALLOC_ARENA_MAX: '8' })).toEqual(NODE_RUNTIME_ENV);
  });

  it('passes the mgmt token on: the manager reaches the nodes with the same one', () => {
    expect(nodeEnvironment({ PATH: '/bin', DSKE_MGMT_TOKEN: 't0k', DSKE_PORT: '1' })).toEqual({ PATH: '/bin', DSKE_MGMT_TOKEN: 't0k', ...NODE_RUNTIME_ENV });
  });
});

describe('pid records', () => {
  const node = { kind: 'hub' as const, name: 'hank' };

  it('round-trip through .dske-manager/hub-hank.pid and can be removed', () => {
    const record: PidRecord = { ...node, port: 8100, pid: 42, command: ['node', 'x'], started_at: new Date(0).toISOString() };
    writePidRecord(dir, record);
    expect(JSON.parse(readFileSync(join(dir, '.dske-manager', 'hub-hank.pid'), 'utf8'))).toEqual(record);
    expect(readPidRecord(dir, node)).toEqual(record);
    removePidRecord(dir, node);
    expect(readPidRecord(dir, node)).toBeUndefined();
    removePidRecord(dir, node);
  });

  it('a garbled pid file counts as none', () => {
    writePidRecord(dir, { ...node, port: 1, pid: 1, command: [], started_at: '' });
    writeFileSync(join(dir, '.dske-manager', 'hub-hank.pid'), 'not json');
    expect(readPidRecord(dir, node)).toBeUndefined();
  });

  it('matches a live process only when its command line is the recorded one', async () => {
    const command = [process.execPath, '-e', 'setTimeout(() => {}, 60000)', 'hub-test-sleeper'];
    const child = spawn(command[0], command.slice(1), { stdio: 'ignore' });
    const pid = child.pid as number;
    await new Promise((r) => setTimeout(r, 100));
    expect(processCommandLine(pid)).toEqual(command);
    const record: PidRecord = { ...node, port: 1, pid, command, started_at: '' };
    expect(isRecordedProcessRunning(record)).toBe(true);
    // A reused PID runs something else: never touch it.
    expect(isRecordedProcessRunning({ ...record, command: [...command.slice(0, 3), 'other'] })).toBe(false);
    expect(await terminate(pid, 2000)).toBe('SIGTERM');
    expect(isRecordedProcessRunning(record)).toBe(false);
  });

  it('SIGKILL follows when SIGTERM is ignored', async () => {
    const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setTimeout(() => {}, 60000)"], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await terminate(child.pid as number, 300)).toBe('SIGKILL');
  });
});

describe('logTail', () => {
  it('gives the last lines without the trailing newline; nothing for a missing file', () => {
    const file = join(dir, 'x.out');
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(logTail(file, 3)).toEqual(['line 27', 'line 28', 'line 29']);
    expect(logTail(join(dir, 'missing.out'))).toEqual([]);
  });
});
