/**
 * start and stop on a terminal (a pseudo-terminal from util-linux `script`):
 * one status line updates in place with n of N nodes ready or stopped and
 * ends as a summary; the user guide's lines are all there, in order. Piped,
 * the output has no escape sequence at all (the guide's lines exactly: see
 * guide-start-stop.spec.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpAll, manager, MANAGER, smallTopology } from './support/manager-run';

const SCRIPT = '/usr/bin/script';

/** Runs ./manager with `args` on a pseudo-terminal; resolves with what the terminal received. */
function onTerminal(dir: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const command = [MANAGER, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn(SCRIPT, ['-q', '-e', '-c', command, '/dev/null'], { cwd: dir, env: { ...process.env, TERM: 'xterm', COLUMNS: '120' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The rows a terminal would show: each row's text after its last carriage return and erase. */
const screen = (output: string) =>
  output
    .split('\n')
    .map((row) => row.replace(/\r$/, '').split('\r').pop()!.replace(/\x1b\[2K/g, ''))
    .filter((row) => row !== '');

describe.skipIf(!existsSync(SCRIPT))('start and stop on a terminal', () => {
  afterAll(cleanUpAll);

  it('show n of N nodes ready, then stopped, on one updating line that ends as a summary', async () => {
    const t = await smallTopology();
    const started = await onTerminal(t.dir, ['start']);
    expect(started.code, started.output).toBe(0);
    expect(started.output).toContain('\r\x1b[2K');
    expect(started.output).toMatch(/\d of 5 nodes ready · waiting for (hub|client) [a-z]+/);
    const rows = screen(started.output);
    expect(rows.slice(0, 7)).toEqual([
      'Waiting for all nodes to be stopped',
      `Starting hub hank on port ${t.port(0)}`,
      `Starting hub helen on port ${t.port(1)}`,
      `Starting hub hilary on port ${t.port(2)}`,
      `Starting client carol on port ${t.port(3)}`,
      `Starting client curtis on port ${t.port(4)}`,
      'Waiting for all nodes to be started',
    ]);
    expect(rows[rows.length - 1]).toMatch(/^5 of 5 nodes ready in \d+\.\d s$/);

    const stopped = await onTerminal(t.dir, ['stop']);
    expect(stopped.code, stopped.output).toBe(0);
    expect(stopped.output).toMatch(/asking \d of 5 nodes to stop · (hub|client) [a-z]+/);
    const stopRows = screen(stopped.output);
    expect(stopRows[0]).toBe(`Stopping client curtis on port ${t.port(4)}`);
    expect(stopRows[stopRows.length - 1]).toMatch(/^5 of 5 nodes stopped in \d+\.\d s$/);

    // Piped, not a byte of it.
    const piped = await manager(t.dir, ['start']);
    expect(piped.code).toBe(0);
    expect(piped.stdout.join('\n')).not.toContain('\x1b');
    expect(piped.stdout.some((line) => line.includes('nodes ready'))).toBe(false);
    expect((await manager(t.dir, ['stop'])).code).toBe(0);
  });
});
