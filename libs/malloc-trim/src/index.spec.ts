import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ADDON_PATH, loadMallocTrim } from './index';

describe('loadMallocTrim', () => {
  it('loads the addon that npm install built (glibc: this machine and the image)', () => {
    const addon = loadMallocTrim();
    expect(addon).toBeDefined();
    expect(typeof addon!.trim()).toBe('boolean');
  });

  it('is undefined when the addon is not there (not built), instead of throwing', () => {
    expect(loadMallocTrim('/nonexistent/malloc_trim.node')).toBeUndefined();
  });

  it('hands freed heap chunks in the middle of the heap back to the system', () => {
    // 64 MiB of 16 KiB buffers (below glibc's mmap threshold, so on the heap), with small ones kept between them:
    // once the large ones are collected, their pages stay resident until malloc_trim gives them back. (In a
    // function: an -e script's top-level bindings kept the buffers alive through gc().)
    const script = `(() => {
      const m = { exports: {} };
      process.dlopen(m, ${JSON.stringify(ADDON_PATH)});
      const mib = () => process.memoryUsage.rss() / 1048576;
      let dropped = [];
      const kept = [];
      for (let i = 0; i < 4096; i++) { dropped.push(Buffer.alloc(16384, 1)); if (i % 16 === 0) kept.push(Buffer.alloc(64, 1)); }
      dropped = null; gc(); gc();
      const freed = mib();
      const released = m.exports.trim();
      console.log(JSON.stringify({ freed, trimmed: mib(), released, kept: kept.length }));
    })()`;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { env: { ...process.env, MALLOC_ARENA_MAX: '1' }, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const { freed, trimmed, released } = JSON.parse(run.stdout) as { freed: number; trimmed: number; released: boolean };
    expect(released).toBe(true);
    expect(freed - trimmed).toBeGreaterThan(40);
  });
});
