import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ADDON_PATH, installedMallocTrim, loadMallocTrim } from './index';

/** glibc has malloc_trim: Linux here, in CI and in the image. On macOS or musl the addon answers that it has none. */
const glibc = typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime === 'string';

describe('loadMallocTrim', () => {
  it.runIf(glibc)('loads the addon that npm ci built (a C compiler is one of what npm test needs)', () => {
    const addon = loadMallocTrim();
    expect(addon).toBeDefined();
    expect(typeof addon!.trim()).toBe('boolean');
  });

  it.skipIf(glibc)('is undefined where the C library has no malloc_trim', () => {
    expect(loadMallocTrim()).toBeUndefined();
  });

  it('is undefined, without a word, when the addon is not there (not built)', () => {
    const warn = vi.fn();
    expect(loadMallocTrim('/nonexistent/malloc_trim.node', warn)).toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
  });

  it('is undefined when the file does not load (another platform\'s build), and says why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'malloc-trim-'));
    try {
      const path = join(dir, 'malloc_trim.node');
      writeFileSync(path, 'not an ELF file');
      const warn = vi.fn();
      expect(loadMallocTrim(path, warn)).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toContain(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the installed addon once per process', () => {
    expect(installedMallocTrim()).toBe(installedMallocTrim());
  });

  it.runIf(glibc)('hands freed heap chunks in the middle of the heap back to the system', () => {
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
