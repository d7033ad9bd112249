/**
 * A node that dies during start: reported with the tail of its log, the
 * other nodes of that run are stopped, exit 1. Runs the manager in-process
 * with a client program that fails on purpose (the real one would not).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePortRange, isPortFree } from '@dske/test-support';
import type { ManagerIo } from '../src/io';
import { nodeProgram } from '../src/node-processes';
import { runManager } from '../src/run';
import { cleanUp, liveNodePids, SMALL_CONFIG } from './support/manager-run';

describe('a node that exits during start', () => {
  let dir = '';
  afterEach(async () => {
    await cleanUp(dir);
  });

  it('is reported with the last lines of its log; the nodes started in this run are stopped', async () => {
    const base = await freePortRange(5);
    dir = mkdtempSync(join(tmpdir(), 'dske-manager-test-'));
    writeFileSync(join(dir, 'dske-config.yaml'), `base_port: ${base}\n${SMALL_CONFIG}`);
    const failing = join(dir, 'failing-client.js');
    writeFileSync(failing, "console.log(`client ${process.argv[2]} starting`);\nconsole.error('cannot start: disk on fire');\nprocess.exit(3);\n");

    const out: string[] = [];
    const err: string[] = [];
    const io: ManagerIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir, env: process.env };
    const code = await runManager(['--hub', 'hank', '--hub', 'helen', '--hub', 'hilary', '--client', 'carol', 'start'], io, {
      start: { programFor: (kind) => (kind === 'client' ? failing : nodeProgram(kind)) },
    });

    expect(code).toBe(1);
    expect(out).toEqual([
      'Waiting for client carol, hub hank, hub helen, hub hilary to be stopped',
      `Starting hub hank on port ${base}`,
      `Starting hub helen on port ${base + 1}`,
      `Starting hub hilary on port ${base + 2}`,
      `Starting client carol on port ${base + 3}`,
      'Waiting for client carol, hub hank, hub helen, hub hilary to be started',
    ]);
    expect(err).toEqual([
      'Node client carol exited during start (exit code 3); last lines of client-carol.out:',
      '  client carol starting',
      '  cannot start: disk on fire',
      'Stopping the nodes started in this run: hub hank, hub helen, hub hilary',
      'manager: error: start failed: client carol exited during start',
    ]);
    expect(liveNodePids(dir)).toEqual([]);
    // No pid file is left; the hubs' state stays for their next start.
    expect(readdirSync(join(dir, '.dske-manager')).filter((f) => f.endsWith('.pid'))).toEqual([]);
    for (let i = 0; i < 4; i++) expect(await isPortFree(base + i)).toBe(true);
    rmSync(failing);
  });
});
